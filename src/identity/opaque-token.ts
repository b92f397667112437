import { createHash, randomBytes } from 'node:crypto';

/** Prefixes tell a session token from an API key at a glance (and in secret scanners). */
export const ACCESS_TOKEN_PREFIX = 'cc_at_';
export const API_KEY_PREFIX = 'cc_key_';

/** 32 random bytes; the value is shown once, only its hash is stored. */
export function generateOpaqueToken(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

// A fast hash is right for 256-bit random tokens: there is nothing to brute-force.
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
