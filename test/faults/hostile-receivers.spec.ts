import { afterAll, describe, expect, it } from 'vitest';
import { waitUntil } from './fault-harness';
import { HostileReceivers, startHostileReceivers } from './fault-receivers';
import { FaultScenario } from './fault-scenario';

const TIMEOUT_MS = 1_000;
const ATTEMPTS = 5; // WEBHOOK_RETRY_SCHEDULE below: enough that a healthy endpoint survives a stall of the test process
const MB = 1024 * 1024;

type Hostile = 'timeout' | 'reset' | 'huge' | 'drip' | 'redirect' | 'garbage';
const HOSTILE: Hostile[] = ['timeout', 'reset', 'huge', 'drip', 'redirect', 'garbage'];

/** The error kind every attempt to each endpoint must log. */
const EXPECTED_ERROR: Record<Exclude<Hostile, 'huge'>, string> = {
  timeout: 'timeout',
  reset: 'connection_reset',
  drip: 'timeout',
  redirect: 'http_status',
  garbage: 'invalid_response',
};

/**
 * With V8's default heap sizing the worker's RSS mostly measures garbage not yet collected: under
 * this load its heap grows to ~3.5x the live set (~40 MB, from --trace-gc) before the first full
 * GC, i.e. +55-65 MB of RSS whatever the receivers do. --optimize-for-size makes V8 collect early,
 * so RSS tracks what the worker retains: a buffered body or leaked sockets would still show.
 */
const WORKER_NODE_ARGS = ['--optimize-for-size'];

interface AttemptRow {
  webhook_id: string;
  error: string | null;
  response_status: number | null;
  body_bytes: number | null;
  duration_ms: number;
}

const pct = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];

describe('fault injection: hostile receivers', () => {
  let s: FaultScenario | undefined;
  let hostile: HostileReceivers | undefined;
  afterAll(async () => {
    await s?.close();
    await hostile?.stop();
  });

  it('fails each hostile attempt cleanly with the right error kind while healthy endpoints keep receiving', async () => {
    s = await FaultScenario.start('hostile-receivers', {
      env: { WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS), WEBHOOK_RETRY_SCHEDULE: '0,200ms,500ms,1s,1s', DELIVERY_LEASE_MARGIN_MS: '3000' },
      workerNodeArgs: WORKER_NODE_ARGS,
    });
    const scenario = s;
    const h = (hostile = await startHostileReceivers(s.receiver.url('/redirect-target')));
    await s.seed();
    const worker = s.workers[0];
    const rssAtStart = worker.rss()!;
    let rssPeak = rssAtStart;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, worker.rss() ?? 0)), 100);
    const unfinished = async (webhookIds: string[]) => {
      const { rows } = await scenario.db.query<{ n: string }>(
        `SELECT count(*) AS n FROM deliveries WHERE webhook_id = ANY($1) AND status IN ('pending', 'retrying')`,
        [webhookIds],
      );
      return Number(rows[0].n);
    };

    try {
      // Reference run at the same load: ordinary failing endpoints (HTTP 500) where the hostile ones
      // will be, so the same deliveries, attempts and retries. Measures a normal healthy lag.
      const standIns = await s.addOwnerHooks(
        HOSTILE.map((name) => {
          scenario.receiver.answerAlways(`/stand-in-${name}`, 500);
          return { name: `stand-in-${name}`, url: scenario.receiver.url(`/stand-in-${name}`) };
        }),
      );
      const reference = s.burst({ chains: 60, concurrency: 12, ratePerSec: 100 });
      await reference.done;
      const ref = await s.waitForDeliveries(60_000);
      await waitUntil(async () => (await unfinished(standIns.map((w) => w.id))) === 0, 90_000, () => 'the reference failures to run out of attempts');
      for (const w of standIns) await s.seeded.owner.expect(204, 'DELETE', `/v1/workspaces/${s.seeded.workspaceId}/webhooks/${w.id}`);
      const refEvents = new Set(ref.events.map((e) => e.id));
      const refLags = await s.lagsMs(ref.expected);

      // The same burst with the hostile endpoints.
      const rssBefore = worker.rss()!;
      const peakBefore = rssPeak;
      rssPeak = rssBefore;
      const extra = await s.addOwnerHooks(HOSTILE.map((name) => ({ name, url: h[name] })));
      const hostileIds = new Map(extra.map((e) => [e.id, e.name as Hostile]));
      const burst = s.burst({ chains: 60, concurrency: 12, ratePerSec: 100 });
      await burst.done;
      expect([...reference.calls, ...burst.calls].filter((c) => c.status >= 300)).toEqual([]);

      const { events, expected } = await s.waitForDeliveries(60_000);
      const hostileEvents = events.filter((e) => !refEvents.has(e.id));
      // Every hostile delivery runs out of attempts (or, for the huge body, succeeds).
      await waitUntil(async () => (await unfinished([...hostileIds.keys()])) === 0, 90_000, () => 'hostile deliveries to finish');
      clearInterval(sampler);

      const t = await s.tally(events, expected);
      const lags = await s.lagsMs(expected, new Set(hostileEvents.map((e) => e.id)));
      const { rows: attempts } = await s.db.query<AttemptRow>(
        `SELECT d.webhook_id, a.error, a.response_status, octet_length(a.response_body) AS body_bytes, a.duration_ms
         FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.webhook_id = ANY($1)`,
        [[...hostileIds.keys()]],
      );
      const { rows: hostileDeliveries } = await s.db.query<{ webhook_id: string; status: string; attempt_count: number }>(
        `SELECT webhook_id, status, attempt_count FROM deliveries WHERE webhook_id = ANY($1)`,
        [[...hostileIds.keys()]],
      );
      const byKind = (kind: Hostile) => attempts.filter((a) => hostileIds.get(a.webhook_id) === kind);
      const errorsOf = (kind: Hostile) => [...new Set(byKind(kind).map((a) => a.error ?? `ok_${a.response_status}`))].sort().join('|');
      const growthMb = (rssPeak - rssBefore) / MB;

      s.report(t, {
        reference_lag_p50_p99_max_ms: `${pct(refLags, 0.5)}/${pct(refLags, 0.99)}/${refLags[refLags.length - 1]}`,
        hostile_lag_p50_p99_max_ms: `${pct(lags, 0.5)}/${pct(lags, 0.99)}/${lags[lags.length - 1]}`,
        hostile_attempts: attempts.length,
        rss_start_mb: (rssAtStart / MB).toFixed(0),
        rss_reference_peak_mb: (peakBefore / MB).toFixed(0),
        rss_hostile_start_mb: (rssBefore / MB).toFixed(0),
        rss_hostile_growth_mb: growthMb.toFixed(1),
        huge_mb_written_by_receiver: (h.hugeBytesWritten() / MB).toFixed(0),
        ...Object.fromEntries(HOSTILE.map((k) => [`errors_${k}`, errorsOf(k)])),
      });

      // Healthy endpoints: everything, exactly the entitled pairs, promptly.
      expect(t.lost).toBe(0);
      expect(t.invalid).toBe(0);
    expect(t.secretsInLogs).toEqual([]);
      expect(t.unexpected).toBe(0);
      expect({ missingRows: t.missingRows, extraRows: t.extraRows, notSucceeded: t.notSucceeded }).toEqual({ missingRows: 0, extraRows: 0, notSucceeded: 0 });
      // The promise, as measured: compared with the same load against ordinary failing endpoints
      // (same machine, same minute), hostile ones keep a healthy endpoint's p99 latency within 2x
      // plus 10 attempt timeouts. Idle, the extra is about one timeout; on a loaded 2-core machine
      // it was measured at ~8 (hostile attempts then compete for the CPU with the healthy ones).
      expect(pct(lags, 0.99)).toBeLessThan(2 * pct(refLags, 0.99) + 10 * TIMEOUT_MS);
      expect(lags[lags.length - 1]).toBeLessThan(2 * refLags[refLags.length - 1] + 20 * TIMEOUT_MS);

      // Hostile endpoints: one delivery per event each; every attempt logged with its error kind.
      for (const kind of HOSTILE) {
        const rows = hostileDeliveries.filter((d) => hostileIds.get(d.webhook_id) === kind);
        expect(rows.length, kind).toBe(hostileEvents.length);
        if (kind === 'huge') continue;
        expect(rows.filter((d) => d.status !== 'failed' || d.attempt_count !== ATTEMPTS), kind).toEqual([]);
        expect(byKind(kind).length, kind).toBe(hostileEvents.length * ATTEMPTS);
        expect(errorsOf(kind), kind).toBe(EXPECTED_ERROR[kind]);
      }
      expect(byKind('redirect').filter((a) => a.response_status !== 302)).toEqual([]);
      // The huge body: a 2xx whose logged body is cut at 4 KiB, an http_status failure, or (a machine
      // loaded past its cores: seen once under scripts/cpu-burn.sh with a benchmark beside it) a timeout
      // while the platform reads and discards the rest.
      expect(byKind('huge').filter((a) => !((a.error === null && a.response_status === 200) || a.error === 'http_status' || a.error === 'timeout'))).toEqual([]);
      expect(Math.max(0, ...attempts.map((a) => a.body_bytes ?? 0))).toBeLessThanOrEqual(4096);
      expect(Math.max(0, ...byKind('huge').map((a) => a.body_bytes ?? 0))).toBe(4096);
      // Each attempt is bounded by the timeout, never by the receiver: judged on the receivers' clock
      // (how long the hung and dripping requests stayed open), slack for a loaded machine.
      await waitUntil(() => h.heldOpenMs.timeout.length === h.hits.timeout && h.heldOpenMs.drip.length === h.hits.drip, 10_000, () => 'hung requests to close');
      const held = [...h.heldOpenMs.timeout, ...h.heldOpenMs.drip];
      expect(held.length).toBe(2 * hostileEvents.length * ATTEMPTS);
      expect(Math.max(...held)).toBeLessThan(TIMEOUT_MS + 2_000);
      // No lower bound: today an attempt's timer starts before its request waits for one of the
      // origin's pooled connections, so a queued attempt is held open for less than the timeout at
      // the receiver (measured: 207 ms). Timing from dispatch is the first item of issue 15.
      expect(Math.min(...held)).toBeGreaterThan(0);
      // Receiver-side counts for every hostile endpoint: each message exactly ATTEMPTS times (the huge
      // body: once per logged attempt), no duplicates beyond the retries.
      for (const kind of HOSTILE) {
        const perId = new Map<string, number>();
        for (const id of h.ids[kind]) perId.set(id, (perId.get(id) ?? 0) + 1);
        expect(perId.size, kind).toBe(hostileEvents.length);
        expect([...perId.keys()].filter((id) => !hostileEvents.some((e) => e.id === id)), kind).toEqual([]);
        const want = kind === 'huge' ? undefined : ATTEMPTS;
        if (want) expect([...perId.values()].filter((n) => n !== want), kind).toEqual([]);
        expect(h.hits[kind], kind).toBe(byKind(kind).length);
      }
      // Nothing followed the redirect.
      expect(s.receiver.on('/redirect-target')).toEqual([]);
      expect(h.hits.redirect).toBe(hostileEvents.length * ATTEMPTS);
      // The worker's memory while it faced them.
      expect(growthMb).toBeLessThan(50);
    } finally {
      clearInterval(sampler);
    }
  });
});
