import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, ApiResponse, seedWorkspace, TestWorkspace } from '../support/api-client';
import { expectError, walk } from '../support/assertions';
import { startTestApp, TestApp } from '../support/test-app';

const ids = (res: ApiResponse) => (res.body.data as { id: string }[]).map((r) => r.id);

let t: TestApp;
let api: ApiClient;
let ws: TestWorkspace;
let w: string;
beforeAll(async () => {
  t = await startTestApp();
  api = new ApiClient(t.baseUrl);
  ws = await seedWorkspace(api);
  w = `/v1/workspaces/${ws.id}`;
});
afterAll(() => t?.close());

describe('the five resources: full CRUD round trip', () => {
  const cases = () =>
    [
      ['investments', { name: 'Acme', teamId: ws.teamA, stage: 'Seed', status: 'active', amount: 2500000.5, currency: 'USD' }, { status: 'exited', amount: 0 }],
      ['assumptions', { name: 'Discount rate', value: 0.12, unit: 'ratio' }, { value: -3.5, unit: null }],
      ['pipelines', { name: 'Seed flow', stages: ['sourced', 'closed'] }, { stages: [] }],
      ['memos', { title: 'IC notes', body: 'Go', visibility: 'workspace' }, { visibility: 'team', teamId: ws.teamB }],
    ] as const;

  it('POST 201 → GET 200 → list → PATCH 200 → DELETE 204 → GET 404', async () => {
    for (const [path, body, patch] of cases()) {
      const created = await ws.owner.api.post(`${w}/${path}`, body);
      expect(created.status, `${path} ${JSON.stringify(created.body)}`).toBe(201);
      expect(created.body).toMatchObject({ ...body, id: expect.any(String), workspaceId: ws.id, createdAt: expect.any(String) });
      const id = created.body.id;
      expect((await ws.owner.api.get(`${w}/${path}/${id}`)).body).toEqual(created.body);
      expect(ids(await ws.owner.api.get(`${w}/${path}`))).toContain(id);
      const updated = await ws.owner.api.patch(`${w}/${path}/${id}`, patch);
      expect(updated.status, `${path} ${JSON.stringify(updated.body)}`).toBe(200);
      expect(updated.body).toMatchObject({ ...body, ...patch, id });
      expect((await ws.owner.api.get(`${w}/${path}/${id}`)).body).toEqual(updated.body);
      expect((await ws.owner.api.delete(`${w}/${path}/${id}`)).status).toBe(204);
      expectError(await ws.owner.api.get(`${w}/${path}/${id}`), 404);
      expectError(await ws.owner.api.patch(`${w}/${path}/${id}`, patch), 404);
      expectError(await ws.owner.api.delete(`${w}/${path}/${id}`), 404);
    }
  });

  it('valuations take their investment’s team, and follow it when the investment moves', async () => {
    const inv = (await ws.owner.api.post(`${w}/investments`, { name: 'Valued', teamId: ws.teamA })).body;
    const created = await ws.member.api.post(`${w}/valuations`, { investmentId: inv.id, value: 12000000, currency: 'EUR', valuedAt: '2026-09-30', method: 'last round' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ investmentId: inv.id, teamId: ws.teamA, value: 12000000, currency: 'EUR', valuedAt: '2026-09-30', method: 'last round' });
    const patched = await ws.member.api.patch(`${w}/valuations/${created.body.id}`, { value: 13000000, method: null });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ value: 13000000, method: null, teamId: ws.teamA });

    expect((await ws.owner.api.patch(`${w}/investments/${inv.id}`, { teamId: ws.teamB })).status).toBe(200);
    expect((await ws.owner.api.get(`${w}/valuations/${created.body.id}`)).body.teamId).toBe(ws.teamB);
    expectError(await ws.member.api.get(`${w}/valuations/${created.body.id}`), 404);
    expect(ids(await ws.viewer.api.get(`${w}/valuations`))).not.toContain(created.body.id);
    expect((await ws.owner.api.delete(`${w}/valuations/${created.body.id}`)).status).toBe(204);
  });
});

describe('validation (400)', () => {
  it('investments: required fields, enums, amount ≥ 0, ISO-4217 currency, UUIDs, unknown fields', async () => {
    const p = `${w}/investments`;
    const ok = { name: 'Valid', teamId: ws.teamA };
    expectError(await ws.owner.api.post(p, { teamId: ws.teamA }), 400, 'name is required');
    expectError(await ws.owner.api.post(p, { name: 'x' }), 400, 'teamId is required');
    expectError(await ws.owner.api.post(p, { ...ok, teamId: 'team-a' }), 400, 'teamId must be a UUID');
    expectError(await ws.owner.api.post(p, { ...ok, status: 'dead' }), 400, 'status must be one of the following values: active, exited, written_off');
    expectError(await ws.owner.api.post(p, { ...ok, amount: -1 }), 400, 'amount must not be less than 0');
    expectError(await ws.owner.api.post(p, { ...ok, amount: '5' }), 400, /amount must be a number/);
    expectError(await ws.owner.api.post(p, { ...ok, currency: 'XYZ' }), 400, 'currency must be a valid ISO4217 currency code');
    expectError(await ws.owner.api.post(p, { ...ok, currency: 'usd1' }), 400, 'currency must be a valid ISO4217 currency code');
    expectError(await ws.owner.api.post(p, { ...ok, owner: 'me' }), 400, 'property owner should not exist');
    expectError(await ws.owner.api.post(p, { ...ok, workspaceId: randomUUID() }), 400, 'property workspaceId should not exist');
    expectError(await ws.owner.api.post(p, { ...ok, id: randomUUID() }), 400, 'property id should not exist');
    expectError(await ws.owner.api.post(p, { ...ok, teamId: randomUUID() }), 400, /teamId does not name a team of this workspace/);
    const inv = (await ws.owner.api.post(p, ok)).body;
    expect(inv.status).toBe('active');
    expectError(await ws.owner.api.patch(`${p}/${inv.id}`, { amount: -0.01 }), 400, 'amount must not be less than 0');
    expectError(await ws.owner.api.patch(`${p}/${inv.id}`, { name: null }), 400, /name/);
    expectError(await ws.owner.api.patch(`${p}/${inv.id}`, { teamId: null }), 400, /teamId/);
    expectError(await ws.owner.api.patch(`${p}/${inv.id}`, { status: 'paused' }), 400, /status must be one of/);
    expectError(await ws.owner.api.patch(`${p}/${inv.id}`, { createdAt: '2020-01-01' }), 400, 'property createdAt should not exist');
    expect((await ws.owner.api.patch(`${p}/${inv.id}`, { amount: null, currency: null })).body).toMatchObject({ amount: null, currency: null });
    expectError(await ws.owner.api.get(`${p}/not-a-uuid`), 400);
    expectError(await ws.owner.api.patch(`${p}/not-a-uuid`, {}), 400);
    expectError(await ws.owner.api.delete(`${p}/not-a-uuid`), 400);
  });

  it('valuations, memos, assumptions, pipelines', async () => {
    const inv = (await ws.owner.api.post(`${w}/investments`, { name: 'For valuations', teamId: ws.teamA })).body;
    expectError(await ws.owner.api.post(`${w}/valuations`, { value: 1 }), 400, 'investmentId is required');
    expectError(await ws.owner.api.post(`${w}/valuations`, { investmentId: inv.id }), 400, 'value is required');
    expectError(await ws.owner.api.post(`${w}/valuations`, { investmentId: inv.id, value: 1, currency: 'EURO' }), 400, /ISO4217/);
    expectError(await ws.owner.api.post(`${w}/valuations`, { investmentId: inv.id, value: 1, valuedAt: 'yesterday' }), 400, /valuedAt/);
    expectError(await ws.owner.api.post(`${w}/valuations`, { investmentId: inv.id, value: 1, teamId: ws.teamB }), 400, 'property teamId should not exist');
    expectError(await ws.owner.api.post(`${w}/valuations`, { investmentId: randomUUID(), value: 1 }), 400, /investmentId/);

    expectError(await ws.owner.api.post(`${w}/memos`, { visibility: 'workspace' }), 400, 'title is required');
    expectError(await ws.owner.api.post(`${w}/memos`, { title: 't', visibility: 'public' }), 400, 'visibility must be one of the following values: private, team, workspace');
    expectError(await ws.owner.api.post(`${w}/memos`, { title: 't' }), 400, 'visibility is required');
    expectError(await ws.owner.api.post(`${w}/memos`, { title: 't', visibility: 'team' }), 400, 'teamId is required when visibility is team');
    expectError(await ws.owner.api.post(`${w}/memos`, { title: 't', visibility: 'workspace', authorId: ws.member.id }), 400, 'property authorId should not exist');
    expectError(await ws.owner.api.post(`${w}/memos`, { title: 't', visibility: 'workspace', body: 'x'.repeat(100 * 1024 + 1) }), 400, /body must be shorter than or equal to 102400 characters/);
    expectError(await ws.owner.api.post(`${w}/memos`, { title: 't', visibility: 'workspace', investmentId: randomUUID() }), 400, /investmentId/);
    expect((await ws.owner.api.post(`${w}/memos`, { title: 't', visibility: 'workspace', body: 'x'.repeat(100 * 1024) })).status).toBe(201);
    const memo = (await ws.owner.api.post(`${w}/memos`, { title: 't', visibility: 'workspace' })).body;
    expectError(await ws.owner.api.patch(`${w}/memos/${memo.id}`, { visibility: 'team' }), 400, 'teamId is required when visibility is team');

    expectError(await ws.owner.api.post(`${w}/assumptions`, { name: 'r', value: '0.1' }), 400, /value must be a number/);
    expectError(await ws.owner.api.post(`${w}/assumptions`, { value: 1 }), 400, 'name is required');
    expectError(await ws.owner.api.post(`${w}/pipelines`, { name: 'p', stages: 'one' }), 400, /stages must be an array/);
    expectError(await ws.owner.api.post(`${w}/pipelines`, { name: 'p', stages: ['ok', ''] }), 400, /stages/);
    expectError(await ws.owner.api.post(`${w}/pipelines`, { name: 'p', stages: [1] }), 400, /stages/);
  });

  it('lists: limit 1..100, a valid cursor, no unknown query parameters', async () => {
    for (const path of ['investments', 'valuations', 'memos', 'assumptions', 'pipelines', 'teams']) {
      expectError(await ws.owner.api.get(`${w}/${path}?limit=0`), 400, 'limit must not be less than 1');
      expectError(await ws.owner.api.get(`${w}/${path}?limit=101`), 400, 'limit must not be greater than 100');
      expectError(await ws.owner.api.get(`${w}/${path}?limit=ten`), 400);
      expectError(await ws.owner.api.get(`${w}/${path}?limit=1.5`), 400);
      expectError(await ws.owner.api.get(`${w}/${path}?cursor=not-a-cursor`), 400, 'cursor is invalid');
      const impossible = Buffer.from(`2026-13-45T99:00:00.000000|${randomUUID()}`).toString('base64url');
      expectError(await ws.owner.api.get(`${w}/${path}?cursor=${impossible}`), 400, 'cursor is invalid');
      const yearZero = Buffer.from(`0000-01-01T00:00:00.000000|${randomUUID()}`).toString('base64url');
      expectError(await ws.owner.api.get(`${w}/${path}?cursor=${yearZero}`), 400, 'cursor is invalid');
      const farFuture = Buffer.from(`9999-12-31T23:59:59.999999|${randomUUID()}`).toString('base64url');
      expect((await ws.owner.api.get(`${w}/${path}?cursor=${farFuture}`)).status).toBe(200);
      expectError(await ws.owner.api.get(`${w}/${path}?sort=name`), 400, 'property sort should not exist');
      expect((await ws.owner.api.get(`${w}/${path}?limit=100`)).status).toBe(200);
    }
  });
});

describe('inputs that used to reach PostgreSQL raw', () => {
  it('NUL characters in text → 400, not 500', async () => {
    expectError(await ws.owner.api.post(`${w}/assumptions`, { name: 'a\u0000b', value: 1 }), 400);
    expectError(await ws.owner.api.post(`${w}/memos`, { title: 't', visibility: 'workspace', body: 'x\u0000' }), 400);
  });

  it('null for a required column on create → 400 naming the field', async () => {
    expectError(await ws.owner.api.post(`${w}/investments`, { name: 'n', teamId: ws.teamA, status: null }), 400, 'status must not be null');
    expectError(await ws.owner.api.post(`${w}/pipelines`, { name: 'p', stages: null }), 400, 'stages must not be null');
    const nullable = await ws.owner.api.post(`${w}/investments`, { name: 'n', teamId: ws.teamA, stage: null, amount: null, currency: null });
    expect(nullable.status).toBe(201);
    expect(nullable.body).toMatchObject({ stage: null, amount: null, currency: null, status: 'active' });
  });

  it('valuedAt is a date: a timestamp is refused, and what POST returns is what GET returns', async () => {
    const inv = (await ws.owner.api.post(`${w}/investments`, { name: 'Dated', teamId: ws.teamA })).body;
    expectError(await ws.owner.api.post(`${w}/valuations`, { investmentId: inv.id, value: 1, valuedAt: '2026-02-03T10:00:00Z' }), 400, /valuedAt/);
    expectError(await ws.owner.api.post(`${w}/valuations`, { investmentId: inv.id, value: 1, valuedAt: '2026-02-30' }), 400, /valuedAt/);
    const created = await ws.owner.api.post(`${w}/valuations`, { investmentId: inv.id, value: 1, valuedAt: '2026-02-28' });
    expect(created.status).toBe(201);
    expect((await ws.owner.api.get(`${w}/valuations/${created.body.id}`)).body).toEqual(created.body);
  });

  it('ids and currency codes are canonical whatever case the client sends', async () => {
    // A member's own team, in upper case, is still their team.
    const inv = await ws.member.api.post(`${w}/investments`, { name: 'Upper', teamId: ws.teamA.toUpperCase(), currency: 'usd' });
    expect(inv.status, JSON.stringify(inv.body)).toBe(201);
    expect(inv.body).toMatchObject({ teamId: ws.teamA, currency: 'USD', workspaceId: ws.id });
    const upperWs = `/v1/workspaces/${ws.id.toUpperCase()}`;
    const viaUpper = await ws.member.api.post(`${upperWs}/memos`, { title: 'u', visibility: 'team', teamId: ws.teamA.toUpperCase(), investmentId: inv.body.id.toUpperCase() });
    expect(viaUpper.status, JSON.stringify(viaUpper.body)).toBe(201);
    expect(viaUpper.body).toMatchObject({ workspaceId: ws.id, teamId: ws.teamA, investmentId: inv.body.id });
    expect((await ws.member.api.get(`${upperWs}/investments/${inv.body.id.toUpperCase()}`)).body.id).toBe(inv.body.id);
    const valuation = await ws.member.api.post(`${w}/valuations`, { investmentId: inv.body.id.toUpperCase(), value: 5, currency: 'eur' });
    expect(valuation.body).toMatchObject({ investmentId: inv.body.id, teamId: ws.teamA, currency: 'EUR' });
    // An API key is scoped to its workspace, whichever way the id is written.
    const key = (await ws.member.api.post(`${w}/api-keys`, { name: 'upper' })).body.key;
    expect((await api.as(key).get(`${upperWs}/investments`)).status).toBe(200);
  });
});

describe('403 by role, 404 by scope', () => {
  it('roles that can never do an action get 403; rows outside their scope are 404', async () => {
    const invA = (await ws.owner.api.post(`${w}/investments`, { name: 'A', teamId: ws.teamA })).body;
    const invB = (await ws.owner.api.post(`${w}/investments`, { name: 'B', teamId: ws.teamB })).body;
    const assumption = (await ws.owner.api.post(`${w}/assumptions`, { name: 'r', value: 1 })).body;
    const pipeline = (await ws.owner.api.post(`${w}/pipelines`, { name: 'p' })).body;

    // viewer: read-only, and no assumptions at all.
    expectError(await ws.viewer.api.post(`${w}/investments`, { name: 'x', teamId: ws.teamA }), 403);
    expectError(await ws.viewer.api.patch(`${w}/investments/${invA.id}`, { name: 'x' }), 403);
    expectError(await ws.viewer.api.post(`${w}/valuations`, { investmentId: invA.id, value: 1 }), 403);
    expectError(await ws.viewer.api.post(`${w}/memos`, { title: 'x', visibility: 'workspace' }), 403);
    expectError(await ws.viewer.api.post(`${w}/pipelines`, { name: 'x' }), 403);
    expectError(await ws.viewer.api.get(`${w}/assumptions`), 403);
    expectError(await ws.viewer.api.get(`${w}/assumptions/${assumption.id}`), 403);
    expect((await ws.viewer.api.get(`${w}/pipelines/${pipeline.id}`)).status).toBe(200);

    // member: team-scoped writes, no deletes of investments or pipelines, read-only assumptions.
    expectError(await ws.member.api.post(`${w}/investments`, { name: 'x', teamId: ws.teamB }), 403);
    expectError(await ws.member.api.delete(`${w}/investments/${invA.id}`), 403);
    expectError(await ws.member.api.delete(`${w}/pipelines/${pipeline.id}`), 403);
    expectError(await ws.member.api.post(`${w}/assumptions`, { name: 'x', value: 1 }), 403);
    expectError(await ws.member.api.patch(`${w}/assumptions/${assumption.id}`, { value: 2 }), 403);
    expect((await ws.member.api.get(`${w}/assumptions/${assumption.id}`)).status).toBe(200);
    expect((await ws.member.api.patch(`${w}/pipelines/${pipeline.id}`, { stages: ['a'] })).status).toBe(200);
    expect((await ws.member.api.patch(`${w}/investments/${invA.id}`, { stage: 'A' })).status).toBe(200);
    // Another team's investment does not exist for the member; nor may they move theirs out of reach.
    expectError(await ws.member.api.get(`${w}/investments/${invB.id}`), 404);
    expectError(await ws.member.api.patch(`${w}/investments/${invB.id}`, { stage: 'x' }), 404);
    expectError(await ws.member.api.patch(`${w}/investments/${invA.id}`, { teamId: ws.teamB }), 403);
    expect((await ws.owner.api.get(`${w}/investments/${invA.id}`)).body.teamId).toBe(ws.teamA);
    expectError(await ws.member.api.post(`${w}/valuations`, { investmentId: invB.id, value: 1 }), 400, /investmentId/);
    // Nor may they attach a memo to an investment they cannot see (as with valuations: no existence leak).
    const unseen = await ws.member.api.post(`${w}/memos`, { title: 'x', visibility: 'workspace', investmentId: invB.id });
    const unknown = await ws.member.api.post(`${w}/memos`, { title: 'x', visibility: 'workspace', investmentId: randomUUID() });
    expectError(unseen, 400, /investmentId/);
    expect(unseen.body.message).toEqual(unknown.body.message);
    const attached = await ws.member.api.post(`${w}/memos`, { title: 'x', visibility: 'workspace', investmentId: invA.id });
    expect(attached.status).toBe(201);
    expectError(await ws.member.api.patch(`${w}/memos/${attached.body.id}`, { investmentId: invB.id }), 400, /investmentId/);
    expect((await ws.owner.api.post(`${w}/memos`, { title: 'x', visibility: 'workspace', investmentId: invB.id })).status).toBe(201);

    // Memos: members update/delete only their own; owners/admins any they can read.
    const ownerMemo = (await ws.owner.api.post(`${w}/memos`, { title: 'owner', visibility: 'workspace' })).body;
    const memberMemo = (await ws.member.api.post(`${w}/memos`, { title: 'member', visibility: 'workspace' })).body;
    expect(memberMemo.authorId).toBe(ws.member.id);
    expectError(await ws.member.api.patch(`${w}/memos/${ownerMemo.id}`, { title: 'x' }), 403);
    expectError(await ws.member.api.delete(`${w}/memos/${ownerMemo.id}`), 403);
    expect((await ws.admin.api.patch(`${w}/memos/${memberMemo.id}`, { title: 'edited by admin' })).status).toBe(200);
    // …but not into a private memo of someone else (it would vanish from their own sight).
    expectError(await ws.admin.api.patch(`${w}/memos/${memberMemo.id}`, { visibility: 'private' }), 403);
    expect((await ws.member.api.delete(`${w}/memos/${memberMemo.id}`)).status).toBe(204);
  });

  it('409 when deleting an investment still referenced by a valuation or memo', async () => {
    const inv = (await ws.owner.api.post(`${w}/investments`, { name: 'Referenced', teamId: ws.teamA })).body;
    const valuation = (await ws.owner.api.post(`${w}/valuations`, { investmentId: inv.id, value: 1 })).body;
    expectError(await ws.owner.api.delete(`${w}/investments/${inv.id}`), 409);
    expect((await ws.owner.api.delete(`${w}/valuations/${valuation.id}`)).status).toBe(204);
    const memo = (await ws.owner.api.post(`${w}/memos`, { title: 'About it', visibility: 'workspace', investmentId: inv.id })).body;
    expectError(await ws.owner.api.delete(`${w}/investments/${inv.id}`), 409);
    expect((await ws.owner.api.get(`${w}/investments/${inv.id}`)).status).toBe(200);
    expect((await ws.owner.api.delete(`${w}/memos/${memo.id}`)).status).toBe(204);
    expect((await ws.owner.api.delete(`${w}/investments/${inv.id}`)).status).toBe(204);
  });
});

describe('list scoping per role', () => {
  it('investments and valuations: members and viewers see only their teams; owners/admins all', async () => {
    const scope = await seedWorkspace(api);
    const sw = `/v1/workspaces/${scope.id}`;
    const a = (await scope.owner.api.post(`${sw}/investments`, { name: 'A', teamId: scope.teamA })).body;
    const b = (await scope.owner.api.post(`${sw}/investments`, { name: 'B', teamId: scope.teamB })).body;
    const va = (await scope.owner.api.post(`${sw}/valuations`, { investmentId: a.id, value: 1 })).body;
    const vb = (await scope.owner.api.post(`${sw}/valuations`, { investmentId: b.id, value: 2 })).body;
    for (const user of [scope.owner, scope.admin]) {
      expect(ids(await user.api.get(`${sw}/investments`))).toEqual([b.id, a.id]);
      expect(ids(await user.api.get(`${sw}/valuations`))).toEqual([vb.id, va.id]);
    }
    for (const user of [scope.member, scope.viewer]) {
      expect(ids(await user.api.get(`${sw}/investments`))).toEqual([a.id]);
      expect(ids(await user.api.get(`${sw}/valuations`))).toEqual([va.id]);
      expectError(await user.api.get(`${sw}/valuations/${vb.id}`), 404);
    }
  });

  it('memos: viewers see workspace memos only; private memos only to their author, even for the owner', async () => {
    const scope = await seedWorkspace(api);
    const sw = `/v1/workspaces/${scope.id}`;
    const make = async (author: typeof scope.owner, visibility: string, teamId?: string) =>
      (await author.api.post(`${sw}/memos`, { title: `${visibility}`, visibility, teamId })).body.id as string;
    const ownerPrivate = await make(scope.owner, 'private');
    const memberPrivate = await make(scope.member, 'private');
    const teamAMemo = await make(scope.admin, 'team', scope.teamA);
    const teamBMemo = await make(scope.admin, 'team', scope.teamB);
    const memberTeamB = await make(scope.member, 'team', scope.teamB);
    const everyone = await make(scope.admin, 'workspace');
    const sorted = (xs: string[]) => [...xs].sort();

    expect(sorted(ids(await scope.owner.api.get(`${sw}/memos`)))).toEqual(sorted([ownerPrivate, teamAMemo, teamBMemo, memberTeamB, everyone]));
    expect(sorted(ids(await scope.admin.api.get(`${sw}/memos`)))).toEqual(sorted([teamAMemo, teamBMemo, memberTeamB, everyone]));
    expect(sorted(ids(await scope.member.api.get(`${sw}/memos`)))).toEqual(sorted([memberPrivate, teamAMemo, memberTeamB, everyone]));
    expect(ids(await scope.viewer.api.get(`${sw}/memos`))).toEqual([everyone]);
    expectError(await scope.owner.api.get(`${sw}/memos/${memberPrivate}`), 404);
    expectError(await scope.owner.api.delete(`${sw}/memos/${memberPrivate}`), 404);
    expectError(await scope.viewer.api.get(`${sw}/memos/${teamAMemo}`), 404);
    expectError(await scope.member.api.get(`${sw}/memos/${teamBMemo}`), 404);
  });
});

describe('pagination', () => {
  it('limit + cursor walks every row newest first, with no duplicates or gaps, even for rows created together', async () => {
    const scope = await seedWorkspace(api);
    const sw = `/v1/workspaces/${scope.id}`;
    const created: string[] = [];
    // Concurrent creates land within the same millisecond: the cursor must still split them exactly.
    for (let round = 0; round < 3; round++) {
      const batch = await Promise.all(Array.from({ length: 8 }, (_, i) => scope.owner.api.post(`${sw}/pipelines`, { name: `p${round}-${i}` })));
      created.push(...batch.map((r) => r.body.id));
    }
    const full = await scope.owner.api.get(`${sw}/pipelines?limit=100`);
    expect(full.body.nextCursor).toBeNull();
    expect(full.body.data).toHaveLength(created.length);
    const times = full.body.data.map((p: any) => Date.parse(p.createdAt));
    expect([...times].sort((x, y) => y - x)).toEqual(times);
    for (const limit of [1, 3, 7, 24, 25]) {
      const walked = await walk(scope.member.api, `${sw}/pipelines`, limit);
      expect(walked.map((p) => p.id), `limit ${limit}`).toEqual(ids(full));
    }
    expect(ids(await scope.owner.api.get(`${sw}/pipelines`))).toHaveLength(24);
  });

  it('pages of a scoped list contain only readable rows', async () => {
    const scope = await seedWorkspace(api);
    const sw = `/v1/workspaces/${scope.id}`;
    const mine: string[] = [];
    for (let i = 0; i < 9; i++) {
      const teamId = i % 3 === 0 ? scope.teamA : scope.teamB;
      const id = (await scope.owner.api.post(`${sw}/investments`, { name: `i${i}`, teamId })).body.id;
      if (teamId === scope.teamA) mine.unshift(id);
    }
    expect((await walk(scope.member.api, `${sw}/investments`, 2)).map((i) => i.id)).toEqual(mine);
    expect(await walk(scope.admin.api, `${sw}/investments`, 4)).toHaveLength(9);
  });
});

describe('cross-workspace isolation', () => {
  it('ids of workspace A are 404 from workspace B, through either path; references across workspaces are refused', async () => {
    const b = await seedWorkspace(api);
    const wb = `/v1/workspaces/${b.id}`;
    const inv = (await ws.owner.api.post(`${w}/investments`, { name: 'A only', teamId: ws.teamA })).body;
    const rows: Record<string, string> = {
      investments: inv.id,
      valuations: (await ws.owner.api.post(`${w}/valuations`, { investmentId: inv.id, value: 1 })).body.id,
      memos: (await ws.owner.api.post(`${w}/memos`, { title: 'A', visibility: 'workspace' })).body.id,
      assumptions: (await ws.owner.api.post(`${w}/assumptions`, { name: 'A', value: 1 })).body.id,
      pipelines: (await ws.owner.api.post(`${w}/pipelines`, { name: 'A' })).body.id,
      teams: ws.teamA,
    };
    for (const [path, id] of Object.entries(rows)) {
      for (const base of [w, wb]) {
        for (const [method, body] of [['GET', undefined], ['PATCH', { name: 'x' }], ['DELETE', undefined]] as const) {
          const res = await b.owner.api.request(method, `${base}/${path}/${id}`, method === 'PATCH' ? (path === 'memos' ? { title: 'x' } : path === 'valuations' ? { value: 2 } : body) : undefined);
          expect(res.status, `${method} ${base === w ? 'A' : 'B'}/${path}/${id}`).toBe(404);
        }
      }
      expectError(await b.owner.api.get(`${w}/${path}`), 404);
      expect(ids(await b.owner.api.get(`${wb}/${path}`))).not.toContain(id);
    }
    expectError(await b.owner.api.post(`${wb}/investments`, { name: 'x', teamId: ws.teamA }), 400, /teamId/);
    expectError(await b.owner.api.post(`${wb}/valuations`, { investmentId: inv.id, value: 1 }), 400, /investmentId/);
    expectError(await b.owner.api.post(`${wb}/memos`, { title: 'x', visibility: 'workspace', investmentId: inv.id }), 400, /investmentId/);
    expectError(await b.owner.api.post(`${wb}/memos`, { title: 'x', visibility: 'team', teamId: ws.teamA }), 400, /teamId/);
    const bInv = (await b.owner.api.post(`${wb}/investments`, { name: 'B', teamId: b.teamA })).body;
    expectError(await b.owner.api.patch(`${wb}/investments/${bInv.id}`, { teamId: ws.teamA }), 400, /teamId/);
    // Everything of A is intact.
    for (const [path, id] of Object.entries(rows)) expect((await ws.owner.api.get(`${w}/${path}/${id}`)).status).toBe(200);
  });
});
