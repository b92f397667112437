import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../src/events/domain-event';
import { DomainEventsProcessor } from '../../src/events/domain-events.processor';
import { EventSubscriptions } from '../../src/events/event-subscriptions';
import { ApiClient, seedWorkspace, TestWorkspace } from '../support/api-client';
import { EventRecorder, eventRows, RelayProbe, waitFor } from '../support/event-recorder';
import { startTestApp, TestApp } from '../support/test-app';

describe('delivery to in-process subscribers', () => {
  let t: TestApp;
  let ws: TestWorkspace;
  const recorder = new EventRecorder();
  /** Throws on the first two calls for each event, then records. */
  const flaky = new Map<string, number[]>();
  const steady = new Map<string, number[]>();

  let relay: RelayProbe;

  beforeAll(async () => {
    t = await startTestApp();
    recorder.attach(t.app);
    relay = new RelayProbe(t.app);
    const subscriptions = t.app.get(EventSubscriptions);
    subscriptions.subscribe('test-flaky', ['assumption.created'], async (event: DomainEvent) => {
      const calls = [...(flaky.get(event.id) ?? []), Date.now()];
      flaky.set(event.id, calls);
      if (calls.length <= 2) throw new Error(`flaky failure ${calls.length}`);
    });
    subscriptions.subscribe('test-steady', ['assumption.created'], async (event: DomainEvent) => {
      steady.set(event.id, [...(steady.get(event.id) ?? []), Date.now()]);
    });
    ws = await seedWorkspace(new ApiClient(t.baseUrl));
  });
  afterAll(() => t?.close());

  it('hands every committed event to the subscriber exactly once', async () => {
    const api = ws.owner.api;
    const base = `/v1/workspaces/${ws.id}`;
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const [pipeline, team] = await Promise.all([
        api.post(`${base}/pipelines`, { name: `P${i}`, stages: ['a'] }),
        api.post(`${base}/teams`, { name: `T${i}` }),
      ]);
      ids.push(pipeline.body.id, team.body.id);
      await api.patch(`${base}/pipelines/${pipeline.body.id}`, { stages: ['a', 'b'] });
      await api.delete(`${base}/teams/${team.body.id}`);
    }
    const rows = await eventRows(t.app, `data->'object'->>'id' = ANY($1)`, [ids]);
    expect(rows).toHaveLength(40);
    await recorder.waitForAll(rows.map((r) => r.id));
    await relay.quiet();
    for (const row of rows) expect(recorder.timesHandled(row.id)).toBe(1);
    // Seeding events too: nothing anywhere was handled twice.
    expect(new Set(recorder.ids()).size).toBe(recorder.calls.length);
    const after = await eventRows(t.app, 'id = ANY($1)', [rows.map((r) => r.id)]);
    expect(after.every((r) => r.relayed_at !== null && r.pending_subscribers.length === 0)).toBe(true);
  });

  it('retries a failing subscriber until it succeeds, without delaying the other subscribers', async () => {
    const res = await ws.owner.api.post(`/v1/workspaces/${ws.id}/assumptions`, { name: 'Growth', value: 0.03 });
    expect(res.status).toBe(201);
    const [row] = await eventRows(t.app, `data->'object'->>'id' = $1`, [res.body.id]);
    expect(row.type).toBe('assumption.created');

    await waitFor(() => (flaky.get(row.id)?.length ?? 0) >= 3, 15_000, () => `flaky called ${flaky.get(row.id)?.length ?? 0} times`);
    const flakyCalls = flaky.get(row.id)!;
    const steadyCalls = steady.get(row.id)!;
    // The others had it at once, long before the failing one's first retry (1 s backoff, then 2 s).
    expect(steadyCalls).toHaveLength(1);
    expect(recorder.timesHandled(row.id)).toBe(1);
    expect(steadyCalls[0]).toBeLessThan(flakyCalls[1]);
    expect(flakyCalls[1] - flakyCalls[0]).toBeGreaterThanOrEqual(900);
    expect(flakyCalls[2] - flakyCalls[1]).toBeGreaterThanOrEqual(1_900);

    await waitFor(async () => (await eventRows(t.app, 'id = $1', [row.id]))[0].pending_subscribers.length === 0, 5_000);
    await relay.quiet();
    expect(flaky.get(row.id)).toHaveLength(3);
    expect(steady.get(row.id)).toHaveLength(1);
    expect(recorder.timesHandled(row.id)).toBe(1);
  });

  it('does not run a subscriber again for a duplicate job once it has finished the event', async () => {
    // Duplicates happen: an enqueue that timed out may still reach Redis later, and the relay enqueues again.
    const res = await ws.owner.api.post(`/v1/workspaces/${ws.id}/pipelines`, { name: 'Once' });
    const [row] = await eventRows(t.app, `data->'object'->>'id' = $1`, [res.body.id]);
    await recorder.waitForAll([row.id]);
    await waitFor(async () => !(await eventRows(t.app, 'id = $1', [row.id]))[0].pending_subscribers.includes('test-recorder'), 5_000);
    await t.app.get(DomainEventsProcessor).handle({ eventId: row.id, subscriber: 'test-recorder' });
    expect(recorder.timesHandled(row.id)).toBe(1);
  });
});

describe('retention purge', () => {
  let t: TestApp;
  let ws: TestWorkspace;

  beforeAll(async () => {
    // Seeding needs workers (people join with addresses verified through mailed links): a full app
    // seeds the database, then the test's app, with no relay, takes over.
    const seeder = await startTestApp();
    ws = await seedWorkspace(new ApiClient(seeder.baseUrl));
    await seeder.close();
    // No relay in this process: the test alone decides which rows are relayed.
    t = await startTestApp({ PROCESS_ROLE: 'api', WEBHOOK_LOG_RETENTION: '30d' }, seeder.databaseUrl);
    t.app.get(EventSubscriptions).subscribe('test-recorder', ['pipeline.created'], async () => undefined);
    ws.owner.api = new ApiClient(t.baseUrl, ws.owner.token);
  });
  afterAll(() => t?.close());

  it('deletes only finished events older than WEBHOOK_LOG_RETENTION', async () => {
    const names = ['old-finished', 'old-unrelayed', 'old-pending', 'recent-finished', 'old-finished-2'];
    const ids: Record<string, string> = {};
    for (const name of names) {
      const res = await ws.owner.api.post(`/v1/workspaces/${ws.id}/pipelines`, { name });
      ids[name] = (await eventRows(t.app, `data->'object'->>'id' = $1`, [res.body.id]))[0].id;
    }
    const db = t.app.get(DataSource);
    const set = (name: string, sql: string) => db.query(`UPDATE events SET ${sql} WHERE id = $1`, [ids[name]]);
    await set('old-finished', `created_at = now() - interval '31 days', relayed_at = now() - interval '31 days', pending_subscribers = '{}'`);
    await set('old-finished-2', `created_at = now() - interval '30 days 1 minute', relayed_at = now(), pending_subscribers = '{}'`);
    await set('old-unrelayed', `created_at = now() - interval '40 days', pending_subscribers = '{}'`);
    await set('old-pending', `created_at = now() - interval '40 days', relayed_at = now() - interval '40 days'`);
    await set('recent-finished', `created_at = now() - interval '29 days 23 hours', relayed_at = now(), pending_subscribers = '{}'`);
    const total = (await db.query('SELECT count(*)::int AS n FROM events'))[0].n;

    expect(await t.app.get(DomainEventsProcessor).purge()).toBe(2);

    const left = new Set((await eventRows(t.app)).map((r) => r.id));
    expect(left.size).toBe(total - 2);
    expect(left.has(ids['old-finished'])).toBe(false);
    expect(left.has(ids['old-finished-2'])).toBe(false);
    for (const kept of ['old-unrelayed', 'old-pending', 'recent-finished']) expect(left.has(ids[kept]), kept).toBe(true);
    expect(await t.app.get(DomainEventsProcessor).purge()).toBe(0);
  });
});
