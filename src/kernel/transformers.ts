import { ValueTransformer } from 'typeorm';

/** node-postgres returns NUMERIC as a string to keep precision; the API speaks JSON numbers. */
export const numericTransformer: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
