import { BadRequestException } from '@nestjs/common';
import { eventTypeInfo, isOperationalEventType } from '../events/event-catalog';
import type { MemberRole } from '../permissions/role';
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

/**
 * Operational events (webhook.failing, …) are about every webhook of the workspace: only a webhook
 * owned by an owner or admin may subscribe to them. 400 otherwise.
 */
export function assertMayReceiveOperational(role: MemberRole, types: readonly string[]): void {
  const operational = types.filter(isOperationalEventType);
  if (operational.length && role !== 'owner' && role !== 'admin') {
    throw new BadRequestException([
      `events: ${operational.join(', ')} are operational events, only for webhooks owned by an owner or admin of the workspace`,
    ]);
  }
}
