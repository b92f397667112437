import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addMember, ApiClient, ApiResponse, seedWorkspace, signup, TestWorkspace } from '../support/api-client';
import { expectError } from '../support/assertions';
import { startTestApp, TestApp } from '../support/test-app';

describe('identity: signup, login, me, logout', () => {
  let t: TestApp;
  let api: ApiClient;
  beforeAll(async () => {
    t = await startTestApp();
    api = new ApiClient(t.baseUrl);
  });
  afterAll(() => t?.close());

  it('signup → 201 {user:{id,email,name,emailVerified:false}, token}; the token works; email is case-insensitive and unique (409)', async () => {
    const email = `Ada.${Date.now()}@Example.com`;
    const res = await api.post('/v1/auth/signup', { email, name: 'Ada', password: 'password-123' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ user: { id: expect.any(String), email: email.toLowerCase(), name: 'Ada', emailVerified: false }, token: expect.any(String) });
    expect(res.body.user).not.toHaveProperty('passwordHash');
    const me = await api.as(res.body.token).get('/v1/me');
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ id: res.body.user.id, email: email.toLowerCase(), name: 'Ada', emailVerified: false, memberships: [] });

    expectError(await api.post('/v1/auth/signup', { email, name: 'Ada again', password: 'password-123' }), 409);
    expectError(await api.post('/v1/auth/signup', { email: email.toUpperCase(), name: 'Shouting', password: 'password-123' }), 409);
  });

  it('signup validates: password ≥ 10, a real email, a name, no unknown fields', async () => {
    const ok = { email: `v-${Date.now()}@example.com`, name: 'V', password: 'password-123' };
    expectError(await api.post('/v1/auth/signup', { ...ok, password: 'short' }), 400, 'password must be longer than or equal to 10 characters');
    expectError(await api.post('/v1/auth/signup', { ...ok, email: 'not-an-email' }), 400, 'email must be an email');
    expectError(await api.post('/v1/auth/signup', { ...ok, name: '' }), 400, 'name should not be empty');
    expectError(await api.post('/v1/auth/signup', { email: ok.email, password: ok.password }), 400, 'name is required');
    expectError(await api.post('/v1/auth/signup', { ...ok, role: 'owner' }), 400, 'property role should not exist');
    expectError(await api.post('/v1/auth/signup', '{"email":'), 400);
    expectError(await api.post('/v1/auth/signup', { ...ok, name: 'nul\u0000name' }), 400);
    // Nothing was created by the refused attempts.
    expect((await api.post('/v1/auth/login', { email: ok.email, password: ok.password })).status).toBe(401);
  });

  it('login → 200 {user, token}; wrong password or unknown email → 401; bad body → 400', async () => {
    const user = await signup(api, 'Login');
    const res = await api.post('/v1/auth/login', { email: user.email.toUpperCase(), password: 'password-123' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: { id: user.id, email: user.email, name: 'Login', emailVerified: false }, token: expect.any(String) });
    expect(res.body.token).not.toBe(user.token);
    expect((await api.as(res.body.token).get('/v1/me')).body.id).toBe(user.id);

    expectError(await api.post('/v1/auth/login', { email: user.email, password: 'wrong-password' }), 401);
    expectError(await api.post('/v1/auth/login', { email: `nobody-${Date.now()}@example.com`, password: 'password-123' }), 401);
    expectError(await api.post('/v1/auth/login', { email: user.email }), 400, 'password is required');
    expectError(await api.post('/v1/auth/login', { email: user.email, password: 'password-123', remember: true }), 400, 'property remember should not exist');
  });

  it('401 for a missing, malformed, unknown or revoked token', async () => {
    const user = await signup(api, 'Tokens');
    expectError(await api.get('/v1/me'), 401);
    expectError(await api.request('GET', '/v1/me', undefined, { authorization: `Basic ${user.token}` }), 401);
    expectError(await api.as('not-a-token').get('/v1/me'), 401);
    expectError(await api.as(`${user.token}x`).get('/v1/me'), 401);
    expectError(await api.as('cc_key_nope').get('/v1/me'), 401);

    // logout revokes exactly the token used; another session of the same user still works.
    const second = (await api.post('/v1/auth/login', { email: user.email, password: 'password-123' })).body.token as string;
    expect((await user.api.post('/v1/auth/logout')).status).toBe(204);
    expectError(await user.api.get('/v1/me'), 401);
    expect((await api.as(second).get('/v1/me')).status).toBe(200);
  });

  it('GET /v1/me lists memberships with roles', async () => {
    const ws = await seedWorkspace(api);
    const me = await ws.member.api.get('/v1/me');
    expect(me.body.memberships).toEqual([{ workspaceId: ws.id, role: 'member' }]);
    const own = await ws.member.api.post('/v1/workspaces', { name: 'Mine' });
    expect((await ws.member.api.get('/v1/me')).body.memberships).toEqual([
      { workspaceId: ws.id, role: 'member' },
      { workspaceId: own.body.id, role: 'owner' },
    ]);
  });
});

describe('API keys', () => {
  let t: TestApp;
  let api: ApiClient;
  let ws: TestWorkspace;
  let base: string;
  beforeAll(async () => {
    t = await startTestApp();
    api = new ApiClient(t.baseUrl);
    ws = await seedWorkspace(api);
    base = `/v1/workspaces/${ws.id}`;
  });
  afterAll(() => t?.close());

  it('create shows the key once; lists never show it; members see their own keys, admins all', async () => {
    const created = await ws.member.api.post(`${base}/api-keys`, { name: 'CI' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(String), name: 'CI', key: expect.stringMatching(/^cc_key_/), userId: ws.member.id });
    expect(created.body).not.toHaveProperty('keyHash');
    const adminKey = await ws.admin.api.post(`${base}/api-keys`, { name: 'Admin key' });
    expect(adminKey.status).toBe(201);

    const mine = await ws.member.api.get(`${base}/api-keys`);
    expect(mine.status).toBe(200);
    expect(mine.body.data.map((k: { id: string }) => k.id)).toEqual([created.body.id]);
    const everything = await ws.owner.api.get(`${base}/api-keys`);
    expect(everything.body.data.map((k: { id: string }) => k.id).sort()).toEqual([created.body.id, adminKey.body.id].sort());
    for (const listed of [...mine.body.data, ...everything.body.data]) {
      expect(Object.keys(listed).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'prefix', 'userId']);
      expect(JSON.stringify(listed)).not.toContain(created.body.key);
      expect(JSON.stringify(listed)).not.toContain(adminKey.body.key);
    }
    expect((await ws.viewer.api.post(`${base}/api-keys`, { name: 'Viewer key' })).status).toBe(201);
  });

  it('validates the body and ids', async () => {
    expectError(await ws.member.api.post(`${base}/api-keys`, {}), 400, 'name is required');
    expectError(await ws.member.api.post(`${base}/api-keys`, { name: '' }), 400, 'name should not be empty');
    expectError(await ws.member.api.post(`${base}/api-keys`, { name: 'x', scopes: ['all'] }), 400, 'property scopes should not exist');
    expectError(await ws.member.api.delete(`${base}/api-keys/not-a-uuid`), 400);
    expectError(await ws.outsider.api.post(`${base}/api-keys`, { name: 'x' }), 404);
    expectError(await api.post(`${base}/api-keys`, { name: 'x' }), 401);
  });

  it('acts as its creator, only inside its workspace', async () => {
    const key = (await ws.member.api.post(`${base}/api-keys`, { name: 'Scoped' })).body.key as string;
    const asKey = api.as(key);
    // Inside: the member's own rights, no more.
    const inv = await asKey.post(`${base}/investments`, { name: 'Via key', teamId: ws.teamA });
    expect(inv.status).toBe(201);
    expectError(await asKey.post(`${base}/investments`, { name: 'Other team', teamId: ws.teamB }), 403);
    expectError(await asKey.post(`${base}/assumptions`, { name: 'x', value: 1 }), 403);
    expectError(await asKey.post(`${base}/teams`, { name: 'x' }), 403);
    expect((await asKey.get(`${base}/investments/${inv.body.id}`)).status).toBe(200);
    expect((await asKey.get('/v1/me')).body.id).toBe(ws.member.id);
    // Elsewhere: another workspace the same user belongs to is invisible to the key.
    const other = await ws.member.api.post('/v1/workspaces', { name: 'Member own' });
    expect(other.status).toBe(201);
    expectError(await asKey.get(`/v1/workspaces/${other.body.id}`), 404);
    expectError(await asKey.get(`/v1/workspaces/${other.body.id}/investments`), 404);
    expect((await asKey.get('/v1/workspaces')).body.data.map((w: { id: string }) => w.id)).toEqual([ws.id]);
    // Signed-in-only routes refuse keys.
    expectError(await asKey.post('/v1/workspaces', { name: 'By key' }), 403);
    expectError(await asKey.post('/v1/auth/logout'), 403);
    // A leaked key cannot mint keys that would outlive its revocation.
    expectError(await asKey.post(`${base}/api-keys`, { name: 'Child' }), 403);
  });

  it('DELETE → 204 and the key stops working at once; others cannot see or delete it (404)', async () => {
    const created = (await ws.member.api.post(`${base}/api-keys`, { name: 'Doomed' })).body;
    const asKey = api.as(created.key);
    expect((await asKey.get(`${base}/investments`)).status).toBe(200);
    expectError(await ws.viewer.api.delete(`${base}/api-keys/${created.id}`), 404);
    expectError(await ws.outsider.api.delete(`${base}/api-keys/${created.id}`), 404);
    expect((await ws.member.api.delete(`${base}/api-keys/${created.id}`)).status).toBe(204);
    expectError(await asKey.get(`${base}/investments`), 401);
    expectError(await asKey.get('/v1/me'), 401);
    expectError(await ws.member.api.delete(`${base}/api-keys/${created.id}`), 404);

    // An admin revokes anyone's key.
    const other = (await ws.viewer.api.post(`${base}/api-keys`, { name: 'Revoked by admin' })).body;
    expect((await ws.admin.api.delete(`${base}/api-keys/${other.id}`)).status).toBe(204);
    expectError(await api.as(other.key).get(`${base}/memos`), 401);
  });

  it('a removed member’s keys stop working and are not revived by re-adding the user', async () => {
    const user = await signup(api, 'Transient');
    await addMember(ws.owner, ws.id, user, 'member');
    const key = (await user.api.post(`${base}/api-keys`, { name: 'Transient' })).body.key as string;
    expect((await api.as(key).get(`${base}/pipelines`)).status).toBe(200);
    expect((await ws.admin.api.delete(`${base}/members/${user.id}`)).status).toBe(204);
    expect([401, 404]).toContain((await api.as(key).get(`${base}/pipelines`)).status);
    await addMember(ws.owner, ws.id, user, 'member');
    expectError(await api.as(key).get(`${base}/pipelines`), 401);
  });
});

describe('health, docs, body limits', () => {
  let t: TestApp;
  let api: ApiClient;
  beforeAll(async () => {
    t = await startTestApp();
    api = new ApiClient(t.baseUrl);
  });
  afterAll(() => t?.close());

  it('GET /health → 200 {status:"ok"} without a token, and nothing else', async () => {
    const res = await api.get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('/docs serves Swagger UI and /docs-json the OpenAPI document', async () => {
    const ui = await api.get('/docs');
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-type')).toMatch(/text\/html/);
    expect(String(ui.body)).toMatch(/swagger/i);
    // Every script and stylesheet the page loads is served.
    const assets = [...String(ui.body).matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => new URL(m[1], `${t.baseUrl}/docs`).pathname);
    expect(assets.length).toBeGreaterThan(2);
    for (const asset of assets) expect((await fetch(t.baseUrl + asset)).status, asset).toBe(200);
    const doc = await api.get('/docs-json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(doc.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('GET /health → 503 {status:"error"} when Redis does not answer, naming no dependency and no error text', async () => {
    const noRedis = await startTestApp({ REDIS_URL: 'redis://127.0.0.1:1', PROCESS_ROLE: 'api' });
    try {
      const res = await new ApiClient(noRedis.baseUrl).get('/health');
      expect(res.status).toBe(503);
      // The attack found `connect ECONNREFUSED 127.0.0.1:1` and per-dependency details here.
      expect(res.body).toEqual({ status: 'error' });
      expect(JSON.stringify(res.body)).not.toMatch(/redis|postgres|ECONNREFUSED|127\.0\.0\.1/i);
    } finally {
      await noRedis.close();
    }
  }, 90_000);

  it('GET /health → 503 when its database is gone', async () => {
    const doomed = await startTestApp({ PROCESS_ROLE: 'api' });
    try {
      const client = new ApiClient(doomed.baseUrl);
      expect((await client.get('/health')).status).toBe(200);
      const admin = new Client({ connectionString: inject('adminDatabaseUrl') });
      await admin.connect();
      await admin.query(`DROP DATABASE "${new URL(doomed.databaseUrl).pathname.slice(1)}" WITH (FORCE)`);
      await admin.end();
      const res = await client.get('/health');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ status: 'error' });
    } finally {
      await doomed.close().catch(() => undefined);
    }
    // Starts (and stops) an app of its own inside the test: on a loaded machine that alone can take
    // longer than the default test budget (the hooks that start the shared app get 60 s).
  }, 90_000);

  it('every route in /docs-json declares a bearer security requirement except health, signup, login and the mailed-token routes', async () => {
    const doc = (await api.get('/docs-json')).body as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    const open: string[] = [];
    let operations = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        operations++;
        const secured = (operation.security ?? []).some((s) => Object.keys(s as object).includes('bearer'));
        if (!secured) open.push(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(open.sort()).toEqual([
      'GET /health',
      'POST /v1/auth/login',
      'POST /v1/auth/password-reset',
      'POST /v1/auth/password-reset/confirm',
      'POST /v1/auth/signup',
      'POST /v1/auth/verify-email',
    ]);
    expect(operations).toBeGreaterThan(30);
  });

  it('a JSON body over 1 MB → 413 in the usual error shape; malformed JSON → 400', async () => {
    const user = await signup(api, 'Big');
    const ws = (await user.api.post('/v1/workspaces', { name: 'Big' })).body.id as string;
    const huge = JSON.stringify({ name: 'x', value: 1, unit: 'y'.repeat(1_100_000) });
    const res = await user.api.post(`/v1/workspaces/${ws}/assumptions`, huge);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expectError(res, 413);
    // Even before authentication: the body is refused first, in JSON.
    expectError(await api.post('/v1/auth/signup', huge), 413);
    const bad = await user.api.post(`/v1/workspaces/${ws}/assumptions`, '{"name": "x",');
    expect(bad.headers.get('content-type')).toMatch(/application\/json/);
    expectError(bad, 400);
    // Under the limit is fine.
    expect((await user.api.post(`/v1/workspaces/${ws}/assumptions`, { name: 'ok', value: 1, unit: 'y'.repeat(40) })).status).toBe(201);
  });
});
