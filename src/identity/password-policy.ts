import { dictionary } from '@zxcvbn-ts/language-common';
import { registerDecorator, ValidationOptions } from 'class-validator';

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;

// ~49,000 passwords seen most often in breaches, shipped with zxcvbn-ts (no network lookup).
const COMMON = new Set((dictionary as Record<string, string[]>)['passwords-common'].map((p) => p.toLowerCase()));

/** True when the password (case-insensitively) is one of the commonly breached passwords. */
export function isCommonPassword(password: string): boolean {
  return COMMON.has(password.toLowerCase());
}

/** class-validator: refuses commonly breached passwords with a 400 at the edge. */
export function IsNotCommonPassword(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isNotCommonPassword',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: '$property is too common: it appears in lists of breached passwords', ...options },
      validator: { validate: (value: unknown) => typeof value !== 'string' || !isCommonPassword(value) },
    });
}
