import { randomBytes } from 'node:crypto';
import type { StoredSecret } from './webhook.entity';

export const SECRET_PREFIX = 'whsec_';

/** Old secrets kept signing after rotations, beyond the current one. */
export const MAX_PREVIOUS_SECRETS = 3;

/** A new Standard Webhooks signing secret: `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** Still signs at `now`: the current secret, or a rotated-out one inside its overlap. */
export function isLive(secret: StoredSecret, now: number): boolean {
  return secret.expiresAt === null || Date.parse(secret.expiresAt) > now;
}

/**
 * The secret list after a rotation: `next` first; the previous current secret expires after
 * `overlapMs`; already expired secrets are dropped and at most MAX_PREVIOUS_SECRETS old ones kept,
 * so the signature header stays short however often someone rotates.
 */
export function rotateStoredSecrets(stored: StoredSecret[], next: StoredSecret, now: number, overlapMs: number): StoredSecret[] {
  const expiresAt = new Date(now + overlapMs).toISOString();
  const previous = stored.map((s) => (s.expiresAt === null ? { ...s, expiresAt } : s));
  return [next, ...previous.filter((s) => isLive(s, now)).slice(0, MAX_PREVIOUS_SECRETS)];
}
