import type { INestApplicationContext } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, seedWorkspace, TestWorkspace } from '../support/api-client';
import { Receiver } from '../support/receiver';
import { startTestApp, startTestWorker, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait';

/**
 * Operations (issue 16), end to end against PostgreSQL, Redis and a real receiver: the "why (not)?"
 * view of an event, the workspace-wide delivery search, and a webhook's health. The API and the
 * worker are separate processes here, so that an event can wait in the outbox while a webhook is
 * created (created_after_event).
 */
describe('delivery operations', () => {
  let t: TestApp;
  let worker: INestApplicationContext | undefined;
  let ws: TestWorkspace;
  const receiver = new Receiver();
  const base = () => `/v1/workspaces/${ws.id}`;
  const hooks: Record<string, string> = {};
  let queuePrefix = '';

  async function hook(by: keyof Pick<TestWorkspace, 'owner' | 'admin' | 'member'>, name: string, events: string[], extra: object = {}) {
    const res = await ws[by].api.post(`${base()}/webhooks`, { name, url: receiver.url(`/${name}`), events, ...extra });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    hooks[name] = res.body.id;
    return res.body.id as string;
  }

  /** The event of `type` about `objectId`, found through the search (the owner sees every webhook). */
  async function eventIdOf(objectId: string, type: string): Promise<string> {
    let id: string | undefined;
    await waitFor(
      async () => {
        const res = await ws.owner.api.get(`${base()}/deliveries?objectId=${objectId}&eventType=${type}`);
        id = res.body.data?.[0]?.eventId;
        return Boolean(id);
      },
      15_000,
      () => `a delivery of ${type} about ${objectId}`,
    );
    return id!;
  }

  /** The "why" view once fan-out has decided for every webhook. */
  async function decided(eventId: string, as = ws.owner) {
    let body: any;
    await waitFor(
      async () => {
        const res = await as.api.get(`${base()}/events/${eventId}`);
        body = res.body;
        return res.status === 200 && body.decisions.every((d: any) => d.decision !== 'pending');
      },
      15_000,
      () => `decisions for ${eventId}: ${JSON.stringify(body)}`,
    );
    return body as { id: string; type: string; objectId: string; actor: { type: string; id: string }; decisions: any[] };
  }

  beforeAll(async () => {
    queuePrefix = `cct_ops_${process.pid}_${Date.now().toString(36)}`;
    t = await startTestApp({ PROCESS_ROLE: 'api', QUEUE_PREFIX: queuePrefix, WEBHOOK_RETRY_SCHEDULE: '0,100ms,100ms' });
    worker = await startTestWorker(t.databaseUrl, { QUEUE_PREFIX: queuePrefix, WEBHOOK_RETRY_SCHEDULE: '0,100ms,100ms' });
    await receiver.start();
    ws = await seedWorkspace(new ApiClient(t.baseUrl));
  });
  afterAll(async () => {
    await worker?.close();
    await t?.close();
    await receiver.stop();
  });

  it("why (not): delivered, not_permitted (a member's webhook and another team's investment), disabled — members see only their own", async () => {
    await hook('admin', 'admin-inv', ['investment.created']);
    await hook('member', 'member-inv', ['investment.created']);
    const paused = await hook('admin', 'paused-inv', ['investment.created'], { enabled: false });
    await hook('owner', 'owner-pipes', ['pipeline.created']); // not subscribed: not listed

    const invB = await ws.owner.api.post(`${base()}/investments`, { name: 'B', teamId: ws.teamB, amount: 1 });
    expect(invB.status).toBe(201);
    const eventId = await eventIdOf(invB.body.id, 'investment.created');
    const why = await decided(eventId);
    expect(why).toMatchObject({ id: eventId, type: 'investment.created', objectId: invB.body.id, actor: { type: 'user', id: ws.owner.id } });
    const byHook = Object.fromEntries(why.decisions.map((d) => [d.webhookId, d]));
    expect(Object.keys(byHook).sort()).toEqual([hooks['admin-inv'], hooks['member-inv'], paused].sort());
    expect(byHook[hooks['admin-inv']]).toMatchObject({ decision: 'delivered', webhookName: 'admin-inv', reason: null });
    expect(byHook[hooks['admin-inv']].deliveryId).toMatch(/^[0-9a-f-]{36}$/);
    expect(byHook[hooks['member-inv']]).toMatchObject({ decision: 'skipped', reason: 'not_permitted', deliveryId: null });
    expect(byHook[paused]).toMatchObject({ decision: 'skipped', reason: 'disabled', deliveryId: null });
    await receiver.waitFor(() => receiver.on('/admin-inv').length === 1, 10_000, 'the admin webhook');
    expect(receiver.on('/member-inv')).toHaveLength(0);
    expect(receiver.on('/paused-inv')).toHaveLength(0);

    // The member may not read team B's investment: the event is not found for them.
    expect((await ws.member.api.get(`${base()}/events/${eventId}`)).status).toBe(404);
    // In team A, the member sees its own webhook's decision only, never the admin's.
    const invA = await ws.owner.api.post(`${base()}/investments`, { name: 'A', teamId: ws.teamA, amount: 1 });
    const eventA = await eventIdOf(invA.body.id, 'investment.created');
    const mine = await decided(eventA, ws.member);
    expect(mine.decisions).toEqual([expect.objectContaining({ webhookId: hooks['member-inv'], decision: 'delivered' })]);
    // Viewers may not read webhooks; outsiders are not members; bad ids are 400; unknown ids 404.
    expect((await ws.viewer.api.get(`${base()}/events/${eventA}`)).status).toBe(403);
    expect((await ws.outsider.api.get(`${base()}/events/${eventA}`)).status).toBe(404);
    expect((await ws.owner.api.get(`${base()}/events/not-an-event`)).status).toBe(400);
    expect((await ws.owner.api.get(`${base()}/events/evt_01KB3Q7ZJ8M2Y5D4XW0N6T9RHC`)).status).toBe(404);
  });

  it('created_after_event: a webhook created after an event happened (before its fan-out) does not receive it', async () => {
    await hook('owner', 'early', ['pipeline.created']);
    // The worker stops: the next event waits in the outbox.
    await worker!.close();
    worker = undefined;
    const pipeline = await ws.owner.api.post(`${base()}/pipelines`, { name: 'waits in the outbox' });
    expect(pipeline.status).toBe(201);
    await hook('owner', 'late', ['pipeline.created']);
    worker = await startTestWorker(t.databaseUrl, { QUEUE_PREFIX: queuePrefix, WEBHOOK_RETRY_SCHEDULE: '0,100ms,100ms' });

    const eventId = await eventIdOf(pipeline.body.id, 'pipeline.created');
    const why = await decided(eventId);
    const byHook = Object.fromEntries(why.decisions.map((d) => [d.webhookId, d]));
    expect(byHook[hooks.early]).toMatchObject({ decision: 'delivered' });
    expect(byHook[hooks.late]).toMatchObject({ decision: 'skipped', reason: 'created_after_event' });
    await receiver.waitFor(() => receiver.on('/early').length === 1, 10_000, 'the early webhook');
    expect(receiver.on('/late')).toHaveLength(0);
    // The same webhook gets the next event.
    const next = await ws.owner.api.post(`${base()}/pipelines`, { name: 'after' });
    await receiver.waitFor(() => receiver.on('/late').length === 1, 10_000, 'the late webhook, for the next event');
    expect(JSON.parse(receiver.on('/late')[0].body).data.object.id).toBe(next.body.id);
  });

  it('search: by object, event, webhook, status, error kind and time, paged; members see their own webhooks only', async () => {
    receiver.script('/flaky', [500]);
    const flaky = await hook('admin', 'flaky', ['memo.created']);
    const ok = await hook('member', 'memo-ok', ['memo.created']);
    const memo = await ws.member.api.post(`${base()}/memos`, { title: 'm', visibility: 'workspace' });
    expect(memo.status).toBe(201);
    const memos = `${base()}/deliveries?objectId=${memo.body.id}`;
    await waitFor(
      async () => (await ws.owner.api.get(`${memos}&status=failed`)).body.data?.length === 1,
      15_000,
      () => 'the flaky delivery to fail',
    );
    const all = (await ws.owner.api.get(memos)).body.data as any[];
    expect(all.map((d) => d.webhookId).sort()).toEqual([flaky, ok].sort());
    expect(new Set(all.map((d) => d.eventId)).size).toBe(1);
    const eventId = all[0].eventId;

    const failed = (await ws.owner.api.get(`${base()}/deliveries?errorKind=http_status&objectId=${memo.body.id}`)).body.data;
    expect(failed).toEqual([expect.objectContaining({ webhookId: flaky, status: 'failed', attemptCount: 3 })]);
    expect((await ws.owner.api.get(`${base()}/deliveries?errorKind=timeout&objectId=${memo.body.id}`)).body.data).toEqual([]);
    expect((await ws.admin.api.get(`${base()}/deliveries?eventId=${eventId}&webhookId=${ok}`)).body.data).toEqual([
      expect.objectContaining({ webhookId: ok, status: 'succeeded', eventType: 'memo.created' }),
    ]);
    // The member: only their own webhook's delivery, whatever the filter.
    const members = (await ws.member.api.get(`${base()}/deliveries?eventId=${eventId}`)).body.data as any[];
    expect(members.map((d) => d.webhookId)).toEqual([ok]);
    expect((await ws.member.api.get(`${base()}/deliveries?webhookId=${flaky}`)).body.data).toEqual([]);
    // Time window and paging over everything the owner sees.
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await ws.owner.api.get(`${base()}/deliveries?since=${future}`)).body.data).toEqual([]);
    const everything: any[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: any } = await ws.owner.api.get(`${base()}/deliveries?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      everything.push(...res.body.data);
      cursor = res.body.nextCursor;
    } while (cursor);
    const total = (await ws.owner.api.get(`${base()}/deliveries?limit=100`)).body.data;
    expect(everything.map((d) => d.id)).toEqual(total.map((d: any) => d.id));
    expect(new Set(everything.map((d) => d.id)).size).toBe(everything.length);
    // Bad input: 400, with the reason.
    for (const q of ['status=nope', 'errorKind=nope', 'webhookId=1', 'eventId=evt_x', 'since=yesterday', 'since=2026-02-30', 'limit=0', 'foo=1']) {
      const res = await ws.owner.api.get(`${base()}/deliveries?${q}`);
      expect(res.status, q).toBe(400);
    }
    expect((await ws.owner.api.get(`${base()}/deliveries?since=2026-11-02&until=2026-11-01`)).status).toBe(400);
    expect((await ws.viewer.api.get(`${base()}/deliveries`)).status).toBe(403);
  });

  it("stats: a webhook's health in the window, with hourly buckets and the last error", async () => {
    receiver.script('/health', [500, 500, 200, 500]);
    const id = await hook('owner', 'health', ['assumption.created']);
    const first = await ws.owner.api.post(`${base()}/assumptions`, { name: 'a1', value: 1 });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const stats = async () => (await ws.owner.api.get(`${base()}/webhooks/${id}/stats`)).body;
    await waitFor(async () => (await stats()).succeeded === 1, 15_000, () => 'the first delivery to succeed');
    const second = await ws.owner.api.post(`${base()}/assumptions`, { name: 'a2', value: 2 });
    expect(second.status).toBe(201);
    let s: any;
    await waitFor(async () => (s = await stats()).failed === 1, 15_000, () => `the second delivery to fail: ${JSON.stringify(s)}`);
    expect(s).toMatchObject({ total: 2, succeeded: 1, failed: 1, retrying: 0, pending: 0, successRate: 0.5 });
    expect(s.lastError).toBe('http_status: 500');
    expect(Date.parse(s.lastFailureAt)).toBeGreaterThan(Date.parse(s.lastSuccessAt));
    expect(s.p50DurationMs).toBeGreaterThanOrEqual(0);
    expect(s.p95DurationMs).toBeGreaterThanOrEqual(s.p50DurationMs);
    expect(s.series.length).toBeGreaterThanOrEqual(24);
    expect(s.series.length).toBeLessThanOrEqual(25);
    const sum = (k: 'succeeded' | 'failed') => s.series.reduce((n: number, b: any) => n + b[k], 0);
    expect([sum('succeeded'), sum('failed')]).toEqual([1, 5]);
    expect(Date.parse(s.until) - Date.parse(s.since)).toBe(24 * 3_600_000);

    // A window before the webhook existed: nothing, every bucket zero.
    const past = (await ws.owner.api.get(`${base()}/webhooks/${id}/stats?since=2026-01-01T00:00:00Z&until=2026-01-01T03:00:00Z`)).body;
    expect(past).toMatchObject({ total: 0, successRate: null, p50DurationMs: null, series: [
      { start: '2026-01-01T00:00:00.000Z', succeeded: 0, failed: 0 },
      { start: '2026-01-01T01:00:00.000Z', succeeded: 0, failed: 0 },
      { start: '2026-01-01T02:00:00.000Z', succeeded: 0, failed: 0 },
    ] });
    // Another member's webhook is not found; bad windows are 400.
    expect((await ws.member.api.get(`${base()}/webhooks/${id}/stats`)).status).toBe(404);
    for (const q of ['since=x', 'since=2026-01-02&until=2026-01-01', 'since=2026-01-01&until=2026-03-01', 'foo=1']) {
      expect((await ws.owner.api.get(`${base()}/webhooks/${id}/stats?${q}`)).status, q).toBe(400);
    }
  });
});
