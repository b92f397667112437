import { InjectQueue } from '@nestjs/bull';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Job, Queue } from 'bull';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { runsWorkers } from '../config/config.module';
import { GracefulStop } from '../config/graceful-stop';
import type { EventActor, EventData } from '../events/outbox-event.entity';
import { AbilityService } from '../permissions/ability.service';
import type { StoredSecret } from '../webhooks/webhook.entity';
import type { MemberRole as Role } from '../workspaces/role';
import { DeliveryAttemptsService } from './delivery-attempts.service';
import { DeliveryRetryError } from './delivery-retry.error';
import { DELIVER_JOB, DELIVERIES_QUEUE, DeliverJob } from './delivery.constants';
import type { CancelReason } from './delivery.entity';
import { entitlement } from './entitlement';
import { serializePayload } from './webhook-payload';
import { WORKER_DATA_SOURCE } from '../database/data-source-options';

interface LeasedDelivery {
  id: string;
  webhook_id: string;
  attempt_count: number;
  url: string;
  enabled: boolean;
  secrets: StoredSecret[];
  /** The webhook's owner now, and their membership (null role: no longer a member). */
  created_by_id: string;
  role: Role | null;
  ability_version: number | null;
  event_id: string;
  type: string;
  created_at: Date;
  workspace_id: string;
  actor: EventActor;
  data: EventData;
}

// Claims the delivery for this worker: only if it is still due and nobody holds it. A duplicate
// job (reconciler, redelivery) finds nothing to claim and ends: no double send in a normal run.
// The webhook's URL, its owner and the owner's membership come from the same snapshot, so the
// owner whose ability is checked is the one of the URL the attempt goes to.
const LEASE_SQL = `
UPDATE deliveries d SET lease_until = now() + ($2 || ' milliseconds')::interval
FROM events e, webhooks w
LEFT JOIN memberships m ON m.workspace_id = w.workspace_id AND m.user_id = w.created_by_id
WHERE d.id = $1 AND w.id = d.webhook_id AND e.id = d.event_id
  AND d.status IN ('pending', 'retrying') AND d.next_attempt_at <= now() + interval '1 second'
  AND (d.lease_until IS NULL OR d.lease_until < now())
RETURNING d.id, d.webhook_id, d.attempt_count, w.url, w.enabled, w.secrets, w.created_by_id, m.role, m.ability_version,
          e.id AS event_id, e.type, e.created_at, e.workspace_id, e.actor, e.data`;

/**
 * Runs one attempt of one delivery: retries, redeliveries, test events, reconciled work. Before
 * sending, the webhook's current owner's ability is asked again (cached per ability version, so
 * this costs no extra round trip unless the owner's access changed): what they may no longer read
 * is cancelled (`not_permitted`), never sent. A failed attempt with another one scheduled throws,
 * so the queue's retry runs it after the stored delay.
 */
@Injectable()
export class DeliveriesProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveriesProcessor.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource(WORKER_DATA_SOURCE) private readonly dataSource: DataSource,
    @InjectQueue(DELIVERIES_QUEUE) private readonly queue: Queue<DeliverJob>,
    private readonly attempts: DeliveryAttemptsService,
    private readonly abilities: AbilityService,
    private readonly stop: GracefulStop,
  ) {}

  onApplicationBootstrap(): void {
    if (!runsWorkers(this.config)) return;
    void this.queue.process(DELIVER_JOB, this.config.workerConcurrency, (job: Job<DeliverJob>) => this.deliver(job.data.deliveryId));
  }

  /**
   * On SIGTERM, before anything closes: take no new job, and let the jobs running here finish their
   * attempt and write its row (within WORKER_SHUTDOWN_GRACE_MS). A job still running after that is
   * left to its lease: another worker sends it once the lease lapses.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (!runsWorkers(this.config)) return;
    if (!(await this.stop.within(this.queue.pause(true)))) {
      this.logger.warn('delivery jobs still running at the end of WORKER_SHUTDOWN_GRACE_MS: left to their leases');
    }
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
      return this.cancel(deliveryId, 'webhook_disabled');
    }
    const allowed =
      delivery.role === null
        ? ({ readable: false } as const)
        : entitlement(
            await this.abilities.abilityFor({
              workspaceId: delivery.workspace_id,
              userId: delivery.created_by_id,
              role: delivery.role,
              abilityVersion: delivery.ability_version!,
            }),
            delivery.type,
            delivery.data,
          );
    if (!allowed.readable) return this.cancel(deliveryId, 'not_permitted');
    const event = {
      id: delivery.event_id,
      type: delivery.type,
      createdAt: delivery.created_at,
      workspaceId: delivery.workspace_id,
      actor: delivery.actor,
      data: allowed.data,
    };
    const [outcome] = await this.attempts.run([
      {
        deliveryId: delivery.id,
        webhookId: delivery.webhook_id,
        eventId: delivery.event_id,
        url: delivery.url,
        secrets: delivery.secrets,
        attemptCount: delivery.attempt_count,
        body: serializePayload(event),
      },
    ]);
    if (outcome.retryInMs !== null) throw new DeliveryRetryError(outcome.retryInMs, outcome.error ?? 'failed');
  }

  private async cancel(deliveryId: string, reason: CancelReason): Promise<void> {
    await this.dataSource.query(
      `UPDATE deliveries SET status = 'cancelled', cancel_reason = $2, lease_until = NULL, next_attempt_at = NULL, updated_at = now()
       WHERE id = $1`,
      [deliveryId, reason],
    );
  }
}
