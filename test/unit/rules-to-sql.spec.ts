import { createMongoAbility } from '@casl/ability';
import type { EntityMetadata } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { defineAbilityFor } from '../../src/permissions/ability.factory';
import { abilityToSql } from '../../src/permissions/rules-to-sql';
import type { AppAbility } from '../../src/permissions/subjects';

/** Just enough metadata for the translator: camelCase properties → snake_case columns. */
const MEMO_COLUMNS = ['id', 'workspaceId', 'title', 'teamId', 'visibility', 'authorId'];
const metadata = {
  findColumnWithPropertyName: (name: string) =>
    MEMO_COLUMNS.includes(name) ? { databaseName: name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) } : undefined,
} as unknown as EntityMetadata;

const ability = (rules: unknown[]) => createMongoAbility(rules as never) as AppAbility;
const sqlOf = (a: AppAbility, action = 'read') => abilityToSql(a, action as never, 'Memo', 'row', metadata);

describe('rules-to-sql fails closed', () => {
  it('throws on an operator it does not translate, rather than returning too much', () => {
    for (const conditions of [{ title: { $regex: 'x' } }, { title: { $gt: 'a' } }, { title: { $exists: true } }, { teamId: { $all: ['a'] } }]) {
      expect(() => sqlOf(ability([{ action: 'read', subject: 'Memo', conditions }])), JSON.stringify(conditions)).toThrow(/not supported/);
    }
  });

  it('throws on a field the entity does not have', () => {
    expect(() => sqlOf(ability([{ action: 'read', subject: 'Memo', conditions: { secret: 'x' } }]))).toThrow(/unknown field/);
  });

  it('`$in: []` matches nothing (and is valid SQL)', () => {
    const filter = sqlOf(ability([{ action: 'read', subject: 'Memo', conditions: { teamId: { $in: [] } } }]));
    expect(filter.sql).toBe('FALSE');
    expect(filter.params).toEqual({});
  });

  it('a team-scoped role with no teams gets FALSE for team-scoped subjects', () => {
    const viewer = defineAbilityFor({ userId: 'u', role: 'viewer', teamIds: [] });
    expect(abilityToSql(viewer, 'read', 'Investment', 'row', { findColumnWithPropertyName: () => ({ databaseName: 'team_id' }) } as never).sql).toBe('FALSE');
  });

  it('no rule at all for the action means no row', () => {
    expect(sqlOf(defineAbilityFor({ userId: 'u', role: 'viewer', teamIds: [] }), 'delete').sql).toBe('FALSE');
    expect(sqlOf(ability([])).sql).toBe('FALSE');
  });

  it('an unconditional rule means every row; a cannot narrows it with NOT', () => {
    expect(sqlOf(ability([{ action: 'read', subject: 'Memo' }])).sql).toBe('TRUE');
    const narrowed = sqlOf(ability([{ action: 'read', subject: 'Memo' }, { action: 'read', subject: 'Memo', inverted: true, conditions: { visibility: 'private' } }]));
    expect(narrowed.sql).toMatch(/^\(?NOT COALESCE/);
    expect(Object.values(narrowed.params)).toEqual(['private']);
  });

  it('an unconditional cannot denies everything', () => {
    expect(sqlOf(ability([{ action: 'read', subject: 'Memo' }, { action: 'read', subject: 'Memo', inverted: true }])).sql).toBe('FALSE');
  });

  it('nulls inside $in / $nin keep CASL semantics (SQL `IN (NULL)` would never match)', () => {
    expect(sqlOf(ability([{ action: 'read', subject: 'Memo', conditions: { teamId: { $in: [null] } } }])).sql).toBe('"row"."team_id" IS NULL');
    const nin = sqlOf(ability([{ action: 'read', subject: 'Memo', conditions: { teamId: { $nin: [null, 't'] } } }]));
    expect(nin.sql).toMatch(/^\("row"\."team_id" IS NOT NULL AND "row"\."team_id" NOT IN \(:\.\.\.casl_\d+\)\)$/);
    expect(Object.values(nin.params)).toEqual([['t']]);
  });

  it('throws on array or object values it cannot compare like CASL does', () => {
    expect(() => sqlOf(ability([{ action: 'read', subject: 'Memo', conditions: { teamId: ['a', 'b'] } }]))).toThrow(/not supported/);
    expect(() => sqlOf(ability([{ action: 'read', subject: 'Memo', conditions: { teamId: { $in: [['a']] } } }]))).toThrow(/not supported/);
  });

  it('checks the field even when the list is empty', () => {
    expect(() => sqlOf(ability([{ action: 'read', subject: 'Memo', conditions: { secret: { $nin: [] } } }]))).toThrow(/unknown field/);
  });

  it('values are bound as parameters, never spliced into the SQL', () => {
    const evil = "x' OR '1'='1";
    const filter = sqlOf(ability([{ action: 'read', subject: 'Memo', conditions: { authorId: evil } }]));
    expect(filter.sql).not.toContain(evil);
    expect(Object.values(filter.params)).toEqual([evil]);
  });
});
