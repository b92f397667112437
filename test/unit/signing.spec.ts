import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { signPayload } from '../../src/delivery/signing';
import { generateSecret } from '../../src/webhooks/webhook-secret';

const nowSec = () => Math.floor(Date.now() / 1000);

// Verify exactly as a customer would, with the reference Standard Webhooks library.
function verify(secret: string, msgId: string, timestamp: number, body: string | Buffer, signature: string) {
  return new Webhook(secret).verify(body, {
    'webhook-id': msgId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signature,
  });
}

describe('generateSecret', () => {
  it('is whsec_ + base64 of 32 random bytes', () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(generateSecret()).not.toBe(secret);
  });
});

describe('signPayload', () => {
  const body = JSON.stringify({ id: 'evt_1', type: 'investment.updated', data: { object: { name: 'Zoë ✓' } } });

  it('produces a signature the standardwebhooks library verifies', () => {
    const secret = generateSecret();
    const ts = nowSec();
    const signature = signPayload([secret], 'evt_1', ts, body);
    expect(signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(verify(secret, 'evt_1', ts, body, signature)).toEqual(JSON.parse(body));
  });

  it('matches the reference implementation byte for byte', () => {
    const secret = generateSecret();
    const ts = nowSec();
    expect(signPayload([secret], 'evt_1', ts, body)).toBe(new Webhook(secret).sign('evt_1', new Date(ts * 1000), body));
  });

  it('signs with every live secret during a rotation, each verifying independently', () => {
    const [oldSecret, newSecret] = [generateSecret(), generateSecret()];
    const ts = nowSec();
    const signature = signPayload([oldSecret, newSecret], 'evt_2', ts, body);
    expect(signature.split(' ')).toHaveLength(2);
    expect(() => verify(oldSecret, 'evt_2', ts, body, signature)).not.toThrow();
    expect(() => verify(newSecret, 'evt_2', ts, body, signature)).not.toThrow();
    expect(() => verify(generateSecret(), 'evt_2', ts, body, signature)).toThrow();
  });

  it('fails verification for a tampered body, id or timestamp', () => {
    const secret = generateSecret();
    const ts = nowSec();
    const signature = signPayload([secret], 'evt_3', ts, body);
    expect(() => verify(secret, 'evt_3', ts, body.replace('Zoë', 'Zoe'), signature)).toThrow();
    expect(() => verify(secret, 'evt_4', ts, body, signature)).toThrow();
    expect(() => verify(secret, 'evt_3', ts + 1, body, signature)).toThrow();
  });

  it('signs the exact bytes of a Buffer body (no re-serialisation)', () => {
    const secret = generateSecret();
    const ts = nowSec();
    // Non-canonical JSON spacing and a raw UTF-8 byte sequence must survive as is.
    const bytes = Buffer.from('{ "a" :1,\n"b":"\u00e9"}', 'utf8');
    const signature = signPayload([secret], 'evt_5', ts, bytes);
    expect(signPayload([secret], 'evt_5', ts, bytes.toString('utf8'))).toBe(signature);
    expect(() => verify(secret, 'evt_5', ts, bytes, signature)).not.toThrow();
  });

  it('verifies for arbitrary bodies and ids (property)', () => {
    const secret = generateSecret();
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.stringMatching(/^[a-z0-9_]{1,40}$/), (text, id) => {
        const ts = nowSec();
        const payload = JSON.stringify({ text });
        verify(secret, id, ts, payload, signPayload([secret], id, ts, payload));
      }),
      { numRuns: 100 },
    );
  });

  it('rejects no secrets and non-integer timestamps', () => {
    expect(() => signPayload([], 'evt', nowSec(), body)).toThrow(/at least one/i);
    expect(() => signPayload([generateSecret()], 'evt', 1.5, body)).toThrow(/whole Unix seconds/);
  });
});
