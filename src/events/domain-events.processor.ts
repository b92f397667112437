import { InjectQueue } from '@nestjs/bull';
import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Job, Queue } from 'bull';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { GracefulStop } from '../config/graceful-stop';
import { toDomainEvent, type DomainEvent, type EventRow } from './domain-event';
import { EventSubscriptions } from './event-subscriptions';
import { DOMAIN_EVENTS_QUEUE, HANDLE_EVENT_JOB, HandleEventJob, PURGE_EVENTS_JOB } from './events.constants';
import { CompletionBatcher } from './completion-batcher';
import { WORKER_DATA_SOURCE } from '../database/data-source-options';

const PURGE_EVERY_MS = 60 * 60_000;
const PURGE_BATCH = 5_000;

/**
 * Runs subscribers for relayed events (one job per event and subscriber) and the retention purge.
 * A subscriber that throws fails only its own job, which the queue retries with backoff.
 */
@Injectable()
export class DomainEventsProcessor implements BeforeApplicationShutdown {
  private readonly logger = new Logger(DomainEventsProcessor.name);
  /** Marks (event, subscriber) handled, many per statement under load. */
  private readonly completions = new CompletionBatcher((subscriber, eventIds) =>
    this.dataSource.query('UPDATE events SET pending_subscribers = array_remove(pending_subscribers, $2) WHERE id = ANY($1)', [
      eventIds,
      subscriber,
    ]),
  );

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource(WORKER_DATA_SOURCE) private readonly dataSource: DataSource,
    @InjectQueue(DOMAIN_EVENTS_QUEUE) private readonly queue: Queue,
    private readonly subscriptions: EventSubscriptions,
    private readonly stop: GracefulStop,
  ) {}

  /** True once WorkerModule started this (a process without workers never does): shutdown hooks check it. */
  started = false;

  /** Started by WorkerModule (src/worker.module.ts) in the processes that run workers. */
  async start(): Promise<void> {
    this.started = true;
    void this.queue.process(HANDLE_EVENT_JOB, this.config.workerConcurrency, (job: Job<HandleEventJob>) => this.handle(job.data));
    // A failed subscriber is retried by the queue (and re-enqueued from PostgreSQL): say why it failed.
    this.queue.on('failed', (job: Job<HandleEventJob>, err: Error) =>
      this.logger.warn(
        `subscriber ${job.data?.subscriber} failed on ${job.data?.eventId ?? `${job.data?.events?.length} event(s)`} (attempt ${job.attemptsMade}): ${err.message}`,
      ),
    );
    void this.queue.process(PURGE_EVENTS_JOB, 1, () => this.purge());
    // A Redis restart forgets the repeatable job: register it again at every (re)connection.
    this.queue.client.on('ready', () => void this.schedulePurge());
    await this.schedulePurge();
  }

  /**
   * On SIGTERM, before anything closes: take no new job and let the subscriber jobs running here
   * finish (within WORKER_SHUTDOWN_GRACE_MS), so what they started (fan-out's first attempts) is
   * known before the attempts are waited for. A job still running after that is retried elsewhere.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.started) return;
    if (!(await this.stop.within(this.queue.pause(true)))) {
      this.logger.warn('subscriber jobs still running at the end of WORKER_SHUTDOWN_GRACE_MS: left to the queue');
    }
  }

  private schedulePurge(): Promise<unknown> {
    return this.queue
      .add(PURGE_EVENTS_JOB, {}, { repeat: { every: PURGE_EVERY_MS }, jobId: PURGE_EVENTS_JOB, removeOnComplete: true, removeOnFail: true })
      .catch((err: Error) => this.logger.warn(`could not schedule the purge: ${err.message}`));
  }

  async handle({ subscriber, events: carried, eventId }: HandleEventJob): Promise<void> {
    const handler = this.subscriptions.handlerOf(subscriber);
    // A first relay carries its events; a re-enqueued job reads its event, and skips a subscriber
    // that has already finished (a duplicate job from a requeue or an enqueue that landed late).
    const events = carried ?? (eventId ? await this.loadPending(eventId, subscriber) : []);
    if (!events.length) return;
    if (handler) await handler(events);
    else this.logger.warn(`no subscriber named ${subscriber} in this process; dropping it from ${events.length} event(s)`);
    await Promise.all(events.map((event) => this.completions.done(event.id, subscriber)));
  }

  private async loadPending(eventId: string, subscriber: string): Promise<DomainEvent[]> {
    const rows: (EventRow & { pending: boolean })[] =
      await this.dataSource.query(
        'SELECT id, type, created_at, workspace_id, actor, data, $2 = ANY(pending_subscribers) AS pending FROM events WHERE id = $1',
        [eventId, subscriber],
      );
    const row = rows[0];
    if (!row?.pending) return []; // purged meanwhile, or already handled
    return [toDomainEvent(row)];
  }

  /** Deletes finished events older than WEBHOOK_LOG_RETENTION (their deliveries and attempts cascade). */
  async purge(): Promise<number> {
    let total = 0;
    for (;;) {
      const [, deleted]: [unknown, number] = await this.dataSource.query(
        `DELETE FROM events WHERE id IN (
           SELECT id FROM events
           WHERE created_at < now() - ($1 || ' milliseconds')::interval
             AND relayed_at IS NOT NULL AND pending_subscribers = '{}'
           LIMIT ${PURGE_BATCH})`,
        [this.config.webhookLogRetentionMs],
      );
      total += deleted;
      if (deleted < PURGE_BATCH) return total;
    }
  }
}
