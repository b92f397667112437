import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { newEventId } from './event-id';
import { EventSubscriptions } from './event-subscriptions';
import type { EventActor } from './outbox-event.entity';

export const OUTBOX_CHANNEL = 'outbox_events';

export interface PublishInput {
  type: string;
  workspaceId: string;
  actor: EventActor;
  object: Record<string, unknown>;
  previousAttributes?: Record<string, unknown>;
}

/** The only way modules emit domain events: an outbox row written inside the caller's transaction. */
@Injectable()
export class EventPublisher {
  constructor(private readonly subscriptions: EventSubscriptions) {}

  /**
   * Must run on the transaction's manager: the event commits or rolls back with the change.
   * NOTIFY is transactional too: the relay hears about the event only once it has committed.
   */
  async publish(manager: EntityManager, input: PublishInput): Promise<string> {
    if (!manager.queryRunner?.isTransactionActive) throw new Error('EventPublisher.publish needs a transaction');
    const id = newEventId();
    const data = input.previousAttributes
      ? { object: input.object, previousAttributes: input.previousAttributes }
      : { object: input.object };
    await manager.query(
      `WITH inserted AS (
         INSERT INTO events (id, type, workspace_id, actor, data, pending_subscribers)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
       )
       SELECT pg_notify('${OUTBOX_CHANNEL}', id) FROM inserted`,
      [id, input.type, input.workspaceId, input.actor, data, this.subscriptions.subscribersOf(input.type)],
    );
    return id;
  }
}
