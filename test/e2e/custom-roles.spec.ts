import { Webhook as StandardWebhook } from 'standardwebhooks';
import { unpackRules } from '@casl/ability/extra';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, ApiClient, seedWorkspace, signup, TestUser, TestWorkspace } from '../support/api-client';
import { Receiver } from '../support/receiver';
import { startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait';

/**
 * Issue 18, end to end: an admin creates a custom role "Analyst" (read investments and valuations
 * of their own teams, without `amount`), assigns it, and the analyst's lists, gets and webhook
 * payloads (a real receiver) follow it — and every change of it — on the very next request and event.
 * Invariants are refused with 400; a webhook filter on changed fields delivers only matching events.
 */
describe('custom roles', () => {
  let t: TestApp;
  let ws: TestWorkspace;
  let analyst: TestUser;
  let roleId: string;
  let invA: { id: string };
  let invB: { id: string };
  let valA: { id: string };
  let hookSecret: string;
  const receiver = new Receiver();
  const INVESTMENT_FIELDS_WITHOUT_AMOUNT = ['name', 'teamId', 'stage', 'status', 'currency', 'workspaceId', 'createdAt', 'updatedAt'];
  const analystRole = (investmentFields: string[]) => ({
    name: 'Analyst',
    description: 'Reads the investments and valuations of their teams, without amounts',
    permissions: [
      { subject: 'Investment', actions: ['read'], scope: 'team', fields: investmentFields },
      { subject: 'Valuation', actions: ['read'], scope: 'team' },
      { subject: 'Webhook', actions: ['manage'], scope: 'own' },
    ],
  });
  const url = (path: string) => `/v1/workspaces/${ws.id}${path}`;

  /** Every event of the workspace fanned out and every delivery of `hookIds` answered. */
  async function settled(hookIds: string[]): Promise<void> {
    const db = t.app.get(DataSource);
    await waitFor(
      async () => {
        const [{ unfinished }] = await db.query(
          `SELECT count(*)::int AS unfinished FROM events WHERE workspace_id = $1 AND (relayed_at IS NULL OR pending_subscribers <> '{}')`,
          [ws.id],
        );
        const [{ open, n }] = await db.query(
          `SELECT count(*) FILTER (WHERE status <> 'succeeded')::int AS open, count(*)::int AS n FROM deliveries WHERE webhook_id = ANY($1)`,
          [hookIds],
        );
        return unfinished === 0 && open === 0 && receiver.requests.length >= n;
      },
      15_000,
      () => 'events fanned out and deliveries answered',
    );
  }

  const events = (path: string) =>
    receiver.on(path).map((r) => new StandardWebhook(hookSecret).verify(r.body, r.headers) as { type: string; data: { object: Record<string, unknown>; previousAttributes?: Record<string, unknown> } });

  beforeAll(async () => {
    t = await startTestApp();
    await receiver.start();
    const api = new ApiClient(t.baseUrl);
    ws = await seedWorkspace(api);
    analyst = await signup(api, 'Analyst');
    await addMember(ws.owner, ws.id, analyst, 'viewer');
    expect((await ws.owner.api.put(url(`/teams/${ws.teamA}/members/${analyst.id}`))).status).toBe(204);
    invA = (await ws.owner.api.post(url('/investments'), { name: 'A', teamId: ws.teamA, amount: 5_000_000, currency: 'USD' })).body;
    invB = (await ws.owner.api.post(url('/investments'), { name: 'B', teamId: ws.teamB, amount: 7_000_000 })).body;
    valA = (await ws.owner.api.post(url('/valuations'), { investmentId: invA.id, value: 10 })).body;
    await ws.owner.api.post(url('/valuations'), { investmentId: invB.id, value: 20 });
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  it('lists the built-in roles read-only; only admins and owners create roles', async () => {
    const list = await ws.member.api.get(url('/roles'));
    expect(list.status).toBe(200);
    expect(list.body.map((r: { id: string; builtIn: boolean }) => [r.id, r.builtIn])).toEqual([
      ['owner', true],
      ['admin', true],
      ['member', true],
      ['viewer', true],
    ]);
    expect((await ws.member.api.post(url('/roles'), analystRole(INVESTMENT_FIELDS_WITHOUT_AMOUNT))).status).toBe(403);
    expect((await ws.admin.api.patch(url('/roles/owner'), { name: 'x' })).status).toBe(400);
  });

  it('refuses roles breaking an invariant with 400 naming it, and nothing is saved', async () => {
    const attempt = (permissions: object[]) => ws.admin.api.post(url('/roles'), { name: 'Bad', permissions });
    const beyond = await attempt([{ subject: 'Workspace', actions: ['read', 'delete'], scope: 'all' }]);
    expect(beyond.status).toBe(400);
    expect(JSON.stringify(beyond.body.message)).toContain('nothing beyond admin');
    const owners = await attempt([{ subject: 'Member', actions: ['manage'], scope: 'all' }]);
    expect(owners.status).toBe(400);
    expect(JSON.stringify(owners.body.message)).toContain('no owner management');
    const field = await attempt([{ subject: 'Investment', actions: ['read'], scope: 'team', fields: ['amout'] }]);
    expect(field.status).toBe(400);
    expect(JSON.stringify(field.body.message)).toContain('amout');
    const scope = await attempt([{ subject: 'Assumption', actions: ['read'], scope: 'own' }]);
    expect(scope.status).toBe(400);
    expect((await attempt([{ subject: 'Secrets', actions: ['read'], scope: 'all' }])).status).toBe(400);
    expect((await ws.admin.api.post(url('/roles'), { name: 'Admin', permissions: [] })).status).toBe(400);
    expect((await ws.admin.api.get(url('/roles'))).body).toHaveLength(4);
  });

  it('an admin creates "Analyst" and assigns it by name; the very next request follows it', async () => {
    const created = await ws.admin.api.post(url('/roles'), analystRole(INVESTMENT_FIELDS_WITHOUT_AMOUNT));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    roleId = created.body.id;
    expect((await ws.admin.api.post(url('/roles'), analystRole([]))).status).toBe(409);

    // As a viewer, the analyst sees amounts of their team's investments.
    expect((await analyst.api.get(url(`/investments/${invA.id}`))).body.amount).toBe(5_000_000);

    const assigned = await ws.admin.api.patch(url(`/members/${analyst.id}`), { role: 'analyst' });
    expect(assigned.status, JSON.stringify(assigned.body)).toBe(200);
    expect(assigned.body).toMatchObject({ role: 'custom', customRole: { id: roleId, name: 'Analyst' } });
    expect((await ws.admin.api.patch(url(`/members/${analyst.id}`), { role: 'Nope' })).status).toBe(400);

    const list = await analyst.api.get(url('/investments'));
    expect(list.status).toBe(200);
    expect(list.body.data.map((i: { id: string }) => i.id)).toEqual([invA.id]);
    expect(list.body.data[0]).not.toHaveProperty('amount');
    expect(list.body.data[0]).toMatchObject({ id: invA.id, name: 'A', currency: 'USD', teamId: ws.teamA });
    const got = await analyst.api.get(url(`/investments/${invA.id}`));
    expect(got.status).toBe(200);
    expect(got.body).not.toHaveProperty('amount');
    expect((await analyst.api.get(url(`/investments/${invB.id}`))).status).toBe(404);
    const valuations = await analyst.api.get(url('/valuations'));
    expect(valuations.body.data.map((v: { id: string; value: number }) => [v.id, v.value])).toEqual([[valA.id, 10]]);
    // No more than the role grants: no pipelines, no writes.
    expect((await analyst.api.get(url('/pipelines'))).status).toBe(403);
    expect((await analyst.api.post(url('/investments'), { name: 'C', teamId: ws.teamA })).status).toBe(403);

    // The member list shows the custom role; the packed rules are the effective ones.
    const members = await ws.admin.api.get(url('/members'));
    expect(members.body.data.find((m: { userId: string }) => m.userId === analyst.id)).toMatchObject({ role: 'custom', customRole: { name: 'Analyst' } });
    const packed = await analyst.api.get(url(`/members/${analyst.id}/permissions`));
    expect(packed.status).toBe(200);
    const rules = unpackRules(packed.body.rules) as { action: string[]; subject: string[]; fields?: string[]; conditions?: object }[];
    const investmentRead = rules.filter((r) => r.subject.includes('Investment') && r.action.includes('read'));
    expect(investmentRead).toHaveLength(1);
    expect(investmentRead[0].conditions).toEqual({ teamId: { $in: [ws.teamA] } });
    expect([...investmentRead[0].fields!].sort()).toEqual(['id', ...INVESTMENT_FIELDS_WITHOUT_AMOUNT].sort());
  });

  it('webhook payloads follow the role, and a role change, on the next event', async () => {
    const hook = await analyst.api.post(url('/webhooks'), {
      name: 'analyst',
      url: receiver.url('/analyst'),
      events: ['investment.updated', 'valuation.updated'],
    });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);
    hookSecret = hook.body.secret;

    expect((await ws.owner.api.patch(url(`/investments/${invA.id}`), { amount: 6_000_000, stage: 'Seed' })).status).toBe(200);
    expect((await ws.owner.api.patch(url(`/investments/${invB.id}`), { amount: 8_000_000 })).status).toBe(200);
    await settled([hook.body.id]);
    let got = events('/analyst');
    expect(got).toHaveLength(1);
    expect(got[0].data.object).toMatchObject({ id: invA.id, stage: 'Seed' });
    expect(got[0].data.object).not.toHaveProperty('amount');
    expect(got[0].data.previousAttributes).toEqual({ stage: null });

    // The admin widens the role to amounts: every holder follows at once (ability_version bump).
    const widened = await ws.admin.api.patch(url(`/roles/${roleId}`), analystRole([...INVESTMENT_FIELDS_WITHOUT_AMOUNT, 'amount']));
    expect(widened.status, JSON.stringify(widened.body)).toBe(200);
    expect((await analyst.api.get(url(`/investments/${invA.id}`))).body.amount).toBe(6_000_000);
    expect((await ws.owner.api.patch(url(`/investments/${invA.id}`), { amount: 6_500_000 })).status).toBe(200);
    await settled([hook.body.id]);
    got = events('/analyst');
    expect(got).toHaveLength(2);
    expect(got[1].data.object).toMatchObject({ id: invA.id, amount: 6_500_000 });
    expect(got[1].data.previousAttributes).toEqual({ amount: 6_000_000 });

    // …and narrowed again.
    expect((await ws.admin.api.patch(url(`/roles/${roleId}`), analystRole(INVESTMENT_FIELDS_WITHOUT_AMOUNT))).status).toBe(200);
    expect((await analyst.api.get(url(`/investments/${invA.id}`))).body).not.toHaveProperty('amount');
    expect((await ws.owner.api.patch(url(`/investments/${invA.id}`), { amount: 7_000_000 })).status).toBe(200);
    await settled([hook.body.id]);
    got = events('/analyst');
    expect(got).toHaveLength(3);
    expect(got[2].data.object).not.toHaveProperty('amount');
    expect(got[2].data.previousAttributes ?? {}).toEqual({});
  });

  it('a role cannot be deleted while assigned (409); once unassigned it can', async () => {
    const temp = await ws.admin.api.post(url('/roles'), { name: 'Temp', permissions: [{ subject: 'Pipeline', actions: ['read'], scope: 'all' }] });
    expect(temp.status).toBe(201);
    expect((await ws.admin.api.patch(url(`/members/${ws.viewer.id}`), { role: temp.body.id })).status).toBe(200);
    expect((await ws.viewer.api.get(url('/pipelines'))).status).toBe(200);
    const refused = await ws.admin.api.delete(url(`/roles/${temp.body.id}`));
    expect(refused.status).toBe(409);
    expect((await ws.admin.api.patch(url(`/members/${ws.viewer.id}`), { role: 'viewer' })).status).toBe(200);
    expect((await ws.admin.api.delete(url(`/roles/${temp.body.id}`))).status).toBe(204);
    expect((await ws.admin.api.get(url('/roles'))).body.map((r: { name: string }) => r.name)).toEqual(['owner', 'admin', 'member', 'viewer', 'Analyst']);
    // Each change is in the audit log, newest first, with what the role was and became.
    const audit = await ws.admin.api.get(url(`/audit-log?limit=100`));
    expect(audit.status).toBe(200);
    const mine = audit.body.data.filter((e: { targetId: string }) => e.targetId === temp.body.id);
    expect(mine.map((e: { action: string }) => e.action)).toEqual(['role.deleted', 'role.created']);
    expect(mine[0].before).toMatchObject({ name: 'Temp' });
    expect(mine[1].after).toMatchObject({ name: 'Temp', permissions: [{ subject: 'Pipeline', actions: ['read'], scope: 'all' }] });
  });

  it('a custom role never reads another person\'s private memo, nor manages owners or admins', async () => {
    const reader = await ws.admin.api.post(url('/roles'), {
      name: 'Memo reader',
      permissions: [
        { subject: 'Memo', actions: ['manage'], scope: 'all' },
        { subject: 'Member', actions: ['read', 'update'], scope: 'all' },
      ],
    });
    expect(reader.status, JSON.stringify(reader.body)).toBe(201);
    const privateMemo = (await ws.owner.api.post(url('/memos'), { title: 'mine', visibility: 'private' })).body;
    const openMemo = (await ws.owner.api.post(url('/memos'), { title: 'all', visibility: 'workspace' })).body;
    expect((await ws.admin.api.patch(url(`/members/${ws.member.id}`), { role: 'Memo reader' })).status).toBe(200);
    expect((await ws.member.api.get(url(`/memos/${privateMemo.id}`))).status).toBe(404);
    expect((await ws.member.api.get(url(`/memos/${openMemo.id}`))).status).toBe(200);
    expect((await ws.member.api.get(url('/memos'))).body.data.map((m: { id: string }) => m.id)).not.toContain(privateMemo.id);
    // Member management, but never of owners or admins, nor granting admin.
    expect((await ws.member.api.patch(url(`/members/${ws.owner.id}`), { role: 'viewer' })).status).toBe(403);
    expect((await ws.member.api.patch(url(`/members/${ws.admin.id}`), { role: 'viewer' })).status).toBe(403);
    expect((await ws.member.api.patch(url(`/members/${ws.viewer.id}`), { role: 'admin' })).status).toBe(403);
    expect((await ws.member.api.patch(url(`/members/${ws.viewer.id}`), { role: 'member' })).status).toBe(200);
    // Roles stay with admins.
    expect((await ws.member.api.post(url('/roles'), { name: 'Mine', permissions: [] })).status).toBe(403);
  });

  it('a webhook filter on changed fields delivers a valuation.updated only when the value changed', async () => {
    const bad = await ws.owner.api.post(url('/webhooks'), { name: 'f', url: receiver.url('/filtered'), events: ['valuation.updated'], filter: { 'object.value': { $regex: '1' } } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.message)).toContain('$regex');
    const badField = await ws.owner.api.post(url('/webhooks'), { name: 'f', url: receiver.url('/filtered'), events: ['valuation.updated'], filter: { 'object.valeu': 1 } });
    expect(badField.status).toBe(400);
    expect(JSON.stringify(badField.body.message)).toContain('object.valeu');

    const hook = await ws.owner.api.post(url('/webhooks'), {
      name: 'value changes',
      url: receiver.url('/filtered'),
      events: ['valuation.updated'],
      filter: { changedFields: { $in: ['value'] } },
    });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);
    expect(hook.body.filter).toEqual({ changedFields: { $in: ['value'] } });
    hookSecret = hook.body.secret;
    expect((await ws.owner.api.patch(url(`/valuations/${valA.id}`), { method: 'checked' })).status).toBe(200);
    expect((await ws.owner.api.patch(url(`/valuations/${valA.id}`), { value: 11 })).status).toBe(200);
    expect((await ws.owner.api.patch(url(`/valuations/${valA.id}`), { method: 'again' })).status).toBe(200);
    await settled([hook.body.id]);
    const got = events('/filtered');
    expect(got.map((e) => [e.type, e.data.previousAttributes])).toEqual([['valuation.updated', { value: 10 }]]);

    // Changing the filter: an unknown field is refused and the old filter kept.
    expect((await ws.owner.api.patch(url(`/webhooks/${hook.body.id}`), { filter: { 'object.nope': 1 } })).status).toBe(400);
    const cleared = await ws.owner.api.patch(url(`/webhooks/${hook.body.id}`), { filter: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.filter).toBeNull();
    expect((await ws.owner.api.patch(url(`/valuations/${valA.id}`), { method: 'third' })).status).toBe(200);
    await settled([hook.body.id]);
    expect(events('/filtered')).toHaveLength(2);
  });
});
