import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, ApiClient, seedWorkspace, signup, TestWorkspace } from '../support/api-client';
import { Receiver } from '../support/receiver';
import { startTestApp, TestApp } from '../support/test-app';

/** The workspace audit log (issue 16), end to end: who did what, when, from where; admins only; append-only. */
describe('audit log', () => {
  let t: TestApp;
  let api: ApiClient;
  let ws: TestWorkspace;
  const receiver = new Receiver();
  const base = () => `/v1/workspaces/${ws.id}`;
  const UA = { 'user-agent': 'audit-test/1.0' };

  beforeAll(async () => {
    t = await startTestApp();
    api = new ApiClient(t.baseUrl);
    await receiver.start();
    ws = await seedWorkspace(api);
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  const log = async (query = '', as = ws.owner) => {
    const res = await as.api.get(`${base()}/audit-log${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.data as any[];
  };

  it('records webhook changes with before and after, the actor (user or API key), the address and the user agent', async () => {
    const created = await ws.member.api.request('POST', `${base()}/webhooks`, { name: 'h', url: receiver.url('/a'), events: ['pipeline.created'] }, UA);
    expect(created.status).toBe(201);
    const id = created.body.id;
    // The admin points it elsewhere (and becomes its owner), then pauses it.
    expect((await ws.admin.api.request('PATCH', `${base()}/webhooks/${id}`, { url: receiver.url('/b') }, UA)).status).toBe(200);
    expect((await ws.admin.api.patch(`${base()}/webhooks/${id}`, { enabled: false })).status).toBe(200);
    expect((await ws.admin.api.get(`${base()}/webhooks/${id}/secret`)).status).toBe(200);
    expect((await ws.admin.api.post(`${base()}/webhooks/${id}/rotate-secret`)).status).toBe(200);
    // Through an API key of the admin's.
    const key = await ws.admin.api.post(`${base()}/api-keys`, { name: 'ci' });
    expect(key.status).toBe(201);
    expect((await api.as(key.body.key).delete(`${base()}/webhooks/${id}`)).status).toBe(204);

    const entries = (await log()).filter((e) => e.targetId === id || e.targetId === key.body.id);
    expect(entries.map((e) => e.action)).toEqual([
      'webhook.deleted',
      'api_key.created',
      'webhook.secret_rotated',
      'webhook.secret_read',
      'webhook.updated',
      'webhook.updated',
      'webhook.created',
    ]);
    const [deleted, , , , paused, moved, createdEntry] = entries;
    expect(createdEntry).toMatchObject({ actor: { type: 'user', id: ws.member.id }, ip: expect.stringMatching(/127\.0\.0\.1/), userAgent: 'audit-test/1.0' });
    expect(moved).toMatchObject({
      actor: { type: 'user', id: ws.admin.id },
      before: { url: receiver.url('/a'), createdById: ws.member.id },
      after: { url: receiver.url('/b'), createdById: ws.admin.id },
      userAgent: 'audit-test/1.0',
    });
    expect(paused).toMatchObject({ before: { enabled: true }, after: { enabled: false } });
    expect(deleted).toMatchObject({ actor: { type: 'api_key', id: key.body.id }, before: { url: receiver.url('/b') } });
    // Never a secret in the log (an API key is named by its public prefix only).
    expect(JSON.stringify(entries)).not.toMatch(/whsec_/);
    expect(JSON.stringify(entries)).not.toContain(key.body.key);
  });

  it('records members, invitations and API keys', async () => {
    const extra = await signup(api, 'Extra');
    await addMember(ws.owner, ws.id, extra, 'viewer');
    expect((await ws.owner.api.patch(`${base()}/members/${extra.id}`, { role: 'member' })).status).toBe(200);
    expect((await ws.admin.api.delete(`${base()}/members/${extra.id}`)).status).toBe(204);
    const invited = await ws.admin.api.post(`${base()}/invitations`, { email: 'someone@example.com', role: 'viewer' });
    expect((await ws.admin.api.delete(`${base()}/invitations/${invited.body.id}`)).status).toBe(204);
    const key = await ws.owner.api.post(`${base()}/api-keys`, { name: 'tmp' });
    expect((await ws.owner.api.delete(`${base()}/api-keys/${key.body.id}`)).status).toBe(204);

    const actions = (await log()).map((e) => `${e.action}:${e.targetId}`);
    for (const expected of [
      `member.role_changed:${extra.id}`,
      `member.removed:${extra.id}`,
      `invitation.created:${invited.body.id}`,
      `invitation.revoked:${invited.body.id}`,
      `api_key.created:${key.body.id}`,
      `api_key.revoked:${key.body.id}`,
    ]) {
      expect(actions).toContain(expected);
    }
    expect(actions.some((a) => a.startsWith('invitation.accepted:'))).toBe(true);
    const role = (await log(`?action=member.role_changed`))[0];
    expect(role).toMatchObject({ targetId: extra.id, before: { role: 'viewer' }, after: { role: 'member' }, actor: { id: ws.owner.id } });
  });

  it('filters by actor, action and time, pages newest first; owners and admins only; bad filters are 400', async () => {
    const byAdmin = await log(`?actorId=${ws.admin.id}`);
    expect(byAdmin.length).toBeGreaterThan(0);
    expect(byAdmin.every((e) => e.actor.id === ws.admin.id)).toBe(true);
    expect((await log('?action=webhook.created')).every((e) => e.action === 'webhook.created')).toBe(true);
    expect(await log(`?since=${new Date(Date.now() + 60_000).toISOString()}`)).toEqual([]);
    expect((await log(`?until=2020-01-01`))).toEqual([]);
    const all = await log('?limit=100');
    const times = all.map((e) => Date.parse(e.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const paged: any[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: any } = await ws.admin.api.get(`${base()}/audit-log?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      paged.push(...res.body.data);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(paged.map((e) => e.id)).toEqual(all.map((e) => e.id));

    expect((await ws.member.api.get(`${base()}/audit-log`)).status).toBe(403);
    expect((await ws.viewer.api.get(`${base()}/audit-log`)).status).toBe(403);
    expect((await ws.outsider.api.get(`${base()}/audit-log`)).status).toBe(404);
    for (const q of ['action=nope', 'actorId=1', 'since=yesterday', 'since=2026-02-30', 'since=2026-01-02&until=2026-01-01', 'limit=0', 'foo=1']) {
      expect((await ws.owner.api.get(`${base()}/audit-log?${q}`)).status, q).toBe(400);
    }
    // No route changes an entry; the table itself refuses updates.
    expect((await ws.owner.api.request('DELETE', `${base()}/audit-log`)).status).toBe(404);
    await expect(t.app.get(DataSource).query(`UPDATE audit_log SET action = 'x' WHERE workspace_id = $1`, [ws.id])).rejects.toThrow(/append-only/);
  });

  it('writes an API key change and its entry in one transaction: no key without its entry, no revocation without its entry', async () => {
    const db = t.app.get(DataSource);
    const kept = await ws.owner.api.post(`${base()}/api-keys`, { name: 'kept' });
    expect(kept.status).toBe(201);
    // The audit insert fails (a trigger refusing api_key.* entries of this workspace): the key change must roll back with it.
    await db.query(`CREATE FUNCTION refuse_key_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.action LIKE 'api_key.%' AND NEW.workspace_id = '${ws.id}' THEN RAISE EXCEPTION 'audit refused'; END IF; RETURN NEW; END $$`);
    await db.query(`CREATE TRIGGER refuse_key_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_key_audit()`);
    try {
      expect((await ws.owner.api.post(`${base()}/api-keys`, { name: 'orphan' })).status).toBe(500);
      expect((await ws.owner.api.delete(`${base()}/api-keys/${kept.body.id}`)).status).toBe(500);
    } finally {
      await db.query(`DROP TRIGGER refuse_key_audit ON audit_log`);
      await db.query(`DROP FUNCTION refuse_key_audit()`);
    }
    const names = (await db.query(`SELECT name FROM api_keys WHERE workspace_id = $1`, [ws.id])).map((r: { name: string }) => r.name);
    expect(names).toContain('kept');
    expect(names).not.toContain('orphan');
    // The key whose revocation failed still works, and its creation is logged.
    expect((await api.as(kept.body.key).get(`${base()}/webhooks`)).status).toBe(200);
    expect((await log(`?action=api_key.created`)).map((e) => e.targetId)).toContain(kept.body.id);
    expect((await log(`?action=api_key.revoked`)).map((e) => e.targetId)).not.toContain(kept.body.id);
  });
});
