import { afterAll, describe, expect, it } from 'vitest';
import { sleep } from './fault-harness';
import { FaultScenario } from './fault-scenario';

const OUTAGE_MS = 2_000;

describe('fault injection: Redis restarted empty mid-burst', () => {
  let s: FaultScenario | undefined;
  afterAll(async () => {
    await s?.close();
  });

  it('keeps accepting writes while Redis is down and still delivers every pair', async () => {
    s = await FaultScenario.start('redis-restart', { env: { DELIVERY_LEASE_MARGIN_MS: '3000' } });
    await s.seed();
    // Every message's first attempt to this endpoint is answered 503 Retry-After 3: its retry waits
    // as a delayed job in Redis, which the restart wipes.
    s.receiver.failFirstAttempt('/owner-2', 3);
    const burst = s.burst({ chains: 160, concurrency: 16, ratePerSec: 100 });
    await burst.reached(0.25);

    await s.redis.kill();
    const downAt = Date.now();
    const { rows: [atKill] } = await s.db.query<{ delayed: string; unfinished: string }>(
      `SELECT (SELECT count(*) FROM deliveries WHERE status = 'retrying' AND next_attempt_at > now()) AS delayed,
              (SELECT count(*) FROM events WHERE relayed_at IS NOT NULL AND pending_subscribers <> '{}') AS unfinished`,
    );
    await sleep(300);
    const health = await s.client.call('GET', '/health', undefined, 0);
    await sleep(OUTAGE_MS - 300);
    const upAt = Date.now();
    await s.redis.restart(); // same port, no keys: every queued and delayed job is gone
    const receivedWhenBack = s.receiver.delivered().length;
    await burst.done;

    // The API does not need Redis to accept a write: the outbox row commits with it.
    const duringOutage = burst.calls.filter((c) => c.startedAt >= downAt && c.endedAt <= upAt);
    expect(health.status).toBe(503);
    expect(duringOutage.length).toBeGreaterThan(20);
    expect(duringOutage.filter((c) => c.status >= 300 || c.retried.length > 0)).toEqual([]);
    expect(burst.calls.filter((c) => c.status >= 300)).toEqual([]);

    const { events, expected } = await s.waitForDeliveries(90_000);
    const t = await s.tally(events, expected);
    s.report(t, {
      writes_while_redis_down: duringOutage.length,
      delayed_retries_wiped: atKill.delayed,
      relayed_unfinished_events_wiped: atKill.unfinished,
      received_before_restart: receivedWhenBack,
    });

    // The wipe did destroy queued work, which came back from PostgreSQL.
    expect(Number(atKill.delayed)).toBeGreaterThan(0);

    expect(s.checkCallsHaveEvents(burst, events)).toEqual([]);
    expect(t.lost).toBe(0);
    expect(t.invalid).toBe(0);
    expect(t.unexpected).toBe(0);
    expect({ missingRows: t.missingRows, extraRows: t.extraRows, notSucceeded: t.notSucceeded }).toEqual({ missingRows: 0, extraRows: 0, notSucceeded: 0 });
    // Redis' loss never makes a delivery repeat: PostgreSQL leases decide who sends.
    expect(t.duplicates).toBe(0);
  });
});
