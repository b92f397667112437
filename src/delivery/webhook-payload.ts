import type { EventActor } from '../kernel/actor';
import type { EventData } from '../events/outbox-event.entity';

/** The event row as the delivery engine reads it from PostgreSQL. */
export interface EventRecord {
  id: string;
  type: string;
  createdAt: Date;
  workspaceId: string;
  actor: EventActor;
  data: EventData;
}

/** The JSON body of delivery.md's "Payload"; `data` is replaced when fields are redacted for one webhook. */
export function serializePayload(event: EventRecord, data: EventData | null = null): Buffer {
  return Buffer.from(
    JSON.stringify({
      id: event.id,
      type: event.type,
      createdAt: event.createdAt.toISOString(),
      workspaceId: event.workspaceId,
      actor: event.actor,
      data: data ?? event.data,
    }),
  );
}
