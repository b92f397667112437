import 'reflect-metadata';
import { getQueueToken } from '@nestjs/bull';
import type { INestApplication } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import Redis from 'ioredis';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createHttpApp } from '../src/app.factory';
import { loadConfig } from '../src/config/app-config';
import { prepareDatabase } from '../src/database/prepare-database';
import { EVENT_TYPES } from '../src/events/event-catalog';
import { EventSubscriptions } from '../src/events/event-subscriptions';
import { DOMAIN_EVENTS_QUEUE, HANDLE_EVENT_JOB, HandleEventJob } from '../src/events/events.constants';

/**
 * `npm run bench:outbox`: how long an event takes from its transaction to an in-process subscriber
 * (outbox row → NOTIFY → relay → Bull → handler), at a light, steady load through the HTTP API.
 * Boots the real app (PROCESS_ROLE=all) on its own fresh database and queue prefix, drops both at
 * the end. Settings: BENCH_RATE (writes/s, 50), BENCH_SECONDS (10), BENCH_ADMIN_DATABASE_URL,
 * REDIS_URL.
 */

const SUBSCRIBER = 'bench-latency';

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  return n;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

interface Summary {
  n: number;
  min: number;
  median: number;
  p90: number;
  p99: number;
  max: number;
}

function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    min: sorted[0],
    median: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
  };
}

async function admin<T>(adminUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function api(baseUrl: string, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(baseUrl + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

interface Sample {
  /** Client clock, ms: the API's 201 arrived (the transaction had committed before it was sent). */
  responseAt?: number;
  /** Subscriber handler invoked (same process, same clock). */
  handledAt?: number;
  /** events.created_at: now() of the writing transaction, i.e. its start (PostgreSQL, same host clock). */
  createdAt?: number;
  /** Bull job.timestamp: when the relay added the job. */
  enqueuedAt?: number;
  /** Bull job.processedOn: when a worker took it. */
  processedOn?: number;
}

async function main(): Promise<void> {
  const rate = intEnv('BENCH_RATE', 50);
  const seconds = intEnv('BENCH_SECONDS', 10);
  const adminUrl = process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
  const stamp = `${Date.now().toString(36)}_${process.pid}`;
  const database = `cc_bench_outbox_${stamp}`;
  const databaseUrl = Object.assign(new URL(adminUrl), { pathname: `/${database}` }).toString();
  const queuePrefix = `cc_bench_outbox_${stamp}`;

  await prepareDatabase(databaseUrl);
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: databaseUrl,
    QUEUE_PREFIX: queuePrefix,
    PROCESS_ROLE: 'all',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  let app: INestApplication | undefined;
  try {
    app = await createHttpApp(config);
    await app.listen(0, '127.0.0.1');
    const baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;

    const samples = new Map<string, Sample>(); // by resource id
    const sample = (id: string) => samples.get(id) ?? samples.set(id, {}).get(id)!;
    let measuring = false;
    app.get(EventSubscriptions).subscribe(SUBSCRIBER, EVENT_TYPES, async (event) => {
      if (!measuring) return;
      const s = sample(event.data.object.id as string);
      s.handledAt = Date.now();
      s.createdAt = Date.parse(event.createdAt);
    });
    const queue = app.get<Queue<HandleEventJob>>(getQueueToken(DOMAIN_EVENTS_QUEUE));
    const jobTimes = new Map<string, { timestamp: number; processedOn?: number }>(); // by event id
    queue.on('completed', (job: Job<HandleEventJob>) => {
      if (job.name === HANDLE_EVENT_JOB && job.data.subscriber === SUBSCRIBER) {
        const ids = job.data.events?.map((e) => e.id) ?? (job.data.eventId ? [job.data.eventId] : []);
        for (const id of ids) jobTimes.set(id, { timestamp: job.timestamp, processedOn: job.processedOn });
      }
    });

    const signup = await api(baseUrl, 'POST', '/v1/auth/signup', undefined, {
      email: `bench-${stamp}@example.com`,
      name: 'Bench',
      password: 'password-123',
    });
    const token = signup.body.token as string;
    const workspaceId = (await api(baseUrl, 'POST', '/v1/workspaces', token, { name: 'Bench' })).body.id as string;
    // Warm-up: JIT, pools, keep-alive connections, prepared paths.
    for (let i = 0; i < 50; i++) await api(baseUrl, 'POST', `/v1/workspaces/${workspaceId}/pipelines`, token, { name: `warm ${i}` });
    await sleep(1_000);

    measuring = true;
    // App, relay, workers and the load generator share this event loop: its stalls are everyone's latency.
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const total = rate * seconds;
    const interval = 1_000 / rate;
    const started = Date.now();
    const inFlight: Promise<void>[] = [];
    let failures = 0;
    // Open loop: one write every 1/rate s whatever the previous ones are doing.
    for (let i = 0; i < total; i++) {
      const due = started + i * interval;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      inFlight.push(
        api(baseUrl, 'POST', `/v1/workspaces/${workspaceId}/pipelines`, token, { name: `bench ${i}`, stages: ['sourced', 'closed'] }).then(
          (res) => {
            if (res.status !== 201) {
              failures++;
              return;
            }
            sample(res.body.id).responseAt = Date.now();
          },
          () => void failures++,
        ),
      );
    }
    await Promise.all(inFlight);
    const loadSeconds = (Date.now() - started) / 1_000;
    const deadline = Date.now() + 30_000;
    while ([...samples.values()].some((s) => s.responseAt !== undefined && s.handledAt === undefined) && Date.now() < deadline) await sleep(50);
    await sleep(200); // the last 'completed' events
    measuring = false;
    loopDelay.disable();

    const rows: { id: string; type: string; created_at: Date; object_id: string }[] = await app
      .get(DataSource)
      .query(`SELECT id, type, created_at, data->'object'->>'id' AS object_id FROM events WHERE type = 'pipeline.created'`);
    for (const row of rows) {
      const s = samples.get(row.object_id);
      const job = jobTimes.get(row.id);
      if (!s || !job) continue;
      s.enqueuedAt = job.timestamp;
      s.processedOn = job.processedOn;
    }

    const complete = [...samples.values()].filter((s) => s.responseAt !== undefined && s.handledAt !== undefined);
    const lost = [...samples.values()].filter((s) => s.responseAt !== undefined && s.handledAt === undefined).length;
    const pairs = (f: (s: Sample) => number | undefined) => complete.map(f).filter((v): v is number => v !== undefined && Number.isFinite(v));
    const metrics: [string, Summary][] = [
      ['handled - API response received (lower bound of commit -> handled)', summarize(pairs((s) => s.handledAt! - s.responseAt!))],
      ['handled - events.created_at (upper bound: transaction start -> handled)', summarize(pairs((s) => s.handledAt! - s.createdAt!))],
      ['Bull job.timestamp - events.created_at (transaction start -> on the queue)', summarize(pairs((s) => s.enqueuedAt && s.enqueuedAt - s.createdAt!))],
      ['Bull job.processedOn - job.timestamp (wait in the queue)', summarize(pairs((s) => s.processedOn && s.enqueuedAt && s.processedOn - s.enqueuedAt))],
      ['handled - job.processedOn (job start -> handler called)', summarize(pairs((s) => s.processedOn && s.handledAt! - s.processedOn))],
    ];

    const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(0).padStart(6) : '     -');
    console.log(`\nOutbox latency: ${total} POST /pipelines at ${rate}/s for ${seconds} s (took ${loadSeconds.toFixed(1)} s), PROCESS_ROLE=all, one process`);
    console.log(`handled: ${complete.length}, API failures: ${failures}, committed but never handled: ${lost}`);
    const loop = { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
    console.log(
      `event-loop delay (ms): p50 ${loop.p50.toFixed(0)}, p99 ${loop.p99.toFixed(0)}, max ${loop.max.toFixed(0)}; ` +
        `load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs\n`,
    );
    console.log(`${'metric (ms)'.padEnd(76)}     n    min median    p90    p99    max`);
    for (const [name, s] of metrics) {
      console.log(`${name.padEnd(76)}${String(s.n).padStart(6)}${fmt(s.min)}${fmt(s.median)}${fmt(s.p90)}${fmt(s.p99)}${fmt(s.max)}`);
    }
    console.log(`\n${JSON.stringify({ rate, seconds, handled: complete.length, failures, lost, eventLoopDelayMs: loop, loadAverage: loadavg(), metrics: Object.fromEntries(metrics) })}`);
    if (lost || failures) process.exitCode = 1;
  } finally {
    await app?.close().catch((err) => console.error('close:', err));
    const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
    try {
      for (let cursor = '0'; ; ) {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${queuePrefix}:*`, 'COUNT', 1_000);
        if (keys.length) await redis.del(...keys);
        cursor = next;
        if (cursor === '0') break;
      }
    } finally {
      redis.disconnect();
    }
    await admin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
  }
}

main().then(
  () => process.exit(),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
