import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { DomainEvent } from '../../src/events/domain-event';
import { EVENT_TYPES } from '../../src/events/event-catalog';
import { EventSubscriptions } from '../../src/events/event-subscriptions';
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
