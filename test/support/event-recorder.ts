import type { INestApplicationContext } from '@nestjs/common';
import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { DataSource } from 'typeorm';
import type { DomainEvent } from '../../src/events/domain-event';
import { EVENT_TYPES } from '../../src/events/event-catalog';
import { EventSubscriptions } from '../../src/events/event-subscriptions';
import { DOMAIN_EVENTS_QUEUE, HANDLE_EVENT_JOB } from '../../src/events/events.constants';
import { OutboxRelay } from '../../src/events/outbox-relay.service';
import { waitFor } from './wait';

export interface RecordedCall {
  event: DomainEvent;
  /** Which app handled it (several relays in one test). */
  by: string;
  at: number;
}

/** One row of `events` as the tests inspect it. */
export interface EventRow {
  id: string;
  type: string;
  workspace_id: string;
  actor: { type: string; id: string | null };
  data: { object: Record<string, any>; previousAttributes?: Record<string, unknown> };
  created_at: Date;
  relayed_at: Date | null;
  pending_subscribers: string[];
}

/**
 * A subscriber that records every event it is given. Register it right after the app starts and
 * before any data is created: the outbox row names its subscribers when it is written.
 */
export class EventRecorder {
  readonly calls: RecordedCall[] = [];

  constructor(readonly name = 'test-recorder') {}

  attach(app: INestApplicationContext, by = 'app', types: readonly string[] = EVENT_TYPES): this {
    app.get(EventSubscriptions).subscribe(this.name, types, async (event) => {
      this.calls.push({ event, by, at: Date.now() });
    });
    return this;
  }

  timesHandled(eventId: string): number {
    return this.calls.filter((c) => c.event.id === eventId).length;
  }

  ids(): string[] {
    return this.calls.map((c) => c.event.id);
  }

  /** Waits until every id has been handled at least once; throws with the missing ones on timeout. */
  async waitForAll(ids: readonly string[], timeoutMs = 10_000): Promise<void> {
    await waitFor(() => ids.every((id) => this.timesHandled(id) > 0), timeoutMs, () => {
      const missing = ids.filter((id) => this.timesHandled(id) === 0);
      return `${missing.length} of ${ids.length} events never reached ${this.name}: ${missing.slice(0, 5).join(', ')}`;
    });
  }
}

export { sleep, waitFor } from './wait';

export function eventRows(app: INestApplicationContext, where = 'TRUE', params: unknown[] = []): Promise<EventRow[]> {
  return app.get(DataSource).query(`SELECT * FROM events WHERE ${where} ORDER BY id`, params);
}

/**
 * Counts the relay's completed passes over the outbox (the 1 s sweep, a NOTIFY, a local wake-up):
 * a test waits for passes instead of sleeping "a sweep or two".
 */
export class RelayProbe {
  private passes = 0;

  constructor(private readonly app: INestApplicationContext) {
    const relay = app.get(OutboxRelay);
    const drain = relay.drain.bind(relay);
    relay.drain = async () => {
      try {
        return await drain();
      } finally {
        this.passes++;
      }
    };
  }

  /** Resolves after `n` passes that started after this call have completed. */
  async passesFromNow(n = 2, timeoutMs = 15_000): Promise<void> {
    // A pass already running may have read the outbox before the caller's change: skip it.
    const target = this.passes + n + 1;
    await waitFor(() => this.passes >= target, timeoutMs, () => `${n} relay passes (have ${this.passes}, want ${target})`);
  }

  /**
   * Quiet: every event of the database is relayed and finished, the relay has passed over the
   * outbox twice since, and no handle-event job waits, runs or is delayed in this app's queue.
   * A duplicate produced by anything before this call has been handled by the time it returns.
   */
  async quiet(timeoutMs = 20_000): Promise<void> {
    await waitFor(async () => (await eventRows(this.app, `relayed_at IS NULL OR pending_subscribers <> '{}'`)).length === 0, timeoutMs, () => 'unfinished events');
    await this.passesFromNow(2, timeoutMs);
    const queue = this.app.get<Queue>(getQueueToken(DOMAIN_EVENTS_QUEUE));
    await waitFor(
      async () => (await queue.getJobs(['waiting', 'active', 'delayed', 'paused'])).every((j) => !j || j.name !== HANDLE_EVENT_JOB),
      timeoutMs,
      () => 'handle-event jobs still queued',
      50,
    );
  }
}
