import { getQueueToken } from '@nestjs/bull';
import type { INestApplicationContext } from '@nestjs/common';
import type { Queue } from 'bull';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventSubscriptions } from '../../src/events/event-subscriptions';
import { DOMAIN_EVENTS_QUEUE } from '../../src/events/events.constants';
import { OutboxRelay } from '../../src/events/outbox-relay.service';
import { DomainEventsProcessor } from '../../src/events/domain-events.processor';
import { ApiClient, seedWorkspace, TestWorkspace } from '../support/api-client';
import { EVENT_TYPES } from '../../src/events/event-catalog';
import { EventRecorder, eventRows, RelayProbe, waitFor } from '../support/event-recorder';
import type { PlatformProcess } from '../support/platform-process';
import { Receiver } from '../support/receiver';
import { startTestApp, startTestWorker, TestApp } from '../support/test-app';
import { startWorkerProcess, stopWorkerProcess } from '../support/worker-process';

/** Runs `work` over `items`, `width` at a time. */
async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: width }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  }));
}

describe('two relays on one database: a second worker process', () => {
  // The app (in this process) and a second worker PROCESS on the same database. The worker has its own
  // queue prefix: only the outbox rows are shared, so what a relay claims is handled by its own process,
  // and an event claimed by both relays would be handled twice (no shared job id to absorb it).
  let t: TestApp;
  let worker: PlatformProcess | undefined;
  let ws: TestWorkspace;
  const recorder = new EventRecorder();
  const receiver = new Receiver();
  let relay: RelayProbe;
  // The worker process has no test-recorder subscriber: for each event it relayed it logs that it drops
  // that subscriber (and marks it done). Those counts are its share of the recorder's events.
  const droppedByWorker = () =>
    [...(worker?.log() ?? '').matchAll(/no subscriber named test-recorder in this process; dropping it from (\d+) event/g)].reduce((n, m) => n + Number(m[1]), 0);

  beforeAll(async () => {
    t = await startTestApp();
    recorder.attach(t.app, 'app');
    relay = new RelayProbe(t.app);
    worker = await startWorkerProcess(t, `two-relays-${process.pid}`, { QUEUE_PREFIX: `${t.config.queuePrefix}_w2` });
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

  it('hands each of 200 events to its subscribers exactly once in total, each relay taking part', async () => {
    const base = `/v1/workspaces/${ws.id}`;
    // Fan-out runs in both processes: each pipeline event is sent by the process whose relay claimed it.
    const hook = await ws.owner.api.post(`${base}/webhooks`, { name: 'relay', url: receiver.url('/relay'), events: ['pipeline.created'] });
    expect(hook.status).toBe(201);
    await inParallel(Array.from({ length: 200 }, (_, i) => i), 20, async (i) => {
      const res = await ws.owner.api.post(`${base}/pipelines`, { name: `Relay ${i}` });
      expect(res.status).toBe(201);
    });
    // Only the catalog's events: seeding also writes account and invitation events, which the recorder does not take.
    const ids = (await eventRows(t.app, 'type = ANY($1)', [EVENT_TYPES])).map((r) => r.id);
    const pipelineIds = (await eventRows(t.app, `type = 'pipeline.created'`)).map((r) => r.id);
    expect(ids.length).toBeGreaterThanOrEqual(200);
    expect(pipelineIds).toHaveLength(200);
    await waitFor(() => recorder.calls.length + droppedByWorker() >= ids.length, 30_000, () => `all ${ids.length} events handed out (app ${recorder.calls.length}, worker ${droppedByWorker()})`);
    await relay.quiet();
    await receiver.waitFor(() => receiver.requests.length >= 200, 30_000, '200 deliveries');
    await waitFor(() => receiver.requests.every((r) => r.pid !== null), 10_000, () => 'every request attributed to a process');

    // Exactly once in total: the app's share each once, the worker's share adds up to the rest.
    expect(ids.filter((id) => recorder.timesHandled(id) > 1)).toEqual([]);
    expect(recorder.calls.length + droppedByWorker()).toBe(ids.length);
    const unfinished = await eventRows(t.app, `relayed_at IS NULL OR pending_subscribers <> '{}'`);
    expect(unfinished).toEqual([]);
    // Each pipeline event was sent once, by the process that relayed it: the app's sends are the events
    // its relay handed to the recorder, the worker's are the others.
    const sent = receiver.requests.map((r) => ({ id: r.headers['webhook-id'], pid: r.pid }));
    expect(sent).toHaveLength(200);
    expect(new Set(sent.map((r) => r.id)).size).toBe(200);
    const recorded = new Set(recorder.ids());
    expect(sent.filter((r) => (r.pid === process.pid) !== recorded.has(r.id))).toEqual([]);
    const byWorker = sent.filter((r) => r.pid === worker!.pid).length;
    console.info(`two relay processes: app relayed ${recorder.calls.length}, worker ${droppedByWorker()} of ${ids.length} events; pipeline events sent by app ${200 - byWorker}, worker ${byWorker}`);
    // Both relays took part: exactly once holds while they compete, not because one sat idle.
    expect(recorder.calls.length).toBeGreaterThan(0);
    expect(droppedByWorker()).toBeGreaterThan(0);
    expect(byWorker).toBeGreaterThan(0);
    expect(byWorker).toBeLessThan(200);
  }, 90_000);
});

describe('two relays in one process: concurrent sweeps', () => {
  // Calls both relays' sweep at the same instant, which needs both in this process (the two-process
  // case is above).
  let t: TestApp;
  let worker: INestApplicationContext;
  let ws: TestWorkspace;
  let gateOpen = true;
  const gated: { id: string; by: string; ok: boolean }[] = [];
  let relays: RelayProbe[];
  const quiet = () => Promise.all(relays.map((r) => r.quiet()));

  beforeAll(async () => {
    t = await startTestApp();
    // Its own queue prefix (testConfig): only the outbox rows are shared.
    worker = await startTestWorker(t.databaseUrl);
    relays = [new RelayProbe(t.app), new RelayProbe(worker)];
    for (const [app, by] of [[t.app, 'app'], [worker, 'worker']] as const) {
      app.get(EventSubscriptions).subscribe('test-gated', ['assumption.created'], async (event) => {
        gated.push({ id: event.id, by, ok: gateOpen });
        if (!gateOpen) throw new Error('gate closed');
      });
    }
    ws = await seedWorkspace(new ApiClient(t.baseUrl));
  });
  afterAll(async () => {
    await worker?.close();
    await t?.close();
  });

  it('requeues an unfinished event through one relay only, even when both sweep at once', async () => {
    gateOpen = false;
    const objectIds: string[] = [];
    for (let i = 0; i < 6; i++) {
      objectIds.push((await ws.owner.api.post(`/v1/workspaces/${ws.id}/assumptions`, { name: `Stuck ${i}`, value: i })).body.id);
    }
    const ids = (await eventRows(t.app, `data->'object'->>'id' = ANY($1)`, [objectIds])).map((r) => r.id);
    await waitFor(() => ids.every((id) => gated.some((g) => g.id === id)), 10_000);
    // Redis loses the retries (as after a restart); PostgreSQL still says the subscriber is pending.
    for (const app of [t.app, worker]) {
      const queue = app.get<Queue>(getQueueToken(DOMAIN_EVENTS_QUEUE));
      await queue.clean(0, 'delayed');
      await queue.clean(0, 'wait');
    }
    gateOpen = true;
    const db = t.app.get(DataSource);
    await db.query(`UPDATE events SET relayed_at = relayed_at - interval '10 minutes' WHERE id = ANY($1)`, [ids]);
    const stuck = await eventRows(t.app, 'id = ANY($1)', [ids]);
    expect(stuck.every((r) => r.pending_subscribers.includes('test-gated'))).toBe(true);

    const [a, b] = await Promise.all([t.app.get(OutboxRelay).requeueUnfinished(), worker.get(OutboxRelay).requeueUnfinished()]);
    // Disjoint claims (the relays' own timers may have taken some first).
    expect(a + b).toBeLessThanOrEqual(ids.length);
    await waitFor(async () => (await eventRows(t.app, `id = ANY($1) AND pending_subscribers <> '{}'`, [ids])).length === 0, 10_000);
    await quiet();
    for (const id of ids) expect(gated.filter((g) => g.id === id && g.ok), id).toHaveLength(1);
    // Requeued now: not picked again by the next sweep for another UNFINISHED_EVENT_AFTER_MS.
    const [c, d] = await Promise.all([t.app.get(OutboxRelay).requeueUnfinished(), worker.get(OutboxRelay).requeueUnfinished()]);
    expect(c + d).toBe(0);
  });
});

describe('the NOTIFY listener', () => {
  let t: TestApp;
  let admin: Client;
  let database: string;
  const recorder = new EventRecorder();

  beforeAll(async () => {
    t = await startTestApp();
    recorder.attach(t.app);
    const url = new URL(t.databaseUrl);
    database = url.pathname.slice(1);
    url.pathname = '/postgres';
    admin = new Client({ connectionString: url.toString() });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`).catch(() => undefined);
    await admin?.end();
    await t?.close();
  });

  const listeners = async (): Promise<number[]> =>
    (
      await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND query ILIKE 'LISTEN %'`, [database])
    ).rows.map((r) => r.pid);

  it('reconnects after its connection is killed, even when the first attempts fail', async () => {
    const [pid] = await listeners();
    expect(pid).toBeTypeOf('number');
    // The database refuses new connections for a while: the first reconnection attempts fail.
    await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS false`);
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    // Wait for failed reconnection attempts (counted by the relay), not for a fixed time.
    const relay = t.app.get(OutboxRelay) as unknown as { listenerFailures: number };
    const failuresBefore = relay.listenerFailures;
    await waitFor(() => relay.listenerFailures >= failuresBefore + 2, 15_000, () => `failed reconnections (have ${relay.listenerFailures})`);
    expect(await listeners()).toEqual([]);
    await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`);
    await waitFor(async () => (await listeners()).length === 1, 10_000, () => 'the listener never came back');

    // Woken by NOTIFY again, not only by the 1 s sweep: events arrive well under a second.
    const ws = await seedWorkspace(new ApiClient(t.baseUrl));
    const latencies: number[] = [];
    for (let i = 0; i < 8; i++) {
      const started = Date.now();
      const res = await ws.owner.api.post(`/v1/workspaces/${ws.id}/pipelines`, { name: `After ${i}` });
      const [row] = await eventRows(t.app, `data->'object'->>'id' = $1`, [res.body.id]);
      await recorder.waitForAll([row.id]);
      latencies.push(Date.now() - started);
    }
    // No wall-clock bound here (a busy machine): the listener's return is shown by pg_stat_activity above.
    console.info(`after the listener came back: event handled in ${latencies.join(', ')} ms`);
  });

  it('runs the batches it claimed in process, and its requeue of unfinished events leaves a run in progress alone', async () => {
    const ws = await seedWorkspace(new ApiClient(t.baseUrl));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const entered: string[] = [];
    t.app.get(EventSubscriptions).subscribe('test-slow', ['pipeline.created'], async (event) => {
      entered.push(event.id);
      await gate;
    });
    const res = await ws.owner.api.post(`/v1/workspaces/${ws.id}/pipelines`, { name: 'Slow' });
    expect(res.status).toBe(201);
    const [row] = await eventRows(t.app, `data->'object'->>'id' = $1`, [res.body.id]);
    await waitFor(() => entered.includes(row.id), 5_000, () => 'the slow subscriber to start');
    // Run here, not through the queue: no job carries it.
    const queue = t.app.get<Queue>(getQueueToken(DOMAIN_EVENTS_QUEUE));
    const carried = (await queue.getJobs(['waiting', 'active', 'delayed'])).filter((j) => j?.data?.subscriber === 'test-slow');
    expect(carried).toEqual([]);
    // Still running past UNFINISHED_EVENT_AFTER_MS: the requeue does not add it again.
    await t.app.get(DataSource).query(`UPDATE events SET relayed_at = relayed_at - interval '10 minutes' WHERE id = $1`, [row.id]);
    await t.app.get(OutboxRelay).requeueUnfinished();
    const requeued = (await queue.getJobs(['waiting', 'active', 'delayed'])).filter((j) => j?.data?.subscriber === 'test-slow');
    expect(requeued).toEqual([]);
    release();
    await waitFor(async () => !(await eventRows(t.app, 'id = $1', [row.id]))[0].pending_subscribers.includes('test-slow'), 5_000, () => 'the run to finish');
    expect(entered.filter((id) => id === row.id)).toHaveLength(1);
  });

  it('gives back events it claimed when the queue refuses them: relayed again, handled once', async () => {
    const ws = await seedWorkspace(new ApiClient(t.baseUrl));
    await t.app.get(OutboxRelay).drain();
    // Redis refuses the next enqueue after the claim (as a command timing out would). This process
    // runs the subscribers itself while it has slots: with none, the relay enqueues them.
    const processor = t.app.get(DomainEventsProcessor);
    const slotsHere = processor.slotsHere;
    processor.slotsHere = () => 0;
    const queue = t.app.get<Queue>(getQueueToken(DOMAIN_EVENTS_QUEUE));
    const addBulk = queue.addBulk.bind(queue);
    let refused = 0;
    queue.addBulk = (async (jobs) => {
      if (refused === 0) {
        refused++;
        throw new Error('refused by the test');
      }
      return addBulk(jobs);
    }) as typeof queue.addBulk;
    try {
      const res = await ws.owner.api.post(`/v1/workspaces/${ws.id}/pipelines`, { name: 'Refused once' });
      expect(res.status).toBe(201);
      const [row] = await eventRows(t.app, `data->'object'->>'id' = $1`, [res.body.id]);
      // Within the 1 s sweeps, not the requeue of unfinished events (10 s): the claim was given back.
      await recorder.waitForAll([row.id], 5_000);
      expect(refused).toBe(1);
      expect(recorder.timesHandled(row.id)).toBe(1);
      const [after] = await eventRows(t.app, 'id = $1', [row.id]);
      expect(after.relayed_at).not.toBeNull();
    } finally {
      queue.addBulk = addBulk;
      processor.slotsHere = slotsHere;
    }
  });
});
