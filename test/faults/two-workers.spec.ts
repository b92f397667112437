import { afterAll, describe, expect, it } from 'vitest';
import { FaultScenario } from './fault-scenario';

describe('fault injection: two worker processes, no fault', () => {
  let s: FaultScenario | undefined;
  afterAll(async () => {
    await s?.close();
  });

  it('delivers every (event, entitled webhook) pair exactly once', async () => {
    // Default lease margin: a normal run.
    s = await FaultScenario.start('two-workers', { workers: 2 });
    await s.seed();
    const burst = s.burst({ chains: 120, concurrency: 16 });
    await burst.done;
    expect(burst.calls.filter((c) => c.status >= 300)).toEqual([]);

    const { events, expected } = await s.waitForDeliveries(60_000);
    const t = await s.tally(events, expected);
    // Each worker process sent part of it (attributed by the socket each request came on).
    const perWorker = s.workers.map((w) => s!.receiver.received.filter((r) => r.pid === w.pid).length);
    s.report(t, { workers: 2, sent_per_worker: perWorker.join('/'), unattributed: s.receiver.received.filter((r) => r.pid === null).length });
    expect(perWorker.every((n) => n > 0)).toBe(true);

    expect(s.checkCallsHaveEvents(burst, events)).toEqual([]);
    expect(events.length).toBe(burst.calls.length);
    expect(t.lost).toBe(0);
    expect(t.invalid).toBe(0);
    expect(t.secretsInLogs).toEqual([]);
    expect(t.unexpected).toBe(0);
    expect({ missingRows: t.missingRows, extraRows: t.extraRows, notSucceeded: t.notSucceeded }).toEqual({ missingRows: 0, extraRows: 0, notSucceeded: 0 });
    // No double claim by the two workers: a pair is received again only after an attempt whose
    // answer the platform did not get (a timeout on a busy machine), never twice by two workers.
    expect(t.unexplainedPairs).toEqual([]);
    // At most one successful attempt per delivery.
    const { rows } = await s.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM (SELECT delivery_id FROM delivery_attempts WHERE error IS NULL GROUP BY 1 HAVING count(*) > 1) twice`,
    );
    expect(Number(rows[0].n)).toBe(0);
  });
});
