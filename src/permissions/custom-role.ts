import type { AbilityBuilder } from '@casl/ability';
import type { AppAbility, SubjectType } from './subjects';

/**
 * Custom roles: a workspace's own rule sets, written as `{subject, actions, scope, fields?}` and
 * compiled here into the same CASL rules (same conditions) the built-in roles use. Pure functions:
 * the workspaces module stores the roles, the ability factory compiles them.
 */

/** The subjects a custom role may grant: the six resources, webhooks, members, teams, API keys (+ Workspace, read/update). */
export const CUSTOM_ROLE_SUBJECTS = [
  'Investment', 'Valuation', 'Memo', 'Assumption', 'Pipeline', 'Team', 'Webhook', 'Member', 'ApiKey', 'Workspace',
] as const satisfies readonly SubjectType[];
export type CustomRoleSubject = (typeof CUSTOM_ROLE_SUBJECTS)[number];

export const CUSTOM_ROLE_ACTIONS = ['read', 'create', 'update', 'delete', 'manage'] as const;
export type CustomRoleAction = (typeof CUSTOM_ROLE_ACTIONS)[number];

/** all: every row; team: rows of the holder's teams; own: rows the holder owns (wrote, created, is). */
export const CUSTOM_ROLE_SCOPES = ['all', 'team', 'own'] as const;
export type CustomRoleScope = (typeof CUSTOM_ROLE_SCOPES)[number];

export interface RolePermission {
  subject: CustomRoleSubject;
  actions: CustomRoleAction[];
  scope: CustomRoleScope;
  /** Only these fields are readable (`id` always is). Absent: every field. */
  fields?: string[];
}

/** The subjects whose rows carry a team: `scope: "team"` applies to them. */
const TEAM_FIELD: Partial<Record<CustomRoleSubject, string>> = { Investment: 'teamId', Valuation: 'teamId', Team: 'id' };
/** The subjects whose rows have an owner: `scope: "own"` applies to them. */
const OWNER_FIELD: Partial<Record<CustomRoleSubject, string>> = { Memo: 'authorId', Webhook: 'createdById', ApiKey: 'userId', Member: 'userId' };
/** The subjects whose payloads `fields` may narrow (the six resources: API views and webhook payloads). */
export const FIELD_LIMITED_SUBJECTS: readonly CustomRoleSubject[] = ['Investment', 'Valuation', 'Memo', 'Assumption', 'Pipeline', 'Team'];

/** The invariants no custom role may break; a 400 names the one a permission breaks. */
export const ROLE_INVARIANTS = {
  beyondAdmin: 'nothing beyond admin',
  ownerManagement: 'no owner management',
  privateMemos: "other people's private memos stay unreadable",
} as const;

/**
 * Problems with a role's permissions, each naming the permission (`permissions[i]`) and, for a broken
 * invariant, the invariant. Shape errors (unknown subject, action, scope) are the DTO's job; this checks
 * what only makes sense per subject. `knownFields(subject)` lists the readable fields of a resource.
 */
export function permissionProblems(permissions: RolePermission[], knownFields: (subject: CustomRoleSubject) => string[] | null): string[] {
  const problems: string[] = [];
  permissions.forEach((p, i) => {
    const at = `permissions[${i}] (${p.subject})`;
    if (p.subject === 'Workspace') {
      const beyond = p.actions.filter((a) => a !== 'read' && a !== 'update');
      if (beyond.length) {
        problems.push(`${at} breaks "${ROLE_INVARIANTS.beyondAdmin}": ${beyond.join(', ')} on the workspace is reserved to owners (read and update only)`);
      }
    }
    if (p.subject === 'Member' && p.actions.includes('manage')) {
      problems.push(
        `${at} breaks "${ROLE_INVARIANTS.ownerManagement}": manage on members includes granting and removing owners; grant read, create, update, delete instead (never on owners or admins)`,
      );
    }
    if (p.subject === 'Member' && p.actions.some((a) => a !== 'read') && p.scope !== 'all') {
      problems.push(`${at}: member management (create, update, delete) needs scope "all"; leaving a workspace needs no permission`);
    }
    if (p.scope === 'team' && !TEAM_FIELD[p.subject] && p.subject !== 'Memo') {
      problems.push(`${at}: scope "team" does not apply to ${p.subject} (it has no team); use "all"${OWNER_FIELD[p.subject] ? ' or "own"' : ''}`);
    }
    if (p.scope === 'own' && !OWNER_FIELD[p.subject]) {
      problems.push(`${at}: scope "own" does not apply to ${p.subject} (it has no owner); use "all"${TEAM_FIELD[p.subject] ? ' or "team"' : ''}`);
    }
    if (p.fields) {
      const known = FIELD_LIMITED_SUBJECTS.includes(p.subject) ? knownFields(p.subject) : null;
      if (!known) problems.push(`${at}: fields can only limit ${FIELD_LIMITED_SUBJECTS.join(', ')}`);
      else {
        const unknown = p.fields.filter((f) => !known.includes(f));
        if (unknown.length) problems.push(`${at}: unknown field(s) ${unknown.join(', ')} (known: ${known.join(', ')})`);
      }
    }
  });
  return problems;
}

/**
 * Adds a custom role's rules to `builder`. The same conditions as the built-in roles: team =
 * `{teamId: {$in: myTeams}}`, own = `{authorId|createdById|userId: me}`. Built in, whatever the input:
 * memos are never another person's private memo (a memo scope is a set of readable memos, as for
 * admins and members), member and invitation management never touches owners or admins, and
 * `fields` narrows `read` only.
 */
export function addCustomRoleRules(
  { can, cannot }: Pick<AbilityBuilder<AppAbility>, 'can' | 'cannot'>,
  permissions: RolePermission[],
  userId: string,
  teamIds: string[],
): void {
  const myTeams = { $in: teamIds };
  for (const p of permissions) {
    const actions = p.actions.includes('manage') ? (['read', 'create', 'update', 'delete'] as const) : p.actions;
    for (const action of actions) {
      const fields = action === 'read' && p.fields ? [...new Set(['id', ...p.fields])] : undefined;
      const grant = (conditions?: Record<string, unknown>) =>
        fields ? can(action, p.subject, fields, conditions as never) : can(action, p.subject, conditions as never);
      if (p.subject === 'Memo') {
        if (action === 'create') grant({ authorId: userId });
        else {
          if (p.scope !== 'own') {
            grant({ visibility: 'workspace' });
            grant(p.scope === 'all' ? { visibility: 'team' } : { visibility: 'team', teamId: myTeams });
          }
          grant({ authorId: userId });
        }
      } else if (p.subject === 'Member' && action !== 'read') {
        grant();
        // Inviting offers a membership: the same rule as granting one (as for admins).
        can(action, 'Invitation');
        if (action === 'create') can('read', 'Invitation');
      } else if (p.scope === 'team' && TEAM_FIELD[p.subject]) {
        grant({ [TEAM_FIELD[p.subject]!]: myTeams });
      } else if (p.scope === 'own' && OWNER_FIELD[p.subject]) {
        grant({ [OWNER_FIELD[p.subject]!]: userId });
      } else {
        grant();
      }
    }
    // Reading members' rules and the role list goes with reading members.
    if (p.subject === 'Member' && actions.includes('read')) can('read', 'Role');
  }
  // Only owners touch owners; only owners and admins touch admins (a custom role never grants admin).
  cannot(['create', 'update', 'delete'], ['Member', 'Invitation'], { role: { $in: ['owner', 'admin'] } });
}
