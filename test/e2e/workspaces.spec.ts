import { createMongoAbility, subject } from '@casl/ability';
import { unpackRules } from '@casl/ability/extra';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, ApiClient, ApiResponse, seedWorkspace, signup, TestUser, TestWorkspace, verifyEmail } from '../support/api-client';
import { expectError, walk } from '../support/assertions';
import { startTestApp, TestApp } from '../support/test-app';
import { AbilityService } from '../../src/permissions/ability.service';

let t: TestApp;
let api: ApiClient;
beforeAll(async () => {
  t = await startTestApp();
  api = new ApiClient(t.baseUrl);
});
afterAll(() => t?.close());

describe('workspaces', () => {
  it('POST → 201 {id,name}, caller becomes owner; validation 400', async () => {
    const user = await signup(api, 'Founder');
    const res = await user.api.post('/v1/workspaces', { name: 'Fund II' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: expect.any(String), name: 'Fund II', role: 'owner' });
    expect((await user.api.get('/v1/me')).body.memberships).toEqual([{ workspaceId: res.body.id, role: 'owner' }]);
    expect((await user.api.get('/v1/workspaces')).body.data).toMatchObject([{ id: res.body.id, name: 'Fund II', role: 'owner' }]);
    expectError(await user.api.post('/v1/workspaces', {}), 400, 'name is required');
    expectError(await user.api.post('/v1/workspaces', { name: '' }), 400, 'name should not be empty');
    expectError(await user.api.post('/v1/workspaces', { name: 'x'.repeat(201) }), 400, 'name must be shorter than or equal to 200 characters');
    expectError(await user.api.post('/v1/workspaces', { name: 'x', plan: 'gold' }), 400, 'property plan should not exist');
    expectError(await api.post('/v1/workspaces', { name: 'anon' }), 401);
  });

  it('GET lists only the caller’s workspaces, newest first, paginated without gaps or duplicates', async () => {
    const user = await signup(api, 'Collector');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await user.api.post('/v1/workspaces', { name: `W${i}` })).body.id);
    const stranger = await signup(api, 'Stranger');
    await stranger.api.post('/v1/workspaces', { name: 'Not yours' });
    const rows = await walk(user.api, '/v1/workspaces', 2);
    expect(rows.map((w) => w.id)).toEqual([...ids].reverse());
    expect(rows.every((w) => w.role === 'owner')).toBe(true);
    expectError(await user.api.get('/v1/workspaces?limit=0'), 400, 'limit must not be less than 1');
    expectError(await user.api.get('/v1/workspaces?limit=101'), 400, 'limit must not be greater than 100');
    expectError(await user.api.get('/v1/workspaces?cursor=garbage'), 400, 'cursor is invalid');
  });

  it('GET/PATCH/DELETE /:wid by role; outsiders 404; bad ids 400', async () => {
    const ws = await seedWorkspace(api);
    const path = `/v1/workspaces/${ws.id}`;
    for (const user of [ws.owner, ws.admin, ws.member, ws.viewer]) {
      const res = await user.api.get(path);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: ws.id, name: 'Fund I' });
    }
    expectError(await ws.outsider.api.get(path), 404);
    expectError(await ws.owner.api.get(`/v1/workspaces/${randomUUID()}`), 404);
    expectError(await ws.owner.api.get('/v1/workspaces/not-a-uuid'), 400);

    expectError(await ws.member.api.patch(path, { name: 'Hijack' }), 403);
    expectError(await ws.viewer.api.patch(path, { name: 'Hijack' }), 403);
    expectError(await ws.outsider.api.patch(path, { name: 'Hijack' }), 404);
    expectError(await ws.admin.api.patch(path, { name: '' }), 400);
    expectError(await ws.admin.api.patch(path, { name: 'x', extra: 1 }), 400, 'property extra should not exist');
    const renamed = await ws.admin.api.patch(path, { name: 'Fund I (renamed)' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('Fund I (renamed)');
    expect((await ws.viewer.api.get(path)).body.name).toBe('Fund I (renamed)');

    expectError(await ws.admin.api.delete(path), 403);
    expectError(await ws.member.api.delete(path), 403);
    expectError(await ws.outsider.api.delete(path), 404);
    expect((await ws.owner.api.delete(path)).status).toBe(204);
    for (const user of [ws.owner, ws.admin, ws.member]) expectError(await user.api.get(path), 404);
    expect((await ws.member.api.get('/v1/me')).body.memberships).toEqual([]);
  });
});

describe('members', () => {
  let ws: TestWorkspace;
  let base: string;
  beforeAll(async () => {
    ws = await seedWorkspace(api);
    base = `/v1/workspaces/${ws.id}/members`;
  });

  it('GET: every member reads the member list [{userId,email,name,role}]; outsiders 404', async () => {
    for (const user of [ws.owner, ws.admin, ws.member, ws.viewer]) {
      const res = await user.api.get(base);
      expect(res.status).toBe(200);
      const byUser = Object.fromEntries(res.body.data.map((m: any) => [m.userId, m]));
      expect(Object.keys(byUser).sort()).toEqual([ws.owner.id, ws.admin.id, ws.member.id, ws.viewer.id].sort());
      expect(byUser[ws.member.id]).toMatchObject({ userId: ws.member.id, email: ws.member.email, name: 'Member', role: 'member', teamIds: [ws.teamA] });
      expect(byUser[ws.owner.id].role).toBe('owner');
      expect(JSON.stringify(res.body)).not.toMatch(/password/i);
    }
    expectError(await ws.outsider.api.get(base), 404);
    const walked = await walk(ws.viewer.api, base, 1);
    expect(walked.map((m) => m.userId).sort()).toEqual([ws.owner.id, ws.admin.id, ws.member.id, ws.viewer.id].sort());
  });

  it('joining is by invitation: admin+ invites (201), the verified invitee accepts; 409 already member; 400 bad body; 403 member/viewer; POST /members is 410', async () => {
    const newcomer = await signup(api, 'Newcomer');
    const invitations = `/v1/workspaces/${ws.id}/invitations`;
    expectError(await ws.member.api.post(invitations, { email: newcomer.email, role: 'viewer' }), 403);
    expectError(await ws.viewer.api.post(invitations, { email: newcomer.email, role: 'viewer' }), 403);
    expectError(await ws.outsider.api.post(invitations, { email: newcomer.email, role: 'viewer' }), 404);
    expectError(await ws.admin.api.post(invitations, { email: newcomer.email, role: 'boss' }), 400, /role must be one of the following values/);
    expectError(await ws.admin.api.post(invitations, { email: 'nope', role: 'viewer' }), 400, 'email must be an email');
    expectError(await ws.admin.api.post(invitations, { email: newcomer.email, role: 'viewer', teams: [] }), 400, 'property teams should not exist');
    // Only an owner grants owner.
    expectError(await ws.admin.api.post(invitations, { email: newcomer.email, role: 'owner' }), 403);
    // The retired route adds nobody, whatever the body.
    expectError(await ws.admin.api.post(base, { email: newcomer.email, role: 'viewer' }), 410, /invitations/);

    const invited = await ws.admin.api.post(invitations, { email: newcomer.email.toUpperCase(), role: 'viewer' });
    expect(invited.status).toBe(201);
    expect((await newcomer.api.get(`/v1/workspaces/${ws.id}`)).status).toBe(404);
    await verifyEmail(newcomer);
    expect((await newcomer.api.post(`/v1/me/invitations/${invited.body.id}/accept`)).body).toEqual({ workspaceId: ws.id, role: 'viewer' });
    expect((await newcomer.api.get(`/v1/workspaces/${ws.id}`)).status).toBe(200);
    const listed = (await ws.admin.api.get(base)).body.data.find((m: any) => m.userId === newcomer.id);
    expect(listed).toMatchObject({ userId: newcomer.id, email: newcomer.email, role: 'viewer' });
    expectError(await ws.admin.api.post(invitations, { email: newcomer.email, role: 'member' }), 409);
  });

  it('PATCH: role changes; admins cannot touch owners or grant owner; the last owner cannot be demoted (409)', async () => {
    const w = await seedWorkspace(api);
    const members = `/v1/workspaces/${w.id}/members`;
    expectError(await w.member.api.patch(`${members}/${w.viewer.id}`, { role: 'admin' }), 403);
    expectError(await w.viewer.api.patch(`${members}/${w.viewer.id}`, { role: 'admin' }), 403);
    expectError(await w.admin.api.patch(`${members}/${w.owner.id}`, { role: 'viewer' }), 403);
    expectError(await w.admin.api.patch(`${members}/${w.member.id}`, { role: 'owner' }), 403);
    expectError(await w.admin.api.patch(`${members}/${w.member.id}`, { role: 'superuser' }), 400, /role must be one of/);
    expectError(await w.admin.api.patch(`${members}/${w.member.id}`, {}), 400);
    expectError(await w.admin.api.patch(`${members}/not-a-uuid`, { role: 'viewer' }), 400);
    expectError(await w.admin.api.patch(`${members}/${w.outsider.id}`, { role: 'viewer' }), 404);
    expectError(await w.outsider.api.patch(`${members}/${w.member.id}`, { role: 'viewer' }), 404);
    // The only owner may not step down.
    expectError(await w.owner.api.patch(`${members}/${w.owner.id}`, { role: 'admin' }), 409);

    const promoted = await w.admin.api.patch(`${members}/${w.viewer.id}`, { role: 'admin' });
    expect(promoted.status).toBe(200);
    expect(promoted.body).toMatchObject({ userId: w.viewer.id, role: 'admin' });
    // An owner grants owner; then either owner may step down, but not both.
    expect((await w.owner.api.patch(`${members}/${w.admin.id}`, { role: 'owner' })).status).toBe(200);
    expectError(await w.viewer.api.patch(`${members}/${w.admin.id}`, { role: 'member' }), 403);
    expect((await w.admin.api.patch(`${members}/${w.owner.id}`, { role: 'member' })).body.role).toBe('member');
    expectError(await w.admin.api.patch(`${members}/${w.admin.id}`, { role: 'admin' }), 409);
    const roles = Object.fromEntries((await w.admin.api.get(members)).body.data.map((m: any) => [m.userId, m.role]));
    expect(roles).toEqual({ [w.owner.id]: 'member', [w.admin.id]: 'owner', [w.member.id]: 'member', [w.viewer.id]: 'admin' });
  });

  it('DELETE: admins remove non-owners, anyone leaves, owners only by owners, never the last owner (409)', async () => {
    const w = await seedWorkspace(api);
    const members = `/v1/workspaces/${w.id}/members`;
    expectError(await w.member.api.delete(`${members}/${w.viewer.id}`), 403);
    expectError(await w.admin.api.delete(`${members}/${w.owner.id}`), 403);
    expectError(await w.owner.api.delete(`${members}/${w.owner.id}`), 409);
    expectError(await w.owner.api.delete(`${members}/${w.outsider.id}`), 404);
    expectError(await w.outsider.api.delete(`${members}/${w.member.id}`), 404);
    expectError(await w.owner.api.delete(`${members}/not-a-uuid`), 400);

    // A viewer leaves; access ends on the very next request.
    expect((await w.viewer.api.delete(`${members}/${w.viewer.id}`)).status).toBe(204);
    expectError(await w.viewer.api.get(`/v1/workspaces/${w.id}`), 404);
    // An admin removes a member.
    expect((await w.admin.api.delete(`${members}/${w.member.id}`)).status).toBe(204);
    expectError(await w.member.api.get(`/v1/workspaces/${w.id}/teams`), 404);
    expectError(await w.admin.api.delete(`${members}/${w.member.id}`), 404);
    // With a second owner, the first may leave; the remaining one may not.
    const second = await signup(api, 'Second owner');
    await addMember(w.owner, w.id, second, 'owner');
    expect((await w.owner.api.delete(`${members}/${w.owner.id}`)).status).toBe(204);
    expectError(await second.api.delete(`${members}/${second.id}`), 409);
    expect((await w.admin.api.delete(`${members}/${w.admin.id}`)).status).toBe(204);
    expect((await second.api.get(members)).body.data.map((m: any) => m.userId)).toEqual([second.id]);
  });

  it('self-service routes accept the caller’s own id in any case', async () => {
    const w = await seedWorkspace(api);
    const members = `/v1/workspaces/${w.id}/members`;
    expect((await w.member.api.get(`${members}/${w.member.id.toUpperCase()}/permissions`)).status).toBe(200);
    expect((await w.viewer.api.delete(`${members}/${w.viewer.id.toUpperCase()}`)).status).toBe(204);
    expectError(await w.viewer.api.get(`/v1/workspaces/${w.id}`), 404);
  });

  it('role changes take effect on the very next request', async () => {
    const w = await seedWorkspace(api);
    const inv = `/v1/workspaces/${w.id}/investments`;
    expect((await w.member.api.post(inv, { name: 'Before', teamId: w.teamA })).status).toBe(201);
    expect((await w.admin.api.patch(`/v1/workspaces/${w.id}/members/${w.member.id}`, { role: 'viewer' })).status).toBe(200);
    expectError(await w.member.api.post(inv, { name: 'After', teamId: w.teamA }), 403);
    expect((await w.member.api.get(inv)).body.data).toHaveLength(1);
    expect((await w.admin.api.patch(`/v1/workspaces/${w.id}/members/${w.viewer.id}`, { role: 'admin' })).status).toBe(200);
    expect((await w.viewer.api.post(inv, { name: 'Promoted', teamId: w.teamB })).status).toBe(201);
    expect((await w.viewer.api.get(inv)).body.data).toHaveLength(2);
  });
});

describe('concurrency', () => {
  it('two owners leaving or demoting each other at once: the workspace always keeps an owner', async () => {
    for (let round = 0; round < 6; round++) {
      const w = await seedWorkspace(api);
      const members = `/v1/workspaces/${w.id}/members`;
      expect((await w.owner.api.patch(`${members}/${w.admin.id}`, { role: 'owner' })).status).toBe(200);
      const [a, b] =
        round % 2 === 0
          ? await Promise.all([w.owner.api.delete(`${members}/${w.owner.id}`), w.admin.api.delete(`${members}/${w.admin.id}`)])
          : await Promise.all([w.owner.api.patch(`${members}/${w.admin.id}`, { role: 'member' }), w.admin.api.patch(`${members}/${w.owner.id}`, { role: 'member' })]);
      const statuses = [a.status, b.status].sort();
      // One wins; the other is refused as the last owner (409), told to retry after a deadlock (503),
      // or — when the winner's demotion committed before the loser's request reached the guard — refused
      // because the loser is no longer an owner (403).
      expect(statuses.filter((s) => s < 300), JSON.stringify([a.body, b.body])).toHaveLength(1);
      expect([403, 409, 503]).toContain(statuses[1]);
      // Whoever is still a member (both are, after demotions) sees exactly one owner.
      const views = (await Promise.all([w.owner.api.get(members), w.admin.api.get(members)])).filter((r) => r.status === 200);
      expect(views.length).toBeGreaterThan(0);
      for (const view of views) expect((view.body.data as { role: string }[]).filter((m) => m.role === 'owner'), `round ${round}`).toHaveLength(1);
    }
  });

  it('the same address invited three times at once, then accepted three times at once: one success each, the rest 409', async () => {
    const w = await seedWorkspace(api);
    const newcomer = await signup(api, 'Twice');
    await verifyEmail(newcomer);
    const invited = await Promise.all([0, 1, 2].map(() => w.owner.api.post(`/v1/workspaces/${w.id}/invitations`, { email: newcomer.email, role: 'viewer' })));
    expect(invited.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    const id = invited.find((r) => r.status === 201)!.body.id;
    const accepted = await Promise.all([0, 1, 2].map(() => newcomer.api.post(`/v1/me/invitations/${id}/accept`)));
    expect(accepted.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    expect((await w.owner.api.get(`/v1/workspaces/${w.id}/members`)).body.data.filter((m: any) => m.userId === newcomer.id)).toHaveLength(1);
  });

  it('the same email signed up twice at once: one 201, one 409', async () => {
    const email = `race-${randomUUID()}@example.com`;
    const results = await Promise.all([0, 1, 2].map(() => api.post('/v1/auth/signup', { email, name: 'Race', password: 'password-123' })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
  });
});

describe('member permissions (packed CASL rules)', () => {
  let ws: TestWorkspace;
  beforeAll(async () => {
    ws = await seedWorkspace(api);
  });
  const path = (userId: string) => `/v1/workspaces/${ws.id}/members/${userId}/permissions`;

  it('admin+ or self; others 403; outsiders and non-members 404', async () => {
    for (const user of [ws.owner, ws.admin, ws.member, ws.viewer]) {
      const res = await user.api.get(path(user.id));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ userId: user.id, rules: expect.any(Array) });
    }
    expect((await ws.admin.api.get(path(ws.member.id))).body.role).toBe('member');
    expect((await ws.admin.api.get(path(ws.owner.id))).status).toBe(200);
    expect((await ws.owner.api.get(path(ws.viewer.id))).body.role).toBe('viewer');
    expectError(await ws.member.api.get(path(ws.viewer.id)), 403);
    expectError(await ws.viewer.api.get(path(ws.member.id)), 403);
    expectError(await ws.viewer.api.get(path(ws.owner.id)), 403);
    expectError(await ws.outsider.api.get(path(ws.outsider.id)), 404);
    expectError(await ws.owner.api.get(path(ws.outsider.id)), 404);
    expectError(await ws.owner.api.get(path('not-a-uuid')), 400);
  });

  it('the packed rules unpack to an ability that agrees with the server, row by row', async () => {
    const w = `/v1/workspaces/${ws.id}`;
    const investments = [
      (await ws.owner.api.post(`${w}/investments`, { name: 'A', teamId: ws.teamA })).body,
      (await ws.owner.api.post(`${w}/investments`, { name: 'B', teamId: ws.teamB })).body,
    ];
    const memos = [];
    for (const author of [ws.owner, ws.member]) {
      for (const [visibility, teamId] of [['private', null], ['team', ws.teamA], ['team', ws.teamB], ['workspace', null]] as const) {
        const res = await author.api.post(`${w}/memos`, { title: `${visibility}`, visibility, teamId });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        memos.push(res.body);
      }
    }
    const assumption = (await ws.owner.api.post(`${w}/assumptions`, { name: 'rate', value: 0.1 })).body;
    const objects: [string, string, any][] = [
      ...investments.map((i) => ['Investment', `investments/${i.id}`, i] as [string, string, any]),
      ...memos.map((m) => ['Memo', `memos/${m.id}`, m] as [string, string, any]),
      ['Assumption', `assumptions/${assumption.id}`, assumption],
    ];
    for (const user of [ws.owner, ws.admin, ws.member, ws.viewer] as TestUser[]) {
      const rules = (await user.api.get(path(user.id))).body.rules;
      const browser = createMongoAbility(unpackRules(rules) as never);
      for (const [type, route, object] of objects) {
        const canRead = browser.can('read', subject(type, { ...object }) as never);
        const res = await user.api.get(`${w}/${route}`);
        expect([200, 403, 404]).toContain(res.status);
        expect(res.status === 200, `${user.email} read ${type} ${JSON.stringify(object)}`).toBe(canRead);
        // The type-level answer decides the guard's 403.
        if (!browser.can('read', type as never)) expect(res.status).toBe(403);
      }
      // Writes agree too: update is allowed exactly where the browser says so.
      for (const memo of memos) {
        const canUpdate = browser.can('update', subject('Memo', { ...memo }) as never);
        const res = await user.api.patch(`${w}/memos/${memo.id}`, { title: memo.title });
        expect(res.status === 200, `${user.email} update memo ${JSON.stringify(memo)}`).toBe(canUpdate);
      }
    }
    // Private memos only to their author, even for the owner.
    const ownerVisible = (await ws.owner.api.get(`${w}/memos`)).body.data.map((m: any) => m.id);
    const memberPrivate = memos.find((m) => m.visibility === 'private' && m.authorId === ws.member.id);
    expect(ownerVisible).not.toContain(memberPrivate.id);
  });
});

describe('teams and team members', () => {
  let ws: TestWorkspace;
  let base: string;
  beforeAll(async () => {
    ws = await seedWorkspace(api);
    base = `/v1/workspaces/${ws.id}/teams`;
  });

  it('CRUD: admin+ writes, everyone reads; 400/403/404', async () => {
    expectError(await ws.member.api.post(base, { name: 'Nope' }), 403);
    expectError(await ws.viewer.api.post(base, { name: 'Nope' }), 403);
    expectError(await ws.outsider.api.post(base, { name: 'Nope' }), 404);
    expectError(await ws.admin.api.post(base, {}), 400, 'name is required');
    expectError(await ws.admin.api.post(base, { name: 'x', budget: 1 }), 400, 'property budget should not exist');
    const created = await ws.admin.api.post(base, { name: 'Team C' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(String), name: 'Team C', workspaceId: ws.id });

    for (const user of [ws.member, ws.viewer]) {
      const list = await user.api.get(base);
      expect(list.body.data.map((t: any) => t.name)).toEqual(['Team C', 'Team B', 'Team A']);
      expect((await user.api.get(`${base}/${created.body.id}`)).body.name).toBe('Team C');
    }
    expectError(await ws.member.api.get(`${base}/${randomUUID()}`), 404);
    expectError(await ws.member.api.get(`${base}/not-a-uuid`), 400);
    expectError(await ws.outsider.api.get(`${base}/${created.body.id}`), 404);

    expectError(await ws.member.api.patch(`${base}/${created.body.id}`, { name: 'Renamed' }), 403);
    expectError(await ws.admin.api.patch(`${base}/${created.body.id}`, { name: '' }), 400);
    const renamed = await ws.admin.api.patch(`${base}/${created.body.id}`, { name: 'Team C2' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('Team C2');

    expectError(await ws.member.api.delete(`${base}/${created.body.id}`), 403);
    expect((await ws.admin.api.delete(`${base}/${created.body.id}`)).status).toBe(204);
    expectError(await ws.admin.api.get(`${base}/${created.body.id}`), 404);
    expectError(await ws.admin.api.delete(`${base}/${created.body.id}`), 404);
  });

  it('DELETE a team still referenced by an investment or a memo → 409, and nothing is deleted', async () => {
    const team = (await ws.admin.api.post(base, { name: 'Referenced' })).body.id;
    const inv = await ws.owner.api.post(`/v1/workspaces/${ws.id}/investments`, { name: 'Holds team', teamId: team });
    expectError(await ws.owner.api.delete(`${base}/${team}`), 409);
    expect((await ws.owner.api.get(`${base}/${team}`)).status).toBe(200);
    expect((await ws.owner.api.delete(`/v1/workspaces/${ws.id}/investments/${inv.body.id}`)).status).toBe(204);
    const memo = await ws.owner.api.post(`/v1/workspaces/${ws.id}/memos`, { title: 'm', visibility: 'team', teamId: team });
    expectError(await ws.owner.api.delete(`${base}/${team}`), 409);
    expect((await ws.owner.api.delete(`/v1/workspaces/${ws.id}/memos/${memo.body.id}`)).status).toBe(204);
    expect((await ws.owner.api.delete(`${base}/${team}`)).status).toBe(204);
  });

  it('PUT/DELETE team members: admin+; 204; takes effect on the very next request', async () => {
    const w = `/v1/workspaces/${ws.id}`;
    const invB = (await ws.owner.api.post(`${w}/investments`, { name: 'B deal', teamId: ws.teamB })).body;
    const memoB = (await ws.owner.api.post(`${w}/memos`, { title: 'B memo', visibility: 'team', teamId: ws.teamB })).body;
    expectError(await ws.member.api.get(`${w}/investments/${invB.id}`), 404);
    expectError(await ws.member.api.get(`${w}/memos/${memoB.id}`), 404);

    expectError(await ws.member.api.put(`${base}/${ws.teamB}/members/${ws.member.id}`), 403);
    expectError(await ws.viewer.api.put(`${base}/${ws.teamB}/members/${ws.viewer.id}`), 403);
    expectError(await ws.outsider.api.put(`${base}/${ws.teamB}/members/${ws.member.id}`), 404);
    expectError(await ws.admin.api.put(`${base}/${ws.teamB}/members/${ws.outsider.id}`), 404);
    expectError(await ws.admin.api.put(`${base}/${randomUUID()}/members/${ws.member.id}`), 404);
    expectError(await ws.admin.api.put(`${base}/not-a-uuid/members/${ws.member.id}`), 400);
    expectError(await ws.admin.api.put(`${base}/${ws.teamB}/members/not-a-uuid`), 400);

    expect((await ws.admin.api.put(`${base}/${ws.teamB}/members/${ws.member.id}`)).status).toBe(204);
    expect((await ws.admin.api.put(`${base}/${ws.teamB}/members/${ws.member.id}`)).status).toBe(204);
    expect((await ws.member.api.get(`${w}/investments/${invB.id}`)).status).toBe(200);
    expect((await ws.member.api.get(`${w}/memos/${memoB.id}`)).status).toBe(200);
    expect((await ws.member.api.patch(`${w}/investments/${invB.id}`, { stage: 'Seed' })).status).toBe(200);
    const listed = (await ws.admin.api.get(`/v1/workspaces/${ws.id}/members`)).body.data.find((m: any) => m.userId === ws.member.id);
    expect(listed.teamIds.sort()).toEqual([ws.teamA, ws.teamB].sort());

    expect((await ws.owner.api.delete(`${base}/${ws.teamB}/members/${ws.member.id}`)).status).toBe(204);
    expectError(await ws.member.api.get(`${w}/investments/${invB.id}`), 404);
    expectError(await ws.member.api.get(`${w}/memos/${memoB.id}`), 404);
    expect((await ws.member.api.get(`${w}/investments`)).body.data.map((i: any) => i.id)).not.toContain(invB.id);
    expectError(await ws.owner.api.delete(`${base}/${ws.teamB}/members/${ws.member.id}`), 404);
    expectError(await ws.member.api.delete(`${base}/${ws.teamA}/members/${ws.member.id}`), 403);
  });
});

describe('cross-workspace isolation', () => {
  it('a user of workspace B gets 404 for everything of A, also through B’s own routes', async () => {
    const a = await seedWorkspace(api);
    const b = await seedWorkspace(api);
    const wa = `/v1/workspaces/${a.id}`;
    const wb = `/v1/workspaces/${b.id}`;
    for (const user of [b.owner, b.admin]) {
      for (const [method, path, body] of [
        ['GET', wa, undefined],
        ['PATCH', wa, { name: 'x' }],
        ['DELETE', wa, undefined],
        ['GET', `${wa}/members`, undefined],
        ['POST', `${wa}/members`, { email: user.email, role: 'viewer' }],
        ['POST', `${wa}/invitations`, { email: user.email, role: 'viewer' }],
        ['GET', `${wa}/invitations`, undefined],
        ['PATCH', `${wa}/members/${a.member.id}`, { role: 'viewer' }],
        ['DELETE', `${wa}/members/${a.member.id}`, undefined],
        ['GET', `${wa}/members/${a.member.id}/permissions`, undefined],
        ['GET', `${wa}/teams`, undefined],
        ['GET', `${wa}/teams/${a.teamA}`, undefined],
        ['POST', `${wa}/teams`, { name: 'x' }],
        ['PATCH', `${wa}/teams/${a.teamA}`, { name: 'x' }],
        ['DELETE', `${wa}/teams/${a.teamA}`, undefined],
        ['PUT', `${wa}/teams/${a.teamA}/members/${a.member.id}`, undefined],
        ['DELETE', `${wa}/teams/${a.teamA}/members/${a.member.id}`, undefined],
        ['GET', `${wa}/api-keys`, undefined],
        // A's ids through B's workspace.
        ['GET', `${wb}/teams/${a.teamA}`, undefined],
        ['PATCH', `${wb}/teams/${a.teamA}`, { name: 'x' }],
        ['DELETE', `${wb}/teams/${a.teamA}`, undefined],
        ['PUT', `${wb}/teams/${a.teamA}/members/${b.member.id}`, undefined],
        ['PUT', `${wb}/teams/${b.teamA}/members/${a.member.id}`, undefined],
        ['PATCH', `${wb}/members/${a.member.id}`, { role: 'viewer' }],
        ['DELETE', `${wb}/members/${a.member.id}`, undefined],
        ['GET', `${wb}/members/${a.member.id}/permissions`, undefined],
      ] as const) {
        const res = await user.api.request(method, path, body);
        expect(res.status, `${method} ${path}`).toBe(404);
      }
    }
    // Nothing changed in A.
    expect((await a.owner.api.get(wa)).body.name).toBe('Fund I');
    expect((await a.owner.api.get(`${wa}/teams/${a.teamA}`)).body.name).toBe('Team A');
    expect((await a.owner.api.get(`${wa}/members`)).body.data).toHaveLength(4);
  });
});

describe('a member removed and added again', () => {
  it('never meets an ability cached during an earlier stay: ability versions are never handed out twice', async () => {
    // Cached abilities are keyed by (workspace, user, version, role). Versions used to restart at 1
    // for a new membership, so a returning member walked back through the versions of their first
    // stay and got the abilities cached then: here, team B's investments after they had left team B.
    const ws = await seedWorkspace(api);
    const base = `/v1/workspaces/${ws.id}`;
    const abilities = t.app.get(AbilityService);
    const returning = await signup(api, 'Returning');
    const investment = async (teamId: string) => {
      const res = await ws.owner.api.post(`${base}/investments`, { name: `Deal of ${teamId}`, teamId, amount: 1, currency: 'USD' });
      expect(res.status).toBe(201);
      return res.body as object;
    };
    const ofA = await investment(ws.teamA);
    const ofB = await investment(ws.teamB);

    // First stay: in team B only; the ability is built and cached.
    await addMember(ws.owner, ws.id, returning, 'member');
    expect((await ws.owner.api.put(`${base}/teams/${ws.teamB}/members/${returning.id}`)).status).toBe(204);
    expect(await abilities.canRead(ws.id, returning.id, 'Investment', ofB)).toBe(true);
    expect((await ws.owner.api.delete(`${base}/members/${returning.id}`)).status).toBe(204);
    expect(await abilities.canRead(ws.id, returning.id, 'Investment', ofB)).toBe(false);

    // Second stay: in team A only, after as many changes as the first.
    await addMember(ws.owner, ws.id, returning, 'member');
    expect((await ws.owner.api.put(`${base}/teams/${ws.teamA}/members/${returning.id}`)).status).toBe(204);
    expect(await abilities.canRead(ws.id, returning.id, 'Investment', ofA)).toBe(true);
    expect(await abilities.canRead(ws.id, returning.id, 'Investment', ofB)).toBe(false);
    expect((await returning.api.get(`${base}/investments`)).body.data.map((i: { teamId: string }) => i.teamId)).toEqual([ws.teamA]);
  });
});
