/** The benchmark's results: the console table and docs/benchmarks.md. */

export type Verdict = 'met' | 'NOT met' | 'n/a';

export interface TargetCheck {
  target: string;
  verdict: Verdict;
}

export interface ScenarioRow {
  id: string;
  name: string;
  result: string;
  checks: TargetCheck[];
  rssMb: number | null;
  details: string[];
  error?: string;
}

export interface MachineInfo {
  nproc: number;
  memoryGiB: number;
  cpuModel: string;
  node: string;
  postgres: string;
  redis: string;
  os: string;
}

export interface BenchReport {
  date: string;
  command: string;
  /** The commit built, and whether src/ or migrations/ had uncommitted changes at the time. */
  source: string;
  durationS: number;
  /** Share of all cores busy with other work just before the run. */
  machineLoadBefore: number;
  machine: MachineInfo;
  settings: Record<string, string | number>;
  platformEnv: Record<string, string>;
  rows: ScenarioRow[];
  observations: string[];
}

export const NOTES_MARKER = '<!-- Everything below this line is kept when `npm run bench` rewrites this file. -->';

export function verdict(ok: boolean | null): Verdict {
  return ok === null ? 'n/a' : ok ? 'met' : 'NOT met';
}

function targetText(row: ScenarioRow): string {
  return row.checks.length ? row.checks.map((c) => c.target).join('; ') : '—';
}

function verdictText(row: ScenarioRow): string {
  if (row.error) return 'ERROR';
  return row.checks.length ? row.checks.map((c) => c.verdict).join('; ') : '—';
}

export function renderTable(rows: ScenarioRow[]): string {
  const header = ['#', 'Scenario', 'Result', 'Target', 'Met', 'Peak RSS'];
  const body = rows.map((r) => [r.id, r.name, r.error ? `error: ${r.error}` : r.result, targetText(r), verdictText(r), r.rssMb === null ? '—' : `${r.rssMb} MB`]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-+-'), ...body.map(line)].join('\n');
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

export function renderMarkdown(report: BenchReport, keptNotes: string): string {
  const { machine } = report;
  const rows = report.rows.map(
    (r) =>
      `| ${r.id} | ${cell(r.name)} | ${cell(r.error ? `error: ${r.error}` : r.result)} | ${cell(targetText(r))} | ${cell(verdictText(r))} | ${r.rssMb === null ? '—' : `${r.rssMb} MB`} |`,
  );
  const details = report.rows.flatMap((r) => [`### ${r.id}. ${r.name}`, '', ...r.details.map((d) => `- ${d}`), ...(r.error ? [`- **Error:** ${r.error}`] : []), '']);
  return [
    '# Benchmarks',
    '',
    'Figures of the last full run of `npm run bench` (bench/run.ts), rewritten by each run. The',
    'benchmark is not part of `npm test`. Method at the end of this file.',
    '',
    '## Run',
    '',
    `- Command: \`${report.command}\``,
    `- Date: ${report.date} (the run took ${report.durationS.toFixed(0)} s)`,
    `- Code: ${report.source}`,
    `- Machine: \`nproc\` = ${machine.nproc}, ${machine.memoryGiB.toFixed(1)} GiB memory, CPU "${machine.cpuModel}", ${machine.os}`,
    `- Other load on the machine just before the run: ${(report.machineLoadBefore * 100).toFixed(0)} % of all cores busy`,
    `- Node.js ${machine.node}; ${machine.postgres}; Redis ${machine.redis}; everything (platform, receiver, driver, PostgreSQL, Redis) on this one machine`,
    `- Settings: ${Object.entries(report.settings).map(([k, v]) => `${k}=${v}`).join(', ')}`,
    `- Platform environment set by the harness: ${Object.entries(report.platformEnv).map(([k, v]) => `\`${k}=${v}\``).join(', ')}; everything else at its default (WORKER_CONCURRENCY 50, WEBHOOK_TIMEOUT_MS 10000, …)`,
    '',
    '## Results',
    '',
    '| # | Scenario | Result | Target | Met | Platform peak RSS |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    '## Details',
    '',
    ...details,
    '## Observations',
    '',
    ...(report.observations.length ? report.observations.map((o) => `- ${o}`) : ['- None: no platform warnings or errors, no lost or duplicated deliveries.']),
    '',
    METHOD,
    '',
    NOTES_MARKER,
    keptNotes.replace(/^\n+/, '\n'),
  ].join('\n');
}

const METHOD = `## Method

- **Processes.** The platform runs as \`node dist/src/main.js\` (PROCESS_ROLE=all: API, relay, fan-out and
  delivery workers in one process) with its own fresh database \`cc_bench_<timestamp>\` (created and
  migrated by the platform at start, dropped with \`DROP DATABASE … WITH (FORCE)\` at the end) and its own
  Bull queue prefix on the shared Redis. The receiver (bench/receiver.ts) is a second process: a plain
  \`node:http\` server on 127.0.0.1 that verifies every request's signature with the \`standardwebhooks\`
  package, counts deliveries per path (distinct (webhook-id, path) pairs; duplicates counted apart) and
  records receipt time − payload \`createdAt\`. The driver (bench/run.ts) is a third process; it creates
  users, workspaces, teams, webhooks and events through the real HTTP API (undici keep-alive pool).
- **Peak RSS** of the platform process per scenario: VmHWM (reset through \`/proc/<pid>/clear_refs\` at
  the start of each scenario) and VmRSS sampled every 200 ms.
- **Where the time went.** Each scenario's CPU line splits the machine's CPU between the platform, the
  receiver, the driver, the PostgreSQL backends of the bench database, PostgreSQL's server processes,
  Redis, other processes, interrupt work (irq/softirq: loopback networking is charged to no process)
  and hypervisor steal (from /proc; 100 % = one core). The throughput and latency runs also
  sample the bench database's pg_stat_activity every 250 ms (active sessions and their wait events).
  Everything shares one machine: other work running meanwhile ("other processes") lowers every figure.
  The load before the run is measured and reported; BENCH_WAIT_QUIET=<seconds> waits for a quiet machine.
- **Saturation.** When the last delivery of a latency run arrives more than 1 s after the last create,
  the platform did not keep up with the offered load and the row says "saturated": its latencies
  measure the queue, not the pipeline.
- **1. Raw ceiling.** The driver POSTs signed requests (a body the size of a real investment.created
  event, HMAC-SHA256 signed per request with the platform's own \`signPayload\`) straight to the same
  receiver for 5 s after a 1 s warm-up, 256 in flight over one undici Agent with 64 connections (the
  platform's sender uses one Agent with 64 connections per origin).
- **2. Sustained throughput.** W webhooks subscribed to investment.created in one workspace; investments
  created through the API open loop at BENCH_SUSTAINED_RATE per second (default 250, i.e. 5,000
  deliveries/s offered with 20 webhooks, the target), BENCH_WARMUP_SECONDS (5) of warm-up, then
  BENCH_STEADY_SECONDS (30) measured. Deliveries/s = 2xx delivery_attempts rows written during the
  measured window ÷ its length: the clock stops when the attempt rows are written, not at the last
  receipt. When the platform falls behind, the backlog's drain time is reported. Every (event, webhook)
  pair must arrive, the payload \`id\` must equal \`webhook-id\`, and delivery_attempts must hold one row per attempt.
- **3. Latency.** 10 webhooks; investments created open-loop at 100/s (one request every 10 ms whatever
  the answers) for BENCH_LATENCY_SECONDS; percentiles of receipt − event createdAt (the event row's
  timestamp, i.e. the start of the creating transaction) over every delivery.
- **4. Fan-out.** One investment.created in a workspace with 1,000 subscribed webhooks: time from the
  create request to the last of the 1,000 receipts (three runs; the median is reported).
- **5. Catalogue scale.** 10,000 more enabled webhooks subscribed to every event type, inserted by SQL
  into 100 other workspaces (copying a real webhook's encrypted secrets, pointing at the receiver), then
  \`ANALYZE webhooks\` (as autovacuum would) and scenario 3 again in the same workspace. "≈" means p50
  and p99 within 25 % or 2 ms of scenario 3's.
- **6. Retry storm.** As scenario 2 in a new workspace, but 20 % of the webhooks' URLs answer 500: half
  of them at once, half after 2 s (slow failures holding connections). The bench platform runs with
  WEBHOOK_RETRY_SCHEDULE=0,1s,2s,4s,8s so the failing deliveries are retried within the run; the receiver
  counts the retries it got. The platform is restarted first with WEBHOOK_CIRCUIT_FAILURES=0: with the
  circuit breaker (the default) the failing URLs get a few spaced-out probes and their deliveries wait,
  so there would be no storm; without it every retry is sent, and each webhook's line is served in
  due order (a retry waits behind what was due before it). Healthy deliveries/s (2xx attempt rows in
  the window) are compared with scenario 2's scaled to the healthy share (0.8).
- **Scenarios 7–10** run after the platform is restarted (same database) with WEBHOOK_TIMEOUT_MS=2000 and
  WEBHOOK_CIRCUIT_FAILURES=0 (no circuit breaker: scenario 8 then measures the scheduling alone).
- **7. Slow origin.** 20 webhooks on one receiver origin answering 200 after 300 ms; 100 investments
  created through the API (2,000 deliveries, far more than the 64 connections per origin). Counts
  attempts logged as \`timeout\` and the receiver's duplicates; both must be 0.
- **8. Noisy neighbour.** Workspace B: 5 webhooks, 20 creates/s open loop for BENCH_QUIET_SECONDS (10),
  measured alone (baseline) and again right after workspace A created 150 investments for 10 webhooks
  (1,500 deliveries) whose endpoints, on the same receiver origin, never answer: A's deliveries hang,
  are retried and wait for their turn during B's whole window. B's p99 receipt − createdAt must stay
  within 2× its baseline.
- **9. Engine drain.** 1,000 investment.created events for 20 webhooks inserted into the outbox in one
  statement (what the API's publisher writes, without the API); deliveries/s from the insert to the last
  2xx attempt row, as a ratio to the raw ceiling of the same run (measured first when scenario 1 is
  not selected). Target ≥ 0.5 × raw.
- **10. Steady latency.** 20 webhooks per event, creates through the API open loop at 10 % of the raw
  ceiling in deliveries/s for BENCH_STEADY_LATENCY_SECONDS (20); p50 ≤ 10 ms, p99 ≤ 50 ms.
- Targets: sustained ≥ 5,000 deliveries/s and ≥ 0.3 × raw ceiling; latency p50 ≤ 10 ms, p99 ≤ 50 ms;
  fan-out to 1,000 ≤ 1 s; platform RSS ≤ 300 MB; scenario 5 ≈ scenario 3; scenario 6 within 20 % of
  scenario 2; 7: 0 timeouts and 0 duplicates; 8: B's p99 ≤ 2× its baseline; 9: ≥ 0.5 × raw; 10: p50 ≤ 10 ms,
  p99 ≤ 50 ms.
- Knobs: BENCH_SUSTAINED_RATE, BENCH_WARMUP_SECONDS, BENCH_STEADY_SECONDS (scenarios 2 and 6), BENCH_WEBHOOKS (W, default 20), BENCH_LATENCY_SECONDS
  (default 30), BENCH_ONLY (e.g. \`1,2\`; a partial run leaves this file alone), BENCH_WAIT_QUIET
  (seconds to wait for the machine to fall below 15 % busy first), BENCH_WRITE_DOC=0 (leave this file
  alone), BENCH_KEEP_DATABASE=1 (the run's database is not dropped, for queries afterwards), BENCH_PROFILE=1 (CPU profile of the platform during scenario 2 with
  \`node --cpu-prof --cpu-prof-dir=/tmp/cc-prof\`, summarised by bench/profile-summary.ts; runs
  scenarios 1–2 only unless BENCH_ONLY says otherwise, and leaves this file alone). The summary of any
  profile: \`node dist/bench/profile-summary.js <file.cpuprofile> [--from-us N --to-us N] [--top N]\`.`;
