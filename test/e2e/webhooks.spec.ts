import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/events/event-catalog';
import { Webhook } from '../../src/webhooks/webhook.entity';
import { WebhookSecretsService } from '../../src/webhooks/webhook-secrets.service';
import { ApiClient, ApiResponse, seedWorkspace, TestUser, TestWorkspace } from '../support/api-client';
import { expectError as expectApiError } from '../support/assertions';
import { waitFor } from '../support/wait';
import { startTestApp, TestApp } from '../support/test-app';

const SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/;
// Nothing listens on the discard port; no test here sends a delivery anyway.
const LOCAL_URL = 'http://127.0.0.1:9/hook';
const PUBLIC_IP_URL = 'http://93.184.216.34/hook';

const body = (overrides: Record<string, unknown> = {}) => ({
  name: 'CRM sync',
  url: LOCAL_URL,
  events: ['investment.created', 'memo.updated'],
  ...overrides,
});

/** No response may ever carry a signing secret, except create, GET …/secret and rotate-secret. */
function expectNoSecret(res: ApiResponse): void {
  expect(JSON.stringify(res.body ?? '')).not.toMatch(/whsec_|"secrets?"|ciphertext/);
}

function expectError(res: ApiResponse, status: number, message?: RegExp): void {
  expectApiError(res, status, message);
  expectNoSecret(res);
}

describe('webhooks: management by role', () => {
  let t: TestApp;
  let ws: TestWorkspace;
  let path: string;
  let db: DataSource;

  const create = async (user: TestUser, overrides: Record<string, unknown> = {}) => {
    const res = await user.api.post(path, body(overrides));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; secret: string; [key: string]: unknown };
  };

  beforeAll(async () => {
    t = await startTestApp();
    ws = await seedWorkspace(new ApiClient(t.baseUrl));
    path = `/v1/workspaces/${ws.id}/webhooks`;
    db = t.app.get(DataSource);
  });
  afterAll(() => t?.close());

  it('lists the 18 event types a webhook can subscribe to, then the operational ones', async () => {
    const res = await ws.viewer.api.get('/v1/webhook-event-types');
    expect(res.status).toBe(200);
    const domain = res.body.filter((e: { category: string }) => e.category === 'domain');
    expect(domain.map((e: { type: string }) => e.type).sort()).toEqual([...EVENT_TYPES].sort());
    expect(res.body.filter((e: { category: string }) => e.category === 'operational').map((e: { type: string }) => e.type)).toEqual([
      'webhook.failing',
      'webhook.disabled',
      'webhook.recovered',
    ]);
  });

  describe('create', () => {
    it('creates a webhook for the caller and returns its secret once', async () => {
      const res = await ws.owner.api.post(path, body({ url: 'HTTP://LocalHost:9/a b', description: 'to the CRM' }));
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        workspaceId: ws.id,
        name: 'CRM sync',
        // Stored normalised: what was checked is what is called.
        url: 'http://localhost:9/a%20b',
        events: ['investment.created', 'memo.updated'],
        description: 'to the CRM',
        enabled: true,
        filter: null,
        disabledReason: null,
        health: 'healthy',
        consecutiveFailures: 0,
        failingSince: null,
        maxConcurrency: null,
        rateLimitPerSecond: null,
        createdById: ws.owner.id,
        previousOwnerId: null,
        ownerChangedAt: null,
        secret: expect.stringMatching(SECRET),
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(new Date(res.body.createdAt).toISOString()).toBe(res.body.createdAt);
    });

    it('lets admins and members create, each as createdById, and honours enabled:false', async () => {
      const admin = await create(ws.admin);
      const member = await create(ws.member, { enabled: false, description: null });
      expect(admin.createdById).toBe(ws.admin.id);
      expect(member).toMatchObject({ createdById: ws.member.id, enabled: false, description: null });
      expect(member.secret).not.toBe(admin.secret);
    });

    it('stores the secret encrypted, never in plain text', async () => {
      const created = await create(ws.owner);
      const [row] = await db.query('SELECT secrets::text AS secrets FROM webhooks WHERE id = $1', [created.id]);
      expect(row.secrets).not.toContain(created.secret.slice('whsec_'.length));
      expect(JSON.parse(row.secrets)).toEqual([{ ciphertext: expect.stringMatching(/^v2\.[0-9a-f]{12}\./), createdAt: expect.any(String), expiresAt: null }]);
    });

    it('refuses a viewer (403) and an outsider (404)', async () => {
      expectError(await ws.viewer.api.post(path, body()), 403);
      expectError(await ws.outsider.api.post(path, body()), 404);
      expectError(await new ApiClient(t.baseUrl).post(path, body()), 401);
    });

    it('refuses invalid bodies with 400 and a clear message', async () => {
      expectError(await ws.owner.api.post(path, body({ events: ['investment.created', 'investment.exploded'] })), 400, /"investment\.exploded"/);
      expectError(await ws.owner.api.post(path, body({ events: [] })), 400, /events should not be empty/);
      expectError(await ws.owner.api.post(path, body({ events: ['memo.created', 'memo.created'] })), 400, /unique/);
      expectError(await ws.owner.api.post(path, body({ events: 'memo.created' })), 400, /events must be an array/);
      expectError(await ws.owner.api.post(path, body({ name: undefined })), 400, /name is required/);
      expectError(await ws.owner.api.post(path, body({ name: 'x'.repeat(201) })), 400, /name must be shorter/);
      expectError(await ws.owner.api.post(path, body({ description: 'x'.repeat(1001) })), 400, /description/);
      expectError(await ws.owner.api.post(path, body({ enabled: 'yes' })), 400, /enabled must be a boolean/);
      expectError(await ws.owner.api.post(path, body({ secret: 'whsec_mine' })), 400, /property secret should not exist/);
      expectError(await ws.owner.api.post(path, body({ createdById: ws.admin.id })), 400, /property createdById should not exist/);
      expectError(await ws.owner.api.post(path, '{"name":'), 400);
    });

    it('refuses malformed URLs with 400', async () => {
      expectError(await ws.owner.api.post(path, body({ url: 'ftp://127.0.0.1/x' })), 400, /scheme must be http or https/);
      expectError(await ws.owner.api.post(path, body({ url: 'http://user:pw@127.0.0.1/x' })), 400, /username or password/);
      expectError(await ws.owner.api.post(path, body({ url: 'not a url' })), 400, /not a valid absolute URL/);
      expectError(await ws.owner.api.post(path, body({ url: `http://127.0.0.1/${'x'.repeat(2048)}` })), 400, /url must be shorter/);
      // Within 2048 characters as sent, longer once percent-encoded.
      expectError(await ws.owner.api.post(path, body({ url: `http://127.0.0.1/${'é'.repeat(500)}` })), 400, /once normalised/);
    });
  });

  describe('list and get', () => {
    let own: { owner: string; admin: string; member: string };

    beforeAll(async () => {
      own = {
        owner: (await create(ws.owner, { name: 'owner-list' })).id,
        admin: (await create(ws.admin, { name: 'admin-list' })).id,
        member: (await create(ws.member, { name: 'member-list' })).id,
      };
    });

    const listAll = async (user: TestUser) => {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const res: ApiResponse = await user.api.get(`${path}?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status).toBe(200);
        expectNoSecret(res);
        ids.push(...res.body.data.map((w: { id: string }) => w.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      return ids;
    };

    it('owners and admins see every webhook of the workspace, newest first, without secrets', async () => {
      const rows: { id: string }[] = await db.query('SELECT id FROM webhooks WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC', [ws.id]);
      expect(rows.length).toBeGreaterThan(3);
      expect(await listAll(ws.owner)).toEqual(rows.map((r) => r.id));
      expect(await listAll(ws.admin)).toEqual(rows.map((r) => r.id));
    });

    it('members see only their own', async () => {
      const rows: { id: string }[] = await db.query(
        'SELECT id FROM webhooks WHERE workspace_id = $1 AND created_by_id = $2 ORDER BY created_at DESC, id DESC',
        [ws.id, ws.member.id],
      );
      const ids = await listAll(ws.member);
      expect(ids).toEqual(rows.map((r) => r.id));
      expect(ids).toContain(own.member);
      expect(ids).not.toContain(own.admin);
    });

    it('a page has {data, nextCursor}', async () => {
      const res = await ws.owner.api.get(`${path}?limit=1`);
      expect(res.body).toEqual({ data: [expect.objectContaining({ id: expect.any(String) })], nextCursor: expect.any(String) });
      expectError(await ws.owner.api.get(`${path}?limit=0`), 400);
    });

    it('refuses a viewer (403) and an outsider (404)', async () => {
      expectError(await ws.viewer.api.get(path), 403);
      expectError(await ws.outsider.api.get(path), 404);
    });

    it('gets a readable webhook, never its secret', async () => {
      for (const [user, id] of [[ws.owner, own.member], [ws.admin, own.owner], [ws.member, own.member]] as const) {
        const res = await user.api.get(`${path}/${id}`);
        expect(res.status).toBe(200);
        expect(res.body.id).toBe(id);
        expect(Object.keys(res.body).sort()).toEqual(
          [
            'consecutiveFailures', 'createdAt', 'createdById', 'description', 'disabledReason', 'enabled', 'events', 'failingSince', 'filter', 'health', 'id',
            'maxConcurrency', 'name', 'ownerChangedAt', 'previousOwnerId', 'rateLimitPerSecond', 'updatedAt', 'url', 'workspaceId',
          ],
        );
      }
    });

    it("404 for another member's webhook, an outsider, an unknown id; 403 for a viewer; 400 for a malformed id", async () => {
      expectError(await ws.member.api.get(`${path}/${own.admin}`), 404, /Webhook not found/);
      expectError(await ws.member.api.get(`${path}/${own.owner}`), 404);
      expectError(await ws.outsider.api.get(`${path}/${own.owner}`), 404);
      expectError(await ws.owner.api.get(`${path}/${randomUUID()}`), 404);
      expectError(await ws.viewer.api.get(`${path}/${own.member}`), 403);
      expectError(await ws.owner.api.get(`${path}/not-a-uuid`), 400);
    });

    it("is not visible from another workspace's path", async () => {
      const me = await ws.outsider.api.get('/v1/me');
      const otherId = me.body.memberships[0].workspaceId as string;
      expect(otherId).not.toBe(ws.id);
      expectError(await ws.outsider.api.get(`/v1/workspaces/${otherId}/webhooks/${own.owner}`), 404);
    });
  });

  describe('update', () => {
    it('updates fields and returns the webhook without its secret', async () => {
      const created = await create(ws.member, { description: 'old' });
      const res = await ws.member.api.patch(`${path}/${created.id}`, {
        name: 'Renamed',
        url: 'http://127.0.0.1:9/v2',
        events: ['pipeline.created'],
        description: null,
      });
      expect(res.status).toBe(200);
      expectNoSecret(res);
      expect(res.body).toMatchObject({
        id: created.id,
        name: 'Renamed',
        url: 'http://127.0.0.1:9/v2',
        events: ['pipeline.created'],
        description: null,
        createdById: ws.member.id,
      });
      expect(Date.parse(res.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt as string));
      expect((await ws.member.api.get(`${path}/${created.id}`)).body).toEqual(res.body);
    });

    it("lets admins update a member's webhook; members get 404 for others'; viewers 403; outsiders 404", async () => {
      const member = await create(ws.member);
      const admin = await create(ws.admin);
      expect((await ws.admin.api.patch(`${path}/${member.id}`, { name: 'by admin' })).body.name).toBe('by admin');
      expect((await ws.owner.api.patch(`${path}/${admin.id}`, { name: 'by owner' })).body.name).toBe('by owner');
      expectError(await ws.member.api.patch(`${path}/${admin.id}`, { name: 'mine now' }), 404);
      expectError(await ws.viewer.api.patch(`${path}/${member.id}`, { name: 'x' }), 403);
      expectError(await ws.outsider.api.patch(`${path}/${member.id}`, { name: 'x' }), 404);
      expectError(await ws.owner.api.patch(`${path}/${randomUUID()}`, { name: 'x' }), 404);
      expect((await ws.owner.api.get(`${path}/${admin.id}`)).body.name).toBe('by owner');
    });

    it('refuses invalid patches with 400 and changes nothing', async () => {
      const created = await create(ws.owner);
      const url = `${path}/${created.id}`;
      for (const field of ['name', 'url', 'events', 'enabled']) expectError(await ws.owner.api.patch(url, { [field]: null }), 400, new RegExp(field));
      expectError(await ws.owner.api.patch(url, { events: ['memo.archived'] }), 400, /"memo\.archived"/);
      expectError(await ws.owner.api.patch(url, { events: [] }), 400, /events should not be empty/);
      expectError(await ws.owner.api.patch(url, { createdById: ws.member.id }), 400, /should not exist/);
      expectError(await ws.owner.api.patch(url, { secrets: [] }), 400, /should not exist/);
      expectError(await ws.owner.api.patch(url, { url: 'javascript:alert(1)' }), 400, /scheme/);
      const after = (await ws.owner.api.get(url)).body;
      expect(after).toMatchObject({ name: created.name, url: created.url, events: created.events, enabled: true });
    });

    it('pausing clears disabledReason; re-enabling clears disabledReason and failingSince', async () => {
      const created = await create(ws.owner);
      const url = `${path}/${created.id}`;
      // As the delivery engine would when it gives up on an endpoint.
      await db.query(`UPDATE webhooks SET enabled = false, disabled_reason = 'failing', failing_since = now() WHERE id = $1`, [created.id]);
      expect((await ws.owner.api.get(url)).body).toMatchObject({ enabled: false, disabledReason: 'failing' });

      const enabled = await ws.owner.api.patch(url, { enabled: true });
      expect(enabled.body).toMatchObject({ enabled: true, disabledReason: null });
      const [row] = await db.query('SELECT failing_since FROM webhooks WHERE id = $1', [created.id]);
      expect(row.failing_since).toBeNull();

      await db.query(`UPDATE webhooks SET enabled = false, disabled_reason = 'gone' WHERE id = $1`, [created.id]);
      expect((await ws.owner.api.patch(url, { enabled: false })).body).toMatchObject({ enabled: false, disabledReason: null });
    });

    it('whoever but the owner changes url or events becomes the owner; name, description and enabled keep it', async () => {
      // A fresh workspace: demoting its member does not disturb the other tests.
      const other = await seedWorkspace(new ApiClient(t.baseUrl));
      const created = await other.member.api.post(`/v1/workspaces/${other.id}/webhooks`, body({ events: ['investment.created', 'assumption.updated'] }));
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ createdById: other.member.id, previousOwnerId: null, ownerChangedAt: null });
      const hookPath = `/v1/workspaces/${other.id}/webhooks/${created.body.id}`;
      expect((await other.owner.api.patch(`/v1/workspaces/${other.id}/members/${other.member.id}`, { role: 'viewer' })).status).toBe(200);

      const renamed = await other.admin.api.patch(hookPath, { name: 'renamed', description: 'by an admin', enabled: false });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({ createdById: other.member.id, previousOwnerId: null, ownerChangedAt: null });

      // The admin now decides what it carries: it carries what the admin may read, and says so.
      const taken = await other.admin.api.patch(hookPath, { events: ['investment.created', 'assumption.updated', 'assumption.created'] });
      expect(taken.status, JSON.stringify(taken.body)).toBe(200);
      expect(taken.body).toMatchObject({ createdById: other.admin.id, previousOwnerId: other.member.id });
      expect(Date.parse(taken.body.ownerChangedAt)).toBeGreaterThan(Date.parse(created.body.createdAt) - 1);
      expect((await other.admin.api.get(hookPath)).body).toMatchObject({ createdById: other.admin.id, previousOwnerId: other.member.id });
      // The new owner editing it changes nothing about ownership.
      const again = await other.admin.api.patch(hookPath, { events: ['investment.updated'] });
      expect(again.body).toMatchObject({ events: ['investment.updated'], createdById: other.admin.id, ownerChangedAt: taken.body.ownerChangedAt });
      // And the demoted former owner no longer manages webhooks at all.
      expectError(await other.member.api.get(hookPath), 403);
    });
  });

  describe('secrets', () => {
    it('GET …/secret returns the secret create returned, to whoever may read the webhook', async () => {
      const created = await create(ws.member);
      for (const user of [ws.member, ws.admin, ws.owner]) {
        const res = await user.api.get(`${path}/${created.id}/secret`);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ secret: created.secret });
      }
      expectError(await ws.viewer.api.get(`${path}/${created.id}/secret`), 403);
      expectError(await ws.outsider.api.get(`${path}/${created.id}/secret`), 404);
      expectError(await ws.owner.api.get(`${path}/${randomUUID()}/secret`), 404);
    });

    it("members cannot read or rotate another's secret (404)", async () => {
      const admin = await create(ws.admin);
      expectError(await ws.member.api.get(`${path}/${admin.id}/secret`), 404);
      expectError(await ws.member.api.post(`${path}/${admin.id}/rotate-secret`), 404);
      expectError(await ws.viewer.api.post(`${path}/${admin.id}/rotate-secret`), 403);
      expectError(await ws.outsider.api.post(`${path}/${admin.id}/rotate-secret`), 404);
      expect((await ws.admin.api.get(`${path}/${admin.id}/secret`)).body.secret).toBe(admin.secret);
    });

    it('rotation returns a new current secret (200) and keeps the old one signing for the overlap', async () => {
      const created = await create(ws.member);
      const res = await ws.member.api.post(`${path}/${created.id}/rotate-secret`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ secret: expect.stringMatching(SECRET) });
      expect(res.body.secret).not.toBe(created.secret);
      expect((await ws.member.api.get(`${path}/${created.id}/secret`)).body.secret).toBe(res.body.secret);

      const secrets = t.app.get(WebhookSecretsService);
      const row = (await secrets.findWithSecrets(created.id)) as Webhook;
      expect(secrets.liveSecrets(row.id, row.secrets)).toEqual([res.body.secret, created.secret]);
      // Default overlap: 24 h.
      expect(Date.parse(row.secrets[1].expiresAt!) - Date.now()).toBeGreaterThan(23.9 * 3_600_000);
      expect(secrets.liveSecrets(row.id, row.secrets, Date.now() + 24 * 3_600_000 + 1000)).toEqual([res.body.secret]);
    });

    it('ordinary reads never load the secrets column', async () => {
      const created = await create(ws.owner);
      const row = await db.getRepository(Webhook).findOneByOrFail({ id: created.id });
      expect(row.secrets).toBeUndefined();
    });
  });

  describe('delete', () => {
    it('deletes (204), then 404; pending deliveries go with it', async () => {
      const created = await create(ws.member);
      // A pending delivery, far in the future so no worker picks it up.
      const eventId = `evt_test_${randomUUID().replace(/-/g, '')}`;
      await db.query(
        `INSERT INTO events (id, type, workspace_id, actor, data, relayed_at) VALUES ($1, 'investment.created', $2, '{}', '{}', now())`,
        [eventId, ws.id],
      );
      await db.query(
        `INSERT INTO deliveries (event_id, webhook_id, workspace_id, event_type, status, next_attempt_at)
         VALUES ($1, $2, $3, 'investment.created', 'pending', now() + interval '1 day')`,
        [eventId, created.id, ws.id],
      );

      const res = await ws.member.api.delete(`${path}/${created.id}`);
      expect(res.status).toBe(204);
      expect(res.body).toBeUndefined();
      expectError(await ws.member.api.get(`${path}/${created.id}`), 404);
      expectError(await ws.member.api.delete(`${path}/${created.id}`), 404);
      const [{ count }] = await db.query('SELECT count(*)::int AS count FROM deliveries WHERE webhook_id = $1', [created.id]);
      expect(count).toBe(0);
    });

    it("lets admins delete a member's webhook; members 404 on others'; viewers 403; outsiders 404", async () => {
      const member = await create(ws.member);
      const owner = await create(ws.owner);
      expectError(await ws.member.api.delete(`${path}/${owner.id}`), 404);
      expectError(await ws.viewer.api.delete(`${path}/${member.id}`), 403);
      expectError(await ws.outsider.api.delete(`${path}/${member.id}`), 404);
      expect((await ws.owner.api.get(`${path}/${owner.id}`)).status).toBe(200);
      expect((await ws.admin.api.delete(`${path}/${member.id}`)).status).toBe(204);
      expectError(await ws.member.api.get(`${path}/${member.id}`), 404);
    });
  });

  it('documents every route in Swagger', async () => {
    const doc = (await new ApiClient(t.baseUrl).get('/docs-json')).body;
    const p = '/v1/workspaces/{wid}/webhooks';
    expect(Object.keys(doc.paths[p])).toEqual(expect.arrayContaining(['post', 'get']));
    expect(Object.keys(doc.paths[`${p}/{id}`])).toEqual(expect.arrayContaining(['get', 'patch', 'delete']));
    expect(doc.paths[`${p}/{id}/secret`].get.responses['200']).toBeDefined();
    expect(doc.paths[`${p}/{id}/rotate-secret`].post.responses['200']).toBeDefined();
    expect(Object.keys(doc.paths[p].post.responses)).toEqual(expect.arrayContaining(['201', '400', '403', '404', '409', '422']));
    expect(doc.components.schemas.CreateWebhookDto.properties.events.example).toBeDefined();
    expect(doc.components.schemas.CreatedWebhookView.properties.secret).toBeDefined();
    expect(doc.components.schemas.WebhookView.properties.secret).toBeUndefined();
  });
});

describe('webhooks: URL safety and the per-workspace limit', () => {
  let t: TestApp;
  let ws: TestWorkspace;
  let path: string;

  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_ALLOW_PRIVATE_NETWORK: 'false', WEBHOOK_MAX_PER_WORKSPACE: '2' });
    ws = await seedWorkspace(new ApiClient(t.baseUrl));
    path = `/v1/workspaces/${ws.id}/webhooks`;
  });
  afterAll(() => t?.close());

  it.each([
    ['http://127.0.0.1/x', /loopback/],
    ['http://2130706433/', /loopback/],
    ['http://0x7f000001/', /loopback/],
    ['http://[::ffff:127.0.0.1]/', /loopback|IPv4-mapped/],
    ['http://169.254.169.254/latest/meta-data', /link-local/],
    ['http://10.0.0.1/', /private/],
    ['http://100.64.0.1/', /carrier-grade NAT/],
    ['http://[::1]/', /loopback/],
    ['http://0.0.0.0/', /unspecified/],
  ])('refuses %s with 422', async (url, reason) => {
    const res = await ws.owner.api.post(path, body({ url }));
    expect(res.body).toEqual({ statusCode: 422, message: expect.stringMatching(reason), error: 'Unprocessable Entity' });
  });

  it('accepts a public address, and re-checks the URL only when it changes', async () => {
    const created = await ws.owner.api.post(path, body({ url: PUBLIC_IP_URL, enabled: false }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.url).toBe(PUBLIC_IP_URL);
    const url = `${path}/${created.body.id}`;
    expectError(await ws.owner.api.patch(url, { url: 'http://10.0.0.1/hook' }), 422, /private/);
    expectError(await ws.owner.api.patch(url, { url: 'http://user@93.184.216.34/hook' }), 400, /username or password/);
    expect((await ws.owner.api.get(url)).body.url).toBe(PUBLIC_IP_URL);
    const same = await ws.owner.api.patch(url, { url: PUBLIC_IP_URL, name: 'same url' });
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ url: PUBLIC_IP_URL, name: 'same url', enabled: false });
    await ws.owner.api.delete(url);
  });

  it('refuses the webhook over the limit with 409, counting everyone in the workspace', async () => {
    const first = await ws.member.api.post(path, body({ url: PUBLIC_IP_URL, enabled: false }));
    const second = await ws.admin.api.post(path, body({ url: PUBLIC_IP_URL, enabled: false }));
    expect([first.status, second.status]).toEqual([201, 201]);
    expectError(await ws.owner.api.post(path, body({ url: PUBLIC_IP_URL, enabled: false })), 409, /maximum of 2 webhooks/);

    // Another workspace has its own allowance.
    const other = await seedWorkspace(new ApiClient(t.baseUrl));
    expect((await other.owner.api.post(`/v1/workspaces/${other.id}/webhooks`, body({ url: PUBLIC_IP_URL, enabled: false }))).status).toBe(201);

    expect((await ws.admin.api.delete(`${path}/${first.body.id}`)).status).toBe(204);
    expect((await ws.owner.api.post(path, body({ url: PUBLIC_IP_URL, enabled: false }))).status).toBe(201);
  });

  it('concurrent creates cannot exceed the limit', async () => {
    const other = await seedWorkspace(new ApiClient(t.baseUrl));
    const results = await Promise.all(
      Array.from({ length: 8 }, () => other.owner.api.post(`/v1/workspaces/${other.id}/webhooks`, body({ url: PUBLIC_IP_URL, enabled: false }))),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 409, 409, 409, 409, 409, 409]);
    const list = await other.owner.api.get(`/v1/workspaces/${other.id}/webhooks`);
    expect(list.body.data).toHaveLength(2);
  });
});

describe('webhooks: secret rotation overlap', () => {
  let t: TestApp;
  let ws: TestWorkspace;
  let path: string;

  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_SECRET_OVERLAP: '1s' });
    ws = await seedWorkspace(new ApiClient(t.baseUrl));
    path = `/v1/workspaces/${ws.id}/webhooks`;
  });
  afterAll(() => t?.close());

  it('signs with [new, old] right after a rotation and [new] once the overlap is over', async () => {
    const created = (await ws.member.api.post(path, body())).body;
    const secrets = t.app.get(WebhookSecretsService);
    const load = async () => ((await secrets.findWithSecrets(created.id)) as Webhook).secrets;
    expect(secrets.liveSecrets(created.id, await load())).toEqual([created.secret]);

    const rotatedAt = Date.now();
    const rotated = (await ws.member.api.post(`${path}/${created.id}/rotate-secret`)).body.secret as string;
    expect(secrets.liveSecrets(created.id, await load())).toEqual([rotated, created.secret]);

    // The old secret retires once the overlap is over: not before (1 s), and not never.
    await waitFor(async () => secrets.liveSecrets(created.id, await load()).length === 1, 15_000, () => 'the old secret to retire');
    expect(Date.now() - rotatedAt).toBeGreaterThanOrEqual(950);
    expect(secrets.liveSecrets(created.id, await load())).toEqual([rotated]);
    expect((await ws.member.api.get(`${path}/${created.id}/secret`)).body.secret).toBe(rotated);
  });

  it('keeps at most three previous secrets however often it rotates', async () => {
    const created = (await ws.owner.api.post(path, body())).body;
    const issued = [created.secret as string];
    for (let i = 0; i < 5; i++) issued.unshift((await ws.owner.api.post(`${path}/${created.id}/rotate-secret`)).body.secret);
    const secrets = t.app.get(WebhookSecretsService);
    const stored = ((await secrets.findWithSecrets(created.id)) as Webhook).secrets;
    expect(stored).toHaveLength(4);
    expect(secrets.liveSecrets(created.id, stored)).toEqual(issued.slice(0, 4));
  });
});
