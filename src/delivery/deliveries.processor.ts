import { InjectQueue } from '@nestjs/bull';
import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { GracefulStop } from '../config/graceful-stop';
import { AbilityService } from '../permissions/ability.service';
import { DeliveryAttemptsService } from './delivery-attempts.service';
import { DeliveryRetryError } from './delivery-retry.error';
import { DELIVER_JOB, DELIVERIES_QUEUE, DeliverJob } from './delivery.constants';
import { entitlement } from './entitlement';
import { serializePayload } from './webhook-payload';
import { DeliveryRepository } from './delivery.repository';
import { toDomainEvent } from '../events/domain-event';

/**
 * Runs one attempt of one delivery: retries, redeliveries, test events, reconciled work. Before
 * sending, the webhook's current owner's ability is asked again (cached per ability version, so
 * this costs no extra round trip unless the owner's access changed): what they may no longer read
 * is cancelled (`not_permitted`), never sent. A failed attempt with another one scheduled throws,
 * so the queue's retry runs it after the stored delay.
 */
@Injectable()
export class DeliveriesProcessor implements BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveriesProcessor.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly deliveries: DeliveryRepository,
    @InjectQueue(DELIVERIES_QUEUE) private readonly queue: Queue<DeliverJob>,
    private readonly attempts: DeliveryAttemptsService,
    private readonly abilities: AbilityService,
    private readonly stop: GracefulStop,
  ) {}

  /** True once WorkerModule started this (a process without workers never does): shutdown hooks check it. */
  started = false;

  /** Started by WorkerModule (src/worker.module.ts) in the processes that run workers. */
  start(): void {
    this.started = true;
    void this.queue.process(DELIVER_JOB, this.config.workerConcurrency, (job: Job<DeliverJob>) => this.deliver(job.data.deliveryId));
  }

  /**
   * On SIGTERM, before anything closes: take no new job, and let the jobs running here finish their
   * attempt and write its row (within WORKER_SHUTDOWN_GRACE_MS). A job still running after that is
   * left to its lease: another worker sends it once the lease lapses.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.started) return;
    if (!(await this.stop.within(this.queue.pause(true)))) {
      this.logger.warn('delivery jobs still running at the end of WORKER_SHUTDOWN_GRACE_MS: left to their leases');
    }
  }

  async deliver(deliveryId: string): Promise<void> {
    const delivery = await this.deliveries.lease(deliveryId);
    if (!delivery) return;
    if (!delivery.enabled) {
      // Disabling a webhook stops its deliveries; re-enabling resumes new ones.
      return this.deliveries.cancel(deliveryId, 'webhook_disabled');
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
    if (!allowed.readable) return this.deliveries.cancel(deliveryId, 'not_permitted');
    const event = toDomainEvent({ ...delivery, id: delivery.event_id, data: allowed.data });
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
}
