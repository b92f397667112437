import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Client } from 'pg';
import { ApiClient } from '../support/api-client';
import { RecordingReceiver } from './fault-receivers';
import { Mailbox, tokenIn } from '../support/mailbox';
import {
  connect,
  dropDatabase,
  dropStaleFaultDatabases,
  newDatabaseUrl,
  PlatformProcess,
  RedisServer,
  sleep,
  startPlatform,
  waitUntil,
} from './fault-harness';

/** Settings every scenario shares: local receivers allowed, fast retries, a short attempt timeout. */
export const FAULT_ENV: Record<string, string> = {
  WEBHOOK_ALLOW_PRIVATE_NETWORK: 'true',
  WEBHOOK_RETRY_SCHEDULE: '0,200ms,500ms,1s,2s,5s',
  WEBHOOK_TIMEOUT_MS: '2000',
  WEBHOOK_SECRET_KEY: 'fault-injection-suite-only-secret-key-0123456789',
  WORKER_CONCURRENCY: '50',
  // No circuit breaker: receivers that fail every message's first attempt (redis-restart) or every
  // attempt (hostile-receivers) would open it, and it holds their scheduled attempts back by design
  // (delivery-flow.spec.ts). These scenarios measure loss and duplicates across crashes and restarts.
  WEBHOOK_CIRCUIT_FAILURES: '0',
};

export const INVESTMENT_EVENTS = ['investment.created', 'investment.updated', 'investment.deleted'];

// ---------------------------------------------------------------------------------------------
// HTTP client: what a customer's client does, including retrying 503s.

export interface CallResult {
  status: number;
  body: any;
  /** Every status answered before the final one (503s retried), and network errors as 0. */
  retried: number[];
}

/** The tests' ApiClient, plus what a customer's client does under faults: retry 503s and refused connections. */
export class FaultClient extends ApiClient {
  override as(token: string): FaultClient {
    return new FaultClient(this.baseUrl, token);
  }

  /** Retries 503 and connection failures for up to `retryForMs`; any other status is final. */
  async call(method: string, path: string, body?: unknown, retryForMs = 20_000): Promise<CallResult> {
    const retried: number[] = [];
    const deadline = Date.now() + retryForMs;
    for (;;) {
      let status = 0;
      let parsed: any;
      try {
        const res = await this.request(method, path, body, {}, AbortSignal.timeout(15_000));
        status = res.status;
        parsed = res.body;
      } catch {
        status = 0;
      }
      if ((status === 503 || status === 0) && Date.now() < deadline) {
        retried.push(status);
        await sleep(100 + Math.random() * 150);
        continue;
      }
      return { status, body: parsed, retried };
    }
  }

  async expect(status: number, method: string, path: string, body?: unknown): Promise<any> {
    const res = await this.call(method, path, body);
    if (res.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
}

// ---------------------------------------------------------------------------------------------
// The workspace the burst writes into.

export type HookAudience = 'all' | 'teamA';

export interface SeededHook {
  id: string;
  path: string;
  secret: string;
  /** Which investment events this hook's creator may read: owner/admin all, the member teamA only. */
  audience: HookAudience;
}

export interface Seeded {
  workspaceId: string;
  owner: FaultClient;
  admin: FaultClient;
  member: FaultClient;
  teamA: string;
  teamB: string;
  hooks: SeededHook[];
}

async function signup(api: FaultClient, name: string): Promise<{ id: string; email: string; client: FaultClient }> {
  const email = `${name}-${randomUUID()}@example.com`;
  const body = await api.expect(201, 'POST', '/v1/auth/signup', { email, name, password: 'password-123' });
  return { id: body.user.id, email, client: api.as(body.token) };
}

// ---------------------------------------------------------------------------------------------
// The burst: chains of create → update (→ update) (→ delete) per investment, run concurrently.

export type CallKind = 'create' | 'update' | 'delete';

export interface BurstCall {
  kind: CallKind;
  investmentId: string | null;
  name: string;
  status: number;
  retried: number[];
  startedAt: number;
  endedAt: number;
}

export interface BurstOptions {
  chains: number;
  concurrency?: number;
  /** API calls per second at most (0: as fast as the API answers). */
  ratePerSec?: number;
}

export class Burst {
  readonly calls: BurstCall[] = [];
  readonly total: number;
  readonly done: Promise<void>;
  private completed = 0;
  private readonly waiters: { at: number; resolve: () => void }[] = [];
  private nextSlot = Date.now();

  constructor(
    private readonly seeded: Seeded,
    private readonly opts: BurstOptions,
  ) {
    const steps = (i: number) => 2 + (i % 3 === 0 ? 1 : 0) + (i % 5 === 0 ? 1 : 0);
    let total = 0;
    for (let i = 0; i < opts.chains; i++) total += steps(i);
    this.total = total;
    this.done = this.run(steps);
  }

  /** Resolves once `fraction` of the burst's calls have completed. */
  reached(fraction: number): Promise<void> {
    const at = Math.ceil(this.total * fraction);
    if (this.completed >= at) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ at, resolve }));
  }

  private async run(steps: (i: number) => number): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < this.opts.chains) {
        const i = next++;
        await this.chain(i, steps(i));
      }
    };
    await Promise.all(Array.from({ length: this.opts.concurrency ?? 16 }, worker));
    this.waiters.forEach((w) => w.resolve());
  }

  private async chain(i: number, count: number): Promise<void> {
    const s = this.seeded;
    const wid = s.workspaceId;
    const inTeamA = i % 2 === 0;
    // The member may create and update only in its team; owner and admin write everywhere.
    const writer = inTeamA && i % 4 === 0 ? s.member : i % 3 === 0 ? s.admin : s.owner;
    const created = await this.step('create', null, `inv-${i}`, () =>
      writer.call('POST', `/v1/workspaces/${wid}/investments`, {
        name: `inv-${i}`,
        teamId: inTeamA ? s.teamA : s.teamB,
        amount: 1000 * i,
        currency: 'USD',
      }),
    );
    if (created.status !== 201) return;
    const id = created.body.id as string;
    for (let u = 1; u <= count - 1 - (i % 5 === 0 ? 1 : 0); u++) {
      const name = `inv-${i}-u${u}`;
      const updated = await this.step('update', id, name, () => writer.call('PATCH', `/v1/workspaces/${wid}/investments/${id}`, { name, amount: 1000 * i + u }));
      if (updated.status !== 200) return;
    }
    if (i % 5 === 0) await this.step('delete', id, `inv-${i}`, () => s.owner.call('DELETE', `/v1/workspaces/${wid}/investments/${id}`));
  }

  private async step(kind: CallKind, investmentId: string | null, name: string, send: () => Promise<CallResult>): Promise<CallResult> {
    await this.pace();
    const startedAt = Date.now();
    const res = await send();
    this.calls.push({
      kind,
      investmentId: kind === 'create' ? (res.body?.id ?? null) : investmentId,
      name,
      status: res.status,
      retried: res.retried,
      startedAt,
      endedAt: Date.now(),
    });
    this.completed++;
    for (const w of this.waiters.filter((w) => this.completed >= w.at)) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve();
    }
    return res;
  }

  private async pace(): Promise<void> {
    const rate = this.opts.ratePerSec ?? 0;
    if (!rate) return;
    const now = Date.now();
    const at = Math.max(now, this.nextSlot);
    this.nextSlot = at + 1000 / rate;
    if (at > now) await sleep(at - now);
  }
}

// ---------------------------------------------------------------------------------------------
// A scenario: its own redis-server, database, api and worker processes, and receivers.

export interface EventRow {
  id: string;
  type: string;
  object_id: string;
  team_id: string;
  name: string;
}

export interface Tally {
  name: string;
  events: number;
  expected: number;
  received: number;
  duplicates: number;
  lost: number;
  /** Pairs received that no webhook was entitled to. */
  unexpected: number;
  /** Requests whose signature did not verify or whose payload id differs from webhook-id. */
  invalid: number;
  /** (event, webhook) pairs missing from the deliveries table, and rows that should not exist. */
  missingRows: number;
  extraRows: number;
  /** Expected deliveries not `succeeded` in the database. */
  notSucceeded: number;
  /** Received count per pair, for duplicate bounds. */
  perPair: Map<string, number>;
  /**
   * Extra receipts the platform cannot have known about: a pair received more often than its
   * failed attempts (timeout, reset: the platform never got the 2xx) explain. At-least-once means a
   * send whose answer was lost is sent again; anything beyond that is a double claim.
   */
  unexplainedDuplicates: number;
  /** Pairs with more receipts than their failed attempts explain. */
  unexplainedPairs: string[];
  /** Secret material found in the api and worker logs (LOG_LEVEL=log, as in production): must be empty. */
  secretsInLogs: string[];
}

let scenarios = 0;

export class FaultScenario {
  readonly receiver = new RecordingReceiver();
  /** The SMTP server the platform mails to: seeding verifies addresses through it. */
  mailbox!: Mailbox;
  readonly workers: PlatformProcess[] = [];
  api!: PlatformProcess;
  redis!: RedisServer;
  db!: Client;
  seeded!: Seeded;
  readonly database = newDatabaseUrl();
  readonly startedAt = Date.now();
  private workerCount = 0;
  private readonly env: Record<string, string>;

  private constructor(
    readonly name: string,
    env: Record<string, string>,
    private readonly workerNodeArgs: string[],
  ) {
    this.env = { ...FAULT_ENV, ...env };
    // Every request the receiver gets records which worker process sent it.
    this.receiver.senderPids = () => this.workers.map((w) => w.pid);
  }

  /** Redis, receiver, then the api and `workers` worker processes started together on a fresh database. */
  static async start(
    name: string,
    opts: { env?: Record<string, string>; workers?: number; workerNodeArgs?: string[] } = {},
  ): Promise<FaultScenario> {
    if (scenarios++ === 0) await dropStaleFaultDatabases();
    const s = new FaultScenario(name, opts.env ?? {}, opts.workerNodeArgs ?? []);
    try {
      s.redis = await RedisServer.start();
      await s.receiver.start();
      s.mailbox = await Mailbox.start();
      const [api] = await Promise.all([
        startPlatform(`${name}-api`, 'api', s.platformEnv()).then((p) => (s.api = p)),
        ...Array.from({ length: opts.workers ?? 1 }, () => s.startWorker()),
      ]);
      s.api = api;
      s.db = await connect(s.database.url);
      return s;
    } catch (err) {
      await s.close();
      throw err;
    }
  }

  platformEnv(): Record<string, string> {
    return {
      ...this.env,
      DATABASE_URL: this.database.url,
      REDIS_URL: this.redis.url,
      QUEUE_PREFIX: `faults_${this.name.replace(/\W/g, '_')}`,
      SMTP_URL: this.mailbox.url,
    };
  }

  async startWorker(): Promise<PlatformProcess> {
    const worker = await startPlatform(`${this.name}-worker-${++this.workerCount}`, 'worker', this.platformEnv(), this.workerNodeArgs);
    this.workers.push(worker);
    return worker;
  }

  get client(): FaultClient {
    return new FaultClient(this.api.baseUrl);
  }

  /**
   * Owner, admin and member (in team A) of one workspace; two owner webhooks, one admin webhook
   * and one member webhook on investment.*, all pointing at the recording receiver.
   */
  async seed(extraOwnerHooks: { name: string; url: string }[] = []): Promise<Seeded & { extra: { name: string; id: string }[] }> {
    const api = this.client;
    const [owner, admin, member] = await Promise.all(['owner', 'admin', 'member'].map((n) => signup(api, n)));
    const ws = await owner.client.expect(201, 'POST', '/v1/workspaces', { name: `Faults ${this.name}` });
    const wid = ws.id as string;
    // People join by invitation, accepted with a verified address (the token comes by mail).
    for (const [user, role] of [[admin, 'admin'], [member, 'member']] as const) {
      const token = tokenIn(await this.mailbox.waitFor(user.email, 'verify-email', 1, 30_000));
      await api.expect(200, 'POST', '/v1/auth/verify-email', { token });
      const invitation = await owner.client.expect(201, 'POST', `/v1/workspaces/${wid}/invitations`, { email: user.email, role });
      await user.client.expect(200, 'POST', `/v1/me/invitations/${invitation.id}/accept`);
    }
    const teamA = (await owner.client.expect(201, 'POST', `/v1/workspaces/${wid}/teams`, { name: 'Team A' })).id as string;
    const teamB = (await owner.client.expect(201, 'POST', `/v1/workspaces/${wid}/teams`, { name: 'Team B' })).id as string;
    await owner.client.expect(204, 'PUT', `/v1/workspaces/${wid}/teams/${teamA}/members/${member.id}`);

    const hooks: SeededHook[] = [];
    const hook = async (client: FaultClient, path: string, audience: HookAudience) => {
      const body = await client.expect(201, 'POST', `/v1/workspaces/${wid}/webhooks`, {
        name: path,
        url: this.receiver.url(path),
        events: INVESTMENT_EVENTS,
      });
      this.receiver.expectSecret(path, body.secret);
      hooks.push({ id: body.id, path, secret: body.secret, audience });
    };
    await hook(owner.client, '/owner-1', 'all');
    await hook(owner.client, '/owner-2', 'all');
    await hook(admin.client, '/admin', 'all');
    await hook(member.client, '/member', 'teamA');
    this.seeded = { workspaceId: wid, owner: owner.client, admin: admin.client, member: member.client, teamA, teamB, hooks };
    const extra = await this.addOwnerHooks(extraOwnerHooks);
    return { ...this.seeded, extra };
  }

  /** Owner webhooks on investment.* that the tally does not track (e.g. hostile endpoints). */
  async addOwnerHooks(hooks: { name: string; url: string }[]): Promise<{ name: string; id: string }[]> {
    const extra: { name: string; id: string }[] = [];
    for (const e of hooks) {
      const body = await this.seeded.owner.expect(201, 'POST', `/v1/workspaces/${this.seeded.workspaceId}/webhooks`, {
        name: e.name,
        url: e.url,
        events: INVESTMENT_EVENTS,
      });
      extra.push({ name: e.name, id: body.id });
    }
    return extra;
  }

  /** For each expected pair, ms from the event's creation to its first 2xx-answered request. */
  async lagsMs(expected: Set<string>, eventIds?: Set<string>): Promise<number[]> {
    const ids = [...new Set([...expected].map((p) => p.split(' ')[1]))].filter((id) => !eventIds || eventIds.has(id));
    const { rows } = await this.db.query<{ id: string; created: Date }>(`SELECT id, created_at AS created FROM events WHERE id = ANY($1)`, [ids]);
    const createdAt = new Map(rows.map((r) => [r.id, r.created.getTime()]));
    const first = new Map<string, number>();
    for (const r of this.receiver.delivered()) {
      const key = `${r.path} ${r.webhookId}`;
      if (!first.has(key)) first.set(key, r.at);
    }
    return [...expected]
      .filter((pair) => createdAt.has(pair.split(' ')[1]))
      .map((pair) => first.get(pair)! - createdAt.get(pair.split(' ')[1])!)
      .sort((a, b) => a - b);
  }

  burst(opts: BurstOptions): Burst {
    return new Burst(this.seeded, opts);
  }

  async investmentEvents(): Promise<EventRow[]> {
    const { rows } = await this.db.query<EventRow>(
      `SELECT id, type, data->'object'->>'id' AS object_id, data->'object'->>'teamId' AS team_id, data->'object'->>'name' AS name
       FROM events WHERE workspace_id = $1 AND type = ANY($2) ORDER BY id`,
      [this.seeded.workspaceId, INVESTMENT_EVENTS],
    );
    return rows;
  }

  /** `${path} ${eventId}` for every (event, entitled webhook) pair. */
  expectedPairs(events: EventRow[]): Set<string> {
    const pairs = new Set<string>();
    for (const e of events) {
      for (const h of this.seeded.hooks) {
        if (h.audience === 'all' || e.team_id === this.seeded.teamA) pairs.add(`${h.path} ${e.id}`);
      }
    }
    return pairs;
  }

  /** Every API call that succeeded has its event row (nothing committed is lost, nothing acknowledged is missing). */
  checkCallsHaveEvents(burst: Burst, events: EventRow[]): string[] {
    const problems: string[] = [];
    const created = new Set(events.filter((e) => e.type === 'investment.created').map((e) => e.object_id));
    const updated = new Set(events.filter((e) => e.type === 'investment.updated').map((e) => `${e.object_id} ${e.name}`));
    const deleted = new Set(events.filter((e) => e.type === 'investment.deleted').map((e) => e.object_id));
    for (const c of burst.calls) {
      if (c.kind === 'create' && c.status === 201 && !created.has(c.investmentId!)) problems.push(`no investment.created for ${c.investmentId}`);
      if (c.kind === 'update' && c.status === 200 && !updated.has(`${c.investmentId} ${c.name}`)) problems.push(`no investment.updated for ${c.investmentId} ${c.name}`);
      if (c.kind === 'delete' && c.status === 204 && !deleted.has(c.investmentId!)) problems.push(`no investment.deleted for ${c.investmentId}`);
    }
    return problems;
  }

  /**
   * Waits until every expected pair has been received, its delivery row has succeeded and no request
   * is still being answered. Nothing can send again after that (a send needs a claim of a row that
   * has not succeeded), so a duplicate has been counted by then; no settling pause.
   */
  async waitForDeliveries(timeoutMs: number): Promise<{ events: EventRow[]; expected: Set<string> }> {
    let events: EventRow[] = [];
    let expected = new Set<string>();
    await waitUntil(
      async () => {
        events = await this.investmentEvents();
        expected = this.expectedPairs(events);
        const got = this.receivedPairs();
        for (const pair of expected) if (!got.has(pair)) return false;
        const { rows } = await this.db.query<{ n: string }>(
          `SELECT count(*) AS n FROM deliveries WHERE workspace_id = $1 AND webhook_id = ANY($2) AND status <> 'succeeded'`,
          [this.seeded.workspaceId, this.seeded.hooks.map((h) => h.id)],
        );
        return Number(rows[0].n) === 0 && this.receiver.inFlight.size === 0;
      },
      timeoutMs,
      () => {
        const got = this.receivedPairs();
        const missing = [...expected].filter((p) => !got.has(p));
        return `${missing.length} of ${expected.size} deliveries (e.g. ${missing.slice(0, 3).join(', ')}); worker logs in ${this.workers.map((w) => w.logFile).join(', ')}`;
      },
    );
    return { events, expected };
  }

  receivedPairs(): Set<string> {
    const paths = new Set(this.seeded.hooks.map((h) => h.path));
    return new Set(this.receiver.delivered().filter((r) => paths.has(r.path)).map((r) => `${r.path} ${r.webhookId}`));
  }

  async tally(events: EventRow[], expected: Set<string>): Promise<Tally> {
    const paths = new Set(this.seeded.hooks.map((h) => h.path));
    const all = this.receiver.received.filter((r) => paths.has(r.path));
    const requests = all.filter((r) => r.status >= 200 && r.status < 300);
    const perPair = new Map<string, number>();
    for (const r of requests) perPair.set(`${r.path} ${r.webhookId}`, (perPair.get(`${r.path} ${r.webhookId}`) ?? 0) + 1);
    const received = [...expected].filter((p) => perPair.has(p)).length;
    const unexpected = new Set(all.map((r) => `${r.path} ${r.webhookId}`).filter((p) => !expected.has(p))).size;
    const invalid = all.filter((r) => !r.verified || r.payloadId !== r.webhookId).length;

    const pathOf = new Map(this.seeded.hooks.map((h) => [h.id, h.path]));
    const { rows } = await this.db.query<{ event_id: string; webhook_id: string; status: string }>(
      `SELECT event_id, webhook_id, status FROM deliveries WHERE workspace_id = $1 AND webhook_id = ANY($2)`,
      [this.seeded.workspaceId, this.seeded.hooks.map((h) => h.id)],
    );
    const rowPairs = new Map(rows.map((r) => [`${pathOf.get(r.webhook_id)} ${r.event_id}`, r.status]));
    const missingRows = [...expected].filter((p) => !rowPairs.has(p)).length;
    const extraRows = [...rowPairs.keys()].filter((p) => !expected.has(p)).length;
    const notSucceeded = [...expected].filter((p) => rowPairs.get(p) !== 'succeeded').length;
    const failed = await this.db.query<{ event_id: string; webhook_id: string; n: string }>(
      `SELECT d.event_id, d.webhook_id, count(*) AS n FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
       WHERE d.workspace_id = $1 AND d.webhook_id = ANY($2) AND a.error IS NOT NULL GROUP BY 1, 2`,
      [this.seeded.workspaceId, this.seeded.hooks.map((h) => h.id)],
    );
    const failedPerPair = new Map(failed.rows.map((r) => [`${pathOf.get(r.webhook_id)} ${r.event_id}`, Number(r.n)]));
    const unexplainedPairs = [...perPair].filter(([p, n]) => n - 1 > (failedPerPair.get(p) ?? 0)).map(([p]) => p);
    const unexplainedDuplicates = [...perPair].reduce((sum, [p, n]) => sum + Math.max(0, n - 1 - (failedPerPair.get(p) ?? 0)), 0);

    return {
      name: this.name,
      events: events.length,
      expected: expected.size,
      received,
      duplicates: requests.length - perPair.size,
      lost: expected.size - received,
      unexpected,
      invalid,
      missingRows,
      extraRows,
      notSucceeded,
      perPair,
      unexplainedDuplicates,
      unexplainedPairs,
      secretsInLogs: this.secretsInLogs(),
    };
  }

  /** Which secrets (named, never printed) appear in any api or worker log of this scenario. */
  secretsInLogs(): string[] {
    const secrets: [string, string][] = [['WEBHOOK_SECRET_KEY', this.env.WEBHOOK_SECRET_KEY]];
    for (const h of this.seeded?.hooks ?? []) {
      secrets.push([`secret of ${h.path}`, h.secret], [`key of ${h.path}`, h.secret.replace(/^whsec_/, '')]);
    }
    for (const [who, client] of Object.entries({ owner: this.seeded?.owner, admin: this.seeded?.admin, member: this.seeded?.member })) {
      if (client?.token) secrets.push([`${who}'s bearer token`, client.token]);
    }
    secrets.push(['a password', 'password-123']);
    const found: string[] = [];
    for (const p of [this.api, ...this.workers].filter(Boolean)) {
      let text = '';
      try {
        text = readFileSync(p.logFile, 'utf8');
      } catch {
        text = p.log();
      }
      for (const [name, value] of secrets) if (value && text.includes(value)) found.push(`${name} in ${p.name}'s log`);
      if (/whsec_[A-Za-z0-9+/=]{10,}/.test(text)) found.push(`a whsec_ secret in ${p.name}'s log`);
    }
    return found;
  }

  /** The line the suite prints for each scenario. */
  report(t: Tally, extra: Record<string, string | number> = {}): string {
    const line = `scenario=${t.name} events=${t.events} expected=${t.expected} received=${t.received} duplicates=${t.duplicates} unexplained_duplicates=${t.unexplainedDuplicates} lost=${t.lost}`;
    const details = Object.entries({ ...extra, seconds: ((Date.now() - this.startedAt) / 1000).toFixed(1) })
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    console.log(`${line}\n  (${this.name}: ${details}; logs in ${this.api?.logFile.replace(/\/[^/]+$/, '')})`);
    return line;
  }

  async close(): Promise<void> {
    const processes = [this.api, ...this.workers].filter(Boolean);
    for (const p of processes) p.child.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    await this.redis?.kill();
    await this.receiver.stop();
    await this.mailbox?.close();
    await this.db?.end().catch(() => undefined);
    // FAULTS_KEEP_DATABASES=1 keeps the databases for a post-mortem.
    if (!process.env.FAULTS_KEEP_DATABASES) await dropDatabase(this.database.name).catch(() => undefined);
  }
}

