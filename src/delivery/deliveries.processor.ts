import { InjectQueue } from '@nestjs/bull';
import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { GracefulStop } from '../config/graceful-stop';
import { DeliveryAttemptsService } from './delivery-attempts.service';
import { DeliveryBacklog } from './delivery-backlog.service';
import { DELIVER_JOB, DELIVERIES_QUEUE, DeliverJob } from './delivery.constants';
import { DeliveryRepository } from './delivery.repository';
import { withLogContext } from '../kernel/request-context';

/**
 * Starts one attempt of one delivery: retries, redeliveries, test events, reconciled work. It leases
 * the delivery and hands it to DeliveryBacklog.attemptLeased, which asks the webhook's current
 * owner's ability again (what they may no longer read is cancelled, never sent). The job ends once
 * the attempt is handed to flow control: an attempt waiting for its webhook's or workspace's turn never holds one of the queue's
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
    private readonly attempts: DeliveryAttemptsService,
    private readonly backlog: DeliveryBacklog,
    private readonly stop: GracefulStop,
  ) {}

  /** True once WorkerModule started this (a process without workers never does): shutdown hooks check it. */
  started = false;

  /** Started by WorkerModule (src/worker.module.ts) in the processes that run workers. */
  start(): void {
    this.started = true;
    void this.queue.process(DELIVER_JOB, this.config.workerConcurrency, (job: Job<DeliverJob>) =>
      withLogContext({ deliveryId: job.data.deliveryId }, () => this.deliver(job.data)),
    );
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

  async deliver({ deliveryId, workspaceId, webhookId, priority }: DeliverJob): Promise<void> {
    // This process already holds its maximum of this workspace's or webhook's work: the delivery
    // stays due in PostgreSQL and is pulled back as room frees (DeliveryBacklog). Delayed, never
    // dropped, not an attempt. A person's test or redelivery is not held back.
    if (!priority && workspaceId && !this.attempts.hasRoom(workspaceId, webhookId)) {
      if (webhookId) this.attempts.leftInBacklog(workspaceId, webhookId);
      return;
    }
    const leasedAt = Date.now();
    const delivery = await this.deliveries.lease(deliveryId);
    if (!delivery) return;
    await this.backlog.attemptLeased([delivery], { priority, leasedAt });
  }
}
