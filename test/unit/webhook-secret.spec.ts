import { describe, expect, it } from 'vitest';
import { isLive, MAX_PREVIOUS_SECRETS, rotateStoredSecrets } from '../../src/webhooks/webhook-secret';
import type { StoredSecret } from '../../src/webhooks/webhook.entity';

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const HOUR = 3_600_000;
const stored = (name: string, expiresAt: number | null): StoredSecret => ({
  ciphertext: name,
  createdAt: new Date(T0).toISOString(),
  expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString(),
});
const names = (list: StoredSecret[]) => list.map((s) => s.ciphertext);

describe('isLive', () => {
  it('keeps the current secret and rotated-out ones until their expiry, exclusive', () => {
    expect(isLive(stored('a', null), T0)).toBe(true);
    expect(isLive(stored('a', T0 + 1), T0)).toBe(true);
    expect(isLive(stored('a', T0), T0)).toBe(false);
  });
});

describe('rotateStoredSecrets', () => {
  it('puts the new secret first and expires the previous one after the overlap', () => {
    const result = rotateStoredSecrets([stored('old', null)], stored('new', null), T0, 24 * HOUR);
    expect(names(result)).toEqual(['new', 'old']);
    expect(result[0].expiresAt).toBeNull();
    expect(result[1].expiresAt).toBe(new Date(T0 + 24 * HOUR).toISOString());
  });

  it('keeps an already rotated-out secret its own expiry', () => {
    const before = [stored('b', null), stored('a', T0 + HOUR)];
    const result = rotateStoredSecrets(before, stored('c', null), T0, 24 * HOUR);
    expect(names(result)).toEqual(['c', 'b', 'a']);
    expect(result[2].expiresAt).toBe(new Date(T0 + HOUR).toISOString());
  });

  it('drops expired secrets and keeps at most three previous ones, newest first', () => {
    let list = [stored('s0', null)];
    for (let i = 1; i <= 6; i++) list = rotateStoredSecrets(list, stored(`s${i}`, null), T0 + i, 24 * HOUR);
    expect(names(list)).toEqual(['s6', 's5', 's4', 's3']);
    expect(MAX_PREVIOUS_SECRETS).toBe(3);

    const later = rotateStoredSecrets(list, stored('s7', null), T0 + 25 * HOUR, 24 * HOUR);
    // s5, s4, s3 expired at ~T0 + 24 h; s6 was current and now starts its overlap.
    expect(names(later)).toEqual(['s7', 's6']);
  });

  it('with a zero overlap the previous secret stops signing at once', () => {
    expect(names(rotateStoredSecrets([stored('old', null)], stored('new', null), T0, 0))).toEqual(['new']);
  });

  it('does not mutate its input', () => {
    const before = [stored('old', null)];
    rotateStoredSecrets(before, stored('new', null), T0, HOUR);
    expect(before[0].expiresAt).toBeNull();
  });
});
