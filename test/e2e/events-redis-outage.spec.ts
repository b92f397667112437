import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventSubscriptions } from '../../src/events/event-subscriptions';
import { DOMAIN_EVENTS_QUEUE, ENQUEUE_TIMEOUT_MS, PURGE_EVENTS_JOB } from '../../src/events/events.constants';
import { OutboxRelay } from '../../src/events/outbox-relay.service';
import { ApiClient, seedWorkspace, TestWorkspace } from '../support/api-client';
import { EVENT_TYPES } from '../../src/events/event-catalog';
import { EventRecorder, eventRows, RelayProbe, waitFor } from '../support/event-recorder';
import { startTestApp, TestApp } from '../support/test-app';
import { ThrowawayRedis } from '../support/throwaway-redis';

describe('the outbox when Redis is unavailable', () => {
  let redis: ThrowawayRedis;
  let t: TestApp;
  let ws: TestWorkspace;
  const recorder = new EventRecorder();
  let gateOpen = true;
  let relay: RelayProbe;
  const gated = new Map<string, { failed: number; succeeded: number }>();

  beforeAll(async () => {
    redis = await ThrowawayRedis.start();
    t = await startTestApp({ REDIS_URL: redis.url });
    recorder.attach(t.app);
    relay = new RelayProbe(t.app);
    t.app.get(EventSubscriptions).subscribe('test-gated', ['assumption.created'], async (event) => {
      const calls = gated.get(event.id) ?? { failed: 0, succeeded: 0 };
      gated.set(event.id, calls);
      if (!gateOpen) {
        calls.failed++;
        throw new Error('gate closed');
      }
      calls.succeeded++;
    });
    ws = await seedWorkspace(new ApiClient(t.baseUrl));
    // Only the catalog's events: seeding also writes account and invitation events, which the recorder does not take.
    await recorder.waitForAll((await eventRows(t.app, 'type = ANY($1)', [EVENT_TYPES])).map((r) => r.id));
  });
  afterAll(async () => {
    await t?.close();
    await redis?.kill();
  });

  const notRelayed = async (ids: string[]) =>
    (await eventRows(t.app, 'id = ANY($1)', [ids])).filter((r) => r.relayed_at === null || r.pending_subscribers.length > 0);

  it('keeps answering while Redis is down, and relays every event exactly once when it is back', async () => {
    await redis.kill();
    const api = ws.owner.api;
    const base = `/v1/workspaces/${ws.id}`;
    const objectIds: string[] = [];
    const durations: number[] = [];
    for (let i = 0; i < 12; i++) {
      const started = Date.now();
      const res = await (i % 3 === 0
        ? api.post(`${base}/teams`, { name: `Outage team ${i}` })
        : i % 3 === 1
          ? api.post(`${base}/pipelines`, { name: `Outage ${i}`, stages: ['x'] })
          : api.post(`${base}/investments`, { name: `Outage ${i}`, teamId: ws.teamA, amount: i }));
      durations.push(Date.now() - started);
      expect(res.status).toBe(201);
      objectIds.push(res.body.id);
    }
    // An update while Redis is still down, too.
    const patched = await api.patch(`${base}/pipelines/${objectIds[1]}`, { name: 'Renamed during outage' });
    expect(patched.status).toBe(200);
    // A write that waited for Redis would take at least the enqueue timeout; no tighter bound on a busy machine.
    expect(Math.max(...durations)).toBeLessThan(ENQUEUE_TIMEOUT_MS);

    const rows = await eventRows(t.app, `data->'object'->>'id' = ANY($1)`, [objectIds]);
    expect(rows).toHaveLength(13);
    const ids = rows.map((r) => r.id);
    // Several relay passes find Redis down: the events stay unrelayed.
    await relay.passesFromNow(3, 30_000);
    expect((await notRelayed(ids)).every((r) => r.relayed_at === null)).toBe(true);
    expect(await notRelayed(ids)).toHaveLength(13);
    expect(ids.some((id) => recorder.timesHandled(id) > 0)).toBe(false);

    await redis.restart();
    const back = Date.now();
    await recorder.waitForAll(ids, 20_000);
    await waitFor(async () => (await notRelayed(ids)).length === 0, 10_000, () => 'events still pending in the outbox');
    const recoveredIn = Date.now() - back;
    await relay.quiet(); // a duplicate from a late enqueue would have been handled by now
    for (const id of ids) expect(recorder.timesHandled(id), id).toBe(1);
    expect(new Set(recorder.ids()).size).toBe(recorder.calls.length);
    console.info(`Redis outage: slowest API write ${Math.max(...durations)} ms; all 13 events handled ${recoveredIn} ms after Redis came back`);
  });

  it('enqueues again the subscribers whose jobs a Redis restart lost', async () => {
    gateOpen = false;
    const api = ws.owner.api;
    const objectIds: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await api.post(`/v1/workspaces/${ws.id}/assumptions`, { name: `Lost ${i}`, value: i });
      expect(res.status).toBe(201);
      objectIds.push(res.body.id);
    }
    const ids = (await eventRows(t.app, `data->'object'->>'id' = ANY($1)`, [objectIds])).map((r) => r.id);
    // Every gated job failed once and waits in Redis for its retry; the recorder is done.
    await waitFor(() => ids.every((id) => (gated.get(id)?.failed ?? 0) >= 1), 10_000);
    await recorder.waitForAll(ids);

    await redis.kill();
    await redis.restart(); // empty: the delayed retries are gone
    gateOpen = true;
    // Keep the periodic requeue (events unfinished for 10 s) out of the way while we look.
    await t.app.get(DataSource).query(`UPDATE events SET relayed_at = now() WHERE id = ANY($1)`, [ids]);
    // Relay passes after the restart do not bring the lost jobs back (only the requeue does).
    await relay.passesFromNow(2);
    const stuck = await eventRows(t.app, 'id = ANY($1)', [ids]);
    expect(stuck.every((r) => r.relayed_at !== null && r.pending_subscribers.join() === 'test-gated')).toBe(true);
    expect(ids.every((id) => gated.get(id)!.succeeded === 0)).toBe(true);

    // The periodic requeue picks up events unfinished for UNFINISHED_EVENT_AFTER_MS: pretend time passed
    // (its own timer may get there first; either way each is enqueued once).
    await t.app.get(DataSource).query(`UPDATE events SET relayed_at = relayed_at - interval '10 minutes' WHERE id = ANY($1)`, [ids]);
    expect(await t.app.get(OutboxRelay).requeueUnfinished()).toBeLessThanOrEqual(4);
    await waitFor(async () => (await notRelayed(ids)).length === 0, 10_000, () => 'gated subscriber never finished');
    await relay.quiet();
    for (const id of ids) {
      expect(gated.get(id)!.succeeded).toBe(1);
      expect(recorder.timesHandled(id)).toBe(1);
    }
    // The retention purge's repeatable job was lost with Redis, and registered again.
    const queue = t.app.get<Queue>(getQueueToken(DOMAIN_EVENTS_QUEUE));
    expect((await queue.getRepeatableJobs()).map((j) => j.name)).toEqual([PURGE_EVENTS_JOB]);
  });
});
