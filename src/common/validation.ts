import { ValidationPipeOptions } from '@nestjs/common';

/** Unknown fields are refused, not silently dropped; query strings are converted to their types. */
export const VALIDATION_OPTIONS: ValidationPipeOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  forbidUnknownValues: true,
};
