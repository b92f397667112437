import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretCipher } from '../../src/webhooks/secret-cipher';

const KEY = randomBytes(32).toString('base64');

function tamperPart(token: string, index: number): string {
  const parts = token.split('.');
  const bytes = Buffer.from(parts[index], 'base64');
  bytes[0] ^= 0x01;
  parts[index] = bytes.toString('base64');
  return parts.join('.');
}

describe('SecretCipher', () => {
  it('round-trips and uses a fresh IV each time', () => {
    const cipher = new SecretCipher(KEY);
    const secret = 'whsec_' + randomBytes(32).toString('base64');
    const a = cipher.encrypt(secret);
    const b = cipher.encrypt(secret);
    expect(a).toMatch(/^v1\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain(secret.slice(6));
    expect(cipher.decrypt(a)).toBe(secret);
    expect(new SecretCipher(KEY).decrypt(b)).toBe(secret);
  });

  it('round-trips empty and non-ASCII text', () => {
    const cipher = new SecretCipher(KEY);
    expect(cipher.decrypt(cipher.encrypt(''))).toBe('');
    expect(cipher.decrypt(cipher.encrypt('clé ✓ 秘密'))).toBe('clé ✓ 秘密');
  });

  it('accepts a passphrase (hashed to 32 bytes)', () => {
    const cipher = new SecretCipher('correct horse battery staple');
    expect(new SecretCipher('correct horse battery staple').decrypt(cipher.encrypt('s3cret'))).toBe('s3cret');
  });

  it.each([
    ['iv', 1],
    ['tag', 2],
    ['ciphertext', 3],
  ])('throws when the %s is tampered with', (_label, index) => {
    const cipher = new SecretCipher(KEY);
    const token = cipher.encrypt('whsec_abcdef');
    expect(() => cipher.decrypt(tamperPart(token, index))).toThrow(/wrong key or tampered/);
  });

  it('throws with the wrong key', () => {
    const token = new SecretCipher(KEY).encrypt('whsec_abcdef');
    expect(() => new SecretCipher(randomBytes(32).toString('base64')).decrypt(token)).toThrow(/wrong key or tampered/);
    expect(() => new SecretCipher('a passphrase').decrypt(token)).toThrow(/wrong key or tampered/);
  });

  it.each(['', 'v1', 'v2.a.b.c', 'v1.a.b', 'v1.AAAA.AAAA.AAAA', 'not a token at all'])('throws on malformed token %j', (token) => {
    expect(() => new SecretCipher(KEY).decrypt(token)).toThrow();
  });

  it('refuses empty key material', () => {
    expect(() => new SecretCipher('')).toThrow(/key material/);
  });
});
