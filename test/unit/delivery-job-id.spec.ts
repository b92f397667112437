import { describe, expect, it } from 'vitest';
import { deliveryJobId } from '../../src/delivery/delivery-queue';

describe('deliveryJobId: one job-id scheme for every enqueue of a delivery', () => {
  const id = '6f1c1c3e-8b53-4b47-9d0e-3a1f7b9b2a10';

  it('names the attempt to come: a scheduled retry and a reconciled re-enqueue of it share the id', () => {
    // Fan-out schedules the retry after attempt 1 as <id>:1; the reconciler, finding the row due
    // with attempt_count 1, enqueues <id>:1 too — absorbed while the first job is still in Redis.
    expect(deliveryJobId(id, 1)).toBe(`${id}:1`);
    expect(deliveryJobId(id, 1)).toBe(deliveryJobId(id, 1));
    expect(deliveryJobId(id, 2)).not.toBe(deliveryJobId(id, 1));
  });

  it("gives a person's action a fresh id, so it is never absorbed by a delayed retry", () => {
    const manual = deliveryJobId(id, 'now');
    expect(manual).toMatch(new RegExp(`^${id}:m[0-9a-z]+$`));
    expect(manual).not.toBe(deliveryJobId(id, 0));
  });
});
