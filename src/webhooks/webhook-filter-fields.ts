import { eventTypeInfo, EventType } from '../events/event-catalog';
import { eventSchema } from '../events/event-schemas';

/** The fields of `data.object` over the given event types (the union), for checking filter paths. */
export function objectFieldsOf(eventTypes: string[]): Set<string> {
  const fields = new Set<string>();
  for (const type of eventTypes) {
    if (!eventTypeInfo(type)) continue;
    const data = (eventSchema(type as EventType).properties as Record<string, { properties: Record<string, { properties?: object }> }>).data;
    Object.keys(data.properties.object.properties ?? {}).forEach((f) => fields.add(f));
  }
  return fields;
}
