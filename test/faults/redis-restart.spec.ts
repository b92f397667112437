import { afterAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { readdirSync } from 'node:fs';
import { waitUntil } from './fault-harness';
import { FaultScenario } from './fault-scenario';

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

    // The delayed retry jobs Redis holds now: none of them may exist after the restart.
    const probe = new Redis(s.redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    const delayedSets = await probe.keys('*:delayed');
    const delayedJobKeys = (
      await Promise.all(delayedSets.map(async (set) => (await probe.zrange(set, 0, -1)).map((id) => `${set.replace(/delayed$/, '')}${id}`)))
    ).flat();
    probe.disconnect();
    await s.redis.kill();
    const downAt = Date.now();
    const { rows: [atKill] } = await s.db.query<{ delayed: string; unfinished: string }>(
      `SELECT (SELECT count(*) FROM deliveries WHERE status = 'retrying' AND next_attempt_at > now()) AS delayed,
              (SELECT count(*) FROM events WHERE relayed_at IS NOT NULL AND pending_subscribers <> '{}') AS unfinished`,
    );
    // The API notices: /health answers 503 (polled, not slept on).
    let health = { status: 0 };
    await waitUntil(async () => (health = await s!.client.call('GET', '/health', undefined, 0)).status === 503, 10_000, () => '/health to answer 503');
    // Writes keep coming while Redis is down: wait until enough of them were accepted.
    await waitUntil(() => burst.calls.filter((c) => c.startedAt >= downAt).length >= 25, 30_000, () => 'writes during the outage');
    const upAt = Date.now();
    await s.redis.restart(); // same port, own --dir, no persistence: every queued and delayed job is gone
    const after = new Redis(s.redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    after.on('error', () => undefined);
    // A key of the same job id may already be back: the reconciler re-enqueues from PostgreSQL under
    // the same id as soon as the workers reconnect. Only a job created before the restart survived.
    const created = await Promise.all(delayedJobKeys.map((key) => after.hget(key, 'timestamp')));
    const survivors = created.filter((ts) => ts !== null && Number(ts) < upAt).length;
    after.disconnect();
    expect(readdirSync(s.redis.dir)).toEqual([]);
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

    // The wipe did destroy queued work (delayed retries held in Redis), which came back from PostgreSQL.
    expect(Number(atKill.delayed)).toBeGreaterThan(0);
    expect(delayedJobKeys.length).toBeGreaterThan(0);
    expect(survivors).toBe(0);

    expect(s.checkCallsHaveEvents(burst, events)).toEqual([]);
    expect(t.lost).toBe(0);
    expect(t.invalid).toBe(0);
    expect(t.secretsInLogs).toEqual([]);
    expect(t.unexpected).toBe(0);
    expect({ missingRows: t.missingRows, extraRows: t.extraRows, notSucceeded: t.notSucceeded }).toEqual({ missingRows: 0, extraRows: 0, notSucceeded: 0 });
    // Redis' loss never makes a delivery repeat: PostgreSQL leases decide who sends.
    expect(t.unexplainedPairs).toEqual([]); // re-sent only after an attempt whose answer was lost
  });
});
