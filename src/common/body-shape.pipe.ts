import { ArgumentMetadata, BadRequestException, Injectable, PipeTransform } from '@nestjs/common';

/** Far deeper than any DTO (the deepest is an array of strings inside the body: 2 levels). */
export const MAX_BODY_DEPTH = 32;

/**
 * Keys class-transformer skips without a word (`__proto__`, `constructor`, and names of methods the
 * DTO instance inherits), so `forbidNonWhitelisted` never sees them: they must be refused here.
 */
const RESERVED_KEYS = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

/** The first problem with a parsed JSON body's shape, or null; iterative, so it cannot overflow itself. */
export function bodyShapeProblem(value: unknown, maxDepth = MAX_BODY_DEPTH): string | null {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > maxDepth) return `body is nested deeper than ${maxDepth} levels`;
    for (const key of Object.keys(node)) {
      if (!Array.isArray(node) && RESERVED_KEYS.has(key)) return `property ${key} should not exist`;
      stack.push([(node as Record<string, unknown>)[key], depth + 1]);
    }
  }
  return null;
}

/**
 * Runs before the ValidationPipe on every body: refuses (400) what class-transformer would
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
