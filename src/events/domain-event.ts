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
