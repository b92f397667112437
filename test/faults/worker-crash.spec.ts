import { afterEach, describe, expect, it } from 'vitest';
import { killHard, stopGracefully, waitUntil } from './fault-harness';
import { FaultScenario } from './fault-scenario';

const TIMEOUT_MS = 2_000;
// A crashed worker's leases expire after WEBHOOK_TIMEOUT_MS + this: seconds, not the default 30 s.
const LEASE_MARGIN_MS = 3_000;
// The SIGTERM scenario's attempt timeout: well above its receiver's 1.5 s answers.
const SIGTERM_TIMEOUT_MS = 5_000;

/**
 * `${path} ${eventId}` of every unfinished delivery some worker leased (sending, or about to). A lease
 * that lapsed in the last 30 s still counts: on a busy machine the query may run seconds after the
 * kill, and a send the dead worker started just before its lease ran out is still its own.
 */
async function leasedPairs(s: FaultScenario): Promise<Set<string>> {
  const pathOf = new Map(s.seeded.hooks.map((h) => [h.id, h.path]));
  const { rows } = await s.db.query<{ event_id: string; webhook_id: string }>(
    `SELECT event_id, webhook_id FROM deliveries WHERE status <> 'succeeded' AND lease_until > now() - interval '30 seconds'`,
  );
  return new Set(rows.filter((r) => pathOf.has(r.webhook_id)).map((r) => `${pathOf.get(r.webhook_id)} ${r.event_id}`));
}

describe('fault injection: a worker dies mid-burst', () => {
  let s: FaultScenario | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  it('kill -9: another worker delivers every pair; duplicates only for what the dead worker held', async () => {
    s = await FaultScenario.start('worker-kill-9', {
      env: { WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS), DELIVERY_LEASE_MARGIN_MS: String(LEASE_MARGIN_MS) },
    });
    await s.seed();
    // A slow customer (300 ms per answer): the worker always holds sends when it dies.
    s.receiver.respondAfterMs = 300;
    const burst = s.burst({ chains: 120, concurrency: 16, ratePerSec: 150 });
    await burst.reached(0.4);
    await waitUntil(() => s!.receiver.inFlight.size > 0, 10_000, () => 'sends in flight');
    const [first] = s.workers;
    await killHard(first);
    const killedAt = Date.now();
    const inFlight = await leasedPairs(s);
    const receivedAtKill = s.receiver.delivered().length;
    expect(first.child.signalCode).toBe('SIGKILL');
    // The dead worker held work: the lease takeover really has something to take over.
    expect(inFlight.size).toBeGreaterThan(0);
    await s.startWorker();
    await burst.done;
    expect(burst.calls.filter((c) => c.status >= 300)).toEqual([]);

    // A subscriber job the dead worker was running is retried only once Bull's stalled-job check
    // (every 30 s, queue-wide) has seen it twice without its lock: 30-95 s after the kill.
    const { events, expected } = await s.waitForDeliveries(150_000);
    const t = await s.tally(events, expected);
    const duplicated = [...t.perPair].filter(([, n]) => n > 1).map(([pair]) => pair);
    const lastAt = Math.max(...s.receiver.delivered().map((r) => r.at));
    s.report(t, { in_flight_at_kill: inFlight.size, received_at_kill: receivedAtKill, all_received_s_after_kill: ((lastAt - killedAt) / 1000).toFixed(1) });

    expect(receivedAtKill).toBeGreaterThan(0);
    expect(s.checkCallsHaveEvents(burst, events)).toEqual([]);
    expect(t.lost).toBe(0);
    expect(t.invalid).toBe(0);
    expect(t.secretsInLogs).toEqual([]);
    expect(t.unexpected).toBe(0);
    expect({ missingRows: t.missingRows, extraRows: t.extraRows, notSucceeded: t.notSucceeded }).toEqual({ missingRows: 0, extraRows: 0, notSucceeded: 0 });
    // Only a send whose outcome the dead worker never recorded is repeated, and at most once more.
    // (or one whose attempt timed out, so the platform never saw its answer: at-least-once).
    expect(duplicated.filter((pair) => !inFlight.has(pair) && t.unexplainedPairs.includes(pair))).toEqual([]);
    expect(Math.max(0, ...[...t.perPair.values()])).toBeLessThanOrEqual(2);
    expect(t.unexplainedDuplicates).toBeLessThanOrEqual(inFlight.size);
  });

  it('SIGTERM: the worker exits within WEBHOOK_TIMEOUT_MS plus a margin; another one finishes the work', async () => {
    s = await FaultScenario.start('worker-sigterm', {
      env: { WEBHOOK_TIMEOUT_MS: String(SIGTERM_TIMEOUT_MS), DELIVERY_LEASE_MARGIN_MS: String(LEASE_MARGIN_MS) },
    });
    await s.seed();
    // A slow customer (1.5 s per answer, under the 5 s timeout): sends are in flight at the signal, and
    // still in flight when the stopping worker's queues have let their jobs finish (a stop that does not
    // wait for the attempts themselves cuts them). The offered load (10 calls/s, ~35 sends/s) stays under
    // what the sender's 64 connections to this receiver carry at 1.5 s each (~42/s): a saturated pool
    // would time sends out while they wait for a connection (the attempt timer starts before that wait,
    // issue 15), which is not this test's subject.
    s.receiver.respondAfterMs = 1_500;
    const burst = s.burst({ chains: 80, concurrency: 16, ratePerSec: 10 });
    await burst.reached(0.3);
    await waitUntil(() => s!.receiver.inFlight.size >= 5, 10_000, () => 'sends in flight');
    const [first] = s.workers;
    const inFlightAtSignal = new Set(s.receiver.inFlight);
    const inFlight = await leasedPairs(s);
    // WORKER_SHUTDOWN_GRACE_MS (default WEBHOOK_TIMEOUT_MS + 5 s) bounds the drain; the margin is for a
    // loaded 2-core machine closing pools and queues.
    const stopped = await stopGracefully(first, SIGTERM_TIMEOUT_MS + 5_000 + 10_000);
    // Before any other worker runs: what the stopping worker had in flight was answered once and
    // its attempt row written before it exited.
    const pathOf = new Map(s.seeded.hooks.map((h) => [h.id, h.path]));
    const { rows: attemptRows } = await s.db.query<{ event_id: string; webhook_id: string; response_status: number | null }>(
      `SELECT d.event_id, d.webhook_id, a.response_status FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id`,
    );
    const logged = new Map<string, number[]>();
    for (const r of attemptRows) {
      const pair = `${pathOf.get(r.webhook_id)} ${r.event_id}`;
      logged.set(pair, [...(logged.get(pair) ?? []), r.response_status ?? 0]);
    }
    const inFlightPairs = [...inFlightAtSignal];
    const answers = (pair: string) => s!.receiver.received.filter((r) => `${r.path} ${r.webhookId}` === pair && r.status === 200).length;
    await s.startWorker();
    await burst.done;
    expect(burst.calls.filter((c) => c.status >= 300)).toEqual([]);

    const { events, expected } = await s.waitForDeliveries(120_000);
    const t = await s.tally(events, expected);
    const duplicated = [...t.perPair].filter(([, n]) => n > 1).map(([pair]) => pair);
    s.report(t, {
      exit_ms: stopped.ms,
      exit: String(stopped.code ?? first.child.signalCode),
      sends_in_flight_at_sigterm: inFlightPairs.length,
      leased_at_sigterm: inFlight.size,
    });

    // Nest runs the shutdown hooks, then re-raises SIGTERM on itself: a clean exit ends by that signal.
    expect(stopped.code === 0 || first.child.signalCode === 'SIGTERM').toBe(true);
    // It did not just die: the sends in flight at the signal (≥ 5, answered 1.5 s later) finished,
    // each answered exactly once and logged as a 200 attempt before the process exited.
    expect(inFlightPairs.length).toBeGreaterThanOrEqual(5);
    expect(stopped.ms).toBeGreaterThanOrEqual(300);
    // Each arrived exactly once (the stopping worker let it finish: no cut, no re-send by the next
    // worker), and its successful attempt row was written before the process exited.
    expect(inFlightPairs.map((pair) => [pair, answers(pair)]).filter(([, n]) => n !== 1)).toEqual([]);
    expect(inFlightPairs.filter((pair) => !(logged.get(pair) ?? []).includes(200))).toEqual([]);
    expect(inFlightPairs.filter((pair) => (logged.get(pair) ?? []).length !== 1)).toEqual([]);
    expect(first.log()).not.toMatch(/\bERROR\b/);
    expect(s.checkCallsHaveEvents(burst, events)).toEqual([]);
    expect(t.lost).toBe(0);
    expect(t.invalid).toBe(0);
    expect(t.secretsInLogs).toEqual([]);
    expect(t.unexpected).toBe(0);
    expect({ missingRows: t.missingRows, extraRows: t.extraRows, notSucceeded: t.notSucceeded }).toEqual({ missingRows: 0, extraRows: 0, notSucceeded: 0 });
    // A graceful stop finishes or hands back what it holds: nothing is sent twice, except after an
    // attempt that timed out on a busy machine (the platform never saw that answer: at-least-once).
    expect(duplicated.filter((pair) => t.unexplainedPairs.includes(pair))).toEqual([]);
  });
});
