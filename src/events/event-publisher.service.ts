import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { newEventId } from './event-id';
import { EventSubscriptions } from './event-subscriptions';
import type { EventActor } from '../kernel/actor';
import { OutboxSignal, PUBLISHED_EVENTS } from './outbox-signal.service';

export interface PublishInput {
  type: string;
  workspaceId: string;
  actor: EventActor;
  object: Record<string, unknown>;
  previousAttributes?: Record<string, unknown>;
  /** More members of `data` beside `object` (operational events: `lastError`, `reason`). */
  extra?: Record<string, unknown>;
}

/**
 * The only way modules emit domain events: an outbox row that commits with the change it describes,
 * in the caller's transaction (publish) or in the same statement (publishWith).
 */
/** A parameterised INSERT/UPDATE/DELETE (without RETURNING) whose row change the event describes. */
export interface RowChange {
  sql: string;
  params: unknown[];
}

@Injectable()
export class EventPublisher {
  constructor(
    private readonly subscriptions: EventSubscriptions,
    private readonly signal: OutboxSignal,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /**
   * Writes a row change and its event in one statement (a data-modifying CTE): atomic without an
   * explicit transaction, so a create costs one round trip instead of four (BEGIN, INSERT, INSERT,
   * COMMIT). No event is written unless the change touched a row: then the answer is null.
   */
  async publishWith(change: RowChange, input: PublishInput): Promise<string | null> {
    const id = newEventId();
    const n = change.params.length;
    const written: unknown[] = await this.dataSource.query(
      `WITH changed AS (${change.sql} RETURNING 1)
       INSERT INTO events (id, type, workspace_id, actor, data, pending_subscribers)
       SELECT $${n + 1}::text, $${n + 2}::text, $${n + 3}::uuid, $${n + 4}::jsonb, $${n + 5}::jsonb, $${n + 6}::text[] FROM changed
       RETURNING id`,
      [...change.params, id, input.type, input.workspaceId, input.actor, eventData(input), this.subscriptions.subscribersOf(input.type)],
    );
    if (!written.length) return null;
    this.signal.committed();
    return id;
  }

  /**
   * Must run on the transaction's manager: the event commits or rolls back with the change. The
   * relays are woken after the commit (OutboxSignal).
   */
  async publish(manager: EntityManager, input: PublishInput): Promise<string> {
    if (!manager.queryRunner?.isTransactionActive) throw new Error('EventPublisher.publish needs a transaction');
    const id = newEventId();
    await manager.query(
      `INSERT INTO events (id, type, workspace_id, actor, data, pending_subscribers) VALUES ($1, $2, $3, $4, $5, $6)`,
      [id, input.type, input.workspaceId, input.actor, eventData(input), this.subscriptions.subscribersOf(input.type)],
    );
    manager.queryRunner.data[PUBLISHED_EVENTS] = true;
    return id;
  }

  /**
   * An event for one known recipient only (a webhook's test event): stored, so its delivery can
   * reference it and show it, but already relayed and with no subscriber, so nothing fans it out.
   */
  async publishUnrelayed(manager: EntityManager, input: PublishInput): Promise<string> {
    const id = newEventId();
    await manager.query(
      `INSERT INTO events (id, type, workspace_id, actor, data, relayed_at, pending_subscribers) VALUES ($1, $2, $3, $4, $5, now(), '{}')`,
      [id, input.type, input.workspaceId, input.actor, eventData(input)],
    );
    return id;
  }
}

function eventData(input: PublishInput) {
  const data = input.previousAttributes ? { object: input.object, previousAttributes: input.previousAttributes } : { object: input.object };
  return input.extra ? { ...data, ...input.extra } : data;
}
