import fc from 'fast-check';
import { appendFileSync } from 'node:fs';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, seedWorkspace, signup, TestWorkspace } from '../support/api-client';
import {
  boundaryRequests,
  CORRUPTION_WEIGHTS,
  corruptionsFor,
  describeRequest,
  FuzzRequest,
  FuzzWorld,
  OpenApiDocument,
  propertyCorruptions,
  requestArb,
  routesOf,
  withNullableFlags,
} from '../support/openapi-fuzz';
import { Receiver } from '../support/receiver';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Property-based fuzz of every route in the OpenAPI document with requests that are all invalid
 * (see test/support/openapi-fuzz.ts): none may answer 5xx (or 2xx/3xx), and none may change a row.
 * FUZZ_RUNS sets the number of random requests (after one request per route and corruption and a
 * few per DTO property); FUZZ_SEED replays a run. A second test sends boundary values that may be
 * accepted (no snapshot there) and checks only that nothing answers 5xx.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
/** FUZZ_LOG=<file>: every request and the start of its response, for a closer look. */
const LOG = process.env.FUZZ_LOG;
/** Requests between two database snapshots: a change is reported with the requests of its window. */
const WINDOW = 100;

const TABLES = [
  'users', 'access_tokens', 'workspaces', 'memberships', 'teams', 'team_members', 'investments', 'valuations', 'memos',
  'assumptions', 'pipelines', 'webhooks', 'api_keys', 'events', 'deliveries', 'delivery_attempts', 'account_tokens', 'invitations',
  'custom_roles',
];

type Snapshot = Record<string, string>;

async function snapshot(db: Client): Promise<Snapshot> {
  // last_used_at moves by itself (at most once a minute per token or key, on any authenticated request): not a change.
  const row = `(to_jsonb(r) - 'last_used_at')::text`;
  const parts = TABLES.map((t) => `SELECT '${t}' AS t, count(*)::text || ':' || coalesce(md5(string_agg(${row}, '|' ORDER BY ${row})), '') AS h FROM "${t}" r`);
  const { rows } = await db.query<{ t: string; h: string }>(parts.join(' UNION ALL '));
  return Object.fromEntries(rows.map((r) => [r.t, r.h]));
}

function changedTables(a: Snapshot, b: Snapshot): string[] {
  return TABLES.filter((t) => a[t] !== b[t]).map((t) => `${t} (${a[t].split(':')[0]} → ${b[t].split(':')[0]} rows)`);
}

async function send(baseUrl: string, req: FuzzRequest): Promise<{ status: number | 'network-error'; text: string }> {
  let body: RequestInit['body'];
  if (req.body !== undefined && typeof req.body === 'object' && !Buffer.isBuffer(req.body)) {
    let left = req.body.stream;
    body = new ReadableStream({
      pull(controller) {
        if (left <= 0) return controller.close();
        const chunk = 'x'.repeat(Math.min(64 * 1024, left));
        left -= chunk.length;
        controller.enqueue(new TextEncoder().encode(chunk));
      },
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"name":"'));
      },
    });
  } else {
    body = req.body as string | Buffer | undefined;
  }
  try {
    const res = await fetch(baseUrl + req.path, {
      method: req.method,
      headers: req.headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(15_000),
      ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
    } as RequestInit);
    return { status: res.status, text: await res.text() };
  } catch (err) {
    return { status: 'network-error', text: String((err as Error).cause ?? err) };
  }
}

/** api.md: errors are `{statusCode, message, error}`. 431 (headers too large) comes from Node's HTTP parser, before the app. */
function isErrorBody(status: number, text: string): boolean {
  if (status === 431) return true;
  try {
    const body = JSON.parse(text);
    return body.statusCode === status && body.message !== undefined && typeof body.error === 'string';
  } catch {
    return false;
  }
}

describe('API fuzz: malformed, oversized and mistyped requests on every documented route', () => {
  let t: TestApp;
  let db: Client;
  let ws: TestWorkspace;
  let doc: OpenApiDocument;
  let world: FuzzWorld;
  const receiver = new Receiver();

  beforeAll(async () => {
    await receiver.start();
    t = await startTestApp();
    const api = new ApiClient(t.baseUrl);
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
    ws = await seedWorkspace(api);
    doc = withNullableFlags((await api.get('/docs-json')).body);

    const created = async (res: Promise<{ status: number; body: any }>, what: string) => {
      const r = await res;
      if (r.status !== 201) throw new Error(`seeding ${what}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    const eventTypes = ((await ws.owner.api.get('/v1/webhook-event-types')).body as { type: string }[]).map((e) => e.type);

    /** One row of every kind in workspace `wid`, created by `user`. */
    const seedRows = async (u: ApiClient, wid: string, teamId: string, webhookUrl: string, enabled: boolean) => {
      const base = `/v1/workspaces/${wid}`;
      const webhook = await created(u.post(`${base}/webhooks`, { name: 'fuzz', url: webhookUrl, events: eventTypes, enabled }), 'webhook');
      const investment = await created(u.post(`${base}/investments`, { name: 'Acme', teamId, amount: 5, currency: 'USD' }), 'investment');
      const valuation = await created(u.post(`${base}/valuations`, { investmentId: investment.id, value: 10, valuedAt: '2026-09-30' }), 'valuation');
      const memo = await created(u.post(`${base}/memos`, { title: 'IC', body: 'notes', teamId, investmentId: investment.id, visibility: 'team' }), 'memo');
      const assumption = await created(u.post(`${base}/assumptions`, { name: 'Discount', value: 0.1, unit: 'ratio' }), 'assumption');
      const pipeline = await created(u.post(`${base}/pipelines`, { name: 'Seed', stages: ['a', 'b'] }), 'pipeline');
      return { webhook, investment, valuation, memo, assumption, pipeline };
    };

    // The fuzzed workspace: an enabled webhook that receives every event, so a stray event would also leave a delivery.
    const mine = await seedRows(ws.owner.api, ws.id, ws.teamA, receiver.url('/fuzz'), true);
    const memberKey = await created(ws.member.api.post(`/v1/workspaces/${ws.id}/api-keys`, { name: 'member key' }), 'api key');
    const ownerKey = await created(ws.owner.api.post(`/v1/workspaces/${ws.id}/api-keys`, { name: 'owner key' }), 'api key');

    // The outsider's workspace, for cross-tenant ids and a foreign API key.
    const outsiderWid = ((await ws.outsider.api.get('/v1/workspaces')).body.data as { id: string }[])[0].id;
    const foreignTeam = await created(ws.outsider.api.post(`/v1/workspaces/${outsiderWid}/teams`, { name: 'Their team' }), 'team');
    const theirs = await seedRows(ws.outsider.api, outsiderWid, foreignTeam.id, 'http://127.0.0.1:9/closed', false);
    const theirInvitation = await created(ws.outsider.api.post(`/v1/workspaces/${outsiderWid}/invitations`, { email: 'theirs@example.com', role: 'viewer' }), 'invitation');
    const outsiderKey = await created(ws.outsider.api.post(`/v1/workspaces/${outsiderWid}/api-keys`, { name: 'their key' }), 'api key');

    // A revoked session token.
    const stranger = await signup(api, 'Stranger');
    const logout = await stranger.api.post('/v1/auth/logout');
    if (logout.status >= 300) throw new Error(`logout: ${logout.status}`);
    // A live session of someone else (a session id for /v1/me/sessions/{id}) and pending invitations here and there.
    const bystander = await signup(api, 'Bystander');
    const bystanderSession = ((await bystander.api.get('/v1/me/sessions')).body.data as { id: string }[])[0].id;
    const invitation = await created(ws.owner.api.post(`/v1/workspaces/${ws.id}/invitations`, { email: 'invited@example.com', role: 'viewer' }), 'invitation');

    await receiver.waitFor(() => receiver.on('/fuzz').length >= 5, 15_000, 'setup deliveries');
    const deliveries = await ws.owner.api.get(`/v1/workspaces/${ws.id}/webhooks/${mine.webhook.id}/deliveries`);
    const deliveryId = deliveries.body.data[0].id as string;

    const kinds = (rows: typeof mine, team: string, key: string, users: string[], wid: string, invited: string, session: string[], delivery?: string) => ({
      workspaces: [wid],
      members: users,
      teams: [team],
      'api-keys': [key],
      investments: [rows.investment.id],
      valuations: [rows.valuation.id],
      memos: [rows.memo.id],
      assumptions: [rows.assumption.id],
      pipelines: [rows.pipeline.id],
      webhooks: [rows.webhook.id],
      deliveries: delivery ? [delivery] : [],
      invitations: [invited],
      sessions: session,
    });
    // A custom role in each workspace (issue 18).
    const role = await created(ws.owner.api.post(`/v1/workspaces/${ws.id}/roles`, { name: 'Fuzz role', permissions: [{ subject: 'Pipeline', actions: ['read'], scope: 'all' }] }), 'role');
    const theirRole = await created(ws.outsider.api.post(`/v1/workspaces/${outsiderWid}/roles`, { name: 'Their role', permissions: [] }), 'role');
    const idsByKind = kinds(mine, ws.teamA, memberKey.id, [ws.owner.id, ws.admin.id, ws.member.id, ws.viewer.id], ws.id, invitation.id, [bystanderSession], deliveryId);
    idsByKind.teams.push(ws.teamB);
    Object.assign(idsByKind, { roles: [role.id] });
    // An event id for /events/{eventId} (the "why (not)" view): the event of the first delivery.
    (idsByKind as Record<string, string[]>).events = [deliveries.body.data[0].eventId as string];
    idsByKind['api-keys'].push(ownerKey.id);
    world = {
      tokens: {
        owner: ws.owner.token,
        admin: ws.admin.token,
        member: ws.member.token,
        viewer: ws.viewer.token,
        memberKey: memberKey.key,
        outsider: ws.outsider.token,
        outsiderKey: outsiderKey.key,
      },
      revokedToken: stranger.token,
      validIds: Object.fromEntries(
        Object.entries({ ...idsByKind, members: [ws.member.id] }).map(([k, ids]) => [k, ids[0]]),
      ),
      idsByKind,
      foreignIdsByKind: { ...kinds(theirs, foreignTeam.id, outsiderKey.id, [ws.outsider.id], outsiderWid, theirInvitation.id, []), roles: [theirRole.id] },
      validBodyValues: {
        teamId: ws.teamA,
        investmentId: mine.investment.id,
        url: receiver.url('/fuzz-other'),
      },
    };

    // Let the relay, fan-out and deliveries of the setup settle before the first snapshot.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const { rows } = await db.query<{ n: number }>(
        `SELECT (SELECT count(*) FROM events WHERE relayed_at IS NULL OR pending_subscribers <> '{}')
              + (SELECT count(*) FROM deliveries WHERE status IN ('pending', 'retrying')) AS n`,
      );
      if (Number(rows[0].n) === 0) break;
      if (Date.now() > deadline) throw new Error('setup events/deliveries did not settle');
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 180_000);

  afterAll(async () => {
    await db?.end();
    await t?.close();
    await receiver.stop();
  });

  it('answers every invalid request with a 4xx and changes nothing', async () => {
    const routes = routesOf(doc);
    const pairs = routes.flatMap((route) => corruptionsFor(route, doc).map((c) => [route, c] as const));
    // Every documented route can be made invalid at least one way.
    const uncovered = routes.filter((r) => !pairs.some(([p]) => p === r)).map((r) => r.key);
    expect(uncovered).toEqual([]);

    const statuses = new Map<string, number>();
    const byCorruption = new Map<string, Map<string, number>>();
    const perRoute = new Map<string, number>();
    const violations: string[] = [];
    let window: { req: FuzzRequest; status: number | string }[] = [];
    let baseline = await snapshot(db);
    const baselineAtStart = baseline;
    let sent = 0;

    const checkState = async () => {
      const now = await snapshot(db);
      const changed = changedTables(baseline, now);
      if (changed.length) {
        violations.push(
          `rows changed in ${changed.join(', ')} during requests #${sent - window.length + 1}..#${sent}:\n` +
            window.map(({ req, status }) => `    ${status} ${describeRequest(req)}`).join('\n'),
        );
        baseline = now;
      }
      window = [];
    };

    const run = async (req: FuzzRequest) => {
      const { status, text: full } = await send(t.baseUrl, req);
      const text = full.slice(0, 400);
      if (LOG) appendFileSync(LOG, `${status} ${describeRequest(req)}\n    ${text.slice(0, 200)}\n`);
      sent++;
      window.push({ req, status });
      const key = String(status);
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
      const per = byCorruption.get(req.corruption) ?? new Map<string, number>();
      per.set(key, (per.get(key) ?? 0) + 1);
      byCorruption.set(req.corruption, per);
      perRoute.set(req.route, (perRoute.get(req.route) ?? 0) + 1);
      if (status === 'network-error' || status < 400 || status >= 500) {
        const line = `${status} ← ${describeRequest(req)}\n    response: ${text}`;
        violations.push(line);
        if (typeof status === 'number' && status >= 500) console.error(`5xx: ${line}`);
      } else if (!isErrorBody(status, full)) {
        violations.push(`${status} without a {statusCode, message, error} body ← ${describeRequest(req)}\n    response: ${text}`);
      }
      if (window.length >= WINDOW) await checkState();
    };

    const started = Date.now();
    // One request per (route, corruption), every property of every DTO broken on its own, then random requests.
    for (const [index, [route, corruption]] of pairs.entries()) {
      const [req] = fc.sample(requestArb(route, corruption, world, doc), { numRuns: 1, seed: SEED + index });
      await run(req);
    }
    const fixed = routes.flatMap((route) => propertyCorruptions(route, world, SEED));
    for (const req of fixed) await run(req);
    const anyRequest = fc.oneof(
      ...pairs.map(([route, corruption]) => ({ arbitrary: requestArb(route, corruption, world, doc), weight: CORRUPTION_WEIGHTS[corruption] })),
    );
    await fc.assert(
      fc.asyncProperty(anyRequest, async (req) => {
        await run(req);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    await checkState();
    const after = await snapshot(db);

    const distribution = Object.fromEntries([...statuses.entries()].sort());
    console.log(
      `API fuzz: ${sent} requests over ${routes.length} routes in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${SEED})\n` +
        `  status codes: ${JSON.stringify(distribution)}\n` +
        [...byCorruption.entries()].map(([c, m]) => `  ${c}: ${JSON.stringify(Object.fromEntries([...m.entries()].sort()))}`).join('\n') +
        `\n  fewest requests on a route: ${Math.min(...routes.map((r) => perRoute.get(r.key) ?? 0))}`,
    );
    if (violations.length) console.error(`API fuzz violations (seed ${SEED}):\n${violations.slice(0, 40).join('\n')}`);

    expect(violations.slice(0, 20), `seed ${SEED}`).toEqual([]);
    expect(changedTables(baselineAtStart, after)).toEqual([]);
    expect(sent).toBe(pairs.length + fixed.length + RUNS);
    // Every route was fuzzed.
    expect(routes.filter((r) => !perRoute.get(r.key)).map((r) => r.key)).toEqual([]);
  }, 600_000); // a deadline, not a performance bound: a loaded 2-core machine runs the 2,000 requests slowly

  it('answers boundary values that may be accepted with a 2xx or a 4xx, never a 5xx', async () => {
    const routes = routesOf(doc);
    const requests = boundaryRequests(routes, world);
    // Accepted writes here are expected: spare the setup webhook their deliveries.
    const pause = await ws.owner.api.patch(`/v1/workspaces/${ws.id}/webhooks/${world.validIds.webhooks}`, { enabled: false });
    expect(pause.status).toBe(200);
    const started = Date.now();
    const statuses = new Map<string, number>();
    const violations: string[] = [];
    for (const req of requests) {
      const { status, text: full } = await send(t.baseUrl, req);
      statuses.set(String(status), (statuses.get(String(status)) ?? 0) + 1);
      const text = full.slice(0, 400);
      if (LOG) appendFileSync(LOG, `${status} ${describeRequest(req)}\n    ${text.slice(0, 200)}\n`);
      if (status === 'network-error' || status >= 500 || (status >= 300 && status < 400)) {
        violations.push(`${status} ← ${describeRequest(req)}\n    response: ${text}`);
      } else if (status >= 400 && !isErrorBody(status, full)) {
        violations.push(`${status} without a {statusCode, message, error} body ← ${describeRequest(req)}\n    response: ${text}`);
      }
    }
    console.log(`API boundary values: ${requests.length} requests in ${((Date.now() - started) / 1000).toFixed(1)} s; status codes: ${JSON.stringify(Object.fromEntries([...statuses.entries()].sort()))}`);
    if (violations.length) console.error(`API boundary violations:\n${violations.slice(0, 40).join('\n')}`);
    expect(violations.slice(0, 20)).toEqual([]);
  }, 300_000);
});
