import { InjectQueue } from '@nestjs/bull';
import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { JobOptions, Queue } from 'bull';
import { Client } from 'pg';
import { DataSource, QueryRunner } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { OUTBOX_CHANNEL, OutboxSignal } from './outbox-signal.service';
import { DomainEventsProcessor } from './domain-events.processor';
import {
  DOMAIN_EVENTS_QUEUE,
  ENQUEUE_TIMEOUT_MS,
  EVENTS_PER_JOB,
  HANDLE_EVENT_JOB,
  HANDLE_EVENT_JOB_OPTIONS,
  HandleEventJob,
  LISTENER_RETRY_MAX_MS,
  RELAY_BATCH_SIZE,
  RELAY_SWEEP_INTERVAL_MS,
  UNFINISHED_EVENT_AFTER_MS,
  relayedJobId,
} from './events.constants';
import { WORKER_DATA_SOURCE } from '../database/data-source-options';
import { toDomainEvent, type DomainEvent, type EventRow } from './domain-event';
import type { EventActor } from '../kernel/actor';
import type { EventData } from './outbox-event.entity';

function chunk<T>(items: T[], size: number): T[][] {
  const parts: T[][] = [];
  for (let i = 0; i < items.length; i += size) parts.push(items.slice(i, i + size));
  return parts;
}

interface OutboxRow {
  id: string;
  pending_subscribers: string[];
  /** Present when the claim read the whole event (first relay); re-enqueues carry ids only. */
  type?: string;
  created_at?: Date;
  workspace_id?: string;
  actor?: EventActor;
  data?: EventData;
}

function fullEvent(row: OutboxRow): DomainEvent | undefined {
  if (!row.type || !row.created_at || !row.workspace_id || !row.actor || !row.data) return undefined;
  return toDomainEvent(row as EventRow);
}

/** The same warning at most this often: a Redis outage would otherwise log once per sweep. */
const WARN_EVERY_MS = 30_000;

/**
 * Moves committed outbox rows onto the queue. Woken at once by a commit in this process, or by
 * NOTIFY from another process, with a periodic sweep as the safety net. Rows are claimed
 * with FOR UPDATE SKIP LOCKED, so several relays never double-claim; a Redis outage leaves events in
 * the outbox until it is back, and an event whose subscriber never finished is enqueued again.
 */
@Injectable()
export class OutboxRelay implements BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private listener: Client | null = null;
  private listenerFailures = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private timers: NodeJS.Timeout[] = [];
  private draining = false;
  private drainAgain = false;
  private stopped = false;
  private readonly lastWarned = new Map<string, number>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource(WORKER_DATA_SOURCE) private readonly dataSource: DataSource,
    @InjectQueue(DOMAIN_EVENTS_QUEUE) private readonly queue: Queue<HandleEventJob>,
    private readonly signal: OutboxSignal,
    private readonly subscribers: DomainEventsProcessor,
  ) {}

  /** True once WorkerModule started this (a process without workers never does): shutdown hooks check it. */
  started = false;

  /** Started by WorkerModule (src/worker.module.ts) in the processes that run workers. */
  async start(): Promise<void> {
    this.started = true;
    // Not fatal: the sweep relays meanwhile and the listener keeps retrying.
    await this.listen().catch(() => undefined);
    // Redis back after an outage: relay what piled up now rather than at the next sweep.
    this.queue.client.on('ready', () => this.kick());
    this.signal.onCommitted(() => this.kick());
    this.timers.push(setInterval(() => this.kick(), RELAY_SWEEP_INTERVAL_MS));
    this.timers.push(setInterval(() => void this.requeueUnfinished().catch((err) => this.warn('requeue', err)), UNFINISHED_EVENT_AFTER_MS / 2));
    this.kick();
  }

  /** Before the queues close (they close on application shutdown): finish the batch in progress. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.timers.forEach(clearInterval);
    clearTimeout(this.reconnectTimer);
    await this.listener?.end().catch(() => undefined);
    this.listener = null;
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
      const relayed = await this.relayNew();
      total += relayed;
      if (relayed < RELAY_BATCH_SIZE) return total;
    }
  }

  /**
   * New events: claimed and stamped relayed in one statement (one round trip, where a transaction
   * around the enqueue took four), then put on the queue. If the queue refuses them, the stamp is
   * taken back and the next drain tries again; should that fail too, or this process die in between,
   * the requeue of unfinished events below enqueues them UNFINISHED_EVENT_AFTER_MS later: late,
   * never lost. During a Redis outage nothing is claimed at all.
   */
  private async relayNew(): Promise<number> {
    this.assertQueueReady();
    const [rows]: [OutboxRow[], number] = await this.dataSource.query(
      `UPDATE events SET relayed_at = now()
       WHERE id IN (SELECT id FROM events WHERE relayed_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING id, type, created_at, workspace_id, actor, data, pending_subscribers`,
      [RELAY_BATCH_SIZE],
    );
    if (!rows.length) return 0;
    rows.sort((a, b) => (a.id < b.id ? -1 : 1));
    // The batches this process runs itself start only once the others are on the queue: if Redis
    // refuses those, every claimed row is given back and nothing has run yet.
    let here: HandleEventJob[];
    try {
      here = await this.enqueue(rows);
    } catch (err) {
      await this.dataSource
        .query('UPDATE events SET relayed_at = NULL WHERE id = ANY($1)', [rows.map((r) => r.id)])
        .catch((undo: Error) => this.warn('relay (left to the requeue of unfinished events)', undo));
      throw err;
    }
    for (const job of here) this.subscribers.handleHere(job.subscriber, job.events!);
    return rows.length;
  }

  /**
   * Events whose subscriber job vanished (Redis lost it) or gave up: enqueue them again. Claimed like
   * new events, so two relays never both requeue one; `relayed_at` moves to now, so an event that
   * keeps failing waits another UNFINISHED_EVENT_AFTER_MS and never starves the others.
   */
  async requeueUnfinished(): Promise<number> {
    let total = 0;
    for (;;) {
      const requeued = await this.claimAndEnqueue(
        `SELECT id, pending_subscribers FROM events
         WHERE relayed_at IS NOT NULL AND pending_subscribers <> '{}' AND relayed_at < now() - ($2 || ' milliseconds')::interval
         ORDER BY relayed_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [RELAY_BATCH_SIZE, UNFINISHED_EVENT_AFTER_MS],
      );
      total += requeued;
      if (requeued < RELAY_BATCH_SIZE || this.stopped) return total;
    }
  }

  /** In one transaction: lock the selected rows, put their jobs on the queue again, stamp relayed_at. */
  private async claimAndEnqueue(select: string, params: unknown[]): Promise<number> {
    let runner: QueryRunner | undefined;
    try {
      runner = this.dataSource.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      const rows: OutboxRow[] = await runner.query(select, params);
      if (rows.length) {
        await this.enqueue(rows, true);
        await runner.query('UPDATE events SET relayed_at = now() WHERE id = ANY($1)', [rows.map((r) => r.id)]);
      }
      await runner.commitTransaction();
      return rows.length;
    } catch (err) {
      if (runner?.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      await runner?.release();
    }
  }

  /**
   * Puts the rows' subscriber jobs on the queue, except (first relay) those this process may run
   * itself at once (DomainEventsProcessor.handleHere), which it answers for the caller to start.
   */
  private async enqueue(rows: OutboxRow[], requeue = false): Promise<HandleEventJob[]> {
    let jobs: { name: string; data: HandleEventJob; opts: JobOptions }[] = requeue ? await this.requeueJobs(rows) : this.relayJobs(rows);
    const here: HandleEventJob[] = [];
    if (!requeue) {
      jobs = jobs.filter(({ data }) => {
        if (this.subscribers.slotsHere(data.subscriber) - here.length <= 0) return true;
        here.push(data);
        return false;
      });
    }
    if (!jobs.length) return here;
    this.assertQueueReady();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('Redis did not accept the jobs in time')), ENQUEUE_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.queue.addBulk(jobs), timeout]);
    } finally {
      clearTimeout(timer);
    }
    return here;
  }

  /**
   * ioredis would queue a command offline and send it whenever Redis is back, long after its batch
   * was given up: fail at once instead. (A command cut off mid-flight can still land late; the
   * processor skips a subscriber that already finished.)
   */
  private assertQueueReady(): void {
    if (this.queue.client.status !== 'ready') throw new Error(`Redis is not connected (${this.queue.client.status})`);
  }

  /** First relay: per subscriber, the claimed events in jobs of up to EVENTS_PER_JOB, carrying them. */
  private relayJobs(rows: OutboxRow[]) {
    const bySubscriber = new Map<string, DomainEvent[]>();
    for (const row of rows) {
      const event = fullEvent(row)!;
      for (const subscriber of row.pending_subscribers) {
        const events = bySubscriber.get(subscriber);
        if (events) events.push(event);
        else bySubscriber.set(subscriber, [event]);
      }
    }
    return [...bySubscriber].flatMap(([subscriber, events]) =>
      chunk(events, EVENTS_PER_JOB).map((part) => ({
        name: HANDLE_EVENT_JOB,
        data: { subscriber, events: part },
        opts: { ...HANDLE_EVENT_JOB_OPTIONS, jobId: relayedJobId(subscriber, part) },
      })),
    );
  }

  /**
   * Requeue: one job per (event, subscriber), ids only, skipping events that a live job (waiting,
   * active, delayed) still carries. Each gets a fresh job id: an id that Redis still holds in a dead
   * state after a wipe must not absorb it. A duplicate run is harmless: subscribers are idempotent,
   * and the processor skips a subscriber that has already finished.
   */
  private async requeueJobs(rows: OutboxRow[]) {
    const live = new Set<string>();
    for (const job of await this.queue.getJobs(['waiting', 'active', 'delayed', 'paused'])) {
      if (!job?.data) continue;
      for (const event of job.data.events ?? []) live.add(`${event.id}:${job.data.subscriber}`);
      if (job.data.eventId) live.add(`${job.data.eventId}:${job.data.subscriber}`);
    }
    const stamp = Date.now().toString(36);
    return rows.flatMap((row) =>
      row.pending_subscribers
        .filter((subscriber) => !live.has(`${row.id}:${subscriber}`) && !this.subscribers.handlingHere(row.id, subscriber))
        .map((subscriber) => ({
          name: HANDLE_EVENT_JOB,
          data: { subscriber, eventId: row.id },
          opts: { ...HANDLE_EVENT_JOB_OPTIONS, jobId: `${row.id}:${subscriber}:r${stamp}` },
        })),
    );
  }

  /** LISTENs on a dedicated connection; when it is lost, retries with backoff until it is back. */
  private async listen(): Promise<void> {
    const client = new Client({ connectionString: this.config.databaseUrl });
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost) return;
      lost = true;
      if (this.listener === client) this.listener = null;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      if (this.stopped) return;
      this.warn('listener', err ?? new Error('connection ended'));
      this.listenerFailures++;
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = setTimeout(
        () => void this.listen().catch(() => undefined),
        Math.min(1_000 * 2 ** (this.listenerFailures - 1), LISTENER_RETRY_MAX_MS),
      );
    };
    client.on('notification', () => this.kick());
    client.on('error', onLost);
    client.on('end', () => onLost());
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    } catch (err) {
      onLost(err as Error);
      throw err;
    }
    if (this.stopped) {
      lost = true;
      await client.end().catch(() => undefined);
      return;
    }
    this.listener = client;
    this.listenerFailures = 0;
    // Whatever committed while nobody listened.
    this.kick();
  }

  private warn(what: string, err: unknown): void {
    const message = `${what}: ${(err as Error).message}`;
    const now = Date.now();
    if (now - (this.lastWarned.get(message) ?? 0) < WARN_EVERY_MS) return;
    this.lastWarned.set(message, now);
    this.logger.warn(message);
  }
}
