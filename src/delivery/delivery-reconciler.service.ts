import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DeliveryAttemptsService } from './delivery-attempts.service';
import { DeliveryBacklog } from './delivery-backlog.service';
import { DeliveryQueue } from './delivery-queue';
import { DeliveryRepository } from './delivery.repository';
import {
  PURGE_INTERVAL_MS,
  RECONCILE_BATCH,
  RECONCILE_GRACE_MS,
  RECONCILE_INTERVAL_MS,
} from './delivery.constants';
import { RECONCILER_REENQUEUED } from './delivery-metrics';
import { WORKER_DATA_SOURCE } from '../database/data-source-options';

/**
 * PostgreSQL is the truth, Bull only moves work: this finds due deliveries that nobody holds and
 * whose job is late or lost (a Redis restart or FLUSHALL loses every job, delayed ones included)
 * and enqueues them again. It also purges attempts older than WEBHOOK_LOG_RETENTION.
 */
@Injectable()
export class DeliveryReconciler implements BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveryReconciler.name);
  private timers: NodeJS.Timeout[] = [];
  private running = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource(WORKER_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly deliveries: DeliveryRepository,
    private readonly queue: DeliveryQueue,
    private readonly attempts: DeliveryAttemptsService,
    private readonly backlog: DeliveryBacklog,
  ) {}

  /** True once WorkerModule started this (a process without workers never does): shutdown hooks check it. */
  started = false;

  /** Started by WorkerModule (src/worker.module.ts) in the processes that run workers. */
  start(): void {
    this.started = true;
    this.timers.push(setInterval(() => void this.tick(), RECONCILE_INTERVAL_MS));
    this.timers.push(setInterval(() => void this.purgeAttempts().catch((err) => this.warn('purge', err)), PURGE_INTERVAL_MS));
  }

  /** A stopping worker enqueues nothing more (the other workers' reconcilers carry on). */
  beforeApplicationShutdown(): void {
    this.timers.forEach(clearInterval);
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.reconcile();
    } catch (err) {
      this.warn('reconcile', err);
    } finally {
      this.running = false;
    }
  }

  /**
   * Enqueues due, unleased deliveries; returns how many. Under deliveryJobId's scheme a job of the
   * same attempt still in Redis absorbs the add; a job that is gone (a wipe) is made again. Taken in
   * turns per workspace (DeliveryRepository.findDue): one workspace's backlog waiting in PostgreSQL
   * cannot crowd out another's.
   */
  async reconcile(graceMs = RECONCILE_GRACE_MS): Promise<number> {
    // What this process left in PostgreSQL for want of room it pulls back itself (DeliveryBacklog):
    // left out here, and pulled now in case no settling attempt has offered room since.
    const backlogged = this.attempts.backlogged();
    await Promise.all(backlogged.workspaces.map((ws) => this.backlog.pull(ws)));
    const due = await this.deliveries.findDue(graceMs, RECONCILE_BATCH, backlogged.webhooks);
    if (!due.length) return 0;
    RECONCILER_REENQUEUED.inc(due.length);
    await this.queue.enqueue(
      due.map((d) => ({ deliveryId: d.id, attempt: d.attempt_count, workspaceId: d.workspace_id, webhookId: d.webhook_id })),
    );
    return due.length;
  }

  async purgeAttempts(): Promise<number> {
    const [, deleted]: [unknown, number] = await this.dataSource.query(
      `DELETE FROM delivery_attempts WHERE started_at < now() - ($1 || ' milliseconds')::interval`,
      [this.config.webhookLogRetentionMs],
    );
    return deleted;
  }

  private warn(what: string, err: unknown): void {
    this.logger.warn(`${what}: ${(err as Error).message}`);
  }
}
