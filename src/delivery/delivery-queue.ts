import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bull';
import { DELIVER_JOB, DELIVER_JOB_OPTIONS, DELIVERIES_QUEUE, DeliverJob } from './delivery.constants';

/**
 * THE job id of a delivery's attempt. After `attemptCount` attempts, the next one's job is
 * `<delivery id>:<attemptCount>`: fan-out's scheduled retry and the reconciler's re-enqueue of the
 * same attempt share it, so while that job is still in Redis (waiting, delayed or retrying) the
 * second add is absorbed; once it is gone (completed and removed, or lost in a Redis wipe) the add
 * makes a new job. A person's action (redeliver, recover, test) is `now`: a fresh id
 * (`<delivery id>:m<time>`), so it runs at once even while a delayed retry waits. Duplicates are
 * harmless either way: the lease in PostgreSQL lets one job attempt, the others end.
 */
export function deliveryJobId(deliveryId: string, attempt: number | 'now'): string {
  return attempt === 'now' ? `${deliveryId}:m${Date.now().toString(36)}` : `${deliveryId}:${attempt}`;
}

export interface DeliveryJobRequest {
  deliveryId: string;
  /** Attempts made so far, or `now` for a person's action. */
  attempt: number | 'now';
  delayMs?: number;
  /** Lets a worker whose backlog for this workspace is full skip the job without a query. */
  workspaceId?: string;
  /** With workspaceId: lets a worker with no room for this webhook skip the job without a query. */
  webhookId?: string;
  /** A test event or redelivery someone is waiting for: first in its webhook's queue. */
  priority?: boolean;
}

/** The one way to enqueue delivery attempts. Rejects when Redis refuses (callers leave it to the reconciler). */
@Injectable()
export class DeliveryQueue {
  constructor(@InjectQueue(DELIVERIES_QUEUE) private readonly queue: Queue<DeliverJob>) {}

  async enqueue(requests: DeliveryJobRequest[]): Promise<void> {
    if (!requests.length) return;
    await this.queue.addBulk(
      requests.map((r) => ({
        name: DELIVER_JOB,
        data: {
          deliveryId: r.deliveryId,
          ...(r.workspaceId !== undefined ? { workspaceId: r.workspaceId } : {}),
          ...(r.webhookId !== undefined ? { webhookId: r.webhookId } : {}),
          ...(r.priority ? { priority: true } : {}),
        },
        opts: { ...DELIVER_JOB_OPTIONS, jobId: deliveryJobId(r.deliveryId, r.attempt), ...(r.delayMs !== undefined ? { delay: r.delayMs } : {}) },
      })),
    );
  }
}
