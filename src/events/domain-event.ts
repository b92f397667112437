import type { EventActor } from '../kernel/actor';
import type { EventData } from './outbox-event.entity';

/** An event as subscribers and webhook receivers see it (delivery.md "Payload"). */
export interface DomainEvent {
  id: string;
  type: string;
  createdAt: string;
  workspaceId: string;
  actor: EventActor;
  data: EventData;
}

/** An events row as PostgreSQL returns it (snake_case columns). */
export interface EventRow {
  id: string;
  type: string;
  created_at: Date;
  workspace_id: string;
  actor: EventActor;
  data: EventData;
}

/** The columns of an events row that make a DomainEvent (alias `e`), for statements that read one. */
export const EVENT_COLUMNS = 'e.id, e.type, e.created_at, e.workspace_id, e.actor, e.data';

/** THE row → event mapping: the relay, the subscribers' loader and delivery all use this one. */
export function toDomainEvent(row: EventRow): DomainEvent {
  return { id: row.id, type: row.type, createdAt: row.created_at.toISOString(), workspaceId: row.workspace_id, actor: row.actor, data: row.data };
}
