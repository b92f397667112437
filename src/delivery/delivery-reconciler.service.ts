import { InjectQueue } from '@nestjs/bull';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bull';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { runsWorkers } from '../config/config.module';
import {
  DELIVER_JOB,
  DELIVER_JOB_OPTIONS,
  DELIVERIES_QUEUE,
  DeliverJob,
  PURGE_INTERVAL_MS,
  RECONCILE_BATCH,
  RECONCILE_GRACE_MS,
  RECONCILE_INTERVAL_MS,
} from './delivery.constants';
import { WORKER_DATA_SOURCE } from '../database/data-source-options';

/**
 * PostgreSQL is the truth, Bull only moves work: this finds due deliveries that nobody holds and
 * whose job is late or lost (a Redis restart or FLUSHALL loses every job, delayed ones included)
 * and enqueues them again. It also purges attempts older than WEBHOOK_LOG_RETENTION.
 */
@Injectable()
export class DeliveryReconciler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveryReconciler.name);
  private timers: NodeJS.Timeout[] = [];
  private running = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource(WORKER_DATA_SOURCE) private readonly dataSource: DataSource,
    @InjectQueue(DELIVERIES_QUEUE) private readonly queue: Queue<DeliverJob>,
  ) {}

  onApplicationBootstrap(): void {
    if (!runsWorkers(this.config)) return;
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

  /** Enqueues due, unleased deliveries; returns how many. The job id makes a still-queued job absorb the duplicate. */
  async reconcile(graceMs = RECONCILE_GRACE_MS): Promise<number> {
    const due: { id: string; attempt_count: number }[] = await this.dataSource.query(
      `SELECT id, attempt_count FROM deliveries
       WHERE status IN ('pending', 'retrying') AND next_attempt_at <= now() - ($1 || ' milliseconds')::interval
         AND (lease_until IS NULL OR lease_until < now())
       ORDER BY next_attempt_at LIMIT ${RECONCILE_BATCH}`,
      [graceMs],
    );
    if (!due.length) return 0;
    await this.queue.addBulk(
      due.map((d) => ({
        name: DELIVER_JOB,
        data: { deliveryId: d.id },
        opts: { ...DELIVER_JOB_OPTIONS, jobId: `${d.id}:${d.attempt_count}` },
      })),
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
