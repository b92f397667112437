import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyIdOf } from '../../src/webhooks/secret-cipher';
import { WebhookSecretsService } from '../../src/webhooks/webhook-secrets.service';
import { ApiClient, seedWorkspace, TestWorkspace } from '../support/api-client';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 12, finding 6: signing secrets were encrypted with a key published in the source, not
 * bound to their row, with no way to rotate the key. Now each ciphertext is bound to its webhook
 * (AES-GCM AAD) and names its key; previous keys still decrypt and rows move to the current key at
 * start-up; a row no configured key opens is left untouched and reported, never rewritten.
 */

const K1 = randomBytes(32).toString('base64');
const K2 = randomBytes(32).toString('base64');
/** The development key that shipped in the source before key files: existing dev rows use it. */
const PUBLISHED_DEV_KEY = 'countercyclical-development-only-secret-key';

/** A v1 ciphertext (no key id, no AAD), as rows written before this change hold them. */
function legacyV1(passphrase: string, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', createHash('sha256').update(passphrase).digest(), iv);
  const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join('.');
}

interface Row {
  id: string;
  secrets: { ciphertext: string }[];
  secrets_key_id: string | null;
}

let first: TestApp;
let ws: TestWorkspace;
let path: string;
const apps: TestApp[] = [];

async function start(env: Record<string, string>): Promise<TestApp> {
  const t = await startTestApp({ PROCESS_ROLE: 'api', ...env }, first?.databaseUrl);
  apps.push(t);
  return t;
}
const rows = async (t: TestApp): Promise<Record<string, Row>> =>
  Object.fromEntries(((await t.app.get(DataSource).query('SELECT id, secrets, secrets_key_id FROM webhooks')) as Row[]).map((r) => [r.id, r]));
const createWebhook = async (name: string) =>
  (await ws.owner.api.post(path, { name, url: 'http://127.0.0.1:9/hook', events: ['investment.created'] })).body as { id: string; secret: string };

beforeAll(async () => {
  // With workers: seeding verifies members' addresses through mailed links, which workers send.
  first = await start({ WEBHOOK_SECRET_KEY: K1, PROCESS_ROLE: 'all' });
  ws = await seedWorkspace(new ApiClient(first.baseUrl));
  path = `/v1/workspaces/${ws.id}/webhooks`;
});
afterAll(async () => {
  for (const t of apps) await t.close().catch(() => undefined);
});

describe('webhook signing secrets at rest', () => {
  let a: { id: string; secret: string };
  let b: { id: string; secret: string };
  let legacy: { id: string; secret: string };

  it('each ciphertext names its key and is bound to its webhook: copied onto another row it does not decrypt', async () => {
    a = await createWebhook('A');
    b = await createWebhook('B');
    const stored = await rows(first);
    expect(stored[a.id].secrets[0].ciphertext).toMatch(new RegExp(`^v2\\.${keyIdOf(K1)}\\.`));
    expect(stored[a.id].secrets_key_id).toBe(keyIdOf(K1));

    const secrets = first.app.get(WebhookSecretsService);
    expect(secrets.current(a.id, stored[a.id].secrets as never)).toBe(a.secret);
    // Someone with write access to the table moves A's ciphertext onto B (whose URL they control).
    expect(() => secrets.current(b.id, stored[a.id].secrets as never)).toThrow(/wrong key or tampered/);
    await first.app.get(DataSource).query('UPDATE webhooks SET secrets = $2 WHERE id = $1', [b.id, JSON.stringify(stored[a.id].secrets)]);
    const res = await ws.owner.api.get(`${path}/${b.id}/secret`);
    expect(res.status).not.toBe(200);
    expect(JSON.stringify(res.body)).not.toContain(a.secret);
  });

  it('rows from before key ids (v1, the published development key) decrypt once that key is listed as previous, and are re-encrypted at start-up', async () => {
    legacy = await createWebhook('Legacy');
    legacy.secret = 'whsec_' + randomBytes(32).toString('base64');
    await first.app.get(DataSource).query(`UPDATE webhooks SET secrets = $2, secrets_key_id = NULL WHERE id = $1`, [
      legacy.id,
      JSON.stringify([{ ciphertext: legacyV1(PUBLISHED_DEV_KEY, legacy.secret), createdAt: new Date().toISOString(), expiresAt: null }]),
    ]);

    // Rotate the key: K2 current; K1 and the published key only decrypt.
    const rotated = await start({ WEBHOOK_SECRET_KEY: K2, WEBHOOK_SECRET_KEY_PREVIOUS: `${K1},${PUBLISHED_DEV_KEY}` });
    const outcome = await rotated.app.get(WebhookSecretsService).reencryption;
    // A and the legacy row move; B (holding A's ciphertext) cannot be opened for B and is left alone.
    expect(outcome).toEqual({ reencrypted: 2, failed: 1 });
    const after = await rows(rotated);
    for (const id of [a.id, legacy.id]) {
      expect(after[id].secrets_key_id).toBe(keyIdOf(K2));
      expect(after[id].secrets.every((s) => s.ciphertext.startsWith(`v2.${keyIdOf(K2)}.`))).toBe(true);
    }
    expect(after[b.id].secrets_key_id).toBe(keyIdOf(K1));

    // Same secrets as before, now readable with K2 alone.
    const only = await start({ WEBHOOK_SECRET_KEY: K2 });
    const at = (t: TestApp) => new ApiClient(t.baseUrl, ws.owner.token);
    expect((await at(only).get(`${path}/${a.id}/secret`)).body.secret).toBe(a.secret);
    expect((await at(only).get(`${path}/${legacy.id}/secret`)).body.secret).toBe(legacy.secret);
  });

  it('a process without the key a row was made with never rewrites it: the row is reported and kept as it was', async () => {
    const before = await rows(first);
    const stranger = await start({ WEBHOOK_SECRET_KEY: randomBytes(32).toString('base64') });
    const outcome = await stranger.app.get(WebhookSecretsService).reencryption;
    expect(outcome.reencrypted).toBe(0);
    expect(outcome.failed).toBe(Object.keys(before).length);
    expect(await rows(stranger)).toEqual(before);
    expect((await new ApiClient(stranger.baseUrl, ws.owner.token).get(`${path}/${a.id}/secret`)).status).not.toBe(200);
  });
});
