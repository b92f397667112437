import { BadRequestException, ValidationPipeOptions } from '@nestjs/common';
import { Transform } from 'class-transformer';
import type { ValidationError } from 'class-validator';

/** Messages one 400 lists; the rest are counted. A bad body costs a short answer, not a megabyte. */
export const MAX_VALIDATION_MESSAGES = 10;

/**
 * class-validator's errors as Nest words them (`parent.child` prefixes), at most
 * MAX_VALIDATION_MESSAGES of them plus one line counting the others. A required field that is
 * absent says so ("teamId is required") rather than the first constraint it fails ("teamId must be
 * a UUID"): optional fields skip validation when absent, so constraints on an undefined value mean
 * the field is required.
 */
export function validationMessages(errors: ValidationError[], max = MAX_VALIDATION_MESSAGES): string[] {
  const messages: string[] = [];
  let more = 0;
  const stack: [ValidationError, string][] = errors.map((e) => [e, '']).reverse() as [ValidationError, string][];
  while (stack.length > 0) {
    const [error, parent] = stack.pop()!;
    const prefix = parent ? `${parent}.` : '';
    const constraints = Object.values(error.constraints ?? {});
    const own = error.value === undefined && constraints.length > 0 ? [`${prefix}${error.property} is required`] : constraints.map((m) => prefix + m);
    for (const message of own) {
      if (messages.length < max) messages.push(message);
      else more++;
    }
    const children = error.children ?? [];
    for (let i = children.length - 1; i >= 0; i--) stack.push([children[i], prefix + error.property]);
  }
  if (more > 0) messages.push(`…and ${more} more problem${more === 1 ? '' : 's'}`);
  return messages;
}

/** Unknown fields are refused, not silently dropped; query strings are converted to their types. */
export const VALIDATION_OPTIONS: ValidationPipeOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  forbidUnknownValues: true,
  exceptionFactory: (errors) => new BadRequestException(validationMessages(errors)),
};

/** Ids in bodies, lower-cased: PostgreSQL ignores a UUID's case, CASL conditions and payloads do not. */
export const CanonicalUuid = () => Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value));

/** ISO-4217 codes are stored upper-case whatever case the client sent. */
export const CanonicalCurrency = () => Transform(({ value }) => (typeof value === 'string' ? value.toUpperCase() : value));
