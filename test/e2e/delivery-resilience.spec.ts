import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import Redis from 'ioredis';
import type { ServerResponse } from 'node:http';
import { DataSource } from 'typeorm';
import { DomainEventsProcessor } from '../../src/events/domain-events.processor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, seedWorkspace, TestWorkspace } from '../support/api-client';
import { DELIVERIES_QUEUE } from '../../src/delivery/delivery.constants';
import { Receiver, ReceivedRequest } from '../support/receiver';
import { waitFor } from '../support/wait';
import type { PlatformProcess } from '../support/platform-process';
import { startTestApp, TestApp } from '../support/test-app';
import { startWorkerProcess, stopWorkerProcess } from '../support/worker-process';
import { ThrowawayRedis } from '../support/throwaway-redis';

function pairs(receiver: Receiver, path: string): string[] {
  return receiver.on(path).map((r) => r.headers['webhook-id']);
}

describe('delivery survives a Redis wipe', () => {
  let redis: ThrowawayRedis;
  let t: TestApp;
  let ws: TestWorkspace;
  const receiver = new Receiver();

  beforeAll(async () => {
    redis = await ThrowawayRedis.start();
    // The second attempt waits 2 s: long enough to wipe Redis while it is a delayed job.
    // A short lease margin: an attempt cut off by the wipe is taken over within seconds, not 30 s.
    // No circuit breaker: ten 503s in a row would open it and hold the retries back (by design,
    // delivery-flow.spec.ts), and this test needs them as delayed jobs in Redis at the wipe.
    t = await startTestApp({
      REDIS_URL: redis.url,
      WEBHOOK_RETRY_SCHEDULE: '0,2s,2s',
      DELIVERY_LEASE_MARGIN_MS: '3000',
      LOG_LEVEL: 'warn',
      WEBHOOK_CIRCUIT_FAILURES: '0',
    });
    await receiver.start();
    ws = await seedWorkspace(new ApiClient(t.baseUrl));
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
    await redis?.kill();
  });

  it('FLUSHALL with retries pending and events in flight: every delivery still arrives, from PostgreSQL', async () => {
    // Every answer the receiver gave, per webhook-id: 503 until the first wipe, then 200.
    let healthy = false;
    const answers: { id: string; status: number }[] = [];
    receiver.script('/wiped', [
      (req: ReceivedRequest, res: ServerResponse) => {
        const status = healthy ? 200 : 503;
        answers.push({ id: req.headers['webhook-id'], status });
        res.writeHead(status).end();
      },
    ]);
    const hook = await ws.owner.api.post(`/v1/workspaces/${ws.id}/webhooks`, { name: 'w', url: receiver.url('/wiped'), events: ['assumption.created'] });
    expect(hook.status).toBe(201);
    const flush = async () => {
      const client = new Redis(redis.url);
      await client.flushall();
      client.disconnect();
    };
    for (let i = 0; i < 10; i++) expect((await ws.owner.api.post(`/v1/workspaces/${ws.id}/assumptions`, { name: `a${i}`, value: i })).status).toBe(201);
    // Every first attempt fails: wait until PostgreSQL says retrying and the retries are delayed jobs in Redis.
    await receiver.waitFor(() => new Set(pairs(receiver, '/wiped')).size === 10, 10_000, 'first attempts');
    const db = t.app.get(DataSource);
    const queue = t.app.get<Queue>(getQueueToken(DELIVERIES_QUEUE));
    await waitFor(
      async () =>
        (await db.query(`SELECT count(*)::int AS n FROM deliveries WHERE webhook_id = $1 AND status = 'retrying'`, [hook.body.id]))[0].n === 10 &&
        (await queue.getDelayedCount()) >= 10,
      10_000,
      () => 'ten retries recorded in PostgreSQL and delayed in Redis',
    );
    healthy = true;
    await flush();
    expect(await queue.getDelayedCount()).toBe(0);
    // More events right before a second wipe: their relay/fan-out jobs are lost too.
    for (let i = 10; i < 15; i++) expect((await ws.owner.api.post(`/v1/workspaces/${ws.id}/assumptions`, { name: `a${i}`, value: i })).status).toBe(201);
    await flush();

    const succeeded = async () =>
      (await t.app.get(DataSource).query(`SELECT count(*)::int AS n FROM deliveries WHERE webhook_id = $1 AND status = 'succeeded'`, [hook.body.id]))[0].n;
    try {
      await expect.poll(succeeded, { timeout: 40_000, interval: 250 }).toBe(15);
    } catch (err) {
      // Say where the missing delivery is stuck.
      const db = t.app.get(DataSource);
      const state = {
        deliveries: await db.query(`SELECT status, attempt_count, next_attempt_at, lease_until, now() AS now FROM deliveries WHERE webhook_id = $1 AND status <> 'succeeded'`, [hook.body.id]),
        events: await db.query(`SELECT id, relayed_at, pending_subscribers, now() AS now FROM events WHERE pending_subscribers <> '{}'`),
        eventsWithoutDelivery: await db.query(`SELECT e.id, e.relayed_at FROM events e WHERE e.type = 'assumption.created' AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id)`),
      };
      const client = new Redis(redis.url);
      const keys = await client.keys('*');
      const jobs: Record<string, unknown> = {};
      for (const e of state.events as { id: string }[]) {
        for (const key of keys.filter((k) => k.includes(e.id))) jobs[key] = await client.hgetall(key);
      }
      const lists: Record<string, unknown> = {};
      for (const key of keys.filter((k) => /domain-events:(wait|active|delayed|failed|completed|paused)$/.test(k))) {
        const type = await client.type(key);
        lists[key] = type === 'list' ? await client.lrange(key, 0, -1) : await client.zrange(key, 0, -1);
      }
      client.disconnect();
      throw new Error(`${(err as Error).message}\n${JSON.stringify({ ...state, jobs, lists }, null, 1)}`);
    }
    // Each message answered 200 exactly once (duplicates counted, not only distinct ids), and the
    // first ten failed exactly once before the wipe.
    const ok = answers.filter((a) => a.status === 200).map((a) => a.id);
    expect(new Set(ok).size).toBe(15);
    expect(ok).toHaveLength(15);
    expect(answers.filter((a) => a.status === 503)).toHaveLength(10);
  }, 60_000);
});

describe('two worker processes share the work', () => {
  // The app (PROCESS_ROLE=all, in this process) and a second worker PROCESS on the same database,
  // Redis and queue prefix; the receiver tells which process sent each request (socket owner).
  let t: TestApp;
  let worker: PlatformProcess | undefined;
  let ws: TestWorkspace;
  const receiver = new Receiver();

  beforeAll(async () => {
    // The default 10 s attempt timeout: on a loaded machine the test's own receiver may take more than
    // the suite's 2 s to answer, and a timed-out attempt is retried (a legitimate repeat, not this test's subject).
    t = await startTestApp({ WEBHOOK_TIMEOUT_MS: '10000' });
    worker = await startWorkerProcess(t, `two-workers-${process.pid}`, { WEBHOOK_TIMEOUT_MS: '10000' });
    receiver.senderPids = () => [process.pid, worker!.pid];
    await receiver.start();
    ws = await seedWorkspace(new ApiClient(t.baseUrl));
    // A deadline, not a bound: the worker process compiles the sources (SWC) as it starts.
  }, 180_000);
  afterAll(async () => {
    await stopWorkerProcess(worker);
    await t?.close();
    await receiver.stop();
  });

  it('every (event, webhook) is sent exactly once in a normal run, each process sending part of it', async () => {
    // Each relay runs the batches it claims in its own process while it has slots: with none free in
    // the app, as under load, its batches go to the queue that both processes take jobs from, which
    // is what this test is about (the relays' race for the rows is events-relay.spec's).
    t.app.get(DomainEventsProcessor).slotsHere = () => 0;
    for (const path of ['/one', '/two']) {
      const res = await ws.admin.api.post(`/v1/workspaces/${ws.id}/webhooks`, { name: path, url: receiver.url(path), events: ['pipeline.created'] });
      expect(res.status).toBe(201);
    }
    const created = await Promise.all(
      Array.from({ length: 100 }, (_, i) => ws.owner.api.post(`/v1/workspaces/${ws.id}/pipelines`, { name: `p${i}` })),
    );
    expect(created.every((r) => r.status === 201)).toBe(true);
    await receiver.waitFor(() => receiver.requests.length >= 200, 30_000, '200 deliveries');
    // Settled: every delivery row answered, so no send is still to come.
    const db = t.app.get(DataSource);
    await waitFor(
      async () => (await db.query(`SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS n FROM deliveries`))[0].n === 200,
      30_000,
      () => '200 succeeded deliveries',
    );
    expect(receiver.requests).toHaveLength(200);
    for (const path of ['/one', '/two']) {
      const ids = pairs(receiver, path);
      expect(ids).toHaveLength(100);
      expect(new Set(ids).size).toBe(100);
    }
    // Each request attributed to the process whose socket carried it.
    await waitFor(() => receiver.requests.every((r) => r.pid !== null), 10_000, () => 'every request attributed to a process');
    const byApp = receiver.requests.filter((r) => r.pid === process.pid).length;
    const byWorker = receiver.requests.filter((r) => r.pid === worker!.pid).length;
    console.info(`two worker processes: app sent ${byApp}, worker process ${byWorker}`);
    // Both processes sent part of it: exactly once holds while they compete, not because one sat idle.
    expect(byApp).toBeGreaterThan(0);
    expect(byWorker).toBeGreaterThan(0);
    expect(byApp + byWorker).toBe(200);
    // At most one attempt per delivery: no process sent what the other one had claimed.
    expect((await db.query(`SELECT count(*)::int AS n FROM delivery_attempts`))[0].n).toBe(200);
  }, 90_000);
});
