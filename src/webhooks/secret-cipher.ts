import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const BASE64_32_BYTES = /^[A-Za-z0-9+/]{43}=?$/;

/**
 * Encrypts webhook signing secrets at rest with AES-256-GCM. Tokens look like
 * `v1.<iv b64>.<tag b64>.<ciphertext b64>`; the version prefix leaves room for
 * key rotation or a new scheme later.
 */
export class SecretCipher {
  private readonly key: Buffer;

  constructor(keyMaterial: string) {
    if (typeof keyMaterial !== 'string' || keyMaterial.length === 0) {
      throw new Error('SecretCipher needs non-empty key material');
    }
    // A proper 32-byte base64 key is used as is; anything else (a passphrase) is hashed to 32 bytes.
    const decoded = BASE64_32_BYTES.test(keyMaterial) ? Buffer.from(keyMaterial, 'base64') : undefined;
    this.key = decoded?.length === 32 ? decoded : createHash('sha256').update(keyMaterial, 'utf8').digest();
  }

  encrypt(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, iv.toString('base64'), tag.toString('base64'), ciphertext.toString('base64')].join('.');
  }

  /** Throws when the token is malformed, was tampered with, or was made with another key. */
  decrypt(token: string): string {
    const parts = typeof token === 'string' ? token.split('.') : [];
    if (parts.length !== 4 || parts[0] !== VERSION) throw new Error('Malformed encrypted secret');
    const [, ivB64, tagB64, ctB64] = parts;
    const iv = Buffer.from(ivB64, 'base64');
    const tag = Buffer.from(tagB64, 'base64');
    const ciphertext = Buffer.from(ctB64, 'base64');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('Malformed encrypted secret');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      // Don't echo OpenSSL internals; the cause is always "wrong key or tampered".
      throw new Error('Unable to decrypt secret: wrong key or tampered data');
    }
  }
}
