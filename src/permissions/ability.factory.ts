import { AbilityBuilder, createMongoAbility } from '@casl/ability';
import { addCustomRoleRules, RolePermission } from './custom-role';
import type { MemberRole } from './role';
import type { AppAbility, SubjectType } from './subjects';

export interface AbilitySubjectUser {
  userId: string;
  role: MemberRole;
  /** The teams the user belongs to in this workspace. */
  teamIds: string[];
  /** With role `custom`: the custom role's permissions (none: nothing beyond leaving and reading the workspace). */
  permissions?: RolePermission[];
}

const FULLY_MANAGED_BY_ADMINS: SubjectType[] = ['Team', 'Investment', 'Valuation', 'Assumption', 'Pipeline', 'Webhook', 'ApiKey', 'Role'];

/**
 * The default policy matrix of permissions.md, as CASL rules. The only place that decides who may
 * do what: guards, list queries (via rules-to-sql) and event fan-out all ask the ability built here.
 */
export function defineAbilityFor({ userId, role, teamIds, permissions }: AbilitySubjectUser): AppAbility {
  const builder = new AbilityBuilder<AppAbility>(createMongoAbility);
  const { can, cannot, build } = builder;
  const myTeams = { $in: teamIds };

  // Everyone may leave, and read their own rules.
  can('delete', 'Member', { userId });
  can('read_permissions', 'Member', { userId });

  if (role === 'owner' || role === 'admin') {
    can('manage', FULLY_MANAGED_BY_ADMINS);
    can('manage', 'Member');
    // Inviting offers a membership: the same rule as granting one.
    can('manage', 'Invitation');
    // The audit log: owners and admins read it; nobody changes it.
    can('read', 'AuditLog');
    if (role === 'owner') {
      can('manage', 'Workspace');
    } else {
      can(['read', 'update'], 'Workspace');
      // Only an owner grants, changes or removes `owner`.
      cannot(['create', 'update', 'delete'], ['Member', 'Invitation'], { role: 'owner' });
    }
    // Memos: any memo they can read, but never another person's private memo.
    can(['read', 'update', 'delete'], 'Memo', { visibility: 'workspace' });
    can(['read', 'update', 'delete'], 'Memo', { visibility: 'team' });
    can(['read', 'update', 'delete'], 'Memo', { authorId: userId });
    can('create', 'Memo', { authorId: userId });
  } else if (role === 'custom') {
    // A workspace's own role (custom-role.ts): the same conditions as below, never beyond admin.
    can('read', 'Workspace');
    addCustomRoleRules(builder, permissions ?? [], userId, teamIds);
  } else if (role === 'member') {
    can('read', ['Workspace', 'Member', 'Team', 'Assumption', 'Role']);
    can(['read', 'create', 'update'], 'Pipeline');
    can(['read', 'create', 'update'], ['Investment', 'Valuation'], { teamId: myTeams });
    can('read', 'Memo', { visibility: 'workspace' });
    can('read', 'Memo', { visibility: 'team', teamId: myTeams });
    can(['read', 'create', 'update', 'delete'], 'Memo', { authorId: userId });
    can(['create', 'read', 'update', 'delete'], 'Webhook', { createdById: userId });
    can('manage', 'ApiKey', { userId });
  } else {
    can('read', ['Workspace', 'Member', 'Team', 'Pipeline', 'Role']);
    can('read', ['Investment', 'Valuation'], { teamId: myTeams });
    can('read', 'Memo', { visibility: 'workspace' });
    can('manage', 'ApiKey', { userId });
  }
  return build();
}
