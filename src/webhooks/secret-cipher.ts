import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const BASE64_32_BYTES = /^[A-Za-z0-9+/]{43}=?$/;

/** 32 key bytes from WEBHOOK_SECRET_KEY: a base64 32-byte key as is, a passphrase hashed. */
function keyBytes(keyMaterial: string): Buffer {
  if (typeof keyMaterial !== 'string' || keyMaterial.length === 0) throw new Error('SecretCipher needs non-empty key material');
  const decoded = BASE64_32_BYTES.test(keyMaterial) ? Buffer.from(keyMaterial, 'base64') : undefined;
  return decoded?.length === 32 ? decoded : createHash('sha256').update(keyMaterial, 'utf8').digest();
}

/** A short public name for a key (not the key): recorded with each ciphertext to pick the key back. */
export function keyIdOf(keyMaterial: string): string {
  return createHash('sha256').update('countercyclical-webhook-secret-key-id:').update(keyBytes(keyMaterial)).digest('hex').slice(0, 12);
}

/**
 * Encrypts webhook signing secrets at rest with AES-256-GCM under a current key, and decrypts
 * with the current key or any previous one (key rotation).
 *
 * Tokens: `v2.<key id>.<iv b64>.<tag b64>.<ciphertext b64>`, authenticated with associated data
 * (the webhook's id) so a ciphertext copied onto another row does not decrypt there. `v1.<iv>.<tag>.<ct>`
 * tokens (before key ids and AAD) still decrypt with any configured key; the service re-encrypts
 * them as v2 under the current key.
 */
export class SecretCipher {
  readonly keyId: string;
  private readonly keys: Map<string, Buffer>;

  constructor(current: string, previous: readonly string[] = []) {
    this.keyId = keyIdOf(current);
    this.keys = new Map([current, ...previous].map((k) => [keyIdOf(k), keyBytes(k)] as const).reverse());
  }

  encrypt(plain: string, aad: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.keyId)!, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return ['v2', this.keyId, iv.toString('base64'), tag.toString('base64'), ciphertext.toString('base64')].join('.');
  }

  /** The id of the key a token was made with, or null for a v1 token (no key id recorded). */
  static keyIdOfToken(token: string): string | null {
    return typeof token === 'string' && token.startsWith('v2.') ? token.split('.')[1] : null;
  }

  /** Throws when the token is malformed, was tampered with, belongs to another row, or was made with a key not configured. */
  decrypt(token: string, aad: string): string {
    const parts = typeof token === 'string' ? token.split('.') : [];
    if (parts[0] === 'v2' && parts.length === 5) {
      const key = this.keys.get(parts[1]);
      if (!key) throw new Error(`Unable to decrypt secret: made with key ${parts[1]}, which is neither WEBHOOK_SECRET_KEY nor in WEBHOOK_SECRET_KEY_PREVIOUS`);
      return this.open(key, parts[2], parts[3], parts[4], aad);
    }
    if (parts[0] === 'v1' && parts.length === 4) {
      for (const key of this.keys.values()) {
        try {
          return this.open(key, parts[1], parts[2], parts[3], null);
        } catch {
          // try the next key
        }
      }
      throw new Error('Unable to decrypt secret: wrong key or tampered data');
    }
    throw new Error('Malformed encrypted secret');
  }

  private open(key: Buffer, ivB64: string, tagB64: string, ctB64: string, aad: string | null): string {
    const iv = Buffer.from(ivB64, 'base64');
    const tag = Buffer.from(tagB64, 'base64');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('Malformed encrypted secret');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      if (aad !== null) decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(ctB64, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      // Don't echo OpenSSL internals; the cause is always "wrong key, other row or tampered".
      throw new Error('Unable to decrypt secret: wrong key or tampered data');
    }
  }
}
