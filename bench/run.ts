import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, release, totalmem, type } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import Redis from 'ioredis';
import { Client } from 'pg';
import { monotonicFactory } from 'ulid';
import { Agent } from 'undici';
import { FANOUT_SUBSCRIBER } from '../src/delivery/delivery.constants';
import { signPayload } from '../src/delivery/signing';
import { EVENT_TYPES } from '../src/events/event-catalog';
import { BenchApi } from './bench-api';
import { CpuUsage, machineBusy } from './cpu-usage';
import { PgActivitySampler } from './pg-activity';
import { PlatformProcess } from './platform-process';
import { CpuProfile, formatProfileSummary, summarizeProfile } from './profile-summary';
import { BenchReport, MachineInfo, NOTES_MARKER, renderMarkdown, renderTable, ScenarioRow, verdict } from './report';
import { ReceiverProcess } from './receiver-process';
import { receiverPath } from './receiver-protocol';
import { LatencySummary, mapLimit, median, sleep, summarize } from './stats';

/**
 * `npm run bench`: the delivery pipeline's throughput, latency, fan-out, catalogue scale and retry
 * storm, measured end to end through the real API against a platform child process. Prints one table
 * and rewrites docs/benchmarks.md. See the Method section of that file.
 */

const ROOT = resolve(__dirname, '../..');
const PROFILE_DIR = '/tmp/cc-prof';

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer (got ${JSON.stringify(raw)})`);
  return n;
}

const profiling = process.env.BENCH_PROFILE === '1';
const settings = {
  webhooks: intEnv('BENCH_WEBHOOKS', 20),
  latencySeconds: intEnv('BENCH_LATENCY_SECONDS', 30),
  latencyRate: 100,
  latencyWebhooks: 10,
  fanOutWebhooks: 1000,
  fanOutRuns: 3,
  catalogueWebhooks: 10_000,
  catalogueWorkspaces: 100,
  failingShare: 0.2,
  rawSeconds: 5,
  rawWarmupSeconds: 1,
  rawInFlight: 256,
  rawConnections: 64,
  createInFlight: 32,
  /** Scenarios 2 and 6: offered creates/s (× webhooks = offered deliveries/s), open loop. */
  sustainedRate: intEnv('BENCH_SUSTAINED_RATE', 250),
  warmupSeconds: intEnv('BENCH_WARMUP_SECONDS', 5),
  steadySeconds: intEnv('BENCH_STEADY_SECONDS', 30),
  /** Scenario 6: half the failing URLs answer 500 only after this long (a slow failure). */
  slowFailureMs: 2000,
  /** Short enough that failing deliveries are retried several times within scenario 6's window. */
  retrySchedule: '0,1s,2s,4s,8s',
  /** 7: one origin answering in 300 ms, W webhooks × E events. */
  slowOriginWebhooks: 20,
  slowOriginEvents: 100,
  slowOriginAnswerMs: 300,
  /** 8: tenant A's hanging endpoints and deliveries; tenant B's steady load. */
  noisyHangingWebhooks: 10,
  noisyDeliveries: 1500,
  quietWebhooks: 5,
  quietRate: 20,
  quietSeconds: intEnv('BENCH_QUIET_SECONDS', 10),
  /** 9: a backlog published straight into the outbox. */
  drainEvents: 1000,
  drainWebhooks: 20,
  /** 10: offered deliveries/s as a share of the raw ceiling, W webhooks per event. */
  steadyShare: 0.1,
  steadyWebhooks: 20,
  steadyLatencySeconds: intEnv('BENCH_STEADY_LATENCY_SECONDS', 20),
};
/**
 * Scenario 6 runs without the circuit breaker: with it, the failing URLs get a few spaced-out probes
 * and their deliveries wait, so there is no storm to measure. Without it every retry is sent.
 */
const STORM_ENV: Record<string, string> = { WEBHOOK_CIRCUIT_FAILURES: '0' };
/** Scenarios 7–10 run on a platform restarted with these settings (issue 15's conditions). */
const FLOW_ENV: Record<string, string> = { WEBHOOK_TIMEOUT_MS: '2000', WEBHOOK_CIRCUIT_FAILURES: '0' };
const ALL_SCENARIOS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'];
const only = new Set(
  (process.env.BENCH_ONLY ?? (profiling ? '1,2' : ALL_SCENARIOS.join(',')))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

/** Outside load (cores used by other processes) above which a scenario's figures are flagged. */
const OUTSIDE_LOAD_CORES = 0.2;

const TARGETS = {
  sustainedPerS: 5000,
  sustainedRatio: 0.3,
  p50Ms: 10,
  p99Ms: 50,
  fanOutMs: 1000,
  rssMb: 300,
  catalogueTolerance: 0.25,
  catalogueSlackMs: 2,
  stormTolerance: 0.2,
  noisyP99Factor: 2,
  drainRatio: 0.5,
  steadyP50Ms: 10,
  steadyP99Ms: 50,
};

// Wall-clock ms with sub-ms resolution; the receiver stamps receipts on the same clock.
const wallNow = () => performance.timeOrigin + performance.now();
// The monotonic clock V8 stamps CPU profile samples with (µs).
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : String(n);

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

interface Workspace {
  id: string;
  teamId: string;
}

interface BenchWebhook {
  id: string;
  path: string;
  secret: string;
}

interface CreateRun {
  ok: number;
  failed: number;
  failures: string[];
  apiLatencies: number[];
}

const PG_SOCKET_DIR = '/var/run/postgresql';

class Bench {
  readonly rows: ScenarioRow[] = [];
  readonly observations: string[] = [];
  readonly stamp = Date.now();
  readonly databaseName = `cc_bench_${this.stamp}`;
  readonly queuePrefix = `ccbench_${this.stamp.toString(36)}_${process.pid}`;
  // Co-located, the platform reaches PostgreSQL over its Unix socket when the machine has one (a
  // plain DATABASE_URL setting, `?host=<socket dir>`): cheaper per round trip than loopback TCP.
  // BENCH_PG_TCP=1 measures over TCP instead.
  readonly databaseUrl =
    existsSync(`${PG_SOCKET_DIR}/.s.PGSQL.5432`) && process.env.BENCH_PG_TCP !== '1'
      ? `postgres://postgres:postgres@localhost/${this.databaseName}?host=${PG_SOCKET_DIR}`
      : `postgres://postgres:postgres@127.0.0.1:5432/${this.databaseName}`;
  readonly receiver = new ReceiverProcess();
  readonly cpu = this.cpuUsage();
  platform!: PlatformProcess;
  platformEnv: Record<string, string> = {};
  api!: BenchApi;
  owner!: BenchApi;
  ownerId = '';
  db!: Client;
  /** A second connection, for the pg_stat_activity sampler. */
  activityDb!: Client;
  private investmentSeq = 0;
  private s2DeliveriesPerS: number | null = null;
  private rawPerS: number | null = null;
  private latency3: LatencySummary | null = null;
  private latencyWorkspace: Workspace | null = null;
  private latencyWebhooks: BenchWebhook[] = [];
  private sampleWebhookId: string | null = null;
  profileWindow: { fromUs: number; toUs: number } | null = null;
  /** Random per run, kept for a restart (the webhooks' secrets are encrypted under it). */
  readonly secretKey = randomBytes(32).toString('base64');
  maxRssMb = 0;

  async start(): Promise<void> {
    await this.receiver.start();
    const port = await freePort();
    this.platformEnv = {
      NODE_ENV: 'production',
      PROCESS_ROLE: 'all',
      DATABASE_URL: this.databaseUrl,
      QUEUE_PREFIX: this.queuePrefix,
      WEBHOOK_ALLOW_PRIVATE_NETWORK: 'true',
      LOG_LEVEL: 'warn',
      WEBHOOK_MAX_PER_WORKSPACE: '20000',
      WEBHOOK_RETRY_SCHEDULE: settings.retrySchedule,
    };
    if (profiling) mkdirSync(PROFILE_DIR, { recursive: true });
    this.platform = new PlatformProcess({
      root: ROOT,
      port,
      // Random per run: the platform refuses to start in production without one.
      env: { ...this.platformEnv, WEBHOOK_SECRET_KEY: this.secretKey },
      nodeFlags: profiling ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [],
    });
    const booted = performance.now();
    await this.platform.start();
    log(`platform pid ${this.platform.pid} up in ${fmt((performance.now() - booted) / 1000, 1)} s on ${this.platform.baseUrl}; receiver on ${this.receiver.baseUrl}`);
    this.db = new Client({ connectionString: this.databaseUrl });
    await this.db.connect();
    this.activityDb = new Client({ connectionString: this.databaseUrl });
    await this.activityDb.connect();
    this.api = new BenchApi(this.platform.baseUrl, 64);
    const email = `bench-${randomUUID()}@example.com`;
    const signup = await this.api.expect<{ user: { id: string }; token: string }>(201, 'POST', '/v1/auth/signup', {
      email,
      name: 'Bench Owner',
      password: 'bench-password-123',
    });
    this.owner = this.api.as(signup.token);
    this.ownerId = signup.user.id;
  }

  cpuUsage(): CpuUsage {
    return new CpuUsage(() => ({ platform: this.platform?.pid ?? 0, receiver: this.receiver.pid, driver: process.pid }), this.databaseName);
  }

  async workspace(name: string): Promise<Workspace> {
    const ws = await this.owner.expect<{ id: string }>(201, 'POST', '/v1/workspaces', { name });
    const team = await this.owner.expect<{ id: string }>(201, 'POST', `/v1/workspaces/${ws.id}/teams`, { name: 'Bench team' });
    return { id: ws.id, teamId: team.id };
  }

  async webhooks(ws: Workspace, prefix: string, count: number): Promise<BenchWebhook[]> {
    const created = await mapLimit(Array.from({ length: count }, (_, i) => i), 16, async (i) => {
      const path = receiverPath(`${prefix}-${i}`);
      const body = await this.owner.expect<{ id: string; secret: string }>(201, 'POST', `/v1/workspaces/${ws.id}/webhooks`, {
        name: `${prefix} ${i}`,
        url: `${this.receiver.baseUrl}${path}`,
        events: ['investment.created'],
      });
      return { id: body.id, path, secret: body.secret };
    });
    await this.receiver.configure(Object.fromEntries(created.map((w) => [w.path, w.secret])));
    this.sampleWebhookId ??= created[0]?.id ?? null;
    return created;
  }

  createInvestment(ws: Workspace): Promise<{ status: number; ms: number; body: unknown }> {
    const n = ++this.investmentSeq;
    const started = performance.now();
    return this.owner
      .call('POST', `/v1/workspaces/${ws.id}/investments`, {
        name: `Bench investment ${String(n).padStart(6, '0')}`,
        teamId: ws.teamId,
        stage: 'Seed',
        amount: 1_000_000 + n,
        currency: 'USD',
      })
      .then((res) => ({ status: res.status, ms: performance.now() - started, body: res.body }))
      .catch((err: Error) => ({ status: 0, ms: performance.now() - started, body: err.message }));
  }

  /** E creates, `createInFlight` at a time (closed loop). */
  async createMany(ws: Workspace, count: number): Promise<CreateRun> {
    const run: CreateRun = { ok: 0, failed: 0, failures: [], apiLatencies: [] };
    await mapLimit(Array.from({ length: count }), settings.createInFlight, async () => this.record(run, await this.createInvestment(ws)));
    return run;
  }

  private record(run: CreateRun, res: { status: number; ms: number; body: unknown }): void {
    run.apiLatencies.push(res.ms);
    if (res.status === 201) run.ok++;
    else {
      run.failed++;
      if (run.failures.length < 5) run.failures.push(`${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    }
  }

  /** Runs one scenario with a peak-RSS window around it; an exception becomes the row's error. */
  async scenario(id: string, name: string, body: (row: ScenarioRow) => Promise<void>): Promise<void> {
    if (!only.has(id)) return;
    const row: ScenarioRow = { id, name, result: '', checks: [], rssMb: null, details: [] };
    log(`scenario ${id}: ${name} …`);
    const started = performance.now();
    this.platform.startWindow();
    this.cpu.begin();
    try {
      await body(row);
    } catch (err) {
      row.error = (err as Error).message.split('\n')[0];
      this.observations.push(`Scenario ${id} failed: ${(err as Error).stack ?? err}`);
    }
    row.rssMb = this.platform.endWindow();
    row.details.push(`CPU over the whole scenario, setup included: ${this.cpu.end()}.`);
    if (this.cpu.otherCores > OUTSIDE_LOAD_CORES) {
      this.observations.push(
        `Scenario ${id} ran with ${fmt(this.cpu.otherCores * 100)} % of a core taken by other processes: its figures are depressed by that load, not by the platform.`,
      );
    }
    this.maxRssMb = Math.max(this.maxRssMb, row.rssMb);
    row.details.push(`Platform peak RSS during the scenario: ${row.rssMb} MB. Scenario wall time ${fmt((performance.now() - started) / 1000, 1)} s.`);
    this.rows.push(row);
    log(`  ${row.error ? `ERROR ${row.error}` : row.result} (peak RSS ${row.rssMb} MB)`);
  }

  // 1 ─────────────────────────────────────────────────────────────────────────────────────────
  async rawCeiling(row: ScenarioRow): Promise<void> {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const path = receiverPath('raw');
    await this.receiver.configure({ [path]: secret });
    const template = sampleEventBody().toString('utf8');
    const body = Buffer.from(template);
    const agent = new Agent({ connections: settings.rawConnections, pipelining: 1, keepAliveTimeout: 30_000 });
    const nextId = monotonicFactory();
    const blast = async (seconds: number) => {
      let ok = 0;
      let failed = 0;
      const started = wallNow();
      const deadline = started + seconds * 1000;
      await Promise.all(
        Array.from({ length: settings.rawInFlight }, async () => {
          while (wallNow() < deadline) {
            const id = `evt_${nextId()}`;
            const timestamp = Math.floor(Date.now() / 1000);
            // The payload carries its own id, as the platform's do (the receiver checks id == webhook-id).
            const body = Buffer.from(template.replace(SAMPLE_EVENT_ID, id));
            try {
              const res = await agent.request({
                origin: this.receiver.baseUrl,
                path,
                method: 'POST',
                headers: {
                  'content-type': 'application/json',
                  'user-agent': 'Countercyclical-Webhooks/1.0',
                  'webhook-id': id,
                  'webhook-timestamp': String(timestamp),
                  'webhook-signature': signPayload([secret], id, timestamp, body),
                },
                body,
              });
              await res.body.text();
              if (res.statusCode >= 200 && res.statusCode < 300) ok++;
              else failed++;
            } catch {
              failed++;
            }
          }
        }),
      );
      return { ok, failed, seconds: (wallNow() - started) / 1000 };
    };
    await this.receiver.phase('raw-warmup', [path]);
    await blast(settings.rawWarmupSeconds);
    await this.receiver.phase('raw', [path]);
    const run = await blast(settings.rawSeconds);
    const stats = await this.receiver.stats();
    await agent.close();
    this.rawPerS = run.ok / run.seconds;
    row.result = `${fmt(this.rawPerS)} signed POST/s`;
    row.details.push(
      `${fmt(run.ok)} POSTs answered 2xx in ${fmt(run.seconds, 2)} s (${fmt(run.failed)} failed); the receiver verified ${fmt(stats.healthyUnique)} distinct signed messages, ${stats.badSignatures} bad signatures.`,
      `Body ${body.length} bytes (a real investment.created payload of this run: see scenario 2), ${settings.rawInFlight} in flight over ${settings.rawConnections} keep-alive connections, signed per request with the platform's signPayload.`,
      'The platform process was idle meanwhile (its RSS is reported for completeness).',
    );
  }

  // 2 ─────────────────────────────────────────────────────────────────────────────────────────
  /** Creates E events in a workspace of W webhooks, `failingCount` of which answer 500; waits for every healthy delivery. */
  /**
   * Scenarios 2 and 6: a steady offered load, open loop — `sustainedRate` creates/s for a warm-up
   * and then `steadySeconds` — into W webhooks. Throughput is counted in PostgreSQL, not at the
   * receiver: 2xx attempt rows written during the steady window, divided by its length. Then the
   * backlog drains; the run ends when the last attempt row is written.
   */
  async throughputRun(name: string, failingCount: number) {
    const { webhooks: W, sustainedRate: rate, warmupSeconds, steadySeconds } = settings;
    const ws = await this.workspace(`Bench ${name}`);
    const hooks = await this.webhooks(ws, name, W);
    const failing = hooks.slice(0, failingCount);
    // Half the failing URLs fail slowly (500 after slowFailureMs, holding a connection), half at once.
    const slow = failing.slice(0, Math.floor(failing.length / 2));
    if (failing.length) {
      await this.receiver.configure({}, failing.map((h) => h.path), Object.fromEntries(slow.map((h) => [h.path, settings.slowFailureMs])));
    }
    await this.receiver.phase(name, hooks.map((h) => h.path));
    const activity = new PgActivitySampler(this.activityDb, this.databaseName);
    activity.start();
    const cpu = this.cpuUsage();
    cpu.begin();
    const profileFrom = monotonicUs();
    const creates: CreateRun = { ok: 0, failed: 0, failures: [], apiLatencies: [] };
    const inFlight: Promise<void>[] = [];
    const total = rate * (warmupSeconds + steadySeconds);
    const interval = 1000 / rate;
    const t0 = wallNow();
    let issued = 0;
    let warm: { at: number; ok: number; issued: number } | null = null;
    while (issued < total) {
      const due = Math.min(total, Math.floor((wallNow() - t0) / interval) + 1);
      for (; issued < due; issued++) inFlight.push(this.createInvestment(ws).then((res) => this.record(creates, res)));
      if (!warm && wallNow() - t0 >= warmupSeconds * 1000) warm = { ...(await this.okAttemptsAt(ws.id)), issued };
      await sleep(Math.max(0, t0 + issued * interval - wallNow()));
    }
    const steadyEnd = await this.okAttemptsAt(ws.id);
    const issuedInWindow = issued - (warm?.issued ?? 0);
    await Promise.all(inFlight);
    const createsDoneAt = wallNow();
    const expected = (W - failingCount) * creates.ok;
    const awaited = await this.receiver.awaitDeliveries(expected, 180_000);
    // The clock stops when the attempt rows are written, not at the last receipt.
    const logged = await this.loggedAttempts(ws.id, expected, 60_000);
    const loggedAt = wallNow();
    const profileTo = monotonicUs();
    const pgActivity = activity.stop();
    const cpuText = cpu.end();
    const stats = awaited.stats;
    const windowS = warm ? (steadyEnd.at - warm.at) / 1000 : NaN;
    const perS = warm ? (steadyEnd.ok - warm.ok) / windowS : NaN;
    return {
      ws,
      hooks,
      failing,
      slow,
      creates,
      createsSeconds: (createsDoneAt - t0) / 1000,
      offeredCreatesPerS: issuedInWindow / windowS,
      offeredDeliveriesPerS: (issuedInWindow / windowS) * (W - failingCount),
      windowS,
      awaited,
      stats,
      logged,
      /** Seconds from the first create to the last attempt row written. */
      seconds: (loggedAt - t0) / 1000,
      drainS: (loggedAt - (t0 + (warmupSeconds + steadySeconds) * 1000)) / 1000,
      perS,
      healthyTarget: expected,
      expected,
      profileFrom,
      profileTo,
      pgActivity,
      cpuText,
    };
  }

  /** 2xx attempt rows of the workspace written so far, stamped with the middle of the query. */
  async okAttemptsAt(workspaceId: string): Promise<{ at: number; ok: number }> {
    const before = wallNow();
    const { rows } = await this.db.query<{ ok: string }>(
      `SELECT count(*) AS ok FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
       WHERE d.workspace_id = $1 AND a.response_status BETWEEN 200 AND 299`,
      [workspaceId],
    );
    return { at: (before + wallNow()) / 2, ok: Number(rows[0].ok) };
  }

  /** Attempts logged in PostgreSQL for the workspace, polled until `expected` or a deadline. */
  async loggedAttempts(workspaceId: string, expected: number, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await this.db.query<{ attempts: string; ok: string; failed: string }>(
        `SELECT count(*) AS attempts,
                count(*) FILTER (WHERE a.response_status BETWEEN 200 AND 299) AS ok,
                count(*) FILTER (WHERE a.response_status IS NULL OR a.response_status NOT BETWEEN 200 AND 299) AS failed
         FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.workspace_id = $1`,
        [workspaceId],
      );
      const r = { attempts: Number(rows[0].attempts), ok: Number(rows[0].ok), failed: Number(rows[0].failed) };
      if (r.ok >= expected || Date.now() > deadline) return r;
      await sleep(250);
    }
  }

  async deliveryStatuses(workspaceId: string): Promise<string> {
    const { rows } = await this.db.query<{ status: string; n: string }>(
      `SELECT status, count(*) AS n FROM deliveries WHERE workspace_id = $1 GROUP BY status ORDER BY status`,
      [workspaceId],
    );
    return rows.map((r) => `${r.status} ${fmt(Number(r.n))}`).join(', ') || 'none';
  }

  async sustained(row: ScenarioRow): Promise<void> {
    const { webhooks: W } = settings;
    const run = await this.throughputRun('s2', 0);
    this.profileWindow = { fromUs: run.profileFrom, toUs: run.profileTo };
    const { logged } = run;
    const statuses = await this.deliveryStatuses(run.ws.id);
    this.s2DeliveriesPerS = run.perS;
    const ratio = this.rawPerS ? run.perS / this.rawPerS : null;
    const complete = run.awaited.reached && run.creates.failed === 0 && logged.ok >= run.expected;
    row.result = `${fmt(run.perS)} deliveries/s logged over ${fmt(run.windowS, 1)} s at an offered ${fmt(run.offeredDeliveriesPerS)}/s${ratio === null ? '' : ` (${fmt(ratio, 2)} × raw)`}${complete ? '' : ` — only ${fmt(logged.ok)} of ${fmt(run.expected)} logged`}`;
    row.checks.push(
      { target: `≥ ${fmt(TARGETS.sustainedPerS)}/s`, verdict: verdict(complete && run.perS >= TARGETS.sustainedPerS) },
      { target: `≥ ${TARGETS.sustainedRatio} × raw`, verdict: verdict(ratio === null ? null : complete && ratio >= TARGETS.sustainedRatio) },
    );
    row.details.push(
      `Offered load, open loop: ${fmt(settings.sustainedRate)} creates/s × ${W} webhooks for ${settings.warmupSeconds} s of warm-up, then ${settings.steadySeconds} s measured (offered in the window: ${fmt(run.offeredCreatesPerS, 1)} creates/s = ${fmt(run.offeredDeliveriesPerS)} deliveries/s).`,
      `Throughput = 2xx delivery_attempts rows written during the measured window ÷ its length (${fmt(run.windowS, 2)} s): ${fmt(run.perS)}/s. The platform ${run.perS >= run.offeredDeliveriesPerS * 0.98 ? 'kept up with' : 'fell behind'} the offered load.`,
      `${fmt(run.creates.ok)} creates answered 201 (${run.creates.failed} failed; API p50 ${fmt(summarize(run.creates.apiLatencies).p50, 1)} ms, p99 ${fmt(summarize(run.creates.apiLatencies).p99, 1)} ms). The backlog drained ${fmt(Math.max(0, run.drainS), 1)} s after the offered load stopped (last attempt row written ${fmt(run.seconds, 1)} s after the first create).`,
      `${fmt(run.stats.healthyUnique)} of ${fmt(run.expected)} deliveries received and verified (${run.stats.duplicates} duplicates, ${run.stats.badSignatures} bad signatures, ${run.stats.idMismatches} payload ids ≠ webhook-id${run.awaited.reached ? '' : '; TIMED OUT waiting for the rest'}).`,
      `delivery_attempts rows for the workspace: ${fmt(logged.attempts)} (${fmt(logged.ok)} 2xx, ${fmt(logged.failed)} other) for ${fmt(run.expected)} deliveries; deliveries by status: ${statuses}.`,
      `Delivery latency (receipt − createdAt) under this load, backlog included: ${latencyText(summarize((await this.receiver.stats(true)).latencies ?? []))}.`,
      `A real delivery body of this run: ${run.stats.bodyBytes} bytes (the raw ceiling's: ${sampleEventBody().length} bytes).`,
      `The platform's PostgreSQL sessions meanwhile: ${run.pgActivity}.`,
      `CPU from the first create to the last attempt row: ${run.cpuText}.`,
    );
    if (run.creates.failures.length) this.observations.push(`Scenario 2: create failures, e.g. ${run.creates.failures.join('; ')}`);
    if (!run.awaited.reached) this.observations.push(`Scenario 2: only ${run.stats.healthyUnique} of ${run.expected} deliveries arrived in time.`);
    if (logged.ok < run.expected) this.observations.push(`Scenario 2: only ${logged.ok} successful attempts logged in delivery_attempts for ${run.expected} deliveries.`);
    if (run.stats.duplicates) this.observations.push(`Scenario 2: ${run.stats.duplicates} duplicate deliveries (at-least-once) received.`);
    if (run.stats.idMismatches) this.observations.push(`Scenario 2: ${run.stats.idMismatches} payloads whose id differs from webhook-id.`);
  }

  // 3 and 5 ───────────────────────────────────────────────────────────────────────────────────
  /** Offered load: `rate` creates/s, open loop, for `seconds`; latency of every delivery. */
  async latencyRun(phase: string): Promise<{ summary: LatencySummary; details: string[]; complete: boolean; drainS: number }> {
    if (!this.latencyWorkspace) {
      this.latencyWorkspace = await this.workspace('Bench latency');
      this.latencyWebhooks = await this.webhooks(this.latencyWorkspace, 'lat', settings.latencyWebhooks);
    }
    const ws = this.latencyWorkspace;
    const { latencyRate: rate, latencySeconds: seconds, latencyWebhooks: W } = settings;
    await this.receiver.phase(phase, this.latencyWebhooks.map((h) => h.path));
    const total = rate * seconds;
    const interval = 1000 / rate;
    const run: CreateRun = { ok: 0, failed: 0, failures: [], apiLatencies: [] };
    const inFlight: Promise<void>[] = [];
    const activity = new PgActivitySampler(this.activityDb, this.databaseName);
    activity.start();
    const cpu = this.cpuUsage();
    cpu.begin();
    const started = wallNow();
    let issued = 0;
    let lastIssuedAt = started;
    while (issued < total) {
      const due = Math.min(total, Math.floor((wallNow() - started) / interval) + 1);
      for (; issued < due; issued++) inFlight.push(this.createInvestment(ws).then((res) => this.record(run, res)));
      lastIssuedAt = wallNow();
      await sleep(Math.max(0, started + issued * interval - wallNow()));
    }
    await Promise.all(inFlight);
    const offeredRate = total / Math.max(0.001, (lastIssuedAt - started) / 1000 + 1 / rate);
    const createsDoneAt = wallNow();
    const awaited = await this.receiver.awaitDeliveries(W * run.ok, 60_000);
    const pgActivity = activity.stop();
    const cpuText = cpu.end();
    const breakdown = await this.latencyBreakdown(ws.id, started);
    const stats = await this.receiver.stats(true);
    const summary = summarize(stats.latencies ?? []);
    const complete = awaited.reached && run.failed === 0;
    const api = summarize(run.apiLatencies);
    if (!awaited.reached) this.observations.push(`Latency run ${phase}: only ${stats.healthyUnique} of ${W * run.ok} deliveries arrived within 60 s of the last create.`);
    if (run.failures.length) this.observations.push(`Latency run ${phase}: create failures, e.g. ${run.failures.join('; ')}`);
    // A receipt can beat the last create's response: clamp to 0.
    const drainS = Math.max(0, ((stats.lastAt ?? NaN) - createsDoneAt) / 1000);
    return {
      summary,
      complete,
      drainS,
      details: [
        `Offered ${fmt(offeredRate, 1)} creates/s for ${seconds} s × ${W} webhooks = ${fmt(offeredRate * W)} deliveries/s; ${fmt(run.ok)} creates answered 201, ${run.failed} failed (API p50 ${fmt(api.p50, 1)} ms, p99 ${fmt(api.p99, 1)} ms).`,
        `${fmt(stats.healthyUnique)} of ${fmt(W * total)} deliveries received (${stats.duplicates} duplicates, ${stats.badSignatures} bad signatures); receipt − createdAt: ${latencyText(summary)}.`,
        `The last delivery arrived ${fmt(drainS, 1)} s after the last create was answered${drainS > 1 ? ' (the platform did not keep up with the offered load: these latencies are mostly queueing)' : ''}; deliveries/s actually achieved over the run: ${fmt(stats.healthyUnique / (((stats.lastAt ?? NaN) - started) / 1000))}.`,
        breakdown,
        `The platform's PostgreSQL sessions meanwhile: ${pgActivity}.`,
        `CPU from the first create to the last receipt: ${cpuText}.`,
      ],
    };
  }

  async latency(row: ScenarioRow): Promise<void> {
    const { summary, details, complete, drainS } = await this.latencyRun('lat3');
    this.latency3 = summary;
    row.result = `p50 ${fmt(summary.p50, 1)} ms, p95 ${fmt(summary.p95, 1)} ms, p99 ${fmt(summary.p99, 1)} ms${drainS > 1 ? ' (saturated)' : ''}`;
    row.checks.push(
      { target: `p50 ≤ ${TARGETS.p50Ms} ms`, verdict: verdict(complete && summary.p50 <= TARGETS.p50Ms) },
      { target: `p99 ≤ ${TARGETS.p99Ms} ms`, verdict: verdict(complete && summary.p99 <= TARGETS.p99Ms) },
    );
    row.details.push(...details);
  }

  // 4 ─────────────────────────────────────────────────────────────────────────────────────────
  async fanOut(row: ScenarioRow): Promise<void> {
    const N = settings.fanOutWebhooks;
    const ws = await this.workspace('Bench fan-out');
    const setupStarted = performance.now();
    const hooks = await this.webhooks(ws, 'fan', N);
    const setupS = (performance.now() - setupStarted) / 1000;
    const times: number[] = [];
    const notes: string[] = [];
    for (let run = 1; run <= settings.fanOutRuns; run++) {
      await this.receiver.phase(`fan${run}`, hooks.map((h) => h.path));
      const t0 = wallNow();
      const res = await this.createInvestment(ws);
      if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
      const awaited = await this.receiver.awaitDeliveries(N, 30_000);
      const ms = (awaited.stats.lastAt ?? wallNow()) - t0;
      times.push(awaited.reached ? ms : Infinity);
      notes.push(
        `run ${run}: ${fmt(awaited.stats.healthyUnique)}/${fmt(N)} in ${fmt(ms)} ms (first receipt after ${fmt((awaited.stats.firstAt ?? NaN) - t0)} ms, create answered in ${fmt(res.ms, 1)} ms)`,
      );
      if (!awaited.reached) this.observations.push(`Fan-out run ${run}: only ${awaited.stats.healthyUnique} of ${N} deliveries within 30 s.`);
      await sleep(500);
    }
    const mid = median(times);
    row.result = `${Number.isFinite(mid) ? `${fmt(mid)} ms` : 'incomplete'} to the last of ${fmt(N)} receipts (median of ${times.length})`;
    row.checks.push({ target: `≤ ${fmt(TARGETS.fanOutMs)} ms`, verdict: verdict(mid <= TARGETS.fanOutMs) });
    row.details.push(`${fmt(N)} webhooks created through the API in ${fmt(setupS, 1)} s.`, `Runs: ${notes.join('; ')}.`);
  }

  // 5 ─────────────────────────────────────────────────────────────────────────────────────────
  async catalogue(row: ScenarioRow): Promise<void> {
    if (!this.latency3) throw new Error('needs scenario 3 in the same run');
    const { catalogueWebhooks: total, catalogueWorkspaces: count } = settings;
    const perWorkspace = Math.ceil(total / count);
    const workspaces = await mapLimit(Array.from({ length: count }, (_, i) => i), 16, async (i) =>
      this.owner.expect<{ id: string }>(201, 'POST', '/v1/workspaces', { name: `Bench catalogue ${i}` }),
    );
    const path = receiverPath('catalogue');
    const { rows: source } = await this.db.query<{ id: string; secrets: unknown }>(`SELECT id, secrets FROM webhooks WHERE id = $1`, [this.sampleWebhookId]);
    if (!source.length) throw new Error('no webhook row to copy secrets from');
    const started = performance.now();
    // Enabled and subscribed to every type, but in other workspaces: fan-out in the measured workspace must not see them.
    const inserted = await this.db.query(
      `INSERT INTO webhooks (workspace_id, name, url, events, enabled, created_by_id, secrets)
       SELECT w.id, 'catalogue ' || g, $2, $3::text[], true, $4, $5::jsonb
       FROM unnest($1::uuid[]) AS w(id), generate_series(1, $6::int) AS g`,
      [workspaces.map((w) => w.id), `${this.receiver.baseUrl}${path}`, EVENT_TYPES, this.ownerId, JSON.stringify(source[0].secrets), perWorkspace],
    );
    await this.db.query('ANALYZE webhooks');
    const { rows: totals } = await this.db.query<{ n: string; measured: string }>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE workspace_id = $1 AND enabled AND 'investment.created' = ANY(events)) AS measured FROM webhooks`,
      [this.latencyWorkspace!.id],
    );
    row.details.push(
      `${fmt(inserted.rowCount ?? 0)} webhooks inserted by SQL into ${count} other workspaces in ${fmt((performance.now() - started) / 1000, 1)} s, then ANALYZE; the table now holds ${fmt(Number(totals[0].n))} webhooks, ${totals[0].measured} of them subscribed and enabled in the measured workspace.`,
    );
    const { summary, details, complete, drainS } = await this.latencyRun('lat5');
    const base = this.latency3;
    const close = (now: number, before: number) => now <= Math.max(before * (1 + TARGETS.catalogueTolerance), before + TARGETS.catalogueSlackMs);
    row.result = `p50 ${fmt(summary.p50, 1)} ms, p95 ${fmt(summary.p95, 1)} ms, p99 ${fmt(summary.p99, 1)} ms (scenario 3: ${fmt(base.p50, 1)} / ${fmt(base.p95, 1)} / ${fmt(base.p99, 1)})${drainS > 1 ? ' (saturated)' : ''}`;
    row.checks.push({ target: '≈ scenario 3', verdict: verdict(complete && close(summary.p50, base.p50) && close(summary.p99, base.p99)) });
    row.details.push(...details);
  }

  // 6 ─────────────────────────────────────────────────────────────────────────────────────────
  async retryStorm(row: ScenarioRow): Promise<void> {
    const { webhooks: W } = settings;
    const failingCount = Math.max(1, Math.round(W * settings.failingShare));
    const run = await this.throughputRun('s6', failingCount);
    const { logged } = run;
    const statuses = await this.deliveryStatuses(run.ws.id);
    // The failing URLs' deliveries would keep failing (the slow ones at 5/s each) through scenarios
    // 7–10: deleting the webhooks deletes their unfinished deliveries with them.
    await this.deleteWebhooks(run.ws, run.failing);
    const complete = run.awaited.reached && run.creates.failed === 0 && logged.ok >= run.expected;
    const vs = this.s2DeliveriesPerS ? run.perS / this.s2DeliveriesPerS : null;
    const healthyShare = (W - failingCount) / W;
    // Compared with scenario 2 scaled to the healthy share of the same offered load.
    const vsHealthy = vs === null ? null : vs / healthyShare;
    const retries = run.stats.retriedRequests;
    row.result = `${fmt(run.perS)} healthy deliveries/s logged (${vsHealthy === null ? '?' : fmt(vsHealthy * 100)} % of scenario 2 × ${fmt(healthyShare, 2)}); ${fmt(retries)} retries received`;
    row.checks.push({
      target: `within ${TARGETS.stormTolerance * 100} % of scenario 2 (healthy share), with retries`,
      verdict: verdict(vsHealthy === null ? null : complete && retries > 0 && vsHealthy >= 1 - TARGETS.stormTolerance),
    });
    row.details.push(
      `${W} webhooks, ${failingCount} answering 500: ${run.slow.length} after ${fmt(settings.slowFailureMs)} ms (slow failures), ${failingCount - run.slow.length} at once; WEBHOOK_RETRY_SCHEDULE=${settings.retrySchedule}, so failing deliveries are retried within the window; the platform restarted with WEBHOOK_CIRCUIT_FAILURES=0 (no circuit breaker: every retry is sent).`,
      `Offered ${fmt(run.offeredCreatesPerS, 1)} creates/s × ${W} webhooks (${fmt(run.offeredDeliveriesPerS)} healthy deliveries/s) for ${settings.warmupSeconds} s + ${settings.steadySeconds} s; ${fmt(run.creates.ok)} creates answered 201 (${run.creates.failed} failed).`,
      `Healthy throughput = 2xx attempt rows written in the measured window (${fmt(run.windowS, 2)} s): ${fmt(run.perS)}/s; the last attempt row was written ${fmt(Math.max(0, run.drainS), 1)} s after the offered load stopped.`,
      `The failing URLs got ${fmt(run.stats.failedRequests)} requests answered 500, ${fmt(retries)} of them retries of a message already failed once; ${run.stats.duplicates} duplicates, ${run.stats.badSignatures} bad signatures, ${run.stats.idMismatches} payload ids ≠ webhook-id.`,
      `delivery_attempts rows for the workspace: ${fmt(logged.attempts)} (${fmt(logged.ok)} 2xx, ${fmt(logged.failed)} failed); deliveries by status: ${statuses}. The failing webhooks were then deleted, and their unfinished deliveries with them, so that their retries do not run on under the later scenarios.`,
      `The platform's PostgreSQL sessions meanwhile: ${run.pgActivity}.`,
      `CPU from the first create to the last attempt row: ${run.cpuText}.`,
    );
    if (!run.awaited.reached) this.observations.push(`Scenario 6: only ${run.stats.healthyUnique} of ${run.healthyTarget} healthy deliveries in time.`);
    if (!retries) this.observations.push('Scenario 6: no retry reached the failing URLs within the run: the storm was not a storm.');
  }

  /** Deletes webhooks (and so their unfinished deliveries), as a client would: a 503 is tried again. */
  async deleteWebhooks(ws: Workspace, hooks: BenchWebhook[]): Promise<void> {
    for (const hook of hooks) {
      for (let attempt = 1; ; attempt++) {
        const res = await this.owner.call('DELETE', `/v1/workspaces/${ws.id}/webhooks/${hook.id}`);
        if (res.status === 204) break;
        if (res.status !== 503 || attempt === 5) throw new Error(`DELETE webhook ${hook.id}: ${res.status} ${JSON.stringify(res.body)}`);
        this.observations.push(`DELETE of a webhook answered 503 (${JSON.stringify(res.body)}) and was tried again.`);
      }
    }
  }

  /** Restarts the platform with `extra` settings (same database, queue prefix and port). */
  async restartPlatform(extra: Record<string, string>): Promise<void> {
    await this.platform.stop();
    this.platformEnv = { ...this.platformEnv, ...extra };
    this.platform = new PlatformProcess({
      root: ROOT,
      port: Number(new URL(this.platform.baseUrl).port),
      env: { ...this.platformEnv, WEBHOOK_SECRET_KEY: this.secretKey },
      nodeFlags: profiling ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [],
    });
    await this.platform.start();
    log(`platform restarted (pid ${this.platform.pid}) with ${Object.entries(extra).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  }

  /** The raw ceiling of this run: scenario 1's, or measured now when scenario 1 was not selected. */
  async ensureRaw(): Promise<number> {
    if (this.rawPerS === null) {
      const scratch: ScenarioRow = { id: '1', name: 'raw', result: '', checks: [], rssMb: null, details: [] };
      await this.rawCeiling(scratch);
      this.observations.push(`Raw ceiling measured for the ratios of scenarios 9 and 10 (scenario 1 not selected): ${scratch.result}.`);
    }
    return this.rawPerS!;
  }

  async attemptErrors(workspaceId: string): Promise<Record<string, number>> {
    const { rows } = await this.db.query<{ error: string; n: string }>(
      `SELECT a.error, count(*) AS n FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
       WHERE d.workspace_id = $1 AND a.error IS NOT NULL GROUP BY a.error`,
      [workspaceId],
    );
    return Object.fromEntries(rows.map((r) => [r.error, Number(r.n)]));
  }

  // 7 ─────────────────────────────────────────────────────────────────────────────────────────
  async slowOrigin(row: ScenarioRow): Promise<void> {
    const { slowOriginWebhooks: W, slowOriginEvents: E, slowOriginAnswerMs: answerMs } = settings;
    const ws = await this.workspace('Bench slow origin');
    const hooks = await this.webhooks(ws, 'slow', W);
    await this.receiver.configure({}, [], {}, { answerSlowlyMs: Object.fromEntries(hooks.map((h) => [h.path, answerMs])) });
    await this.receiver.phase('slow', hooks.map((h) => h.path));
    const t0 = wallNow();
    const creates = await this.createMany(ws, E);
    const expected = W * creates.ok;
    const awaited = await this.receiver.awaitDeliveries(expected, 180_000);
    const logged = await this.loggedAttempts(ws.id, expected, 60_000);
    const seconds = (wallNow() - t0) / 1000;
    const errors = await this.attemptErrors(ws.id);
    const timeouts = errors.timeout ?? 0;
    const stats = awaited.stats;
    const duplicates = stats.duplicates;
    const connections = Number(this.platformEnv.WEBHOOK_CONNECTIONS_PER_ORIGIN ?? 256);
    const paced = (expected * answerMs) / 1000 / (connections - Math.floor(connections / 8));
    row.result = `${timeouts} timeouts, ${duplicates} duplicates; ${fmt(stats.healthyUnique)} of ${fmt(expected)} delivered in ${fmt(seconds, 1)} s`;
    row.checks.push(
      { target: '0 timeouts', verdict: verdict(awaited.reached && timeouts === 0) },
      { target: '0 duplicates', verdict: verdict(awaited.reached && duplicates === 0 && logged.attempts === expected) },
    );
    row.details.push(
      `${W} webhooks on one receiver origin, each answering 200 after ${answerMs} ms; ${fmt(creates.ok)} creates (${creates.failed} failed) → ${fmt(expected)} deliveries; WEBHOOK_TIMEOUT_MS=2000, ${connections} connections per origin (a workspace may hold 7/8 of them), default maxConcurrency 10 per webhook (${W * 10} wanted at once).`,
      `delivery_attempts rows: ${fmt(logged.attempts)} (${fmt(logged.ok)} 2xx); errors by kind: ${JSON.stringify(errors)}; the receiver counted ${fmt(stats.requests)} requests, ${duplicates} duplicates.`,
      `Paced by the pool: the floor is about ${fmt(paced, 1)} s (deliveries × ${answerMs} ms ÷ ${connections - Math.floor(connections / 8)} connections); measured ${fmt(seconds, 1)} s from the first create to the last attempt row.`,
    );
  }

  /** Open loop: `rate` creates/s into `ws` for `seconds`; the latency summary of every delivery to `hooks`. */
  async openLoop(ws: Workspace, hooks: BenchWebhook[], phase: string, rate: number, seconds: number) {
    await this.receiver.phase(phase, hooks.map((h) => h.path));
    const run: CreateRun = { ok: 0, failed: 0, failures: [], apiLatencies: [] };
    const inFlight: Promise<void>[] = [];
    const total = Math.round(rate * seconds);
    const interval = 1000 / rate;
    const started = wallNow();
    let issued = 0;
    while (issued < total) {
      const due = Math.min(total, Math.floor((wallNow() - started) / interval) + 1);
      for (; issued < due; issued++) inFlight.push(this.createInvestment(ws).then((res) => this.record(run, res)));
      await sleep(Math.max(0, started + issued * interval - wallNow()));
    }
    await Promise.all(inFlight);
    const awaited = await this.receiver.awaitDeliveries(hooks.length * run.ok, 60_000);
    const stats = await this.receiver.stats(true);
    return { run, reached: awaited.reached, stats, summary: summarize(stats.latencies ?? []), offered: (total * hooks.length) / seconds };
  }

  // 8 ─────────────────────────────────────────────────────────────────────────────────────────
  async noisyNeighbour(row: ScenarioRow): Promise<void> {
    const { noisyHangingWebhooks: AW, noisyDeliveries, quietWebhooks: BW, quietRate, quietSeconds } = settings;
    const b = await this.workspace('Bench quiet');
    const bHooks = await this.webhooks(b, 'quiet', BW);
    const a = await this.workspace('Bench noisy');
    const aHooks = await this.webhooks(a, 'noisy', AW);
    await this.receiver.configure({}, [], {}, { hanging: aHooks.map((h) => h.path) });
    const base = await this.openLoop(b, bHooks, 'quiet-baseline', quietRate, quietSeconds);

    // A's backlog first (its creates are API load, not the noise measured here): every delivery
    // hangs until the timeout, then is retried (WEBHOOK_RETRY_SCHEDULE); B is measured while A's
    // deliveries are in flight and waiting.
    const aEvents = Math.ceil(noisyDeliveries / AW);
    const aCreates = await this.createMany(a, aEvents);
    const noisyStarted = wallNow();
    const noisy = await this.openLoop(b, bHooks, 'quiet-noisy', quietRate, quietSeconds);
    const { rows } = await this.db.query<{ unfinished: string; attempts: string }>(
      `SELECT (SELECT count(*) FROM deliveries WHERE workspace_id = $1 AND status IN ('pending', 'retrying')) AS unfinished,
              (SELECT count(*) FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.workspace_id = $1) AS attempts`,
      [a.id],
    );
    const noisySeconds = (wallNow() - noisyStarted) / 1000;
    // Stop A: deleting its webhooks deletes their unfinished deliveries at once (paused ones would be
    // cancelled one by one during scenario 9); attempts in flight end at the timeout.
    await this.deleteWebhooks(a, aHooks);
    await sleep(2_500);
    const ratio = noisy.summary.p99 / base.summary.p99;
    const complete = base.reached && noisy.reached && base.run.failed === 0 && noisy.run.failed === 0;
    row.result = `B's p99 ${fmt(noisy.summary.p99, 1)} ms with A noisy vs ${fmt(base.summary.p99, 1)} ms alone (${fmt(ratio, 2)}×); p50 ${fmt(noisy.summary.p50, 1)} vs ${fmt(base.summary.p50, 1)} ms`;
    row.checks.push({ target: `B's p99 ≤ ${TARGETS.noisyP99Factor}× baseline`, verdict: verdict(complete && ratio <= TARGETS.noisyP99Factor) });
    row.details.push(
      `B: ${quietRate} creates/s × ${BW} webhooks for ${quietSeconds} s, open loop, alone (${latencyText(base.summary)}) and again while A bursts (${latencyText(noisy.summary)}); ${noisy.stats.duplicates} duplicates.`,
      `A: ${AW} webhooks on the same receiver origin that never answer (each attempt ends at WEBHOOK_TIMEOUT_MS=2000, then is retried), ${fmt(aCreates.ok)} creates → ${fmt(aCreates.ok * AW)} deliveries, created just before B's measured load starts; after ${fmt(noisySeconds, 1)} s A had ${fmt(Number(rows[0].unfinished))} deliveries unfinished and ${fmt(Number(rows[0].attempts))} attempts logged.`,
      'The circuit breaker is off for scenarios 7–10 (WEBHOOK_CIRCUIT_FAILURES=0): A keeps its full share of hanging attempts, so this measures the scheduling (per-webhook, per-workspace and per-origin caps, round-robin between workspaces), not the breaker.',
    );
  }

  // 9 ─────────────────────────────────────────────────────────────────────────────────────────
  async engineDrain(row: ScenarioRow): Promise<void> {
    const raw = await this.ensureRaw();
    const { drainEvents: E, drainWebhooks: W } = settings;
    const ws = await this.workspace('Bench drain');
    const hooks = await this.webhooks(ws, 'drain', W);
    await this.receiver.phase('drain', hooks.map((h) => h.path));
    const nextId = monotonicFactory();
    const now = new Date().toISOString();
    const ids = Array.from({ length: E }, () => `evt_${nextId()}`);
    const data = ids.map((_, i) =>
      JSON.stringify({
        object: {
          id: randomUUID(),
          workspaceId: ws.id,
          name: `Drain investment ${i}`,
          teamId: ws.teamId,
          stage: 'Seed',
          status: 'active',
          amount: 1_000_000 + i,
          currency: 'USD',
          createdAt: now,
          updatedAt: now,
        },
      }),
    );
    const actor = JSON.stringify({ type: 'user', id: this.ownerId });
    const cpu = this.cpuUsage();
    cpu.begin();
    const activity = new PgActivitySampler(this.activityDb, this.databaseName);
    activity.start();
    // One transaction, as the API's publisher writes them: the relay finds them on its next sweep.
    const t0 = wallNow();
    await this.db.query(
      `INSERT INTO events (id, type, workspace_id, actor, data, pending_subscribers)
       SELECT id, 'investment.created', $2::uuid, $3::jsonb, d::jsonb, ARRAY[$4::text] FROM unnest($1::text[], $5::text[]) AS x(id, d)`,
      [ids, ws.id, actor, FANOUT_SUBSCRIBER, data],
    );
    const expected = E * W;
    const awaited = await this.receiver.awaitDeliveries(expected, 300_000);
    const logged = await this.loggedAttempts(ws.id, expected, 60_000);
    const seconds = (wallNow() - t0) / 1000;
    const pg = activity.stop();
    const cpuText = cpu.end();
    const perS = logged.ok / seconds;
    const ratio = perS / raw;
    row.result = `${fmt(perS)} deliveries/s (${fmt(ratio, 2)} × raw ${fmt(raw)}/s); ${fmt(logged.ok)} of ${fmt(expected)} in ${fmt(seconds, 1)} s`;
    row.checks.push({ target: `≥ ${TARGETS.drainRatio} × raw`, verdict: verdict(awaited.reached && logged.ok >= expected && ratio >= TARGETS.drainRatio) });
    row.details.push(
      `${fmt(E)} investment.created events inserted into the outbox in one statement (what the API's publisher writes), for ${W} webhooks; clock from the insert to the last 2xx attempt row (the relay's 1 s sweep included).`,
      `Receiver: ${fmt(awaited.stats.healthyUnique)} distinct deliveries, ${awaited.stats.duplicates} duplicates, ${awaited.stats.badSignatures} bad signatures; attempt rows ${fmt(logged.attempts)}.`,
      `The platform's PostgreSQL sessions meanwhile: ${pg}.`,
      `CPU from the insert to the last attempt row: ${cpuText}.`,
    );
  }

  // 10 ────────────────────────────────────────────────────────────────────────────────────────
  /**
   * Where a delivery's time went, from the platform's own timestamps, for the events of `workspaceId`
   * created since `sinceMs` (wall clock): create → relayed, → delivery row inserted by fan-out,
   * → attempt started, and the attempt's duration (the receiver answers at once: what is left is the
   * platform's own event loop).
   */
  async latencyBreakdown(workspaceId: string, sinceMs: number): Promise<string> {
    const { rows } = await this.db.query<{ relay: number[]; fanout: number[]; start: number[]; post: number[] }>(
      `WITH x AS (
         SELECT extract(epoch FROM e.relayed_at - e.created_at) * 1000 AS relay,
                extract(epoch FROM d.created_at - e.created_at) * 1000 AS fanout,
                extract(epoch FROM a.started_at - d.created_at) * 1000 AS start,
                a.duration_ms AS post
         FROM events e JOIN deliveries d ON d.event_id = e.id JOIN delivery_attempts a ON a.delivery_id = d.id AND a.number = 1
         WHERE e.workspace_id = $1 AND e.created_at >= to_timestamp($2::double precision / 1000))
       SELECT percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY relay) AS relay,
              percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY fanout) AS fanout,
              percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY start) AS start,
              percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY post) AS post
       FROM x`,
      [workspaceId, sinceMs],
    );
    const r = rows[0];
    if (!r?.relay) return 'Platform-side breakdown: no attempt rows found.';
    const pair = (v: number[]) => `${fmt(v[0], 1)} / ${fmt(v[1], 1)} ms`;
    return `Platform-side breakdown (p50 / p99; the platform's timestamps): create → relayed ${pair(r.relay)}; create → delivery row inserted by fan-out ${pair(r.fanout)}; inserted → first attempt started ${pair(r.start)}; the attempt's own duration (the receiver answers at once) ${pair(r.post)}.`;
  }

  async steadyLatency(row: ScenarioRow): Promise<void> {
    const raw = await this.ensureRaw();
    const { steadyShare, steadyWebhooks: W, steadyLatencySeconds: seconds } = settings;
    const ws = await this.workspace('Bench steady');
    const hooks = await this.webhooks(ws, 'steady', W);
    const rate = Math.max(1, (raw * steadyShare) / W);
    const cpu = this.cpuUsage();
    cpu.begin();
    const startedAt = wallNow();
    const run = await this.openLoop(ws, hooks, 'steady', rate, seconds);
    const cpuText = cpu.end();
    const breakdown = await this.latencyBreakdown(ws.id, startedAt);
    const s = run.summary;
    const complete = run.reached && run.run.failed === 0;
    row.result = `p50 ${fmt(s.p50, 1)} ms, p95 ${fmt(s.p95, 1)} ms, p99 ${fmt(s.p99, 1)} ms at ${fmt(run.offered)} deliveries/s offered`;
    row.checks.push(
      { target: `p50 ≤ ${TARGETS.steadyP50Ms} ms`, verdict: verdict(complete && s.p50 <= TARGETS.steadyP50Ms) },
      { target: `p99 ≤ ${TARGETS.steadyP99Ms} ms`, verdict: verdict(complete && s.p99 <= TARGETS.steadyP99Ms) },
    );
    row.details.push(
      `${fmt(rate, 1)} creates/s × ${W} webhooks = ${fmt(run.offered)} deliveries/s (${steadyShare * 100} % of the raw ${fmt(raw)}/s) for ${seconds} s through the API, open loop; receipt − createdAt: ${latencyText(s)}.`,
      `${fmt(run.run.ok)} creates (${run.run.failed} failed; API p50 ${fmt(summarize(run.run.apiLatencies).p50, 1)} ms, p99 ${fmt(summarize(run.run.apiLatencies).p99, 1)} ms); ${run.stats.duplicates} duplicates.`,
      breakdown,
      `CPU over the run: ${cpuText}.`,
    );
  }

  rssRow(): void {
    if (!this.rows.length) return;
    this.rows.push({
      id: '—',
      name: 'Platform memory',
      result: `peak RSS ${this.maxRssMb} MB over all scenarios`,
      checks: [{ target: `≤ ${TARGETS.rssMb} MB`, verdict: verdict(this.maxRssMb <= TARGETS.rssMb) }],
      rssMb: this.maxRssMb,
      details: ['The highest per-scenario peak above (VmHWM reset at each scenario start, and VmRSS sampled every 200 ms).'],
    });
  }

  /** Stops everything this run started and removes its database and queue keys. */
  async teardown(): Promise<void> {
    await this.api?.close().catch(() => undefined);
    await this.db?.end().catch(() => undefined);
    await this.activityDb?.end().catch(() => undefined);
    const exit = await this.platform?.stop().catch(() => null);
    if (this.platform?.logLineCount) {
      this.observations.push(
        `The platform logged ${this.platform.logLineCount} warning/error line(s) (LOG_LEVEL=warn); first ones: ${this.platform.logLines.slice(0, 5).map((l) => `\`${l.slice(0, 300)}\``).join(' ')}`,
      );
    }
    log(`platform stopped (${exit ?? 'not running'})`);
    this.receiver.stop();
    const admin = new Client({ connectionString: 'postgres://postgres:postgres@127.0.0.1:5432/postgres' });
    try {
      await admin.connect();
      if (process.env.BENCH_KEEP_DATABASE === '1') log(`database ${this.databaseName} kept (BENCH_KEEP_DATABASE=1): drop it when done`);
      else await admin.query(`DROP DATABASE IF EXISTS "${this.databaseName}" WITH (FORCE)`);
    } catch (err) {
      log(`could not drop ${this.databaseName}: ${(err as Error).message}`);
    } finally {
      await admin.end().catch(() => undefined);
    }
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${this.queuePrefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    } catch (err) {
      log(`could not remove the queue keys ${this.queuePrefix}:*: ${(err as Error).message}`);
    } finally {
      redis.disconnect();
    }
  }
}

function latencyText(s: LatencySummary): string {
  return s.count
    ? `p50 ${fmt(s.p50, 1)} ms, p95 ${fmt(s.p95, 1)} ms, p99 ${fmt(s.p99, 1)} ms, max ${fmt(s.max, 1)} ms (n = ${fmt(s.count)})`
    : 'no samples';
}

const SAMPLE_EVENT_ID = 'evt_01KB2Q5Z8N6C3M0T9V4XJ7R2HD';

/** An investment.created payload shaped like the platform's (delivery.md "Payload"). */
function sampleEventBody(): Buffer {
  const now = new Date().toISOString();
  const workspaceId = '0b7d4c1e-8a8f-4a55-9e52-2f7c1d9b6a11';
  return Buffer.from(
    JSON.stringify({
      id: SAMPLE_EVENT_ID,
      type: 'investment.created',
      createdAt: now,
      workspaceId,
      actor: { type: 'user', id: 'c2a9f3e4-5b6d-4e7f-8a9b-0c1d2e3f4a5b' },
      data: {
        object: {
          id: '7f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0',
          workspaceId,
          name: 'Bench investment 000001',
          teamId: '3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7',
          stage: 'Seed',
          status: 'active',
          amount: 1000001,
          currency: 'USD',
          createdAt: now,
          updatedAt: now,
        },
      },
    }),
  );
}

function log(message: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

function machineInfo(postgres: string, redis: string): MachineInfo {
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    // keep os.cpus()
  }
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    cpuModel = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpuModel;
  } catch {
    // not Linux
  }
  return { nproc, memoryGiB: totalmem() / 1024 ** 3, cpuModel, node: process.version, postgres, redis, os: `${type()} ${release()}` };
}

async function serviceVersions(): Promise<{ postgres: string; redis: string }> {
  const pg = new Client({ connectionString: 'postgres://postgres:postgres@127.0.0.1:5432/postgres' });
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await pg.connect();
    const { rows } = await pg.query<{ v: string }>("SELECT current_setting('server_version') AS v");
    await redis.connect();
    const info = await redis.info('server');
    return { postgres: `PostgreSQL ${rows[0].v.split(' ')[0]}`, redis: /redis_version:(\S+)/.exec(info)?.[1] ?? '?' };
  } finally {
    await pg.end().catch(() => undefined);
    redis.disconnect();
  }
}

function sourceInfo(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'migrations'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return `commit ${commit}${dirty ? ` plus uncommitted changes in ${dirty.split('\n').length} file(s) of src/ or migrations/` : ', src/ and migrations/ clean'}`;
  } catch {
    return 'not a git checkout';
  }
}

const QUIET_BUSY = 0.15;

/** The machine's load before the run; with BENCH_WAIT_QUIET=<s>, waits up to that long for it to fall below 15 %. */
async function quietMachine(): Promise<number> {
  const waitS = Number(process.env.BENCH_WAIT_QUIET ?? 0) || 0;
  const deadline = Date.now() + waitS * 1000;
  for (let i = 0; ; i++) {
    const busy = await machineBusy(2000);
    const done = !(busy > QUIET_BUSY) || Date.now() >= deadline;
    if (done || i % 15 === 0) log(`machine busy ${fmt(busy * 100)} % before the run${done ? '' : '; waiting for it to quieten (BENCH_WAIT_QUIET)'}`);
    if (done) return busy;
  }
}

function commandLine(): string {
  const knobs = ['BENCH_QUIET_SECONDS', 'BENCH_STEADY_LATENCY_SECONDS', 'BENCH_SUSTAINED_RATE', 'BENCH_WARMUP_SECONDS', 'BENCH_STEADY_SECONDS', 'BENCH_WEBHOOKS', 'BENCH_LATENCY_SECONDS', 'BENCH_ONLY', 'BENCH_PROFILE', 'BENCH_WAIT_QUIET', 'BENCH_PG_TCP']
    .filter((k) => process.env[k])
    .map((k) => `${k}=${process.env[k]}`);
  return [...knobs, 'npm run bench'].join(' ');
}

function summarizeProfileOf(pid: number, window: { fromUs: number; toUs: number } | null): void {
  if (!existsSync(PROFILE_DIR)) return;
  const file = readdirSync(PROFILE_DIR).find((f) => f.endsWith('.cpuprofile') && f.includes(`.${pid}.`));
  if (!file) {
    log(`no CPU profile of pid ${pid} in ${PROFILE_DIR}`);
    return;
  }
  const path = join(PROFILE_DIR, file);
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const text = formatProfileSummary(summarizeProfile(profile, { ...(window ?? {}), top: 30 }));
  const out = path.replace(/\.cpuprofile$/, '.scenario2.txt');
  writeFileSync(out, `${text}\n`);
  if (window) writeFileSync(path.replace(/\.cpuprofile$/, '.scenario2-window.json'), JSON.stringify(window));
  console.log(`\nCPU profile ${path} (scenario 2 window${window ? ` ${window.fromUs}–${window.toUs} µs` : ': none recorded, whole profile'}):\n${text}\n(summary saved to ${out})`);
}

async function main(): Promise<void> {
  // Read at the start: it describes what `npm run build` just compiled.
  const source = sourceInfo();
  const versions = await serviceVersions();
  const load = await quietMachine();
  const started = performance.now();
  const bench = new Bench();
  if (load > QUIET_BUSY) {
    bench.observations.push(
      `The machine was not idle before the run: ${fmt(load * 100)} % of its CPU was busy with other work (other test suites, say). Figures measured on a shared machine are low and noisy; see "other processes" in each scenario's CPU line.`,
    );
  }
  log(`settings: ${JSON.stringify(settings)}; scenarios ${[...only].join(',')}${profiling ? '; CPU profiling ON' : ''}`);
  try {
    await bench.start();
    await bench.scenario('1', 'Raw ceiling (signed POSTs straight to the receiver)', (row) => bench.rawCeiling(row));
    await bench.scenario('2', `Sustained throughput (${fmt(settings.sustainedRate)} events/s × ${settings.webhooks} webhooks offered, ${settings.steadySeconds} s after ${settings.warmupSeconds} s warm-up)`, (row) => bench.sustained(row));
    await bench.scenario('3', `Latency (${settings.latencyRate} events/s × ${settings.latencyWebhooks} webhooks, ${settings.latencySeconds} s)`, (row) =>
      bench.latency(row),
    );
    await bench.scenario('4', `Fan-out (1 event → ${fmt(settings.fanOutWebhooks)} webhooks)`, (row) => bench.fanOut(row));
    await bench.scenario('5', `Catalogue scale (+${fmt(settings.catalogueWebhooks)} webhooks elsewhere, scenario 3 again)`, (row) => bench.catalogue(row));
    if (only.has('6')) await bench.restartPlatform(STORM_ENV);
    await bench.scenario('6', `Retry storm (${settings.failingShare * 100} % of URLs answer 500, slowly or at once; retried within the run)`, (row) => bench.retryStorm(row));
    if (['7', '8', '9', '10'].some((id) => only.has(id))) await bench.restartPlatform(FLOW_ENV);
    await bench.scenario('7', `Slow origin (${fmt(settings.slowOriginWebhooks * settings.slowOriginEvents)} deliveries to one origin answering in ${settings.slowOriginAnswerMs} ms, 2 s timeout)`, (row) => bench.slowOrigin(row));
    await bench.scenario('8', `Noisy neighbour (A: ${settings.noisyHangingWebhooks} hanging endpoints, ${fmt(settings.noisyDeliveries)} deliveries; B: ${settings.quietRate} events/s × ${settings.quietWebhooks} webhooks)`, (row) => bench.noisyNeighbour(row));
    await bench.scenario('9', `Engine drain (${fmt(settings.drainEvents)} events × ${settings.drainWebhooks} webhooks published into the outbox)`, (row) => bench.engineDrain(row));
    await bench.scenario('10', `Latency at ${settings.steadyShare * 100} % of the raw ceiling (${settings.steadyWebhooks} webhooks per event)`, (row) => bench.steadyLatency(row));
    bench.rssRow();
  } catch (err) {
    bench.observations.push(`The run stopped early: ${(err as Error).stack ?? err}`);
    console.error(err);
  } finally {
    await bench.teardown();
  }
  if (profiling) summarizeProfileOf(bench.platform?.pid ?? 0, bench.profileWindow);

  const report: BenchReport = {
    date: new Date().toISOString(),
    command: commandLine(),
    machineLoadBefore: load,
    source,
    durationS: (performance.now() - started) / 1000,
    machine: machineInfo(versions.postgres, versions.redis),
    settings: { ...settings, scenarios: [...only].join(' ') },
    platformEnv: bench.platformEnv,
    rows: bench.rows,
    observations: bench.observations,
  };
  console.log(`\n${renderTable(report.rows)}\n`);
  for (const row of report.rows) console.log(`${row.id}. ${row.name}\n${row.details.map((d) => `   - ${d}`).join('\n')}`);
  for (const o of report.observations) console.log(`! ${o}`);
  const m = report.machine;
  console.log(`\n${report.source}; nproc ${m.nproc}, ${m.memoryGiB.toFixed(1)} GiB, ${m.cpuModel}, Node ${m.node}, ${m.postgres}, Redis ${m.redis}; ${fmt(report.durationS)} s`);

  const docPath = join(ROOT, 'docs/benchmarks.md');
  if (profiling || process.env.BENCH_WRITE_DOC === '0' || ALL_SCENARIOS.some((id) => !only.has(id))) {
    log(`docs/benchmarks.md left alone (${profiling ? 'profiled run' : 'partial run'})`);
  } else {
    const previous = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '';
    const at = previous.indexOf(NOTES_MARKER);
    const kept = at >= 0 ? previous.slice(at + NOTES_MARKER.length) : '\n';
    mkdirSync(join(ROOT, 'docs'), { recursive: true });
    writeFileSync(docPath, renderMarkdown(report, kept));
    log(`wrote ${docPath}`);
  }
  if (report.rows.some((r) => r.error) || !report.rows.length) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
