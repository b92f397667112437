import type { DomainEvent } from './domain-event';
import type { JobOptions } from 'bull';

export const DOMAIN_EVENTS_QUEUE = 'domain-events';

/** Jobs of the events relayed together, per subscriber (relayedJobId), or of one event (a requeue). */
export const HANDLE_EVENT_JOB = 'handle-event';
export const PURGE_EVENTS_JOB = 'purge-events';

export interface HandleEventJob {
  subscriber: string;
  /**
   * The events as the relay read them while claiming them (up to EVENTS_PER_JOB), so the
   * subscriber needs no query to load them and can handle them together.
   */
  events?: DomainEvent[];
  /** One event by id (a re-enqueue): read from PostgreSQL, the source of truth. */
  eventId?: string;
}

/**
 * The job id of a relayed batch for one subscriber: the same batch relayed twice (a give-back after
 * an enqueue that landed late) is absorbed by the queue instead of run twice.
 */
export function relayedJobId(subscriber: string, events: readonly DomainEvent[]): string {
  return `${events[0].id}:${subscriber}:${events.length}`;
}

/** A relay batch is split into jobs of at most this many events per subscriber. */
export const EVENTS_PER_JOB = 50;

export const HANDLE_EVENT_JOB_OPTIONS: JobOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1_000 },
  // PostgreSQL (events.pending_subscribers) remembers what is unfinished; Redis keeps nothing for long.
  removeOnComplete: true,
  removeOnFail: true,
};

/**
 * A subscriber run in process by the relay (DomainEventsProcessor.handleHere) that failed goes to the
 * queue with the rest of a job's schedule: its first try is spent, so the next comes after 1 s, then
 * 2 s, 4 s, … as for a job (exponential backoff doubles the job's delay from its first retry on).
 */
export const HANDLE_EVENT_RETRY_JOB_OPTIONS: JobOptions = {
  ...HANDLE_EVENT_JOB_OPTIONS,
  attempts: HANDLE_EVENT_JOB_OPTIONS.attempts! - 1,
  delay: 1_000,
  backoff: { type: 'exponential', delay: 2_000 },
};

/** How often the relay sweeps for events a NOTIFY did not bring (lost connection, other process). */
export const RELAY_SWEEP_INTERVAL_MS = 1_000;
/**
 * Relayed events whose subscriber job has not finished after this long are enqueued again. Short
 * is safe: an event that a live job (waiting, active, delayed, paused) still carries is skipped;
 * only one whose job was lost (Redis restarted or flushed) is added again, under a fresh job id.
 */
export const UNFINISHED_EVENT_AFTER_MS = 10_000;
export const RELAY_BATCH_SIZE = 500;
/** A Redis that does not answer in this time fails the batch: it stays in the outbox for the next try. */
export const ENQUEUE_TIMEOUT_MS = 5_000;
/** The NOTIFY listener reconnects after 1 s, 2 s, 4 s… up to this (the sweep relays meanwhile). */
export const LISTENER_RETRY_MAX_MS = 10_000;
/** How soon a worker polls again after losing Redis (Bull's default, 5 s, delays recovery). */
export const RETRY_PROCESS_DELAY_MS = 1_000;
/**
 * Reconnect to a lost Redis every second at most. Bull's default waits e^attempt ms, up to 20 s:
 * after an outage of half a minute, events would wait up to 20 s more once Redis is back.
 */
export const REDIS_RETRY_STRATEGY = (attempt: number): number => Math.min(attempt * 100, 1_000);

/**
 * How fast a crashed worker's jobs are noticed. Bull renews a running job's lock every
 * lockDuration / 2, so a short lock is safe while the worker lives; once it dies, the lock lapses
 * within lockDuration and the next stalled check (every stalledInterval) hands the job to another
 * worker. Bull's defaults (30 s and 30 s, seen twice) left a killed worker's events waiting 30–95 s.
 */
export const QUEUE_LOCK_SETTINGS = { lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 5 } as const;
