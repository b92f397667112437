import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { previousAttributes } from '../../src/events/event-diff';

describe('previousAttributes', () => {
  it('holds the old values of exactly the changed fields', () => {
    const before = { id: 'a', name: 'Acme', amount: 100, stage: null, teamId: 't1', updatedAt: '2026-01-01T00:00:00.000Z' };
    const after = { ...before, amount: 250, stage: 'Seed', updatedAt: '2026-01-02T00:00:00.000Z' };
    expect(previousAttributes(before, after)).toEqual({ amount: 100, stage: null });
  });

  it('ignores updatedAt and is empty when nothing else changed', () => {
    const before = { id: 'a', name: 'Acme', updatedAt: '2026-01-01T00:00:00.000Z' };
    expect(previousAttributes(before, { ...before, updatedAt: '2026-02-01T00:00:00.000Z' })).toEqual({});
    expect(previousAttributes(before, { ...before })).toEqual({});
  });

  it('compares arrays and objects by value', () => {
    const before = { stages: ['a', 'b'], meta: { x: 1 } };
    expect(previousAttributes(before, { stages: ['a', 'b'], meta: { x: 1 } })).toEqual({});
    expect(previousAttributes(before, { stages: ['a', 'b', 'c'], meta: { x: 1 } })).toEqual({ stages: ['a', 'b'] });
    expect(previousAttributes(before, { stages: ['b', 'a'], meta: { x: 2 } })).toEqual({ stages: ['a', 'b'], meta: { x: 1 } });
  });

  it('reports a field that was absent before as null, and distinguishes 0, null and ""', () => {
    expect(previousAttributes({}, { teamId: 't1' })).toEqual({ teamId: null });
    expect(previousAttributes({ amount: 0 }, { amount: null })).toEqual({ amount: 0 });
    expect(previousAttributes({ unit: '' }, { unit: null })).toEqual({ unit: '' });
    expect(previousAttributes({ amount: null }, { amount: 0 })).toEqual({ amount: null });
  });

  it('property: applying the changed fields of `after` to `before` gives `after`; unchanged keys never appear', () => {
    const value = fc.oneof(fc.constant(null), fc.integer({ min: -3, max: 3 }), fc.constantFrom('a', 'b', ''), fc.array(fc.constantFrom('x', 'y'), { maxLength: 2 }));
    const record = fc.dictionary(fc.constantFrom('name', 'amount', 'stages', 'teamId', 'updatedAt'), value);
    fc.assert(
      fc.property(record, record, (base, changes) => {
        const before = { ...base };
        const after = { ...base, ...changes };
        const changed = previousAttributes(before, after);
        expect(Object.keys(changed)).not.toContain('updatedAt');
        for (const key of Object.keys(changed)) {
          expect(changed[key]).toEqual(before[key] ?? null);
          expect(after[key]).not.toEqual(before[key]);
        }
        for (const key of Object.keys(after)) {
          if (key !== 'updatedAt' && !(key in changed)) expect(after[key]).toEqual(before[key]);
        }
      }),
    );
  });
});
