import { createMongoAbility, subject } from '@casl/ability';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTITIES } from '../../src/entities';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { ApiKey } from '../../src/identity/api-key.entity';
import { defineAbilityFor } from '../../src/permissions/ability.factory';
import { AccessReader } from '../../src/permissions/access-reader';
import { AbilityService } from '../../src/permissions/ability.service';
import {
  CUSTOM_ROLE_ACTIONS,
  CUSTOM_ROLE_SCOPES,
  CUSTOM_ROLE_SUBJECTS,
  FIELD_LIMITED_SUBJECTS,
  permissionProblems,
  RolePermission,
} from '../../src/permissions/custom-role';
import type { Action, AppAbility, SubjectType } from '../../src/permissions/subjects';
import { Investment } from '../../src/resources/investments/investment.entity';
import { Memo } from '../../src/resources/memos/memo.entity';
import { Valuation } from '../../src/resources/valuations/valuation.entity';
import { Webhook } from '../../src/webhooks/webhook.entity';
import { Membership } from '../../src/workspaces/membership.entity';
import { ROLES, type Role } from '../../src/permissions/role';
import { Team } from '../../src/workspaces/team.entity';
import { createTestDatabase } from '../support/test-database';

/**
 * Property: for any user, role, team memberships and rows, the SQL built from the ability's rules
 * (AbilityService.scope) returns exactly the rows for which `ability.can(action, subject(row))` holds.
 * The rows live in a real PostgreSQL, so NULL semantics, uuid comparison and parameter binding are real.
 */
const USERS = 5;
const TEAMS = 4;
const VISIBILITIES = ['private', 'team', 'workspace'] as const;
const ACTIONS: Action[] = ['read', 'update', 'delete'];

let dataSource: DataSource;
let abilities: AbilityService;
let userIds: string[];

beforeAll(async () => {
  dataSource = new DataSource({ ...dataSourceOptions(await createTestDatabase(), ENTITIES), extra: { max: 4 } });
  await dataSource.initialize();
  abilities = new AbilityService(dataSource, new AccessReader(dataSource));
  userIds = [];
  for (let i = 0; i < USERS; i++) {
    const [row] = await dataSource.query(`INSERT INTO users (email, name, password_hash) VALUES ($1, 'u', 'x') RETURNING id`, [`${randomUUID()}@example.com`]);
    userIds.push(row.id);
  }
});
afterAll(() => dataSource?.destroy());

/** Rows are described by indexes into the run's users and teams, so shrinking stays readable. */
interface Universe {
  memos: { visibility: (typeof VISIBILITIES)[number]; author: number; team: number | null }[];
  investments: { team: number }[];
  valuations: { investment: number }[];
  members: { user: number; role: Role }[];
  apiKeys: { user: number }[];
  webhooks: { creator: number }[];
}

const universe: fc.Arbitrary<Universe> = fc.record({
  memos: fc.array(
    fc.record({
      visibility: fc.constantFrom(...VISIBILITIES),
      author: fc.nat(USERS - 1),
      team: fc.option(fc.nat(TEAMS - 1), { nil: null }),
    }),
    { maxLength: 12 },
  ),
  investments: fc.array(fc.record({ team: fc.nat(TEAMS - 1) }), { minLength: 1, maxLength: 6 }),
  valuations: fc.array(fc.record({ investment: fc.nat(5) }), { maxLength: 6 }),
  members: fc.uniqueArray(fc.record({ user: fc.nat(USERS - 1), role: fc.constantFrom(...ROLES) }), { selector: (m) => m.user, maxLength: USERS }),
  apiKeys: fc.array(fc.record({ user: fc.nat(USERS - 1) }), { maxLength: 5 }),
  webhooks: fc.array(fc.record({ creator: fc.nat(USERS - 1) }), { maxLength: 5 }),
});

const caller = fc.record({
  user: fc.nat(USERS - 1),
  role: fc.constantFrom(...ROLES),
  teams: fc.subarray([0, 1, 2, 3]),
});

interface Seeded {
  workspaceId: string;
  teamIds: string[];
}

async function seed(u: Universe): Promise<Seeded> {
  return dataSource.transaction(async (tx) => {
    const [{ id: workspaceId }] = await tx.query(`INSERT INTO workspaces (name) VALUES ('prop') RETURNING id`);
    const teamIds: string[] = [];
    for (let i = 0; i < TEAMS; i++) teamIds.push((await tx.query(`INSERT INTO teams (workspace_id, name) VALUES ($1, $2) RETURNING id`, [workspaceId, `t${i}`]))[0].id);
    const investments = await tx.getRepository(Investment).save(u.investments.map((i) => ({ workspaceId, name: 'i', teamId: teamIds[i.team] })));
    await tx.getRepository(Valuation).save(
      u.valuations.map((v) => {
        const investment = investments[v.investment % investments.length];
        return { workspaceId, investmentId: investment.id, teamId: investment.teamId, value: 1 };
      }),
    );
    await tx.getRepository(Memo).save(
      u.memos.map((m) => ({ workspaceId, title: 'm', visibility: m.visibility, authorId: userIds[m.author], teamId: m.team === null ? null : teamIds[m.team] })),
    );
    await tx.getRepository(Membership).insert(u.members.map((m) => ({ workspaceId, userId: userIds[m.user], role: m.role })));
    await tx.getRepository(ApiKey).save(u.apiKeys.map((k) => ({ workspaceId, userId: userIds[k.user], name: 'k', prefix: 'p', keyHash: randomUUID() })));
    await tx.getRepository(Webhook).save(
      u.webhooks.map((w) => ({ workspaceId, name: 'w', url: 'https://93.184.216.34/', events: [], createdById: userIds[w.creator], secrets: [] })),
    );
    return { workspaceId, teamIds };
  });
}

const SUBJECTS: [SubjectType, EntityTarget<ObjectLiteral>, (row: ObjectLiteral) => string][] = [
  ['Memo', Memo, (r) => r.id],
  ['Investment', Investment, (r) => r.id],
  ['Valuation', Valuation, (r) => r.id],
  ['Member', Membership, (r) => r.userId],
  ['ApiKey', ApiKey, (r) => r.id],
  ['Webhook', Webhook, (r) => r.id],
  ['Team', Team, (r) => r.id],
];

/** The rows the SQL filter returns vs the rows `ability.can` allows, for one subject and action. */
async function compare(ability: AppAbility, workspaceId: string, subjectType: SubjectType, entity: EntityTarget<ObjectLiteral>, key: (r: ObjectLiteral) => string, action: Action) {
  const all = await dataSource.getRepository(entity).createQueryBuilder('row').where('row.workspaceId = :workspaceId', { workspaceId }).getMany();
  const scoped = await abilities
    .scope(dataSource.getRepository(entity).createQueryBuilder('row').where('row.workspaceId = :workspaceId', { workspaceId }), ability, action, subjectType, entity)
    .getMany();
  const allowed = all.filter((row) => ability.can(action, subject(subjectType, { ...row }) as never));
  return { sql: scoped.map(key).sort(), can: allowed.map(key).sort(), total: all.length };
}

describe('AbilityService.scope: SQL returns exactly what ability.can() allows', () => {
  it('for the policy matrix, any role, teams and rows', async () => {
    let nonTrivial = 0;
    await fc.assert(
      fc.asyncProperty(universe, fc.array(caller, { minLength: 1, maxLength: 4 }), async (u, callers) => {
        const { workspaceId, teamIds } = await seed(u);
        for (const c of callers) {
          const ability = defineAbilityFor({ userId: userIds[c.user], role: c.role, teamIds: c.teams.map((t) => teamIds[t]) });
          for (const [subjectType, entity, key] of SUBJECTS) {
            for (const action of ACTIONS) {
              const { sql, can, total } = await compare(ability, workspaceId, subjectType, entity, key, action);
              expect(sql, `${c.role} ${action} ${subjectType}`).toEqual(can);
              if (can.length > 0 && can.length < total) nonTrivial++;
            }
          }
        }
      }),
      { numRuns: 100 },
    );
    // The property is only meaningful if filters actually split the rows somewhere.
    expect(nonTrivial).toBeGreaterThan(50);
    // A deadline, not a performance bound: 100 runs against PostgreSQL take ~10 s idle, ~30 s on a loaded machine.
  }, 180_000);

  // Custom roles (issue 18): any valid generated role compiles to rules whose SQL agrees with CASL.
  const permission: fc.Arbitrary<RolePermission> = fc.record(
    {
      subject: fc.constantFrom(...CUSTOM_ROLE_SUBJECTS),
      actions: fc.subarray([...CUSTOM_ROLE_ACTIONS], { minLength: 1 }),
      scope: fc.constantFrom(...CUSTOM_ROLE_SCOPES),
      fields: fc.subarray(['name', 'teamId', 'amount', 'visibility'], { minLength: 1 }),
    },
    { requiredKeys: ['subject', 'actions', 'scope'] },
  );
  const customRole = fc
    .array(permission, { maxLength: 6 })
    .map((ps) => ps.filter((p) => permissionProblems([p], (subject) => (FIELD_LIMITED_SUBJECTS.includes(subject) ? ['name', 'teamId', 'amount', 'visibility'] : null)).length === 0));

  it('for generated custom roles, any teams and rows', async () => {
    let nonTrivial = 0;
    let permissions = 0;
    await fc.assert(
      fc.asyncProperty(universe, fc.array(fc.record({ caller, role: customRole }), { minLength: 1, maxLength: 3 }), async (u, callers) => {
        const { workspaceId, teamIds } = await seed(u);
        for (const { caller: c, role } of callers) {
          permissions += role.length;
          const ability = defineAbilityFor({ userId: userIds[c.user], role: 'custom', teamIds: c.teams.map((t) => teamIds[t]), permissions: role });
          for (const [subjectType, entity, key] of SUBJECTS) {
            for (const action of [...ACTIONS, 'create'] as Action[]) {
              const { sql, can, total } = await compare(ability, workspaceId, subjectType, entity, key, action);
              expect(sql, `${JSON.stringify(role)} ${action} ${subjectType}`).toEqual(can);
              if (can.length > 0 && can.length < total) nonTrivial++;
            }
          }
        }
      }),
      { numRuns: Number(process.env.CUSTOM_RUNS ?? 60) },
    );
    // Meaningful only if roles were generated and split rows (typically ~150 valid permissions and ~120 splits).
    expect(permissions).toBeGreaterThan(40);
    expect(nonTrivial).toBeGreaterThan(30);
  }, 180_000);

  // Beyond today's matrix: any mix of can/cannot rules over the operators the translator claims to
  // support, on nullable columns, must still agree with CASL (and must throw rather than disagree).
  const value = (field: 'visibility' | 'teamId' | 'authorId', teamIds: string[]) =>
    field === 'visibility'
      ? fc.constantFrom<string | null>(...VISIBILITIES)
      : field === 'teamId'
        ? fc.option(fc.constantFrom(...teamIds), { nil: null })
        : fc.constantFrom(...userIds);
  const condition = (teamIds: string[]) =>
    fc
      .uniqueArray(fc.constantFrom('visibility' as const, 'teamId' as const, 'authorId' as const), { minLength: 1, maxLength: 2 })
      .chain((fields) =>
        fc.tuple(
          ...fields.map((field) =>
            fc.oneof(
              value(field, teamIds).map((v) => [field, v] as const),
              value(field, teamIds).map((v) => [field, { $ne: v }] as const),
              fc.array(value(field, teamIds), { maxLength: 3 }).map((vs) => [field, { $in: vs }] as const),
              fc.array(value(field, teamIds), { maxLength: 3 }).map((vs) => [field, { $nin: vs }] as const),
            ),
          ),
        ),
      )
      .map((entries) => Object.fromEntries(entries));

  it('for arbitrary can/cannot rules with eq, ne, in, nin (nulls included)', async () => {
    const { workspaceId, teamIds } = await seed(
      fc.sample(universe, { numRuns: 1, seed: 42 })[0] as Universe,
    );
    // A fixed, dense set of memos: every visibility × author × team (and no team).
    await dataSource.getRepository(Memo).save(
      VISIBILITIES.flatMap((visibility) =>
        userIds.slice(0, 3).flatMap((authorId) => [...teamIds.slice(0, 2), null].map((teamId) => ({ workspaceId, title: 'dense', visibility, authorId, teamId }))),
      ),
    );
    const rule = fc.record({
      inverted: fc.boolean(),
      conditions: fc.option(condition(teamIds), { nil: undefined, freq: 5 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(rule, { minLength: 1, maxLength: 4 }), async (rules) => {
        const ability = createMongoAbility(rules.map((r) => ({ action: 'read', subject: 'Memo', ...r }))) as AppAbility;
        const { sql, can } = await compare(ability, workspaceId, 'Memo', Memo, (r) => r.id, 'read');
        expect(sql, JSON.stringify(rules)).toEqual(can);
      }),
      { numRuns: 300 },
    );
  });
});
