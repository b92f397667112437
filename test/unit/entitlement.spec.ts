import { AbilityBuilder, createMongoAbility } from '@casl/ability';
import { describe, expect, it } from 'vitest';
import { entitlement } from '../../src/delivery/entitlement';
import { defineAbilityFor } from '../../src/permissions/ability.factory';
import type { AppAbility } from '../../src/permissions/subjects';

const ME = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const MY_TEAM = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const OTHER_TEAM = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';

const member = defineAbilityFor({ userId: ME, role: 'member', teamIds: [MY_TEAM] });
const owner = defineAbilityFor({ userId: ME, role: 'owner', teamIds: [] });

describe('entitlement: what a webhook owner may receive of one event', () => {
  it('nothing when the owner may not read the object', () => {
    const data = { object: { id: 'i1', teamId: OTHER_TEAM, amount: 1 } };
    expect(entitlement(member, 'investment.created', data)).toEqual({ readable: false });
    expect(entitlement(member, 'memo.created', { object: { id: 'm1', authorId: OTHER, visibility: 'private' } })).toEqual({ readable: false });
  });

  it('the event as is when everything is readable (no copy)', () => {
    const data = { object: { id: 'i1', teamId: MY_TEAM, amount: 2 }, previousAttributes: { amount: 1 } };
    const result = entitlement(member, 'investment.updated', data);
    expect(result).toEqual({ readable: true, data, narrowed: false });
    expect(result.readable && result.data).toBe(data);
  });

  it('drops previousAttributes when the object as it was before the change was not readable', () => {
    const moved = { object: { id: 'i1', teamId: MY_TEAM, amount: 2 }, previousAttributes: { teamId: OTHER_TEAM, amount: 1 } };
    expect(entitlement(member, 'investment.updated', moved)).toEqual({ readable: true, data: { object: moved.object }, narrowed: true });
    const published = {
      object: { id: 'm1', authorId: OTHER, visibility: 'workspace', title: 'new' },
      previousAttributes: { visibility: 'private', title: 'old' },
    };
    expect(entitlement(member, 'memo.updated', published)).toEqual({ readable: true, data: { object: published.object }, narrowed: true });
    // Not even an owner reads another person's private memo: same answer.
    expect(entitlement(owner, 'memo.updated', published)).toMatchObject({ data: { object: published.object } });
    // The owner could read the investment in any team: the old values stay.
    expect(entitlement(owner, 'investment.updated', moved)).toMatchObject({ data: moved, narrowed: false });
  });

  it('field-level rules keep only readable fields of the object and of its old values', () => {
    const { can, build } = new AbilityBuilder<AppAbility>(createMongoAbility);
    can('read', 'Investment', ['id', 'name', 'teamId'], { teamId: MY_TEAM });
    const limited = build();
    const data = { object: { id: 'i1', name: 'n', teamId: MY_TEAM, amount: 2 }, previousAttributes: { name: 'old', amount: 1 } };
    expect(entitlement(limited, 'investment.updated', data)).toEqual({
      readable: true,
      data: { object: { id: 'i1', name: 'n', teamId: MY_TEAM }, previousAttributes: { name: 'old' } },
      narrowed: true,
    });
  });

  it('the test event always; an unknown type never', () => {
    const data = { object: { webhookId: 'w', message: 'hi' } };
    expect(entitlement(defineAbilityFor({ userId: ME, role: 'viewer', teamIds: [] }), 'webhook.test', data)).toMatchObject({ readable: true });
    expect(entitlement(owner, 'secret.leaked', data)).toEqual({ readable: false });
  });
});
