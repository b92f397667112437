import { ValidationPipeOptions } from '@nestjs/common';
import { Transform } from 'class-transformer';

/** Unknown fields are refused, not silently dropped; query strings are converted to their types. */
export const VALIDATION_OPTIONS: ValidationPipeOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  forbidUnknownValues: true,
};

/** Ids in bodies, lower-cased: PostgreSQL ignores a UUID's case, CASL conditions and payloads do not. */
export const CanonicalUuid = () => Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value));

/** ISO-4217 codes are stored upper-case whatever case the client sent. */
export const CanonicalCurrency = () => Transform(({ value }) => (typeof value === 'string' ? value.toUpperCase() : value));
