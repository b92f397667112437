import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Job, Queue } from 'bull';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { runsWorkers } from '../config/config.module';
import type { EventActor, EventData } from '../events/outbox-event.entity';
import type { StoredSecret } from '../webhooks/webhook.entity';
import { DeliveryAttemptsService } from './delivery-attempts.service';
import { DeliveryRetryError } from './delivery-retry.error';
import { DELIVER_JOB, DELIVERIES_QUEUE, DeliverJob } from './delivery.constants';
import { serializePayload } from './webhook-payload';
import { WORKER_DATA_SOURCE } from '../database/data-source-options';

interface LeasedDelivery {
  id: string;
  webhook_id: string;
  attempt_count: number;
  payload: EventData | null;
  url: string;
  enabled: boolean;
  secrets: StoredSecret[];
  event_id: string;
  type: string;
  created_at: Date;
  workspace_id: string;
  actor: EventActor;
  data: EventData;
}

// Claims the delivery for this worker: only if it is still due and nobody holds it. A duplicate
// job (reconciler, redelivery) finds nothing to claim and ends: no double send in a normal run.
const LEASE_SQL = `
UPDATE deliveries d SET lease_until = now() + ($2 || ' milliseconds')::interval
FROM webhooks w, events e
WHERE d.id = $1 AND w.id = d.webhook_id AND e.id = d.event_id
  AND d.status IN ('pending', 'retrying') AND d.next_attempt_at <= now() + interval '1 second'
  AND (d.lease_until IS NULL OR d.lease_until < now())
RETURNING d.id, d.webhook_id, d.attempt_count, d.payload, w.url, w.enabled, w.secrets,
          e.id AS event_id, e.type, e.created_at, e.workspace_id, e.actor, e.data`;

/**
 * Runs one attempt of one delivery: retries, redeliveries, test events, reconciled work. A failed
 * attempt with another one scheduled throws, so the queue's retry runs it after the stored delay.
 */
@Injectable()
export class DeliveriesProcessor implements OnApplicationBootstrap {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource(WORKER_DATA_SOURCE) private readonly dataSource: DataSource,
    @InjectQueue(DELIVERIES_QUEUE) private readonly queue: Queue<DeliverJob>,
    private readonly attempts: DeliveryAttemptsService,
  ) {}

  onApplicationBootstrap(): void {
    if (!runsWorkers(this.config)) return;
    void this.queue.process(DELIVER_JOB, this.config.workerConcurrency, (job: Job<DeliverJob>) => this.deliver(job.data.deliveryId));
  }

  async deliver(deliveryId: string): Promise<void> {
    // TypeORM answers an UPDATE with [rows, affected].
    const [rows]: [LeasedDelivery[], number] = await this.dataSource.query(LEASE_SQL, [
      deliveryId,
      this.config.webhookTimeoutMs + this.config.deliveryLeaseMarginMs,
    ]);
    const delivery = rows[0];
    if (!delivery) return;
    if (!delivery.enabled) {
      // Disabling a webhook stops its deliveries; re-enabling resumes new ones.
      await this.dataSource.query(
        `UPDATE deliveries SET status = 'cancelled', lease_until = NULL, next_attempt_at = NULL, updated_at = now() WHERE id = $1`,
        [deliveryId],
      );
      return;
    }
    const event = {
      id: delivery.event_id,
      type: delivery.type,
      createdAt: delivery.created_at,
      workspaceId: delivery.workspace_id,
      actor: delivery.actor,
      data: delivery.data,
    };
    const [outcome] = await this.attempts.run([
      {
        deliveryId: delivery.id,
        webhookId: delivery.webhook_id,
        eventId: delivery.event_id,
        url: delivery.url,
        secrets: delivery.secrets,
        attemptCount: delivery.attempt_count,
        body: serializePayload(event, delivery.payload),
      },
    ]);
    if (outcome.retryInMs !== null) throw new DeliveryRetryError(outcome.retryInMs, outcome.error ?? 'failed');
  }
}
