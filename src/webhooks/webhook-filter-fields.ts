import { eventTypeInfo, EventType, isOperationalEventType } from '../events/event-catalog';
import { eventSchema, operationalEventSchema } from '../events/event-schemas';

/** The fields of `data.object` over the given event types (the union), for checking filter paths. */
export function objectFieldsOf(eventTypes: string[]): Set<string> {
  const fields = new Set<string>();
  for (const type of eventTypes) {
    if (!eventTypeInfo(type)) continue;
    // Operational events (webhook.failing, …) carry the webhook as data.object.
    const schema = isOperationalEventType(type) ? operationalEventSchema(type) : eventSchema(type as EventType);
    const data = (schema.properties as Record<string, { properties: Record<string, { properties?: object }> }>).data;
    Object.keys(data.properties.object.properties ?? {}).forEach((f) => fields.add(f));
  }
  return fields;
}
