import { isDeepStrictEqual } from 'node:util';

/** The old values of exactly the fields whose value changed; empty when nothing changed. */
export function previousAttributes(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, unknown> {
  const changed: Record<string, unknown> = {};
  for (const key of Object.keys(after)) {
    // updatedAt moves on every save; it is not a change of the resource.
    if (key === 'updatedAt') continue;
    if (!isDeepStrictEqual(before[key], after[key])) changed[key] = before[key] ?? null;
  }
  return changed;
}
