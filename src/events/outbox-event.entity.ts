import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { EventActor } from '../kernel/actor';


export interface EventData {
  object: Record<string, unknown>;
  previousAttributes?: Record<string, unknown>;
}

/**
 * The transactional outbox and the event log in one table: a row is written in the same
 * transaction as the change it describes; the relay marks it relayed once it is on the queue.
 */
@Entity('events')
@Index('idx_events_unrelayed', ['id'], { where: 'relayed_at IS NULL' })
// The sweeper's scan for events a subscriber has not finished (its queue job was lost or failed).
@Index('idx_events_unfinished', ['relayedAt'], { where: "relayed_at IS NOT NULL AND pending_subscribers <> '{}'" })
export class OutboxEvent {
  /** `evt_` + a ULID: sortable by creation time. */
  @PrimaryColumn('text')
  id: string;

  @Column('text')
  type: string;

  @Index()
  @Column('uuid')
  workspaceId: string;

  @Column('jsonb')
  actor: EventActor;

  @Column('jsonb')
  data: EventData;

  @Index()
  @Column('timestamptz', { default: () => 'now()' })
  createdAt: Date;

  /** When the relay last put its jobs on the queue (NULL: still in the outbox); a requeue moves it on. */
  @Column('timestamptz', { nullable: true })
  relayedAt: Date | null;

  /** In-process subscribers (by name) that have not yet handled this event; the sweeper re-enqueues them. */
  @Column('text', { array: true, default: () => "'{}'" })
  pendingSubscribers: string[];
}
