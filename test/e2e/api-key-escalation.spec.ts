import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY_REFUSED } from '../../src/permissions/policy.decorator';
import { ApiClient, ApiResponse, seedWorkspace, signup, TestUser, TestWorkspace } from '../support/api-client';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 12, finding 4: a leaked owner key added an attacker as owner; after the key was revoked,
 * the attacker minted their own key and demoted the real owner. Membership, role, team
 * membership and key management, and workspace deletion, now need a signed-in person.
 */

function expectRefused(res: ApiResponse): void {
  expect(res.status, JSON.stringify(res.body)).toBe(403);
  expect(res.body).toEqual({ statusCode: 403, message: API_KEY_REFUSED, error: 'Forbidden' });
}

let t: TestApp;
let api: ApiClient;
let ws: TestWorkspace;
let base: string;
let attacker: TestUser;
let leaked: ApiClient;
let leakedId: string;

const roles = async () =>
  Object.fromEntries(((await ws.owner.api.get(`${base}/members?limit=100`)).body.data as { userId: string; role: string }[]).map((m) => [m.userId, m.role]));
const keyIds = async () => ((await ws.owner.api.get(`${base}/api-keys?limit=100`)).body.data as { id: string }[]).map((k) => k.id).sort();

beforeAll(async () => {
  t = await startTestApp();
  api = new ApiClient(t.baseUrl);
  ws = await seedWorkspace(api);
  base = `/v1/workspaces/${ws.id}`;
  attacker = await signup(api, 'Attacker');
  const created = (await ws.owner.api.post(`${base}/api-keys`, { name: 'CI (leaked)' })).body;
  leaked = api.as(created.key);
  leakedId = created.id;
});
afterAll(() => t?.close());

describe('a leaked owner API key cannot grant lasting access', () => {
  it('the escalation chain is refused at every step with a clear 403, and nothing changes', async () => {
    const rolesBefore = await roles();
    const keysBefore = await keyIds();

    // 1. Add the attacker as owner.
    expectRefused(await leaked.post(`${base}/members`, { email: attacker.email, role: 'owner' }));
    // 2. Promote an accomplice already inside (the viewer) to owner, or demote / remove the real owner.
    expectRefused(await leaked.patch(`${base}/members/${ws.viewer.id}`, { role: 'owner' }));
    expectRefused(await leaked.patch(`${base}/members/${ws.owner.id}`, { role: 'viewer' }));
    expectRefused(await leaked.delete(`${base}/members/${ws.admin.id}`));
    // 3. Mint a key that outlives the revocation of the leaked one, or revoke the owner's other keys.
    expectRefused(await leaked.post(`${base}/api-keys`, { name: 'persistence' }));
    const ownersOther = (await ws.owner.api.post(`${base}/api-keys`, { name: 'Other' })).body.id as string;
    expectRefused(await leaked.delete(`${base}/api-keys/${ownersOther}`));
    expectRefused(await leaked.delete(`${base}/api-keys/${leakedId}`));
    // 4. Grant team access, or destroy the workspace.
    expectRefused(await leaked.put(`${base}/teams/${ws.teamB}/members/${ws.viewer.id}`));
    expectRefused(await leaked.delete(`${base}/teams/${ws.teamA}/members/${ws.member.id}`));
    expectRefused(await leaked.delete(base));

    expect(await roles()).toEqual(rolesBefore);
    expect(await keyIds()).toEqual([...keysBefore, ownersOther].sort());
    expect((await attacker.api.get(base)).status, 'the attacker is not a member').toBe(404);
    expect((await ws.owner.api.get(base)).status, 'the workspace is still there').toBe(200);

    // Revoking the key (a person's session can) leaves the attacker with nothing.
    expect((await ws.owner.api.delete(`${base}/api-keys/${leakedId}`)).status).toBe(204);
    expect((await leaked.get(`${base}/members`)).status).toBe(401);
  });

  it('the refusal is about the key, not the role: the same owner signed in may do each of these', async () => {
    const member = (await ws.owner.api.patch(`${base}/members/${ws.viewer.id}`, { role: 'member' })).status;
    expect(member).toBe(200);
    expect((await ws.owner.api.patch(`${base}/members/${ws.viewer.id}`, { role: 'viewer' })).status).toBe(200);
    expect((await ws.owner.api.put(`${base}/teams/${ws.teamB}/members/${ws.viewer.id}`)).status).toBe(204);
    expect((await ws.owner.api.delete(`${base}/teams/${ws.teamB}/members/${ws.viewer.id}`)).status).toBe(204);
  });

  it('API keys keep doing their job: reading members and working with resources', async () => {
    const key = api.as((await ws.admin.api.post(`${base}/api-keys`, { name: 'Integration' })).body.key);
    expect((await key.get(`${base}/members`)).status).toBe(200);
    expect((await key.get(`${base}/api-keys`)).status).toBe(200);
    expect((await key.post(`${base}/investments`, { name: 'Via key', teamId: ws.teamA })).status).toBe(201);
    expect((await key.patch(base, { name: 'Renamed by key' })).status).toBe(200);
  });
});
