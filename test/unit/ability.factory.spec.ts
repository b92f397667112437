import { createMongoAbility, subject } from '@casl/ability';
import { packRules, unpackRules } from '@casl/ability/extra';
import { describe, expect, it } from 'vitest';
import { defineAbilityFor } from '../../src/permissions/ability.factory';
import type { AppAbility, SubjectType } from '../../src/permissions/subjects';
import { ROLES, type Role } from '../../src/permissions/role';

/**
 * The policy matrix of permissions.md, written out by hand as a table and checked instance by
 * instance against `defineAbilityFor`. Each cell is four letters for create, read, update, delete:
 * the letter when allowed, `-` when denied. A change to the matrix must change this table.
 */
const ME = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const MY_TEAM = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const OTHER_TEAM = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const ACTIONS = ['create', 'read', 'update', 'delete'] as const;

interface Case {
  subject: SubjectType;
  situation: string;
  /** The object; `role` is filled in for "self" Member cases. */
  object: (role: Role) => Record<string, unknown>;
  expected: Record<Role, string>;
}

const all = (cell: string): Record<Role, string> => ({ owner: cell, admin: cell, member: cell, viewer: cell });

const CASES: Case[] = [
  // Workspace: owner manage; admin read, update; member and viewer read.
  { subject: 'Workspace', situation: 'this workspace', object: () => ({ id: 'w' }), expected: { owner: 'CRUD', admin: '-RU-', member: '-R--', viewer: '-R--' } },

  // Member: owner manage; admin manage but not owners; member/viewer read; anyone may leave.
  { subject: 'Member', situation: 'another member (role member)', object: () => ({ userId: OTHER, role: 'member' }), expected: { owner: 'CRUD', admin: 'CRUD', member: '-R--', viewer: '-R--' } },
  { subject: 'Member', situation: 'another member (role viewer)', object: () => ({ userId: OTHER, role: 'viewer' }), expected: { owner: 'CRUD', admin: 'CRUD', member: '-R--', viewer: '-R--' } },
  { subject: 'Member', situation: 'another admin', object: () => ({ userId: OTHER, role: 'admin' }), expected: { owner: 'CRUD', admin: 'CRUD', member: '-R--', viewer: '-R--' } },
  { subject: 'Member', situation: 'another owner', object: () => ({ userId: OTHER, role: 'owner' }), expected: { owner: 'CRUD', admin: '-R--', member: '-R--', viewer: '-R--' } },
  { subject: 'Member', situation: 'self (leaving)', object: (role) => ({ userId: ME, role }), expected: { owner: 'CRUD', admin: 'CRUD', member: '-R-D', viewer: '-R-D' } },

  // Team: owner and admin manage; member and viewer read.
  { subject: 'Team', situation: 'my team', object: () => ({ id: MY_TEAM }), expected: { owner: 'CRUD', admin: 'CRUD', member: '-R--', viewer: '-R--' } },
  { subject: 'Team', situation: 'another team', object: () => ({ id: OTHER_TEAM }), expected: { owner: 'CRUD', admin: 'CRUD', member: '-R--', viewer: '-R--' } },

  // Investment, Valuation: member read/create/update in my teams; viewer read in my teams.
  { subject: 'Investment', situation: 'team in my teams', object: () => ({ teamId: MY_TEAM }), expected: { owner: 'CRUD', admin: 'CRUD', member: 'CRU-', viewer: '-R--' } },
  { subject: 'Investment', situation: 'team not mine', object: () => ({ teamId: OTHER_TEAM }), expected: { owner: 'CRUD', admin: 'CRUD', member: '----', viewer: '----' } },
  { subject: 'Valuation', situation: 'team in my teams', object: () => ({ teamId: MY_TEAM }), expected: { owner: 'CRUD', admin: 'CRUD', member: 'CRU-', viewer: '-R--' } },
  { subject: 'Valuation', situation: 'team not mine', object: () => ({ teamId: OTHER_TEAM }), expected: { owner: 'CRUD', admin: 'CRUD', member: '----', viewer: '----' } },

  // Memo: visibility × author × team. Private is its author's alone; viewers read workspace memos only.
  { subject: 'Memo', situation: 'private, author me, team mine', object: () => ({ visibility: 'private', authorId: ME, teamId: MY_TEAM }), expected: { owner: 'CRUD', admin: 'CRUD', member: 'CRUD', viewer: '----' } },
  { subject: 'Memo', situation: 'private, author me, team not mine', object: () => ({ visibility: 'private', authorId: ME, teamId: OTHER_TEAM }), expected: { owner: 'CRUD', admin: 'CRUD', member: 'CRUD', viewer: '----' } },
  { subject: 'Memo', situation: 'private, author me, no team', object: () => ({ visibility: 'private', authorId: ME, teamId: null }), expected: { owner: 'CRUD', admin: 'CRUD', member: 'CRUD', viewer: '----' } },
  { subject: 'Memo', situation: 'private, author other, team mine', object: () => ({ visibility: 'private', authorId: OTHER, teamId: MY_TEAM }), expected: all('----') },
  { subject: 'Memo', situation: 'private, author other, team not mine', object: () => ({ visibility: 'private', authorId: OTHER, teamId: OTHER_TEAM }), expected: all('----') },
  { subject: 'Memo', situation: 'private, author other, no team', object: () => ({ visibility: 'private', authorId: OTHER, teamId: null }), expected: all('----') },
  { subject: 'Memo', situation: 'team, author me, team mine', object: () => ({ visibility: 'team', authorId: ME, teamId: MY_TEAM }), expected: { owner: 'CRUD', admin: 'CRUD', member: 'CRUD', viewer: '----' } },
  { subject: 'Memo', situation: 'team, author me, team not mine', object: () => ({ visibility: 'team', authorId: ME, teamId: OTHER_TEAM }), expected: { owner: 'CRUD', admin: 'CRUD', member: 'CRUD', viewer: '----' } },
  { subject: 'Memo', situation: 'team, author other, team mine', object: () => ({ visibility: 'team', authorId: OTHER, teamId: MY_TEAM }), expected: { owner: '-RUD', admin: '-RUD', member: '-R--', viewer: '----' } },
  { subject: 'Memo', situation: 'team, author other, team not mine', object: () => ({ visibility: 'team', authorId: OTHER, teamId: OTHER_TEAM }), expected: { owner: '-RUD', admin: '-RUD', member: '----', viewer: '----' } },
  { subject: 'Memo', situation: 'workspace, author me, team mine', object: () => ({ visibility: 'workspace', authorId: ME, teamId: MY_TEAM }), expected: { owner: 'CRUD', admin: 'CRUD', member: 'CRUD', viewer: '-R--' } },
  { subject: 'Memo', situation: 'workspace, author me, team not mine', object: () => ({ visibility: 'workspace', authorId: ME, teamId: OTHER_TEAM }), expected: { owner: 'CRUD', admin: 'CRUD', member: 'CRUD', viewer: '-R--' } },
  { subject: 'Memo', situation: 'workspace, author other, team mine', object: () => ({ visibility: 'workspace', authorId: OTHER, teamId: MY_TEAM }), expected: { owner: '-RUD', admin: '-RUD', member: '-R--', viewer: '-R--' } },
  { subject: 'Memo', situation: 'workspace, author other, team not mine', object: () => ({ visibility: 'workspace', authorId: OTHER, teamId: OTHER_TEAM }), expected: { owner: '-RUD', admin: '-RUD', member: '-R--', viewer: '-R--' } },
  { subject: 'Memo', situation: 'workspace, author other, no team', object: () => ({ visibility: 'workspace', authorId: OTHER, teamId: null }), expected: { owner: '-RUD', admin: '-RUD', member: '-R--', viewer: '-R--' } },

  // Assumption: member read; viewer nothing.
  { subject: 'Assumption', situation: 'any', object: () => ({ id: 'a' }), expected: { owner: 'CRUD', admin: 'CRUD', member: '-R--', viewer: '----' } },

  // Pipeline: member read, create, update; viewer read.
  { subject: 'Pipeline', situation: 'any', object: () => ({ id: 'p' }), expected: { owner: 'CRUD', admin: 'CRUD', member: 'CRU-', viewer: '-R--' } },

  // Webhook: member creates and manages its own; viewer none.
  { subject: 'Webhook', situation: 'created by me', object: () => ({ createdById: ME }), expected: { owner: 'CRUD', admin: 'CRUD', member: 'CRUD', viewer: '----' } },
  { subject: 'Webhook', situation: 'created by another', object: () => ({ createdById: OTHER }), expected: { owner: 'CRUD', admin: 'CRUD', member: '----', viewer: '----' } },

  // ApiKey: everyone manages their own; owner and admin all.
  { subject: 'ApiKey', situation: 'my key', object: () => ({ userId: ME }), expected: all('CRUD') },
  { subject: 'ApiKey', situation: "another's key", object: () => ({ userId: OTHER }), expected: { owner: 'CRUD', admin: 'CRUD', member: '----', viewer: '----' } },

  // Invitation: owner and admin; only an owner invites (or revokes an invitation) to become owner.
  { subject: 'Invitation', situation: 'role member', object: () => ({ role: 'member' }), expected: { owner: 'CRUD', admin: 'CRUD', member: '----', viewer: '----' } },
  { subject: 'Invitation', situation: 'role owner', object: () => ({ role: 'owner' }), expected: { owner: 'CRUD', admin: '-R--', member: '----', viewer: '----' } },
];

function abilityOf(role: Role): AppAbility {
  return defineAbilityFor({ userId: ME, role, teamIds: [MY_TEAM] });
}

function cell(ability: AppAbility, object: Record<string, unknown>, subjectType: SubjectType): string {
  return ACTIONS.map((action) => (ability.can(action, subject(subjectType, { ...object }) as never) ? action[0].toUpperCase() : '-')).join('');
}

describe('defineAbilityFor: the permissions.md matrix, instance by instance', () => {
  const rows = CASES.flatMap((c) => ROLES.map((role) => ({ ...c, role })));

  it.each(rows)('$role × $subject ($situation) → $expected.$role', ({ role, subject: subjectType, object, expected }) => {
    expect(cell(abilityOf(role), object(role), subjectType)).toBe(expected[role]);
  });

  it('covers every subject type and role', () => {
    const subjects = new Set(CASES.map((c) => c.subject));
    expect([...subjects].sort()).toEqual(
      ['ApiKey', 'Assumption', 'Investment', 'Memo', 'Pipeline', 'Team', 'Valuation', 'Webhook', 'Workspace', 'Member', 'Invitation'].sort(),
    );
  });

  it.each(ROLES)('%s: a type-level check is true exactly when some instance of the table is allowed', (role) => {
    // The guard answers 403 from the type-level check: it must not refuse what a row check would allow,
    // nor allow a role that can never do the action.
    const ability = abilityOf(role);
    for (const subjectType of new Set(CASES.map((c) => c.subject))) {
      for (const [i, action] of ACTIONS.entries()) {
        const someInstance = CASES.filter((c) => c.subject === subjectType).some((c) => c.expected[role][i] !== '-');
        expect(ability.can(action, subjectType), `${role} ${action} ${subjectType}`).toBe(someInstance);
      }
    }
  });

  it('team conditions follow the team list: no teams means no team-scoped rows', () => {
    for (const role of ['member', 'viewer'] as const) {
      const ability = defineAbilityFor({ userId: ME, role, teamIds: [] });
      expect(ability.can('read', subject('Investment', { teamId: MY_TEAM }) as never)).toBe(false);
      expect(ability.can('read', subject('Valuation', { teamId: MY_TEAM }) as never)).toBe(false);
    }
    const several = defineAbilityFor({ userId: ME, role: 'member', teamIds: [MY_TEAM, OTHER_TEAM] });
    expect(several.can('update', subject('Investment', { teamId: OTHER_TEAM }) as never)).toBe(true);
    expect(several.can('read', subject('Memo', { visibility: 'team', authorId: OTHER, teamId: OTHER_TEAM }) as never)).toBe(true);
  });

  it('a plain object that is not wrapped with subject() is denied', () => {
    expect(abilityOf('owner').can('read', { teamId: MY_TEAM } as never)).toBe(false);
  });
});

describe('read_permissions (GET …/members/:userId/permissions): admins, or the member themself', () => {
  const table: { situation: string; object: (role: Role) => Record<string, unknown>; expected: Record<Role, boolean> }[] = [
    { situation: 'self', object: (role) => ({ userId: ME, role }), expected: { owner: true, admin: true, member: true, viewer: true } },
    { situation: 'another member', object: () => ({ userId: OTHER, role: 'member' }), expected: { owner: true, admin: true, member: false, viewer: false } },
    { situation: 'another owner', object: () => ({ userId: OTHER, role: 'owner' }), expected: { owner: true, admin: true, member: false, viewer: false } },
  ];
  it.each(table.flatMap((t) => ROLES.map((role) => ({ ...t, role }))))('$role reading $situation', ({ role, object, expected }) => {
    expect(abilityOf(role).can('read_permissions', subject('Member', object(role)) as never)).toBe(expected[role]);
  });
});

describe('packed rules mean the same after a round trip (what a browser loads)', () => {
  it.each(ROLES)('%s', (role) => {
    const server = abilityOf(role);
    const browser = createMongoAbility(unpackRules(packRules(server.rules as never)) as never) as AppAbility;
    for (const c of CASES) {
      expect(cell(browser, c.object(role), c.subject), `${c.subject} ${c.situation}`).toBe(cell(server, c.object(role), c.subject));
    }
  });
});
