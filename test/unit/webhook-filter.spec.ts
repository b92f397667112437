import { describe, expect, it } from 'vitest';
import { filterInput, filterProblems, matchesWebhookFilter } from '../../src/webhooks/webhook-filter';

const fields = new Set(['id', 'amount', 'value', 'teamId']);
const deliver = (filter: Record<string, unknown>, object: Record<string, unknown>, previousAttributes?: Record<string, unknown>) =>
  matchesWebhookFilter(filter, filterInput({ object, previousAttributes }, Object.keys(previousAttributes ?? {}))).deliver;

describe('webhook filters (ucast)', () => {
  it('matches the documented examples', () => {
    expect(deliver({ changedFields: { $in: ['value'] } }, { value: 2 }, { value: 1 })).toBe(true);
    expect(deliver({ changedFields: { $in: ['value'] } }, { value: 2, method: 'x' }, { method: null })).toBe(false);
    expect(deliver({ 'object.amount': { $gte: 1_000_000 } }, { amount: 1_000_000 })).toBe(true);
    expect(deliver({ 'object.amount': { $gte: 1_000_000 } }, { amount: 999_999 })).toBe(false);
    expect(deliver({ 'object.amount': { $gte: 1_000_000 } }, {})).toBe(false);
  });

  it('supports $eq $ne $in $nin $gt $gte $lt $lte $exists $and $or $not on dotted paths', () => {
    const o = { amount: 5, teamId: 't1' };
    expect(deliver({ 'object.teamId': { $eq: 't1' } }, o)).toBe(true);
    expect(deliver({ 'object.teamId': { $ne: 't1' } }, o)).toBe(false);
    expect(deliver({ 'object.teamId': { $nin: ['t2'] } }, o)).toBe(true);
    expect(deliver({ 'object.amount': { $gt: 4, $lt: 6 } }, o)).toBe(true);
    expect(deliver({ 'object.amount': { $lte: 4 } }, o)).toBe(false);
    expect(deliver({ 'previousAttributes.amount': { $exists: true } }, o)).toBe(false);
    expect(deliver({ $or: [{ 'object.amount': 1 }, { 'object.teamId': 't1' }] }, o)).toBe(true);
    expect(deliver({ $and: [{ 'object.amount': 5 }, { 'object.teamId': 't2' }] }, o)).toBe(false);
    expect(deliver({ 'object.amount': { $not: { $gt: 10 } } }, o)).toBe(true);
  });

  it('sees only the fields the webhook may carry: a narrowed-away change is not a changed field', () => {
    // `amount` changed, but the owner may not read it: the entitled data has neither it nor its old value.
    expect(matchesWebhookFilter({ changedFields: { $in: ['amount'] } }, filterInput({ object: { id: 'i' }, previousAttributes: {} }, ['amount'])).deliver).toBe(false);
  });

  it('names an unknown operator or field, and accepts valid filters', () => {
    expect(filterProblems({ 'object.amount': { $regex: '^1' } }, fields)[0]).toContain('$regex');
    expect(filterProblems({ $where: 'true' }, fields)[0]).toContain('$where');
    expect(filterProblems({ 'object.amout': 1 }, fields)[0]).toContain('"object.amout"');
    expect(filterProblems({ $or: [{ 'payload.x': 1 }] }, fields)[0]).toContain('"payload.x"');
    expect(filterProblems({ 'changedFields.x': 1 }, fields)[0]).toContain('changedFields');
    expect(filterProblems([], fields)[0]).toContain('must be an object');
    expect(filterProblems({ 'object.amount': { $in: 5 } }, fields)[0]).toContain('not a valid query');
    expect(filterProblems({ changedFields: { $in: ['value'] } }, fields)).toEqual([]);
    expect(filterProblems({ $or: [{ 'object.amount': { $gte: 1 } }, { 'previousAttributes.value': { $exists: true } }] }, fields)).toEqual([]);
  });
});
