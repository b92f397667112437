import { InjectQueue } from '@nestjs/bull';
import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Job, Queue } from 'bull';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { GracefulStop } from '../config/graceful-stop';
import { toDomainEvent, type DomainEvent, type EventRow } from './domain-event';
import { EventSubscriptions } from './event-subscriptions';
import {
  DOMAIN_EVENTS_QUEUE,
  HANDLE_EVENT_JOB,
  HANDLE_EVENT_JOB_OPTIONS,
  HANDLE_EVENT_RETRY_JOB_OPTIONS,
  HandleEventJob,
  PURGE_EVENTS_JOB,
  relayedJobId,
} from './events.constants';
import { CompletionBatcher } from './completion-batcher';
import { WORKER_DATA_SOURCE } from '../database/data-source-options';

const PURGE_EVERY_MS = 60 * 60_000;
const PURGE_BATCH = 5_000;

/**
 * Runs subscribers for relayed events (jobs of the events relayed together, per subscriber; or, for
 * the batches this process's relay claimed, here at once) and the retention purge. A subscriber that
 * throws fails only its own job, which the queue retries with backoff.
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
  private stopping = false;
  /** Subscriber runs handed over by this process's relay (handleHere), by `${eventId}:${subscriber}`. */
  private readonly here = new Map<string, number>();
  private readonly runningHere = new Set<Promise<void>>();

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
    this.stopping = true;
    const runsHere = Promise.all([...this.runningHere]);
    if (!(await this.stop.within(Promise.all([this.queue.pause(true), runsHere])))) {
      this.logger.warn('subscriber jobs still running at the end of WORKER_SHUTDOWN_GRACE_MS: left to the queue');
    }
  }

  private schedulePurge(): Promise<unknown> {
    return this.queue
      .add(PURGE_EVENTS_JOB, {}, { repeat: { every: PURGE_EVERY_MS }, jobId: PURGE_EVENTS_JOB, removeOnComplete: true, removeOnFail: true })
      .catch((err: Error) => this.logger.warn(`could not schedule the purge: ${err.message}`));
  }

  /**
   * How many more relay batches this process may run itself now (handleHere): WORKER_CONCURRENCY
   * besides those already running here; none while stopping, or when it does not run `subscriber`.
   */
  slotsHere(subscriber: string): number {
    if (!this.started || this.stopping || !this.subscriptions.handlerOf(subscriber)) return 0;
    return Math.max(0, this.config.workerConcurrency - this.runningHere.size);
  }

  /**
   * Runs a subscriber on events this process's relay has just claimed, without the queue's round
   * trips (add, fetch, lock, complete: most of an event's path to its first attempt at moderate load).
   * The events are in PostgreSQL, relayed and still pending for the subscriber: if this process dies
   * meanwhile, the relay's requeue of unfinished events enqueues them again. A failure goes to the
   * queue, which retries it with backoff like any job (or, if Redis refuses it, the requeue does).
   */
  handleHere(subscriber: string, events: DomainEvent[]): void {
    if (this.stopping) {
      // Shutting down since the relay counted this slot: the queue takes it (or, failing that, the requeue).
      void this.queue
        .add(HANDLE_EVENT_JOB, { subscriber, events }, { ...HANDLE_EVENT_JOB_OPTIONS, jobId: relayedJobId(subscriber, events) })
        .catch((err: Error) => this.logger.warn(`left to the requeue of unfinished events: ${err.message}`));
      return;
    }
    const keys = events.map((e) => `${e.id}:${subscriber}`);
    for (const key of keys) this.here.set(key, (this.here.get(key) ?? 0) + 1);
    const run: Promise<void> = this.handle({ subscriber, events })
      .catch((err: Error) => {
        this.logger.warn(`subscriber ${subscriber} failed on ${events.length} event(s) (first try, in process): ${err.message}`);
        return this.queue
          .add(HANDLE_EVENT_JOB, { subscriber, events }, { ...HANDLE_EVENT_RETRY_JOB_OPTIONS, jobId: `${relayedJobId(subscriber, events)}:retry` })
          .then(() => undefined)
          .catch((queueErr: Error) => this.logger.warn(`left to the requeue of unfinished events: ${queueErr.message}`));
      })
      .finally(() => {
        this.runningHere.delete(run);
        for (const key of keys) {
          const n = (this.here.get(key) ?? 1) - 1;
          if (n > 0) this.here.set(key, n);
          else this.here.delete(key);
        }
      });
    this.runningHere.add(run);
  }

  /** Whether this process is running `subscriber` on `eventId` itself (the requeue must not add it again). */
  handlingHere(eventId: string, subscriber: string): boolean {
    return this.here.has(`${eventId}:${subscriber}`);
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
