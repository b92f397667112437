import type { ServerResponse } from 'node:http';
import { DataSource } from 'typeorm';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ApiClient, signup, TestUser } from '../support/api-client';
import { ReceivedRequest, Receiver } from '../support/receiver';
import { startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait';
import { DeliveryAttemptsService } from '../../src/delivery/delivery-attempts.service';
import { DeliveryBacklog } from '../../src/delivery/delivery-backlog.service';
import { DeliveryReconciler } from '../../src/delivery/delivery-reconciler.service';
import { DeliveryRepository } from '../../src/delivery/delivery.repository';

/** A user with a workspace of their own. */
async function tenant(api: ApiClient, name: string): Promise<{ user: TestUser; base: string }> {
  const user = await signup(api, name);
  const ws = await user.api.post('/v1/workspaces', { name: `${name}'s fund` });
  expect(ws.status).toBe(201);
  return { user, base: `/v1/workspaces/${ws.body.id}` };
}

/** Answers 200 after `ms`, counting how many requests to each path are open at once. */
function slowAnswer(ms: number, open: Map<string, number>, maxOpen: Map<string, number>) {
  return (req: ReceivedRequest, res: ServerResponse) => {
    const now = (open.get(req.path) ?? 0) + 1;
    open.set(req.path, now);
    maxOpen.set(req.path, Math.max(maxOpen.get(req.path) ?? 0, now));
    setTimeout(() => {
      open.set(req.path, open.get(req.path)! - 1);
      res.writeHead(200).end('ok');
    }, ms);
  };
}

async function createPipelines(user: TestUser, base: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await user.api.post(`${base}/pipelines`, { name: `p${i}` });
    expect(res.status).toBe(201);
  }
}

const apps: TestApp[] = [];
const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  await Promise.all(receivers.splice(0).map((r) => r.stop()));
});
afterAll(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

async function start(env: Record<string, string>) {
  const t = await startTestApp(env);
  apps.push(t);
  const receiver = await new Receiver().start();
  receivers.push(receiver);
  return { t, api: new ApiClient(t.baseUrl), receiver, db: t.app.get(DataSource) };
}

/**
 * A worker that holds one delivery per webhook (the rest wait in PostgreSQL) and runs no reconciler
 * (only backlog pulls bring those back), a tenant, and one webhook on `path` whose first request is held.
 */
async function oneHeldWebhook(name: string, path: string, webhook: Record<string, unknown> = {}) {
  const { t, api, receiver, db } = await start({ WEBHOOK_MAX_QUEUED: '1', WEBHOOK_TIMEOUT_MS: '30000' });
  t.app.get(DeliveryReconciler).beforeApplicationShutdown();
  const { user, base } = await tenant(api, name);
  const held: ServerResponse[] = [];
  receiver.script(path, [(_req, res) => void held.push(res), 200]);
  const hook = await user.api.post(`${base}/webhooks`, { name, url: receiver.url(path), events: ['pipeline.created'], ...webhook });
  expect(hook.status).toBe(201);
  return { t, receiver, db, user, base, workspaceId: base.split('/').pop()!, held, hook };
}

describe('delivery flow control (docs/delivery.md "Flow control")', () => {
  it('a slow but healthy endpoint behind a burst far larger than the connection pool: no timeouts, no duplicates', async () => {
    // 4 connections per origin, 160 deliveries answered in 100 ms each: 40 rounds (~4 s) through the
    // pool. Had the 1.5 s timeout started before a request got a connection, most would time out
    // and be sent again.
    const { api, receiver, db } = await start({
      WEBHOOK_CONNECTIONS_PER_ORIGIN: '4',
      WEBHOOK_TIMEOUT_MS: '1500',
      WEBHOOK_MAX_CONCURRENCY: '50',
    });
    const open = new Map<string, number>();
    const maxOpen = new Map<string, number>();
    const { user, base } = await tenant(api, 'Slow');
    const hooks = 8;
    const events = 20;
    for (let i = 0; i < hooks; i++) {
      receiver.script(`/slow/${i}`, [slowAnswer(100, open, maxOpen)]);
      const hook = await user.api.post(`${base}/webhooks`, { name: `slow ${i}`, url: receiver.url(`/slow/${i}`), events: ['pipeline.created'] });
      expect(hook.status).toBe(201);
    }
    await createPipelines(user, base, events);
    await receiver.waitFor(() => receiver.requests.length >= hooks * events, 60_000, `${hooks * events} deliveries`);
    await waitFor(
      async () => (await db.query(`SELECT count(*)::int AS n FROM deliveries WHERE status = 'succeeded'`))[0].n === hooks * events,
      20_000,
      () => 'every delivery recorded as succeeded',
    );
    const attempts = await db.query(`SELECT count(*)::int AS n, count(error)::int AS errors, max(duration_ms)::int AS slowest FROM delivery_attempts`);
    expect(attempts[0]).toMatchObject({ n: hooks * events, errors: 0 });
    // The logged duration is the endpoint's (~100 ms), not the time spent waiting for a connection.
    expect(attempts[0].slowest).toBeLessThan(1500);
    const pairs = new Set(receiver.requests.map((r) => `${r.path} ${r.headers['webhook-id']}`));
    expect(pairs.size).toBe(hooks * events);
    expect(receiver.requests.length).toBe(hooks * events);
    // All to one origin: never more than its 4 connections at once.
    const total = [...maxOpen.values()].reduce((a, b) => a + b, 0);
    expect(Math.max(...maxOpen.values())).toBeLessThanOrEqual(4);
    expect(total).toBeGreaterThan(0);
  });

  it('maxConcurrency and rateLimitPerSecond: validated, shown, and over-limit deliveries wait (never fail, never an extra attempt)', async () => {
    const { api, receiver, db } = await start({});
    const { user, base } = await tenant(api, 'Limits');
    const create = (body: object) => user.api.post(`${base}/webhooks`, { name: 'x', url: receiver.url('/x'), events: ['pipeline.created'], ...body });
    for (const bad of [{ maxConcurrency: 0 }, { maxConcurrency: 1001 }, { maxConcurrency: 2.5 }, { maxConcurrency: '3' }, { rateLimitPerSecond: 0 }, { rateLimitPerSecond: 10_001 }]) {
      const res = await create(bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    expect((await user.api.get(`${base}/webhooks`)).body.data).toEqual([]);

    const open = new Map<string, number>();
    const maxOpen = new Map<string, number>();
    receiver.script('/narrow', [slowAnswer(150, open, maxOpen)]);
    receiver.script('/paced', [200]);
    const narrow = await create({ name: 'narrow', url: receiver.url('/narrow'), maxConcurrency: 2 });
    expect(narrow.status).toBe(201);
    expect(narrow.body).toMatchObject({ maxConcurrency: 2, rateLimitPerSecond: null });
    const paced = await create({ name: 'paced', url: receiver.url('/paced') });
    expect(paced.body).toMatchObject({ maxConcurrency: null, rateLimitPerSecond: null });
    const patched = await user.api.patch(`${base}/webhooks/${paced.body.id}`, { rateLimitPerSecond: 4 });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ rateLimitPerSecond: 4, createdById: user.id });
    expect((await user.api.patch(`${base}/webhooks/${paced.body.id}`, { maxConcurrency: -1 })).status).toBe(400);
    expect((await user.api.get(`${base}/webhooks/${paced.body.id}`)).body).toMatchObject({ maxConcurrency: null, rateLimitPerSecond: 4 });

    const events = 12;
    await createPipelines(user, base, events);
    await receiver.waitFor(() => receiver.on('/narrow').length >= events && receiver.on('/paced').length >= events, 30_000, 'every delivery');
    expect(maxOpen.get('/narrow')).toBe(2);
    // 4 per second with a burst of 4: the 12th starts no earlier than ~2 s after the first.
    const pacedAt = receiver.on('/paced').map((r) => r.receivedAt);
    expect(Math.max(...pacedAt) - Math.min(...pacedAt)).toBeGreaterThanOrEqual(1_700);
    await waitFor(
      async () => (await db.query(`SELECT count(*)::int AS n FROM deliveries WHERE status = 'succeeded'`))[0].n === 2 * events,
      15_000,
      () => 'every delivery succeeded',
    );
    const [{ attempts }] = await db.query(`SELECT max(attempt_count)::int AS attempts FROM deliveries`);
    expect(attempts).toBe(1);
    expect(receiver.requests.length).toBe(2 * events);

    // null restores the default.
    expect((await user.api.patch(`${base}/webhooks/${paced.body.id}`, { rateLimitPerSecond: null })).body.rateLimitPerSecond).toBeNull();
  });

  it('a workspace over its in-memory backlog: the excess waits (paced at fan-out, or in PostgreSQL) and is delivered later, once each, no extra attempts', async () => {
    // At most 4 of this workspace's deliveries held by the worker; one at a time to a 50 ms endpoint.
    const { api, receiver, db } = await start({ WEBHOOK_WORKSPACE_MAX_QUEUED: '4' });
    const { user, base } = await tenant(api, 'Backlog');
    const open = new Map<string, number>();
    const maxOpen = new Map<string, number>();
    receiver.script('/one-at-a-time', [slowAnswer(50, open, maxOpen)]);
    const hook = await user.api.post(`${base}/webhooks`, { name: 'narrow', url: receiver.url('/one-at-a-time'), events: ['pipeline.created'], maxConcurrency: 1 });
    expect(hook.status).toBe(201);
    const events = 12;
    await createPipelines(user, base, events);
    // Fan-out waits while the workspace drains (its batches wait for room); what still does not fit
    // waits in PostgreSQL and the reconciler offers it again. Either way: all arrive, each once.
    await receiver.waitFor(() => receiver.on('/one-at-a-time').length >= events, 60_000, 'every delivery');
    await waitFor(
      async () => (await db.query(`SELECT count(*)::int AS n FROM deliveries WHERE status = 'succeeded'`))[0].n === events,
      10_000,
      () => 'every delivery succeeded',
    );
    expect(new Set(receiver.on('/one-at-a-time').map((r) => r.headers['webhook-id'])).size).toBe(events);
    expect(receiver.on('/one-at-a-time')).toHaveLength(events);
    const [{ attempts }] = await db.query(`SELECT max(attempt_count)::int AS attempts FROM deliveries`);
    expect(attempts).toBe(1);
    expect(maxOpen.get('/one-at-a-time')).toBe(1);
  }, 90_000);

  it("one stuck endpoint cannot fill its workspace's room: the workspace's other webhooks keep receiving, the stuck one's backlog waits in PostgreSQL and drains once it answers", async () => {
    // The workspace may hold 20 deliveries in this worker, one webhook 5. Before the per-webhook cap,
    // the stuck webhook's queue filled the workspace's 20 and its healthy neighbour's deliveries
    // waited behind it in PostgreSQL for as long as the endpoint hung.
    const { api, receiver, db } = await start({ WEBHOOK_WORKSPACE_MAX_QUEUED: '20', WEBHOOK_MAX_QUEUED: '5', WEBHOOK_TIMEOUT_MS: '30000' });
    const { user, base } = await tenant(api, 'Stuck');
    const held: ServerResponse[] = [];
    let answering = false;
    receiver.script('/stuck', [
      (_req, res) => {
        if (answering) res.writeHead(200).end('ok');
        else held.push(res);
      },
    ]);
    receiver.script('/healthy', [200]);
    const stuck = await user.api.post(`${base}/webhooks`, { name: 'stuck', url: receiver.url('/stuck'), events: ['pipeline.created'], maxConcurrency: 1 });
    const healthy = await user.api.post(`${base}/webhooks`, { name: 'healthy', url: receiver.url('/healthy'), events: ['pipeline.created'] });
    expect([stuck.status, healthy.status]).toEqual([201, 201]);
    const events = 30;
    await createPipelines(user, base, events);

    // Every healthy delivery arrives while the stuck endpoint still holds its first request.
    await receiver.waitFor(() => receiver.on('/healthy').length >= events, 30_000, 'every healthy delivery').catch(async (err: Error) => {
      const rows = await db.query(
        `SELECT status, attempt_count, (lease_until IS NULL) AS unleased, count(*)::int AS n FROM deliveries WHERE webhook_id = $1 GROUP BY 1, 2, 3`,
        [healthy.body.id],
      );
      throw new Error(`${err.message}; the healthy webhook's deliveries: ${JSON.stringify(rows)}`);
    });
    expect(receiver.on('/stuck')).toHaveLength(1);
    expect(held).toHaveLength(1);
    // The stuck webhook's excess waits in PostgreSQL, unleased and not attempted (not in memory).
    const [{ waiting }] = await db.query(
      `SELECT count(*)::int AS waiting FROM deliveries WHERE webhook_id = $1 AND status = 'pending' AND lease_until IS NULL AND attempt_count = 0`,
      [stuck.body.id],
    );
    expect(waiting).toBeGreaterThanOrEqual(events - 5);

    // The endpoint answers again: its backlog is pulled back and delivered, each event once.
    answering = true;
    held.splice(0).forEach((res) => res.writeHead(200).end('ok'));
    await receiver.waitFor(() => receiver.on('/stuck').length >= events, 60_000, 'the stuck webhook\'s backlog');
    await waitFor(
      async () => (await db.query(`SELECT count(*)::int AS n FROM deliveries WHERE status = 'succeeded'`))[0].n === 2 * events,
      30_000,
      () => 'every delivery succeeded',
    );
    for (const path of ['/stuck', '/healthy']) {
      expect(receiver.on(path)).toHaveLength(events);
      expect(new Set(receiver.on(path).map((r) => r.headers['webhook-id'])).size).toBe(events);
    }
    const [{ attempts }] = await db.query(`SELECT max(attempt_count)::int AS attempts FROM deliveries`);
    expect(attempts).toBe(1);
  }, 120_000);

  it('a delivery left for want of room is pulled back even when a pull ran before it was unleased (nothing left to the reconciler)', async () => {
    // One delivery per webhook in this worker. The second waits in PostgreSQL; the first attempt
    // ends and a pull runs after the second was counted in the backlog but before its lease was
    // given back: that pull finds nothing unleased. It concluded the webhook drained, and the
    // delivery, unleased a moment later, waited for the reconciler's sweep (5 s after it was due,
    // then every 5 s): the stuck-endpoint test above timed out under load on a series of those.
    // No reconciler: only the backlog's pull can bring the delivery back.
    const { t, receiver, db, user, base, workspaceId, held, hook } = await oneHeldWebhook('Racing', '/one');

    const repo = t.app.get(DeliveryRepository);
    const attempts = t.app.get(DeliveryAttemptsService);
    const backlog = t.app.get(DeliveryBacklog);
    const unlease = repo.unlease.bind(repo);
    let raced = 0;
    repo.unlease = async (ids: string[]) => {
      if (!raced++) {
        // Room frees (the first attempt ends) and a pull runs while the delivery is still leased.
        held.splice(0).forEach((res) => res.writeHead(200).end('ok'));
        await waitFor(() => attempts.hasRoom(workspaceId, hook.body.id), 10_000, () => 'the first attempt to end');
        await backlog.pull(workspaceId);
      }
      return unlease(ids);
    };

    await createPipelines(user, base, 1);
    await receiver.waitFor(() => held.length === 1, 10_000, 'the first delivery, held');
    expect((await user.api.post(`${base}/pipelines`, { name: 'second' })).status).toBe(201);
    await receiver.waitFor(() => receiver.on('/one').length >= 2, 10_000, 'the second delivery, pulled back');
    expect(raced).toBeGreaterThan(0);
    await waitFor(
      async () => (await db.query(`SELECT count(*)::int AS n FROM deliveries WHERE status = 'succeeded'`))[0].n === 2,
      10_000,
      () => 'both deliveries succeeded',
    );
    expect(receiver.on('/one')).toHaveLength(2);
    expect((await db.query(`SELECT max(attempt_count)::int AS attempts FROM deliveries`))[0].attempts).toBe(1);
  }, 60_000);

  it("a webhook's backlog in PostgreSQL is not overtaken: a new event joins the back of the line even when room is free", async () => {
    // One delivery of the webhook in this worker at a time. Of p0–p3, one is in flight and three wait
    // in PostgreSQL. It ends (room is free) before any pull ran, then p4 is created: before, fan-out
    // took the free room for p4 at once and it overtook the three — under a sustained load, a
    // backlog (retries included) then waited until the load stopped.
    // Only the pulls below (not the reconciler's sweep) bring the backlog back.
    const { t, receiver, db, user, base, workspaceId, held, hook } = await oneHeldWebhook('Line', '/line', { maxConcurrency: 1 });
    const backlog = t.app.get(DeliveryBacklog);
    const pull = backlog.pull.bind(backlog);
    let pulls = 'paused' as 'paused' | 'open';
    backlog.pull = (id: string) => (pulls === 'open' ? pull(id) : Promise.resolve(0));
    const waitingInPostgres = async () =>
      (await db.query(`SELECT count(*)::int AS n FROM deliveries WHERE webhook_id = $1 AND status = 'pending' AND lease_until IS NULL`, [hook.body.id]))[0].n;

    await createPipelines(user, base, 4);
    await receiver.waitFor(() => held.length === 1, 10_000, 'the first, held');
    await waitFor(async () => (await waitingInPostgres()) === 3, 10_000, () => 'the other three waiting in PostgreSQL');
    held.splice(0).forEach((res) => res.writeHead(200).end('ok'));
    const attempts = t.app.get(DeliveryAttemptsService);
    await waitFor(() => attempts.hasRoom(workspaceId), 10_000, () => 'the first to end');
    expect((await user.api.post(`${base}/pipelines`, { name: 'p4' })).status).toBe(201);
    // p4 is inserted and then either sent (overtaking) or left behind the three.
    await waitFor(
      async () => receiver.on('/line').length > 1 || (await waitingInPostgres()) === 4,
      10_000,
      () => 'p4 sent or left in PostgreSQL',
    );
    pulls = 'open';
    await backlog.pull(workspaceId);
    await receiver.waitFor(() => receiver.on('/line').length >= 5, 20_000, 'every delivery');
    const names = receiver.on('/line').map((r) => (JSON.parse(r.body) as { data: { object: { name: string } } }).data.object.name);
    // p0–p3 were relayed concurrently (no order among them is promised); p4 came after all of them.
    expect(names.slice(0, 4).sort()).toEqual(['p0', 'p1', 'p2', 'p3']);
    expect(names[4]).toBe('p4');
  }, 60_000);

  it('a webhook deleted while its attempt is in flight: the attempts that end with it are still logged, once', async () => {
    // Attempts that end in the same turn are logged by one statement. The deleted webhook's delivery
    // is gone with it; its attempt row used to fail that statement (foreign key) and took the
    // others' rows down with it: their deliveries stayed claimed and were sent again later.
    const { api, receiver, db } = await start({ WEBHOOK_TIMEOUT_MS: '30000' });
    const { user, base } = await tenant(api, 'Deleting');
    const held: ServerResponse[] = [];
    const hooks: { id: string }[] = [];
    for (const name of ['doomed', 'kept-1', 'kept-2', 'kept-3']) {
      receiver.script(`/${name}`, [(_req, res) => void held.push(res)]);
      const hook = await user.api.post(`${base}/webhooks`, { name, url: receiver.url(`/${name}`), events: ['pipeline.created'] });
      expect(hook.status).toBe(201);
      hooks.push(hook.body);
    }
    await createPipelines(user, base, 1);
    await receiver.waitFor(() => held.length === 4, 10_000, 'the four attempts, held');
    expect((await user.api.delete(`${base}/webhooks/${hooks[0].id}`)).status).toBe(204);
    // All four answer in the same turn: their attempts end together.
    held.splice(0).forEach((res) => res.writeHead(200).end('ok'));
    const kept = hooks.slice(1).map((h) => h.id);
    const logged = async () =>
      (await db.query(
        `SELECT d.status, (SELECT count(*)::int FROM delivery_attempts a WHERE a.delivery_id = d.id) AS attempts
         FROM deliveries d WHERE d.webhook_id = ANY($1::uuid[])`,
        [kept],
      )) as { status: string; attempts: number }[];
    await waitFor(async () => (await logged()).filter((r) => r.status === 'succeeded').length === 3, 10_000, () => 'the kept deliveries to be logged as succeeded');
    expect((await logged()).map((r) => r.attempts)).toEqual([1, 1, 1]);
    expect((await db.query(`SELECT count(*)::int AS n FROM deliveries WHERE webhook_id = $1`, [hooks[0].id]))[0].n).toBe(0);
  }, 60_000);

  it('an attempt that waited for its turn checks its webhook again: pausing the webhook stops what was still waiting', async () => {
    const { api, receiver, db } = await start({});
    const { user, base } = await tenant(api, 'Paused');
    receiver.script('/paced', [200]);
    const hook = await user.api.post(`${base}/webhooks`, { name: 'paced', url: receiver.url('/paced'), events: ['pipeline.created'], rateLimitPerSecond: 1 });
    expect(hook.status).toBe(201);
    const events = 8;
    await createPipelines(user, base, events);
    // One per second: a few have arrived, the rest wait for their turn.
    await receiver.waitFor(() => receiver.on('/paced').length >= 2, 15_000, 'the first deliveries');
    expect((await user.api.patch(`${base}/webhooks/${hook.body.id}`, { enabled: false })).status).toBe(200);
    const arrivedBy = receiver.on('/paced').length;
    await waitFor(
      async () => (await db.query(`SELECT count(*)::int AS n FROM deliveries WHERE status IN ('succeeded', 'cancelled')`))[0].n === events,
      30_000,
      () => 'every delivery sent or cancelled',
    );
    const rows: { status: string; cancel_reason: string | null; attempt_count: number }[] = await db.query(
      `SELECT status, cancel_reason, attempt_count FROM deliveries`,
    );
    const cancelled = rows.filter((r) => r.status === 'cancelled');
    // At most the one already on its way when the pause was committed went out after it.
    expect(receiver.on('/paced').length).toBeLessThanOrEqual(arrivedBy + 1);
    expect(cancelled.length).toBeGreaterThanOrEqual(events - arrivedBy - 1);
    expect(cancelled.every((r) => r.cancel_reason === 'webhook_disabled' && r.attempt_count === 0)).toBe(true);
  }, 60_000);

  it('circuit breaker: a failing endpoint gets spaced-out probes, not full rate; it recovers on a successful probe', async () => {
    const { api, receiver, db } = await start({
      WEBHOOK_CIRCUIT_FAILURES: '3',
      WEBHOOK_CIRCUIT_COOLDOWN: '1s',
      WEBHOOK_CIRCUIT_MAX_COOLDOWN: '2s',
      WEBHOOK_RETRY_SCHEDULE: '0,50ms,50ms,50ms,50ms,50ms,50ms,50ms',
    });
    const { user, base } = await tenant(api, 'Breaker');
    let healthy = false;
    receiver.script('/dead', [(_req, res) => res.writeHead(healthy ? 200 : 503).end()]);
    const hook = await user.api.post(`${base}/webhooks`, { name: 'dead', url: receiver.url('/dead'), events: ['pipeline.created'], maxConcurrency: 1 });
    expect(hook.status).toBe(201);
    const events = 10;
    await createPipelines(user, base, events);
    await receiver.waitFor(() => receiver.on('/dead').length >= 3, 15_000, 'the first failures');
    const first = receiver.on('/dead')[0].receivedAt;
    // At full rate, 10 deliveries × 9 attempts one at a time against an instant 503 take well under
    // 2 s. With the breaker: 3 failures, then a probe after 1 s and the next after 2 s more.
    await waitFor(() => Date.now() - first >= 2_500, 5_000);
    const inWindow = receiver.on('/dead').filter((r) => r.receivedAt - first < 2_500).length;
    expect(inWindow).toBeGreaterThanOrEqual(3);
    expect(inWindow).toBeLessThanOrEqual(5);
    const failedMeanwhile = await db.query(`SELECT count(*)::int AS n FROM deliveries WHERE status = 'failed'`);
    expect(failedMeanwhile[0].n).toBe(0);

    healthy = true;
    await waitFor(
      async () => (await db.query(`SELECT count(*)::int AS n FROM deliveries WHERE status = 'succeeded'`))[0].n === events,
      30_000,
      () => 'every delivery to succeed once the endpoint recovered',
    );
    const [{ attempts }] = await db.query(`SELECT max(attempt_count)::int AS attempts FROM deliveries`);
    expect(attempts).toBeLessThanOrEqual(4);
    // Auto-disable is unchanged: the webhook is still enabled, its failing streak ended.
    expect((await user.api.get(`${base}/webhooks/${hook.body.id}`)).body).toMatchObject({ enabled: true, disabledReason: null });
  });

  it('recover {since, until?} is capped per call and says whether more remain; test, redeliver and recover answer 429 with Retry-After past their limits', async () => {
    const { api, receiver, db } = await start({
      WEBHOOK_RETRY_SCHEDULE: '0',
      WEBHOOK_RECOVER_MAX: '3',
      WEBHOOK_RECOVER_THROTTLE: '3/1m',
      WEBHOOK_TEST_THROTTLE: '2/1m',
      WEBHOOK_REDELIVER_THROTTLE: '1/1m',
    });
    const { user, base } = await tenant(api, 'Recover');
    receiver.script('/down', [500]);
    const hook = (await user.api.post(`${base}/webhooks`, { name: 'down', url: receiver.url('/down'), events: ['pipeline.created'] })).body;
    const since = new Date(Date.now() - 1000).toISOString();
    await createPipelines(user, base, 5);
    await waitFor(
      async () => (await db.query(`SELECT count(*)::int AS n FROM deliveries WHERE status = 'failed'`))[0].n === 5,
      20_000,
      () => 'five failed deliveries',
    );
    receiver.script('/down', [200]);
    const recover = (body: object) => user.api.post(`${base}/webhooks/${hook.id}/recover`, body);

    expect((await recover({ since, until: since })).status).toBe(400);
    expect((await recover({ since, until: 'yesterday' })).status).toBe(400);
    // An empty window: nothing queued.
    expect((await recover({ since, until: new Date(Date.parse(since) + 1).toISOString() })).body).toEqual({ count: 0, skipped: 0, more: false });
    const one = await recover({ since });
    expect(one.status).toBe(202);
    expect(one.body).toEqual({ count: 3, skipped: 0, more: true });
    const two = await recover({ since });
    expect(two.body).toEqual({ count: 2, skipped: 0, more: false });
    const third = await recover({ since });
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(third.body.message).toMatch(/recover/);
    await waitFor(
      async () => (await db.query(`SELECT count(*)::int AS n FROM deliveries WHERE status = 'succeeded'`))[0].n === 5,
      15_000,
      () => 'the recovered deliveries to succeed',
    );

    expect((await user.api.post(`${base}/webhooks/${hook.id}/test`)).status).toBe(202);
    expect((await user.api.post(`${base}/webhooks/${hook.id}/test`)).status).toBe(202);
    const spam = await user.api.post(`${base}/webhooks/${hook.id}/test`);
    expect(spam.status).toBe(429);
    expect(Number(spam.headers.get('retry-after'))).toBeGreaterThan(0);
    const [delivery] = (await user.api.get(`${base}/webhooks/${hook.id}/deliveries`)).body.data;
    expect((await user.api.post(`${base}/webhooks/${hook.id}/deliveries/${delivery.id}/redeliver`)).status).toBe(202);
    const again = await user.api.post(`${base}/webhooks/${hook.id}/deliveries/${delivery.id}/redeliver`);
    expect(again.status).toBe(429);
    expect(again.headers.get('retry-after')).toMatch(/^\d+$/);
    // Counted per webhook: another webhook of the same workspace is not limited by this one's tests.
    const other = (await user.api.post(`${base}/webhooks`, { name: 'other', url: receiver.url('/other'), events: ['pipeline.created'] })).body;
    expect((await user.api.post(`${base}/webhooks/${other.id}/test`)).status).toBe(202);
  });
});
