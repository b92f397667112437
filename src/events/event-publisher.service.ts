import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { newEventId } from './event-id';
import { EventSubscriptions } from './event-subscriptions';
import type { EventActor } from './outbox-event.entity';
import { PUBLISHED_EVENTS } from './outbox-signal.service';

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
   * Must run on the transaction's manager: the event commits or rolls back with the change. The
   * relays are woken after the commit (OutboxSignal).
   */
  async publish(manager: EntityManager, input: PublishInput): Promise<string> {
    if (!manager.queryRunner?.isTransactionActive) throw new Error('EventPublisher.publish needs a transaction');
    const id = newEventId();
    const data = input.previousAttributes
      ? { object: input.object, previousAttributes: input.previousAttributes }
      : { object: input.object };
    await manager.query(
      `INSERT INTO events (id, type, workspace_id, actor, data, pending_subscribers) VALUES ($1, $2, $3, $4, $5, $6)`,
      [id, input.type, input.workspaceId, input.actor, data, this.subscriptions.subscribersOf(input.type)],
    );
    manager.queryRunner.data[PUBLISHED_EVENTS] = true;
    return id;
  }
}
