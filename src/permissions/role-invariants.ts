import { defineAbilityFor } from './ability.factory';
import { can } from './authorize';
import { ROLE_INVARIANTS, RolePermission } from './custom-role';
import { ACTIONS, SUBJECT_TYPES } from './subjects';

const HOLDER = '00000000-0000-4000-8000-000000000001';
const SOMEONE_ELSE = '00000000-0000-4000-8000-000000000002';
const TEAM = '00000000-0000-4000-8000-0000000000aa';

/**
 * The invariants checked on the compiled rules, not only on the input (defence in depth: whatever the
 * compiler does, a role that breaks one is refused on save). Empty when the role keeps all three.
 */
export function invariantViolations(permissions: RolePermission[]): string[] {
  const role = defineAbilityFor({ userId: HOLDER, role: 'custom', teamIds: [TEAM], permissions });
  const admin = defineAbilityFor({ userId: HOLDER, role: 'admin', teamIds: [TEAM] });
  const problems: string[] = [];
  const beyond = SUBJECT_TYPES.flatMap((subject) => ACTIONS.filter((action) => role.can(action, subject) && !admin.can(action, subject)).map((a) => `${a} ${subject}`));
  if (beyond.length) problems.push(`the role breaks "${ROLE_INVARIANTS.beyondAdmin}": ${beyond.join(', ')}`);
  const owners = (['create', 'update', 'delete'] as const).filter(
    (action) => can(role, action, 'Member', { userId: SOMEONE_ELSE, role: 'owner' }) || can(role, action, 'Invitation', { role: 'owner' }),
  );
  if (owners.length) problems.push(`the role breaks "${ROLE_INVARIANTS.ownerManagement}": ${owners.join(', ')} on owners`);
  const privateMemo = { visibility: 'private', authorId: SOMEONE_ELSE, teamId: TEAM };
  if ((['read', 'update', 'delete'] as const).some((action) => can(role, action, 'Memo', privateMemo))) {
    problems.push(`the role breaks "${ROLE_INVARIANTS.privateMemos}"`);
  }
  return problems;
}
