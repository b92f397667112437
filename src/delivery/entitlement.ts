import { eventTypeInfo, TEST_EVENT_TYPE } from '../events/event-catalog';
import type { EventData } from '../events/outbox-event.entity';
import { can } from '../permissions/authorize';
import { hasFieldRules, pick, readableFields } from '../permissions/readable-fields';
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
  const fieldRules = hasFieldRules(ability, subjectType);
  let previousAttributes = data.previousAttributes;
  let narrowed = false;
  if (previousAttributes) {
    const before = { ...data.object, ...previousAttributes };
    if (mayDependOn(ability, subjectType, previousAttributes) && !can(ability, 'read', subjectType, before)) {
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

// Per cached ability: the fields its `read` conditions look at, per subject type (null: not known).
const conditionFieldsCache = new WeakMap<AppAbility, Map<SubjectType, Set<string> | null>>();

/**
 * False when no `read` condition of the ability looks at a changed field: the object as it was
 * before is then readable exactly when it is now, and the second check is skipped (the common case:
 * an amount or a title changed). Conditions with top-level operators ($or, ...) count as looking at
 * everything.
 */
function mayDependOn(ability: AppAbility, subjectType: SubjectType, changed: Record<string, unknown>): boolean {
  let bySubject = conditionFieldsCache.get(ability);
  if (!bySubject) conditionFieldsCache.set(ability, (bySubject = new Map()));
  let fields = bySubject.get(subjectType);
  if (fields === undefined) {
    fields = new Set<string>();
    for (const rule of ability.rulesFor('read', subjectType)) {
      const keys = Object.keys((rule.conditions as Record<string, unknown> | undefined) ?? {});
      if (keys.some((k) => k.startsWith('$'))) {
        fields = null;
        break;
      }
      keys.forEach((k) => fields!.add(k.split('.')[0]));
    }
    bySubject.set(subjectType, fields);
  }
  return fields === null || Object.keys(changed).some((k) => fields.has(k));
}
