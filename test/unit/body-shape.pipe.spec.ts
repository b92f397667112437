import { BadRequestException } from '@nestjs/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BODY_SHAPE_LIMITS, bodyShapeProblem, BodyShapePipe, jsonShapeProblem, MAX_BODY_DEPTH } from '../../src/kernel/body-shape.pipe';

function nested(depth: number, asArray: boolean): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = asArray ? [value] : { a: value };
  return value;
}

describe('BodyShapePipe', () => {
  const pipe = new BodyShapePipe();

  it('passes ordinary DTO bodies through unchanged', () => {
    const body = { name: 'Seed', stages: ['a', 'b'], amount: 0, stage: null };
    expect(pipe.transform(body, { type: 'body' })).toBe(body);
    expect(bodyShapeProblem({})).toBeNull();
    expect(bodyShapeProblem(undefined)).toBeNull();
  });

  it(`refuses bodies nested deeper than ${MAX_BODY_DEPTH} levels, objects or arrays, at any position`, () => {
    for (const asArray of [false, true]) {
      expect(bodyShapeProblem(nested(MAX_BODY_DEPTH, asArray))).toBeNull();
      expect(bodyShapeProblem(nested(MAX_BODY_DEPTH + 1, asArray))).toMatch(/nested deeper/);
      expect(bodyShapeProblem({ name: 'x', extra: nested(MAX_BODY_DEPTH, asArray) })).toMatch(/nested deeper/);
    }
    // Iterative: a depth that would overflow a recursive walk is just refused.
    expect(bodyShapeProblem(nested(200_000, true))).toMatch(/nested deeper/);
    expect(() => pipe.transform(nested(5_000, false), { type: 'body' })).toThrow(BadRequestException);
  });

  it('refuses keys class-transformer would drop silently, at any level', () => {
    for (const key of ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf']) {
      const body = JSON.parse(`{"name": "x", ${JSON.stringify(key)}: 1}`);
      expect(bodyShapeProblem(body)).toBe(`property ${key} should not exist`);
      expect(bodyShapeProblem({ name: 'x', nested: [{ [key]: 1 }] })).toBe(`property ${key} should not exist`);
    }
    expect(bodyShapeProblem({ name: 'x', foo: 1 })).toBeNull(); // left to the ValidationPipe's whitelist
  });

  it('checks bodies only: query and path values are left to their own pipes', () => {
    const deep = nested(100, false);
    expect(pipe.transform(deep, { type: 'query' })).toBe(deep);
    expect(pipe.transform({ constructor: 1 }, { type: 'param' })).toEqual({ constructor: 1 });
  });
});

describe('body shape bounds (issue 12: 70,000 keys, huge lists)', () => {
  const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
  const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));

  it('keys per object, values, string and key lengths: at the bound passes, one more is refused', () => {
    const L = BODY_SHAPE_LIMITS;
    expect(bodyShapeProblem(keys(L.keysPerObject))).toBeNull();
    expect(bodyShapeProblem({ a: [keys(L.keysPerObject + 1)] })).toMatch(/more than 64 properties/);
    expect(bodyShapeProblem(Array.from({ length: L.nodes - 1 }, () => 0))).toBeNull();
    expect(bodyShapeProblem(Array.from({ length: L.nodes }, () => 0))).toMatch(/more than 2000 values/);
    expect(bodyShapeProblem({ s: 'x'.repeat(L.stringLength) })).toBeNull();
    expect(bodyShapeProblem({ s: ['x'.repeat(L.stringLength + 1)] })).toMatch(/string longer/);
    expect(bodyShapeProblem({ ['k'.repeat(L.keyLength + 1)]: 1 })).toMatch(/property name/);
  });

  it('the raw-bytes scan refuses the attack body before parsing, with the same message', () => {
    const attack = bytes({ email: 'a@b.c', password: 'p', ...keys(70_000) });
    expect(jsonShapeProblem(attack)).toBe(bodyShapeProblem(JSON.parse(attack.toString())));
    expect(jsonShapeProblem(bytes(Array.from({ length: 5_000 }, () => 0)))).toMatch(/more than 2000 values/);
    expect(jsonShapeProblem(Buffer.from('['.repeat(MAX_BODY_DEPTH + 1)))).toMatch(/nested deeper/);
    // Structural characters inside strings (escaped quotes included) are not structure.
    expect(jsonShapeProblem(bytes({ s: '{[:,]}\\"{{{'.repeat(5_000) }))).toBeNull();
  });

  it('the raw-bytes scan never refuses a body the exact check accepts', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        if (bodyShapeProblem(value) === null) expect(jsonShapeProblem(bytes(value))).toBeNull();
      }),
      { numRuns: 500 },
    );
  });
});
