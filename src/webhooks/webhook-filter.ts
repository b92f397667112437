import {
  $and, $eq, $exists, $gt, $gte, $in, $lt, $lte, $ne, $nin, $not, $or,
  and, Condition, createFactory, eq, exists, gt, gte, lt, lte, ne, nin, not, or, within,
} from '@ucast/mongo2js';

/**
 * Webhook filters: a condition in the MongoDB-query subset CASL understands, evaluated against
 * `{object, previousAttributes, changedFields}` of an event with ucast, the matcher CASL itself
 * uses (@ucast/mongo2js) — restricted to the operators below, nothing interpreted by hand.
 *   {"changedFields": {"$in": ["value"]}}       a valuation.updated only when the value changed
 *   {"object.amount": {"$gte": 1000000}}          large investments only
 */
export const FILTER_OPERATORS = ['$eq', '$ne', '$in', '$nin', '$gt', '$gte', '$lt', '$lte', '$exists', '$and', '$or', '$not'] as const;
/** The roots a filter's dotted paths start from. */
export const FILTER_ROOTS = ['object', 'previousAttributes', 'changedFields'] as const;
export const FILTER_MAX_JSON_LENGTH = 4_000;

export type WebhookFilter = Record<string, unknown>;

const compile = createFactory(
  { $eq, $ne, $in, $nin, $gt, $gte, $lt, $lte, $exists, $and, $or, $not },
  { eq, ne, in: within, nin, gt, gte, lt, lte, exists, and, or, not },
);

/**
 * Problems with a filter (empty when valid): an operator outside the subset, a path not under
 * object / previousAttributes / changedFields, or a field the subscribed subjects do not have.
 * `knownFields`: the fields of `data.object` of the subscribed event types (null: not checked).
 */
export function filterProblems(filter: unknown, knownFields: ReadonlySet<string> | null): string[] {
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) return ['filter must be an object (a MongoDB-style query)'];
  if (JSON.stringify(filter).length > FILTER_MAX_JSON_LENGTH) return [`filter must be at most ${FILTER_MAX_JSON_LENGTH} characters of JSON`];
  const unknownOperator = findUnknownOperator(filter);
  if (unknownOperator) return [`filter uses the unknown operator ${unknownOperator}; supported: ${FILTER_OPERATORS.join(' ')}`];
  let ast: Condition;
  try {
    ast = compile(filter as never).ast;
  } catch (err) {
    return [`filter is not a valid query: ${(err as Error).message}`];
  }
  const problems: string[] = [];
  for (const field of fieldsOf(ast)) {
    const [root, name, ...rest] = field.split('.');
    if (!(FILTER_ROOTS as readonly string[]).includes(root)) {
      problems.push(`filter uses the unknown field "${field}": paths start with ${FILTER_ROOTS.join(', ')} (e.g. "object.amount")`);
    } else if (root === 'changedFields' && name !== undefined) {
      problems.push(`filter uses the unknown field "${field}": changedFields is a list of field names, e.g. {"changedFields": {"$in": ["value"]}}`);
    } else if (root !== 'changedFields' && name === undefined) {
      problems.push(`filter uses "${field}" as a whole: name one of its fields, e.g. "${root}.id"`);
    } else if (root !== 'changedFields' && knownFields && !knownFields.has(name) && rest.length === 0) {
      problems.push(`filter uses the unknown field "${field}": the subscribed events' objects have ${[...knownFields].join(', ')}`);
    }
  }
  return problems;
}

/** Operators are checked before ucast parses: `$regex`, `$where`, … are refused by name. */
function findUnknownOperator(value: unknown): string | null {
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findUnknownOperator(item);
      if (found) return found;
    }
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  for (const [key, inner] of Object.entries(value)) {
    if (key.startsWith('$') && !(FILTER_OPERATORS as readonly string[]).includes(key)) return key;
    const found = findUnknownOperator(inner);
    if (found) return found;
  }
  return null;
}

function fieldsOf(node: Condition): string[] {
  const withField = node as Condition & { field?: string };
  if (typeof withField.field === 'string') return [withField.field];
  if (Array.isArray(node.value)) return (node.value as Condition[]).flatMap((c) => (c && typeof c === 'object' && 'operator' in c ? fieldsOf(c) : []));
  if (node.value && typeof node.value === 'object' && 'operator' in (node.value as object)) return fieldsOf(node.value as Condition);
  return [];
}

const compiled = new Map<string, (input: object) => boolean>();
const COMPILED_LIMIT = 5_000;

/** What one event offers a filter: what the webhook will carry, and the names of its changed fields. */
export interface FilterInput {
  object: Record<string, unknown>;
  previousAttributes?: Record<string, unknown>;
  changedFields: string[];
}

/**
 * Whether an event passes a webhook's filter (no filter: always). `data` is what the webhook may
 * carry (after entitlement), so a filter cannot test a field its owner may not read.
 * Returns the decision and its reason, for whoever records skip decisions.
 */
export function matchesWebhookFilter(
  filter: WebhookFilter | null | undefined,
  input: FilterInput,
): { deliver: true } | { deliver: false; reason: 'filtered' } {
  if (!filter) return { deliver: true };
  const key = JSON.stringify(filter);
  let test = compiled.get(key);
  if (!test) {
    // Validated when saved; a filter that no longer compiles matches nothing (fail closed).
    try {
      test = compile(filter as never) as (input: object) => boolean;
    } catch {
      test = () => false;
    }
    if (compiled.size >= COMPILED_LIMIT) compiled.delete(compiled.keys().next().value as string);
    compiled.set(key, test);
  }
  return test(input) ? { deliver: true } : { deliver: false, reason: 'filtered' };
}

/** The filter input of an event's (entitled) data; `allChanged`: the event's changed fields before narrowing. */
export function filterInput(
  data: { object: Record<string, unknown>; previousAttributes?: Record<string, unknown> },
  allChanged: string[],
): FilterInput {
  // Only the names of changes to fields the webhook may read.
  const changedFields = allChanged.filter((f) => f in data.object || (data.previousAttributes !== undefined && f in data.previousAttributes));
  return { object: data.object, previousAttributes: data.previousAttributes, changedFields };
}
