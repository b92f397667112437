import { createHmac } from 'node:crypto';

// Secrets are generated in src/webhooks/webhook-secret.ts.
const SECRET_PREFIX = 'whsec_';

function secretKey(secret: string): Buffer {
  // Standard Webhooks libraries accept the secret with or without the prefix.
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0) throw new Error('Signing secret is empty or not base64');
  return key;
}

/**
 * The `webhook-signature` header value: one `v1,<base64 HMAC-SHA256>` per live
 * secret (several during a rotation overlap), separated by spaces. The HMAC
 * covers `{id}.{timestamp}.{body}` over the exact body bytes that are sent.
 */
export function signPayload(secrets: string[], msgId: string, timestampSec: number, body: string | Buffer): string {
  if (secrets.length === 0) throw new Error('At least one signing secret is required');
  if (!Number.isSafeInteger(timestampSec) || timestampSec < 0) {
    throw new Error(`Timestamp must be whole Unix seconds (got ${timestampSec})`);
  }
  const bodyBytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const signed = Buffer.concat([Buffer.from(`${msgId}.${timestampSec}.`, 'utf8'), bodyBytes]);
  return secrets
    .map((secret) => `v1,${createHmac('sha256', secretKey(secret)).update(signed).digest('base64')}`)
    .join(' ');
}
