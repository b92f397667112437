import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyIdOf, SecretCipher } from '../../src/webhooks/secret-cipher';

const KEY = randomBytes(32).toString('base64');
const ROW = 'webhook:0b7c4a5e-1f0e-4a8e-9b61-4f0c8a1d2e3f';
const OTHER_ROW = 'webhook:7d0e3c9a-5b7f-4f0e-8d7e-2a9c1b3d4e5f';

function tamperPart(token: string, index: number): string {
  const parts = token.split('.');
  const bytes = Buffer.from(parts[index], 'base64');
  bytes[0] ^= 0x01;
  parts[index] = bytes.toString('base64');
  return parts.join('.');
}

/** A token in the format written before key ids and AAD (v1), as existing rows hold them. */
function legacyV1(keyMaterial: string, plain: string): string {
  const key = /^[A-Za-z0-9+/]{43}=?$/.test(keyMaterial) ? Buffer.from(keyMaterial, 'base64') : createHash('sha256').update(keyMaterial).digest();
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join('.');
}

describe('SecretCipher', () => {
  it('round-trips, records the key id, and uses a fresh IV each time', () => {
    const cipher = new SecretCipher(KEY);
    const secret = 'whsec_' + randomBytes(32).toString('base64');
    const a = cipher.encrypt(secret, ROW);
    const b = cipher.encrypt(secret, ROW);
    expect(a).toMatch(/^v2\.[0-9a-f]{12}\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/);
    expect(a.split('.')[1]).toBe(keyIdOf(KEY));
    expect(SecretCipher.keyIdOfToken(a)).toBe(cipher.keyId);
    expect(a).not.toBe(b);
    expect(a).not.toContain(secret.slice(6));
    expect(cipher.decrypt(a, ROW)).toBe(secret);
    expect(new SecretCipher(KEY).decrypt(b, ROW)).toBe(secret);
  });

  it('binds a ciphertext to its row: copied onto another webhook it does not decrypt', () => {
    const cipher = new SecretCipher(KEY);
    const token = cipher.encrypt('whsec_abcdef', ROW);
    expect(() => cipher.decrypt(token, OTHER_ROW)).toThrow(/wrong key or tampered/);
  });

  it('round-trips empty and non-ASCII text', () => {
    const cipher = new SecretCipher(KEY);
    expect(cipher.decrypt(cipher.encrypt('', ROW), ROW)).toBe('');
    expect(cipher.decrypt(cipher.encrypt('clé ✓ 秘密', ROW), ROW)).toBe('clé ✓ 秘密');
  });

  it('accepts a passphrase (hashed to 32 bytes)', () => {
    const cipher = new SecretCipher('correct horse battery staple, long enough');
    expect(new SecretCipher('correct horse battery staple, long enough').decrypt(cipher.encrypt('s3cret', ROW), ROW)).toBe('s3cret');
  });

  it.each([
    ['iv', 2],
    ['tag', 3],
    ['ciphertext', 4],
  ])('throws when the %s is tampered with', (_label, index) => {
    const cipher = new SecretCipher(KEY);
    const token = cipher.encrypt('whsec_abcdef', ROW);
    expect(() => cipher.decrypt(tamperPart(token, index), ROW)).toThrow(/wrong key or tampered/);
  });

  it('rotation: a previous key still decrypts, new ciphertexts use the current key only', () => {
    const oldKey = randomBytes(32).toString('base64');
    const token = new SecretCipher(oldKey).encrypt('whsec_old', ROW);
    const rotated = new SecretCipher(KEY, [oldKey]);
    expect(rotated.decrypt(token, ROW)).toBe('whsec_old');
    expect(SecretCipher.keyIdOfToken(rotated.encrypt('whsec_new', ROW))).toBe(keyIdOf(KEY));
    // Without the previous key, the error names the missing key id and the variable to set.
    expect(() => new SecretCipher(KEY).decrypt(token, ROW)).toThrow(new RegExp(`key ${keyIdOf(oldKey)}.*WEBHOOK_SECRET_KEY_PREVIOUS`));
  });

  it('decrypts v1 tokens (no key id, no AAD) with the current or a previous key', () => {
    const oldKey = 'an old passphrase of at least 32 characters';
    expect(new SecretCipher(KEY).decrypt(legacyV1(KEY, 'whsec_a'), ROW)).toBe('whsec_a');
    expect(new SecretCipher(KEY, [oldKey]).decrypt(legacyV1(oldKey, 'whsec_b'), ROW)).toBe('whsec_b');
    expect(() => new SecretCipher(KEY).decrypt(legacyV1(oldKey, 'whsec_b'), ROW)).toThrow(/wrong key or tampered/);
    expect(SecretCipher.keyIdOfToken(legacyV1(KEY, 'x'))).toBeNull();
  });

  it('throws with the wrong key', () => {
    const token = new SecretCipher(KEY).encrypt('whsec_abcdef', ROW);
    expect(() => new SecretCipher(randomBytes(32).toString('base64')).decrypt(token, ROW)).toThrow(/Unable to decrypt/);
    // A forged key id that names the other key does not help either.
    const other = randomBytes(32).toString('base64');
    const forged = token.replace(keyIdOf(KEY), keyIdOf(other));
    expect(() => new SecretCipher(other).decrypt(forged, ROW)).toThrow(/wrong key or tampered/);
  });

  it.each(['', 'v1', 'v2.a.b.c', 'v1.a.b', 'v1.AAAA.AAAA.AAAA', 'v2.x.AAAA.AAAA.AAAA', 'not a token at all'])('throws on malformed token %j', (token) => {
    expect(() => new SecretCipher(KEY).decrypt(token, ROW)).toThrow();
  });

  it('refuses empty key material', () => {
    expect(() => new SecretCipher('')).toThrow(/key material/);
  });
});
