import { eventTypeInfo } from '../events/event-catalog';
import type { AppAbility } from '../permissions/subjects';

/**
 * The event types whose subject `ability` can never read (type-level: no rule, however
 * conditional, allows `read`). A webhook may not subscribe to them: it could never receive one.
 * Unknown types count as unreadable (fail closed).
 */
export function unreadableEventTypes(ability: AppAbility, types: readonly string[]): string[] {
  return types.filter((type) => {
    const info = eventTypeInfo(type);
    return !info || ability.cannot('read', info.caslSubject);
  });
}
