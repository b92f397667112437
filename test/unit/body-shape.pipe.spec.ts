import { BadRequestException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { bodyShapeProblem, BodyShapePipe, MAX_BODY_DEPTH } from '../../src/common/body-shape.pipe';

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
