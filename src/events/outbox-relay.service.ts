import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bull';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { runsWorkers } from '../config/config.module';
import { OUTBOX_CHANNEL } from './event-publisher.service';
import {
  DOMAIN_EVENTS_QUEUE,
  ENQUEUE_TIMEOUT_MS,
  HANDLE_EVENT_JOB,
  HANDLE_EVENT_JOB_OPTIONS,
  HandleEventJob,
  RELAY_BATCH_SIZE,
  RELAY_SWEEP_INTERVAL_MS,
  UNFINISHED_EVENT_AFTER_MS,
} from './events.constants';

interface OutboxRow {
  id: string;
  pending_subscribers: string[];
}

/**
 * Moves committed outbox rows onto the queue. Woken by NOTIFY (sent on commit) for low latency,
 * with a periodic sweep as the safety net. Rows are claimed with FOR UPDATE SKIP LOCKED and marked
 * relayed only in the transaction that enqueued them: several relays never double-claim, and a
 * Redis outage leaves events in the outbox until it is back.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private listener: Client | null = null;
  private timers: NodeJS.Timeout[] = [];
  private draining = false;
  private drainAgain = false;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(DOMAIN_EVENTS_QUEUE) private readonly queue: Queue<HandleEventJob>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!runsWorkers(this.config)) return;
    await this.listen();
    this.timers.push(setInterval(() => this.kick(), RELAY_SWEEP_INTERVAL_MS));
    this.timers.push(setInterval(() => void this.requeueUnfinished().catch((err) => this.warn('requeue', err)), UNFINISHED_EVENT_AFTER_MS / 2));
    this.kick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.timers.forEach(clearInterval);
    await this.listener?.end().catch(() => undefined);
    while (this.draining) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  /** Drains now, or right after the drain in progress: notifications arriving meanwhile coalesce. */
  kick(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = true;
    void this.drain()
      .catch((err) => this.warn('relay', err))
      .finally(() => {
        this.draining = false;
        if (this.drainAgain) {
          this.drainAgain = false;
          this.kick();
        }
      });
  }

  /** Relays until the outbox is empty; returns how many events were relayed. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const relayed = await this.relayBatch();
      total += relayed;
      if (relayed < RELAY_BATCH_SIZE) return total;
    }
  }

  private async relayBatch(): Promise<number> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      const rows: OutboxRow[] = await runner.query(
        `SELECT id, pending_subscribers FROM events WHERE relayed_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [RELAY_BATCH_SIZE],
      );
      if (rows.length) {
        await this.enqueue(rows);
        await runner.query('UPDATE events SET relayed_at = now() WHERE id = ANY($1)', [rows.map((r) => r.id)]);
      }
      await runner.commitTransaction();
      return rows.length;
    } catch (err) {
      await runner.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      await runner.release();
    }
  }

  /** Events whose subscriber job vanished (Redis lost it) or gave up: enqueue them again. */
  async requeueUnfinished(): Promise<number> {
    const rows: OutboxRow[] = await this.dataSource.query(
      `SELECT id, pending_subscribers FROM events
       WHERE relayed_at IS NOT NULL AND pending_subscribers <> '{}' AND relayed_at < now() - ($1 || ' milliseconds')::interval
       ORDER BY relayed_at LIMIT 5000`,
      [UNFINISHED_EVENT_AFTER_MS],
    );
    if (rows.length) await this.enqueue(rows);
    return rows.length;
  }

  private async enqueue(rows: OutboxRow[]): Promise<void> {
    const jobs = rows.flatMap((row) =>
      row.pending_subscribers.map((subscriber) => ({
        name: HANDLE_EVENT_JOB,
        data: { eventId: row.id, subscriber },
        // The job id deduplicates a re-enqueue while the first job still exists.
        opts: { ...HANDLE_EVENT_JOB_OPTIONS, jobId: `${row.id}:${subscriber}` },
      })),
    );
    if (!jobs.length) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('Redis did not accept the jobs in time')), ENQUEUE_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.queue.addBulk(jobs), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async listen(): Promise<void> {
    const client = new Client({ connectionString: this.config.databaseUrl });
    client.on('notification', () => this.kick());
    client.on('error', (err) => {
      this.warn('listener', err);
      this.listener = null;
      void client.end().catch(() => undefined);
      // The sweep keeps relaying meanwhile; reconnect for latency.
      if (!this.stopped) setTimeout(() => void this.listen().catch((e) => this.warn('listener', e)), 1_000);
    });
    await client.connect();
    await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    this.listener = client;
  }

  private warn(what: string, err: unknown): void {
    this.logger.warn(`${what}: ${(err as Error).message}`);
  }
}
