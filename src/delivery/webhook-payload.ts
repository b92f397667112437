import type { DomainEvent } from '../events/domain-event';
import type { EventData } from '../events/outbox-event.entity';

/** The JSON body of delivery.md's "Payload"; `data` is replaced when fields are redacted for one webhook. */
export function serializePayload(event: DomainEvent, data: EventData | null = null): Buffer {
  return Buffer.from(
    JSON.stringify({
      id: event.id,
      type: event.type,
      createdAt: event.createdAt,
      workspaceId: event.workspaceId,
      actor: event.actor,
      data: data ?? event.data,
    }),
  );
}
