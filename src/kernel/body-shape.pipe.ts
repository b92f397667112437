import { ArgumentMetadata, BadRequestException, Injectable, PipeTransform } from '@nestjs/common';

/** Far deeper than any DTO (the deepest is an array of strings inside the body: 2 levels). */
export const MAX_BODY_DEPTH = 32;

/**
 * Bounds on a parsed body's shape, far above what any DTO accepts: a hostile body (70,000 unknown
 * keys, a million tiny nodes) is refused after one cheap walk instead of costing class-transformer
 * and class-validator seconds of CPU and a megabyte of error messages.
 */
export const BODY_SHAPE_LIMITS = {
  depth: MAX_BODY_DEPTH,
  /** The widest DTO has about ten fields. */
  keysPerObject: 64,
  /** Every value counts, objects and arrays included (a pipeline's stages: at most 51). */
  nodes: 2_000,
  /** The longest string field is a memo body (100 KiB). */
  stringLength: 128 * 1024,
  keyLength: 128,
} as const;

export type BodyShapeLimits = typeof BODY_SHAPE_LIMITS;

/**
 * Keys class-transformer skips without a word (`__proto__`, `constructor`, and names of methods the
 * DTO instance inherits), so `forbidNonWhitelisted` never sees them: they must be refused here.
 */
const RESERVED_KEYS = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

/**
 * The first problem with a parsed JSON body's shape, or null. Iterative, so it cannot overflow
 * itself, and it stops at the first problem: its cost is bounded by the limits, not by the body.
 */
export function bodyShapeProblem(value: unknown, limits: BodyShapeLimits | number = BODY_SHAPE_LIMITS): string | null {
  const max = typeof limits === 'number' ? { ...BODY_SHAPE_LIMITS, depth: limits } : limits;
  const stack: [unknown, number][] = [[value, 1]];
  let nodes = 0;
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (++nodes > max.nodes) return `body has more than ${max.nodes} values`;
    if (typeof node === 'string') {
      if (node.length > max.stringLength) return `body has a string longer than ${max.stringLength} characters`;
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    if (depth > max.depth) return `body is nested deeper than ${max.depth} levels`;
    const isArray = Array.isArray(node);
    let keys = 0;
    // for…in rather than Object.keys: stop at the limit without listing 70,000 keys first.
    for (const key in node) {
      if (!Object.prototype.hasOwnProperty.call(node, key)) continue;
      if (!isArray) {
        if (++keys > max.keysPerObject) return `an object in the body has more than ${max.keysPerObject} properties`;
        if (key.length > max.keyLength) return `a property name in the body is longer than ${max.keyLength} characters`;
        if (RESERVED_KEYS.has(key)) return `property ${key} should not exist`;
      } else if (stack.length > max.nodes) {
        return `body has more than ${max.nodes} values`;
      }
      stack.push([(node as Record<string, unknown>)[key], depth + 1]);
    }
  }
  return null;
}

/**
 * The same bounds (values, keys per object, depth) checked on the raw JSON bytes, before
 * JSON.parse builds anything: one pass over the bytes, stopping at the first excess. It never
 * refuses what bodyShapeProblem accepts (it counts a little less: no root scalar, an array's
 * elements by its commas), so messages match and the exact check after parsing stays the authority.
 */
export function jsonShapeProblem(bytes: Uint8Array, max: BodyShapeLimits = BODY_SHAPE_LIMITS): string | null {
  const members = new Int32Array(max.depth + 1);
  const isObject = new Uint8Array(max.depth + 1);
  let depth = 0;
  let values = 0;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c) escaped = true;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      // { or [
      if (++depth > max.depth) return `body is nested deeper than ${max.depth} levels`;
      values++;
      members[depth] = 0;
      isObject[depth] = c === 0x7b ? 1 : 0;
    } else if (c === 0x7d || c === 0x5d) {
      if (depth > 0) depth--;
    } else if (c === 0x3a) {
      // : one member of the innermost object
      values++;
      if (depth > 0 && isObject[depth] && ++members[depth] > max.keysPerObject) {
        return `an object in the body has more than ${max.keysPerObject} properties`;
      }
    } else if (c === 0x2c && depth > 0 && !isObject[depth]) {
      values++;
    } else {
      continue;
    }
    if (values > max.nodes) return `body has more than ${max.nodes} values`;
  }
  return null;
}

/** body-parser `verify`: refuses (400) a body whose raw JSON is out of bounds, before it is parsed. */
export function verifyJsonShape(_req: unknown, _res: unknown, bytes: Buffer): void {
  const problem = jsonShapeProblem(bytes);
  if (problem) throw Object.assign(new Error(problem), { status: 400, statusCode: 400, expose: true, type: 'entity.shape.invalid' });
}

/**
 * Express middleware, right after the JSON parser: a body whose shape is out of bounds is refused
 * (400, one short message) before routing, guards, class-transformer or class-validator see it.
 */
export function bodyShapeMiddleware(limits: BodyShapeLimits = BODY_SHAPE_LIMITS) {
  return (req: { body?: unknown }, res: { status(code: number): { json(body: unknown): void } }, next: () => void): void => {
    const problem = req.body === undefined ? null : bodyShapeProblem(req.body, limits);
    if (!problem) return next();
    res.status(400).json({ statusCode: 400, message: [problem], error: 'Bad Request' });
  };
}

/**
 * Runs before the ValidationPipe on every body, in case a body reaches a handler without passing
 * the middleware (an app built without createHttpApp): refuses (400) what class-transformer would
 * mishandle. It recurses into every nested value, unknown fields included, so a body a few
 * thousand levels deep (well under the 1 MB limit) overflows its stack (a 500); and it drops
 * reserved keys silently, so `{"name": "x", "constructor": 1}` would pass as valid.
 */
@Injectable()
export class BodyShapePipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'body') return value;
    const problem = bodyShapeProblem(value);
    if (problem) throw new BadRequestException([problem]);
    return value;
  }
}
