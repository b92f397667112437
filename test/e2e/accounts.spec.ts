import { scrypt as scryptCallback, randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, ApiClient, ApiResponse, signup, TEST_PASSWORD, TestUser, verifyEmail } from '../support/api-client';
import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { DOMAIN_EVENTS_QUEUE } from '../../src/events/events.constants';
import { expectError } from '../support/assertions';
import { Mailbox, tokenIn } from '../support/mailbox';
import { startTestApp, TestApp } from '../support/test-app';

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const PUBLIC_URL = 'https://console.example.test';

describe('accounts: verified e-mail, invitations, sessions, passwords (over HTTP and SMTP)', () => {
  let t: TestApp;
  let api: ApiClient;
  let db: Client;
  let admin: TestUser;
  let wid: string;

  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_URL, MAIL_FROM: 'Countercyclical <accounts@example.test>' });
    api = new ApiClient(t.baseUrl);
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
    admin = await signup(api, 'Admin');
    wid = (await admin.api.post('/v1/workspaces', { name: 'Firm' })).body.id;
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  it('a newcomer signs up, verifies through the mailed link, is invited, accepts, works, logs out and resets a forgotten password', async () => {
    const email = `newcomer-${randomUUID()}@firm.example`;
    const signed = await api.post('/v1/auth/signup', { email, name: 'Nina', password: 'first passphrase 1' });
    expect(signed.status).toBe(201);
    expect(signed.body).toEqual({ user: { id: expect.any(String), email, name: 'Nina', emailVerified: false }, token: expect.any(String) });
    const nina = api.as(signed.body.token);
    expect((await nina.get('/v1/me')).body.emailVerified).toBe(false);

    // The verification mail: from MAIL_FROM, a link on PUBLIC_URL carrying a single-use token.
    const mail = await t.mailbox.waitFor(email, 'verify-email');
    expect(mail.from).toContain('accounts@example.test');
    expect(mail.text).toContain(`${PUBLIC_URL}/verify-email?token=`);
    expect(mail.html).toContain(`${PUBLIC_URL}/verify-email?token=`);
    const token = tokenIn(mail);
    const verified = await api.post('/v1/auth/verify-email', { token });
    expect(verified.status).toBe(200);
    expect(verified.body).toEqual({ user: { id: signed.body.user.id, email, name: 'Nina', emailVerified: true } });
    expectError(await api.post('/v1/auth/verify-email', { token }), 400, /invalid or has already been used/);
    expect((await nina.get('/v1/me')).body.emailVerified).toBe(true);

    // Invited: the invitation is mailed and listed for her; she accepts and is a member.
    const invited = await admin.api.post(`/v1/workspaces/${wid}/invitations`, { email: email.toUpperCase(), role: 'member' });
    expect(invited.status).toBe(201);
    expect(invited.body).toMatchObject({ id: expect.any(String), email, role: 'member', status: 'pending', expiresAt: expect.any(String) });
    expect(new Date(invited.body.expiresAt).getTime()).toBeGreaterThan(Date.now() + 6 * 24 * 3600_000);
    const invitationMail = await t.mailbox.waitFor(email, 'invitation');
    expect(invitationMail.text).toContain(`${PUBLIC_URL}/invitations`);
    expect(invitationMail.text).toContain('Firm');
    const mine = await nina.get('/v1/me/invitations');
    expect(mine.status).toBe(200);
    expect(mine.body.data).toEqual([expect.objectContaining({ id: invited.body.id, workspaceId: wid, workspaceName: 'Firm', role: 'member', invitedByName: 'Admin' })]);
    expect((await nina.get(`/v1/workspaces/${wid}`)).status).toBe(404);
    const accepted = await nina.post(`/v1/me/invitations/${invited.body.id}/accept`);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toEqual({ workspaceId: wid, role: 'member' });
    expectError(await nina.post(`/v1/me/invitations/${invited.body.id}/accept`), 409);
    expect((await nina.get('/v1/me/invitations')).body.data).toEqual([]);
    expect((await admin.api.get(`/v1/workspaces/${wid}/invitations`)).body.data.find((i: any) => i.id === invited.body.id).status).toBe('accepted');

    // Works: a member creates a pipeline.
    expect((await nina.get('/v1/me')).body.memberships).toEqual([{ workspaceId: wid, role: 'member' }]);
    expect((await nina.post(`/v1/workspaces/${wid}/pipelines`, { name: 'Deal flow' })).status).toBe(201);

    // Logs out: that token stops working.
    expect((await nina.post('/v1/auth/logout')).status).toBe(204);
    expectError(await nina.get('/v1/me'), 401);

    // Forgot the password: a reset link by mail; the new password works, the old one and the link no longer do.
    const asked = await api.post('/v1/auth/password-reset', { email });
    expect(asked.status).toBe(202);
    const resetToken = tokenIn(await t.mailbox.waitFor(email, 'password-reset'));
    expect(t.mailbox.to(email, 'password-reset')[0].text).toContain(`${PUBLIC_URL}/reset-password?token=`);
    const reset = await api.post('/v1/auth/password-reset/confirm', { token: resetToken, password: 'second passphrase 2' });
    expect(reset.status).toBe(200);
    expect(reset.body.user).toMatchObject({ email, emailVerified: true });
    expectError(await api.post('/v1/auth/password-reset/confirm', { token: resetToken, password: 'third passphrase 3' }), 400);
    expectError(await api.post('/v1/auth/login', { email, password: 'first passphrase 1' }), 401);
    const back = await api.post('/v1/auth/login', { email, password: 'second passphrase 2' });
    expect(back.status).toBe(200);
    expect((await api.as(back.body.token).get(`/v1/workspaces/${wid}`)).status).toBe(200);
  });

  it('the squatting attack fails: registering alice@ first gets nobody in; the real Alice reclaims the account by password reset', async () => {
    const alice = `alice-${randomUUID()}@firm.example`;
    // The squatter registers Alice's address before she does, and sets up shop.
    const squatter = await api.post('/v1/auth/signup', { email: alice, name: 'Not Alice', password: 'squatter passphrase' });
    expect(squatter.status).toBe(201);
    const squatterApi = api.as(squatter.body.token);
    const lair = (await squatterApi.post('/v1/workspaces', { name: 'Lair' })).body.id;
    const squatterKey = (await squatterApi.post(`/v1/workspaces/${lair}/api-keys`, { name: 'backdoor' })).body.key;
    expect((await api.as(squatterKey).get('/v1/me')).status).toBe(200);

    // The admin invites Alice: the squatter holds an account with that address, yet gets nothing.
    const invitation = (await admin.api.post(`/v1/workspaces/${wid}/invitations`, { email: alice, role: 'admin' })).body;
    expectError(await squatterApi.post(`/v1/me/invitations/${invitation.id}/accept`), 403, /Verify your e-mail/);
    expectError(await squatterApi.post(`/v1/me/invitations/${invitation.id}/decline`), 403, /Verify your e-mail/);
    expectError(await squatterApi.get('/v1/me/invitations'), 403);
    expect((await squatterApi.get(`/v1/workspaces/${wid}`)).status).toBe(404);
    // The squatter cannot verify an address whose mailbox is Alice's, nor reuse an invented token.
    expectError(await api.post('/v1/auth/verify-email', { token: 'cc_ve_' + randomBytes(32).toString('base64url') }), 400);

    // The real Alice resets the password through her mailbox: the address is proven, every session
    // and API key the squatter held ends, and she accepts.
    expect((await api.post('/v1/auth/password-reset', { email: alice })).status).toBe(202);
    const reset = await api.post('/v1/auth/password-reset/confirm', {
      token: tokenIn(await t.mailbox.waitFor(alice, 'password-reset')),
      password: 'the real alice 2026',
    });
    expect(reset.status).toBe(200);
    expect(reset.body.user.emailVerified).toBe(true);
    expectError(await squatterApi.get('/v1/me'), 401);
    expectError(await api.as(squatterKey).get('/v1/me'), 401);
    expectError(await api.post('/v1/auth/login', { email: alice, password: 'squatter passphrase' }), 401);
    const real = api.as((await api.post('/v1/auth/login', { email: alice, password: 'the real alice 2026' })).body.token);
    expect((await real.post(`/v1/me/invitations/${invitation.id}/accept`)).body).toEqual({ workspaceId: wid, role: 'admin' });
    expect((await real.get(`/v1/workspaces/${wid}`)).body.role).toBe('admin');
  });

  it('mailed tokens: single use, expire, only for their purpose; unknown or malformed → 400', async () => {
    const user = await signup(api, 'Tokens');
    const verifyToken = await t.mailbox.tokenFor(user.email, 'verify-email');
    // A verification token is not a reset token.
    expectError(await api.post('/v1/auth/password-reset/confirm', { token: verifyToken, password: 'another passphrase' }), 400);
    // Expired (24 h later, simulated by moving its expiry): 400, every time.
    await db.query(`UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [user.id]);
    expectError(await api.post('/v1/auth/verify-email', { token: verifyToken }), 400, /expired/);
    expectError(await api.post('/v1/auth/verify-email', { token: verifyToken }), 400, /expired/);
    expect((await user.api.get('/v1/me')).body.emailVerified).toBe(false);
    // Resend: a fresh link works; once verified, resending is refused.
    expect((await user.api.post('/v1/auth/resend-verification')).status).toBe(202);
    const fresh = await t.mailbox.tokenFor(user.email, 'verify-email', 2);
    expect(fresh).not.toBe(verifyToken);
    expect((await api.post('/v1/auth/verify-email', { token: fresh })).status).toBe(200);
    expectError(await user.api.post('/v1/auth/resend-verification'), 409);
    // Reset tokens expire too, and an expired one changes nothing.
    await api.post('/v1/auth/password-reset', { email: user.email });
    const resetToken = await t.mailbox.tokenFor(user.email, 'password-reset');
    await db.query(`UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [user.id]);
    expectError(await api.post('/v1/auth/password-reset/confirm', { token: resetToken, password: 'another passphrase' }), 400, /expired/);
    expect((await api.post('/v1/auth/login', { email: user.email, password: TEST_PASSWORD })).status).toBe(200);
    // Only hashes are stored.
    const stored = await db.query('SELECT token_hash FROM account_tokens WHERE token_hash IN ($1, $2, $3)', [verifyToken, fresh, resetToken]);
    expect(stored.rows).toEqual([]);
    for (const body of [{ token: '' }, { token: 42 }, {}, { token: 'x'.repeat(201) }, { token: verifyToken, extra: 1 }]) {
      expectError(await api.post('/v1/auth/verify-email', body), 400);
    }
  });

  it('password reset does not tell whether an address has an account', async () => {
    const user = await signup(api, 'Known');
    const unknown = `nobody-${randomUUID()}@firm.example`;
    const [forUnknown, forKnown] = [await api.post('/v1/auth/password-reset', { email: unknown }), await api.post('/v1/auth/password-reset', { email: user.email })];
    expect(forUnknown.status).toBe(202);
    expect(forKnown.status).toBe(202);
    expect(forUnknown.body).toEqual(forKnown.body);
    await t.mailbox.waitFor(user.email, 'password-reset');
    // Both requests were handled (their outbox rows have no pending subscriber), and only the known address got mail.
    await until('both reset requests handled', async () => {
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM events WHERE type = 'account.password_reset_requested' AND pending_subscribers <> '{}'`);
      return rows[0].n === 0;
    });
    expect(t.mailbox.to(unknown)).toEqual([]);
    expectError(await api.post('/v1/auth/password-reset', { email: 'not-an-email' }), 400);
  });

  it('sessions: listed with created, last used, user agent and the current one; revoked one by one or all but this one', async () => {
    const user = await signup(api, 'Sessions');
    const login = async (ua: string) =>
      (await api.request('POST', '/v1/auth/login', { email: user.email, password: TEST_PASSWORD }, { 'user-agent': ua })).body.token as string;
    const laptop = api.as(await login('Laptop/1.0'));
    const phone = api.as(await login('Phone/2.0'));
    const listed = await laptop.get('/v1/me/sessions');
    expect(listed.status).toBe(200);
    expect(listed.body.data).toHaveLength(3);
    expect(listed.body.data.filter((s: any) => s.current)).toEqual([expect.objectContaining({ userAgent: 'Laptop/1.0' })]);
    for (const s of listed.body.data) {
      expect(s).toEqual({ id: expect.any(String), createdAt: expect.any(String), lastUsedAt: expect.any(String), expiresAt: expect.any(String), userAgent: expect.anything(), current: expect.any(Boolean) });
    }
    const phoneSession = listed.body.data.find((s: any) => s.userAgent === 'Phone/2.0');
    // Another user's session is not found; one's own ends at once.
    const other = await signup(api, 'Other');
    expectError(await other.api.delete(`/v1/me/sessions/${phoneSession.id}`), 404);
    expect((await phone.get('/v1/me')).status).toBe(200);
    expect((await laptop.delete(`/v1/me/sessions/${phoneSession.id}`)).status).toBe(204);
    expectError(await phone.get('/v1/me'), 401);
    expectError(await laptop.delete('/v1/me/sessions/not-a-uuid'), 400);
    // All but this one.
    expect((await laptop.delete('/v1/me/sessions')).status).toBe(204);
    expectError(await user.api.get('/v1/me'), 401);
    expect((await laptop.get('/v1/me/sessions')).body.data).toEqual([expect.objectContaining({ current: true, userAgent: 'Laptop/1.0' })]);
    // An API key is not a session: it cannot list or end them.
    const ws = (await laptop.post('/v1/workspaces', { name: 'Mine' })).body.id;
    const key = api.as((await laptop.post(`/v1/workspaces/${ws}/api-keys`, { name: 'k' })).body.key);
    expectError(await key.get('/v1/me/sessions'), 403);
    expectError(await key.post('/v1/auth/logout'), 403);
  });

  it('password change: needs the current password, refuses weak ones, ends the other sessions', async () => {
    const user = await signup(api, 'Changer');
    const elsewhere = api.as((await api.post('/v1/auth/login', { email: user.email, password: TEST_PASSWORD })).body.token);
    expectError(await user.api.post('/v1/me/password', { currentPassword: 'not my password', newPassword: 'a brand new passphrase' }), 403);
    expectError(await user.api.post('/v1/me/password', { currentPassword: TEST_PASSWORD, newPassword: 'short9chr' }), 400, 'newPassword must be longer than or equal to 10 characters');
    expectError(await user.api.post('/v1/me/password', { currentPassword: TEST_PASSWORD, newPassword: 'password123' }), 400, /too common/);
    expect((await elsewhere.get('/v1/me')).status).toBe(200);
    const changed = await user.api.post('/v1/me/password', { currentPassword: TEST_PASSWORD, newPassword: 'a brand new passphrase' });
    expect(changed.status).toBe(200);
    expect(changed.body.user).toMatchObject({ id: user.id, email: user.email });
    expect((await user.api.get('/v1/me')).status).toBe(200);
    expectError(await elsewhere.get('/v1/me'), 401);
    expectError(await api.post('/v1/auth/login', { email: user.email, password: TEST_PASSWORD }), 401);
    expect((await api.post('/v1/auth/login', { email: user.email, password: 'a brand new passphrase' })).status).toBe(200);
  });

  it('passwords: at least 10 characters and not a commonly breached one, everywhere one is chosen', async () => {
    const ok = { email: `p-${randomUUID()}@example.com`, name: 'P' };
    expectError(await api.post('/v1/auth/signup', { ...ok, password: 'nine-char' }), 400, 'password must be longer than or equal to 10 characters');
    for (const common of ['password123', 'Password123', 'qwertyuiop', '1234567890']) {
      expectError(await api.post('/v1/auth/signup', { ...ok, password: common }), 400, /too common/);
    }
    expect((await api.post('/v1/auth/login', { email: ok.email, password: 'password123' })).status).toBe(401);
    expect((await api.post('/v1/auth/signup', { ...ok, password: 'ten chars!' })).status).toBe(201);
  });

  it('argon2id hashes; an account still on scrypt is upgraded at its next successful login', async () => {
    const user = await signup(api, 'Legacy');
    const fresh = await db.query('SELECT password_hash FROM users WHERE id = $1', [user.id]);
    expect(fresh.rows[0].password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    // The scheme accounts had before: scrypt N=16384, r=8, p=1.
    const salt = randomBytes(16);
    const key = (await promisify(scryptCallback)('legacy password 1', salt, 32)) as Buffer;
    await db.query('UPDATE users SET password_hash = $2 WHERE id = $1', [user.id, `scrypt$16384$8$1$${salt.toString('base64')}$${key.toString('base64')}`]);
    expectError(await api.post('/v1/auth/login', { email: user.email, password: 'wrong legacy password' }), 401);
    expect((await db.query('SELECT password_hash FROM users WHERE id = $1', [user.id])).rows[0].password_hash).toMatch(/^scrypt\$/);
    expect((await api.post('/v1/auth/login', { email: user.email, password: 'legacy password 1' })).status).toBe(200);
    expect((await db.query('SELECT password_hash FROM users WHERE id = $1', [user.id])).rows[0].password_hash).toMatch(/^\$argon2id\$/);
    expect((await api.post('/v1/auth/login', { email: user.email, password: 'legacy password 1' })).status).toBe(200);
  });

  it('invitations: admins invite (only an owner invites an owner), revoke, list; people and verified addresses only', async () => {
    const [adminUser, member, invitee, stranger] = await Promise.all(['Second', 'Member', 'Invitee', 'Stranger'].map((n) => signup(api, n)));
    await addMember(admin, wid, adminUser, 'admin');
    await addMember(admin, wid, member, 'member');
    const base = `/v1/workspaces/${wid}/invitations`;

    expectError(await adminUser.api.post(base, { email: invitee.email, role: 'owner' }), 403);
    expectError(await member.api.post(base, { email: invitee.email, role: 'viewer' }), 403);
    expectError(await member.api.get(base), 403);
    expectError(await stranger.api.post(base, { email: invitee.email, role: 'viewer' }), 404);
    expectError(await admin.api.post(base, { email: member.email, role: 'viewer' }), 409, /already belongs to a member/);
    expectError(await admin.api.post(base, { email: 'not-an-email', role: 'viewer' }), 400);
    expectError(await admin.api.post(base, { email: invitee.email, role: 'emperor' }), 400);
    expectError(await admin.api.post(base, { email: invitee.email, role: 'viewer', extra: true }), 400);
    // An API key cannot invite, list or revoke, even its owner's.
    const key = api.as((await admin.api.post(`/v1/workspaces/${wid}/api-keys`, { name: 'ci' })).body.key);
    expectError(await key.post(base, { email: invitee.email, role: 'viewer' }), 403);
    expectError(await key.get(base), 403);

    const toOwner = (await admin.api.post(base, { email: invitee.email, role: 'owner' })).body;
    expect(toOwner.status).toBe('pending');
    expectError(await admin.api.post(base, { email: invitee.email, role: 'viewer' }), 409, /pending invitation/);
    expectError(await adminUser.api.delete(`${base}/${toOwner.id}`), 403);
    expect((await admin.api.delete(`${base}/${toOwner.id}`)).status).toBe(204);
    expectError(await admin.api.delete(`${base}/${toOwner.id}`), 409);
    await verifyEmail(invitee);
    expectError(await invitee.api.post(`/v1/me/invitations/${toOwner.id}/accept`), 409, /revoked/);

    // Re-invited after the revocation; someone else's verified account cannot answer it; declining ends it.
    const again = (await adminUser.api.post(base, { email: invitee.email, role: 'viewer' })).body;
    await verifyEmail(stranger);
    expectError(await stranger.api.post(`/v1/me/invitations/${again.id}/accept`), 403, /another e-mail/);
    expectError(await invitee.api.post(`/v1/me/invitations/${randomUUID()}/accept`), 404);
    expect((await invitee.api.post(`/v1/me/invitations/${again.id}/decline`)).status).toBe(204);
    expectError(await invitee.api.post(`/v1/me/invitations/${again.id}/accept`), 409, /declined/);
    expect((await invitee.api.get(`/v1/workspaces/${wid}`)).status).toBe(404);

    // Expired: refused, listed as expired, and the address can be invited again.
    const third = (await admin.api.post(base, { email: invitee.email, role: 'viewer' })).body;
    await db.query(`UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = $1`, [third.id]);
    expectError(await invitee.api.post(`/v1/me/invitations/${third.id}/accept`), 409, /expired/);
    const listed = (await admin.api.get(base)).body.data;
    expect(listed.find((i: any) => i.id === third.id).status).toBe('expired');
    expect(listed.find((i: any) => i.id === toOwner.id).status).toBe('revoked');
    expect(listed.find((i: any) => i.id === again.id).status).toBe('declined');
    const fourth = await admin.api.post(base, { email: invitee.email, role: 'viewer' });
    expect(fourth.status).toBe(201);
    expect((await invitee.api.post(`/v1/me/invitations/${fourth.body.id}/accept`)).body).toEqual({ workspaceId: wid, role: 'viewer' });
  });

  it('POST /members is retired: 410 Gone pointing to invitations, and nobody is added', async () => {
    const user = await signup(api, 'Direct');
    const res = await admin.api.post(`/v1/workspaces/${wid}/members`, { email: user.email, role: 'member' });
    expectError(res, 410, /invitations/);
    expect((await user.api.get('/v1/me')).body.memberships).toEqual([]);
  });

  it('API keys: optional expiresAt, a visible prefix, lastUsedAt', async () => {
    const base = `/v1/workspaces/${wid}/api-keys`;
    expectError(await admin.api.post(base, { name: 'past', expiresAt: new Date(Date.now() - 1000).toISOString() }), 400, /future/);
    expectError(await admin.api.post(base, { name: 'bad', expiresAt: 'tomorrow' }), 400);
    const expiresAt = new Date(Date.now() + 3600_000).toISOString();
    const created = (await admin.api.post(base, { name: 'expiring', expiresAt })).body;
    expect(created).toMatchObject({ name: 'expiring', expiresAt, lastUsedAt: null, prefix: created.key.slice(0, created.prefix.length) });
    expect(created.prefix).toMatch(/^cc_key_.{4,}/);
    const key = api.as(created.key);
    expect((await key.get(`/v1/workspaces/${wid}`)).status).toBe(200);
    const used = await until('lastUsedAt recorded', async () => {
      const row = (await admin.api.get(base)).body.data.find((k: any) => k.id === created.id);
      return row.lastUsedAt ? row : null;
    });
    expect(used).not.toHaveProperty('key');
    expect(new Date(used.lastUsedAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    // Past its expiry the key stops working.
    await db.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [created.id]);
    expectError(await key.get(`/v1/workspaces/${wid}`), 401);
    const forever = (await admin.api.post(base, { name: 'forever' })).body;
    expect(forever.expiresAt).toBeNull();
  });
});

describe('mail is queued after the commit, retried while SMTP is down, never lost', () => {
  let t: TestApp;
  let down: number;
  let back: Mailbox | undefined;
  beforeAll(async () => {
    // A port where an SMTP server was and is no more: the platform's mail server is down.
    const gone = await Mailbox.start();
    down = gone.port;
    await gone.close();
    t = await startTestApp({ SMTP_URL: `smtp://127.0.0.1:${down}` });
  });
  afterAll(async () => {
    await t?.close();
    await back?.close();
  });

  it('signup answers at once while SMTP is down; the verification mail arrives once it is back, and its link works', async () => {
    const api = new ApiClient(t.baseUrl);
    const user = await signup(api, 'Patient');
    expect(user.token).toMatch(/^cc_at_/);
    // The mail job ran and failed (connection refused): it waits for its retry.
    const queue = t.app.get<Queue>(getQueueToken(DOMAIN_EVENTS_QUEUE));
    await until('a failed attempt of the account mail', async () => {
      const jobs = await queue.getJobs(['delayed', 'failed', 'waiting', 'active']);
      return jobs.some((j) => j?.data?.subscriber === 'account-mail' && j.attemptsMade >= 1);
    });
    back = await Mailbox.start(down);
    const token = tokenIn(await back.waitFor(user.email, 'verify-email', 1, 60_000));
    expect((await api.post('/v1/auth/verify-email', { token })).body.user.emailVerified).toBe(true);
  });
});
