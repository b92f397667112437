import { subject as asSubject } from '@casl/ability';
import { permittedFieldsOf } from '@casl/ability/extra';
import { eventTypeInfo, TEST_EVENT_TYPE } from '../events/event-catalog';
import type { EventData } from '../events/outbox-event.entity';
import { can } from '../permissions/authorize';
import type { AppAbility, SubjectType } from '../permissions/subjects';

/** What a webhook may carry of one event: nothing, the event's data as is, or a narrowed copy. */
export type Entitlement = { readable: false } | { readable: true; data: EventData; narrowed: boolean };

/**
 * What the webhook's owner, with `ability` as it is now, may receive of an event of `type`. Asked at
 * fan-out and again before every later attempt (retry, redelivery, recovery), so a change of role,
 * team, visibility or owner applies to everything not yet sent. One CASL ability, no second rule set:
 * - the object must be readable (as it is after a create or update, as it was before a delete);
 * - `previousAttributes` (updates) are kept only when the owner could read the object as it was
 *   before the change (a memo just made `workspace`, an investment moved into the owner's team:
 *   its old values are not theirs to see);
 * - field-level rules keep only the readable fields of the object and of its old values.
 * The `webhook.test` event (no subject) is always deliverable; any other unknown type never is.
 */
export function entitlement(ability: AppAbility, type: string, data: EventData): Entitlement {
  if (type === TEST_EVENT_TYPE) return { readable: true, data, narrowed: false };
  const info = eventTypeInfo(type);
  if (!info || !can(ability, 'read', info.caslSubject, data.object)) return { readable: false };
  const subjectType = info.caslSubject;
  const fieldRules = ability.rulesFor('read', subjectType).some((rule) => rule.fields);
  let previousAttributes = data.previousAttributes;
  let narrowed = false;
  if (previousAttributes) {
    const before = { ...data.object, ...previousAttributes };
    if (!can(ability, 'read', subjectType, before)) {
      previousAttributes = undefined;
      narrowed = true;
    } else if (fieldRules) {
      previousAttributes = pick(previousAttributes, readableFields(ability, subjectType, before));
      narrowed = true;
    }
  }
  const object = fieldRules ? pick(data.object, readableFields(ability, subjectType, data.object)) : data.object;
  narrowed ||= fieldRules;
  if (!narrowed) return { readable: true, data, narrowed: false };
  return { readable: true, data: previousAttributes ? { object, previousAttributes } : { object }, narrowed: true };
}

function readableFields(ability: AppAbility, subjectType: SubjectType, object: Record<string, unknown>): Set<string> {
  const all = Object.keys(object);
  return new Set(
    permittedFieldsOf(ability, 'read', asSubject(subjectType, { ...object }) as never, { fieldsFrom: (rule) => rule.fields ?? all }),
  );
}

function pick(o: Record<string, unknown>, fields: Set<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => fields.has(k)));
}
