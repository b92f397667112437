import { subject as asSubject } from '@casl/ability';
import { permittedFieldsOf } from '@casl/ability/extra';
import type { AppAbility, SubjectType } from './subjects';

/**
 * Field-level read rules (a custom role's `fields`), applied the same way everywhere an object leaves
 * the API: list and get responses, and webhook payloads (delivery/entitlement.ts). One implementation.
 */

/** True when some `read` rule of `subjectType` limits fields: only then is anything narrowed. */
export function hasFieldRules(ability: AppAbility, subjectType: SubjectType): boolean {
  return ability.rulesFor('read', subjectType).some((rule) => rule.fields);
}

/** The fields of `object` the ability may read (CASL `permittedFieldsOf`; a rule without fields allows all). */
export function readableFields(ability: AppAbility, subjectType: SubjectType, object: Record<string, unknown>): Set<string> {
  const all = Object.keys(object);
  return new Set(
    permittedFieldsOf(ability, 'read', asSubject(subjectType, { ...object }) as never, { fieldsFrom: (rule) => rule.fields ?? all }),
  );
}

export function pick<T extends Record<string, unknown>>(o: T, fields: Set<string>): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => fields.has(k))) as Partial<T>;
}

/** `object` without the fields the ability may not read (the object itself when no rule limits fields). */
export function readableView<T extends Record<string, unknown>>(ability: AppAbility, subjectType: SubjectType, object: T): T {
  return hasFieldRules(ability, subjectType) ? (pick(object, readableFields(ability, subjectType, object)) as T) : object;
}
