import { InjectQueue } from '@nestjs/bull';
import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { GracefulStop } from '../config/graceful-stop';
import { AbilityService } from '../permissions/ability.service';
import { DeliveryAttemptsService } from './delivery-attempts.service';
import { DeliveryQueue } from './delivery-queue';
import { DELIVER_JOB, DELIVERIES_QUEUE, DeliverJob } from './delivery.constants';
import { entitlement } from './entitlement';
import { serializePayload } from './webhook-payload';
import { DeliveryRepository } from './delivery.repository';
import { toDomainEvent } from '../events/domain-event';

/**
 * Starts one attempt of one delivery: retries, redeliveries, test events, reconciled work. Before
 * sending, the webhook's current owner's ability is asked again (cached per ability version, so
 * this costs no extra round trip unless the owner's access changed): what they may no longer read
 * is cancelled (`not_permitted`), never sent. The job ends once the attempt is handed to flow
 * control: an attempt waiting for its webhook's or workspace's turn never holds one of the queue's
 * WORKER_CONCURRENCY slots, so one tenant's waiting work cannot hold up another's jobs. A failed
 * attempt with another one scheduled adds that attempt's job, delayed by the stored delay.
 */
@Injectable()
export class DeliveriesProcessor implements BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveriesProcessor.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly deliveries: DeliveryRepository,
    @InjectQueue(DELIVERIES_QUEUE) private readonly queue: Queue<DeliverJob>,
    private readonly jobs: DeliveryQueue,
    private readonly attempts: DeliveryAttemptsService,
    private readonly abilities: AbilityService,
    private readonly stop: GracefulStop,
  ) {}

  /** True once WorkerModule started this (a process without workers never does): shutdown hooks check it. */
  started = false;

  /** Started by WorkerModule (src/worker.module.ts) in the processes that run workers. */
  start(): void {
    this.started = true;
    void this.queue.process(DELIVER_JOB, this.config.workerConcurrency, (job: Job<DeliverJob>) => this.deliver(job.data));
  }

  /**
   * On SIGTERM, before anything closes: take no new job, and let the jobs running here finish (they
   * only lease and hand their attempt over; the attempts themselves are DeliveryAttemptsService's to
   * finish within WORKER_SHUTDOWN_GRACE_MS). A job still running after that is left to its lease.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.started) return;
    if (!(await this.stop.within(this.queue.pause(true)))) {
      this.logger.warn('delivery jobs still running at the end of WORKER_SHUTDOWN_GRACE_MS: left to their leases');
    }
  }

  async deliver({ deliveryId, workspaceId, priority }: DeliverJob): Promise<void> {
    // This process already holds its maximum of this workspace's work: the delivery stays due in
    // PostgreSQL, where the reconciler finds it again. Delayed, never dropped, not an attempt.
    if (workspaceId && !this.attempts.hasRoom(workspaceId)) return;
    const delivery = await this.deliveries.lease(deliveryId);
    if (!delivery) return;
    if (!this.attempts.hasRoom(delivery.workspace_id)) return this.deliveries.unlease([deliveryId]);
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
    const attempt = this.attempts.run(
      [
        {
          deliveryId: delivery.id,
          webhookId: delivery.webhook_id,
          eventId: delivery.event_id,
          url: delivery.url,
          secrets: delivery.secrets,
          attemptCount: delivery.attempt_count,
          body: serializePayload(event),
          flow: {
            workspaceId: delivery.workspace_id,
            maxConcurrency: delivery.max_concurrency,
            rateLimitPerSecond: delivery.rate_limit_per_second,
            enabled: delivery.enabled,
            url: delivery.url,
            createdById: delivery.created_by_id,
            abilityVersion: delivery.ability_version,
          },
        },
      ],
      { priority },
    );
    void attempt
      .then(([outcome]) =>
        outcome && outcome.retryInMs !== null
          ? // The next attempt's job; if Redis is unavailable the reconciler finds the delivery due in PostgreSQL.
            this.jobs.enqueue([{ deliveryId, attempt: outcome.number, delayMs: outcome.retryInMs, workspaceId: delivery.workspace_id }])
          : undefined,
      )
      // The attempt is logged or its lease runs out: either way the reconciler has it.
      .catch((err: Error) => this.logger.warn(`attempt of ${deliveryId} or its retry left to the reconciler: ${err.message}`));
  }
}
