import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/events/event-catalog';
import { ApiClient, seedWorkspace, signup, TestUser, TestWorkspace } from '../support/api-client';
import { Receiver } from '../support/receiver';
import { DataSource } from 'typeorm';
import { waitFor } from '../support/wait';
import { startTestApp, TestApp } from '../support/test-app';

type Who = 'owner' | 'admin' | 'member';

/**
 * permissions.md "Which events a webhook receives", end to end: webhooks created by an owner, an
 * admin and a member, subscribed to all 18 types, receive exactly what their creator may read —
 * before and after the member is demoted, taken out of a team, and removed.
 */
describe('delivery scoping', () => {
  let t: TestApp;
  let api: ApiClient;
  let ws: TestWorkspace;
  const receiver = new Receiver();
  const secrets: Record<Who, string> = { owner: '', admin: '', member: '' };
  const hookIds: Record<Who, string> = { owner: '', admin: '', member: '' };
  /** (type, object id) pairs each receiver must get, accumulated phase by phase. */
  const expected: Record<Who, string[]> = { owner: [], admin: [], member: [] };

  const path = (who: Who) => `/${who}`;
  const received = (who: Who) =>
    receiver.on(path(who)).map((r) => {
      const event = new StandardWebhook(secrets[who]).verify(r.body, r.headers) as { type: string; data: { object: { id: string } } };
      return `${event.type}:${event.data.object.id}`;
    });

  async function expectExactly(timeoutMs = 15_000): Promise<void> {
    const total = () => expected.owner.length + expected.admin.length + expected.member.length;
    // Settled, not slept on: every event of the workspace fanned out (its deliveries inserted, one
    // statement for all webhooks), every delivery of these webhooks answered, and every answer received.
    // A delivery that should not happen has its row by then, and is counted.
    const db = t.app.get(DataSource);
    let rows = 0;
    await waitFor(
      async () => {
        const [{ unfinished }] = await db.query(
          `SELECT count(*)::int AS unfinished FROM events WHERE workspace_id = $1 AND (relayed_at IS NULL OR pending_subscribers <> '{}')`,
          [ws.id],
        );
        const [counts] = await db.query(
          `SELECT count(*)::int AS n, count(*) FILTER (WHERE status <> 'succeeded')::int AS open FROM deliveries WHERE webhook_id = ANY($1)`,
          [Object.values(hookIds)],
        );
        rows = counts.n;
        return unfinished === 0 && counts.open === 0 && receiver.requests.length >= Math.max(rows, total());
      },
      timeoutMs,
      () => `scoped deliveries (${receiver.requests.length} received, ${rows} rows, ${total()} expected)`,
    );
    expect(receiver.requests.length).toBe(rows);
    for (const who of ['owner', 'admin', 'member'] as Who[]) {
      expect(received(who).sort(), `${who}'s webhook`).toEqual([...expected[who]].sort());
    }
  }

  function expect_(key: string, ...whos: Who[]): void {
    for (const who of whos) expected[who].push(key);
  }

  async function create(user: TestUser, resource: string, body: object) {
    const res = await user.api.post(`/v1/workspaces/${ws.id}/${resource}`, body);
    expect(res.status, `${resource} ${JSON.stringify(res.body)}`).toBe(201);
    return res.body as { id: string };
  }

  beforeAll(async () => {
    t = await startTestApp();
    api = new ApiClient(t.baseUrl);
    await receiver.start();
    ws = await seedWorkspace(api);
    for (const who of ['owner', 'admin', 'member'] as Who[]) {
      const res = await ws[who].api.post(`/v1/workspaces/${ws.id}/webhooks`, { name: who, url: receiver.url(path(who)), events: EVENT_TYPES });
      expect(res.status).toBe(201);
      secrets[who] = res.body.secret;
      hookIds[who] = res.body.id;
    }
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  it('phase 1: each creator receives what its role may read, across all 18 types', async () => {
    const { owner, member } = ws;
    const all: Who[] = ['owner', 'admin', 'member'];
    const team = await create(owner, 'teams', { name: 'Team C' });
    expect_(`team.created:${team.id}`, ...all);
    expect((await owner.api.patch(`/v1/workspaces/${ws.id}/teams/${team.id}`, { name: 'Team C2' })).status).toBe(200);
    expect_(`team.updated:${team.id}`, ...all);
    expect((await owner.api.delete(`/v1/workspaces/${ws.id}/teams/${team.id}`)).status).toBe(204);
    expect_(`team.deleted:${team.id}`, ...all);

    const invA = await create(owner, 'investments', { name: 'A', teamId: ws.teamA, amount: 1 });
    const invB = await create(owner, 'investments', { name: 'B', teamId: ws.teamB, amount: 1 });
    expect_(`investment.created:${invA.id}`, ...all);
    expect_(`investment.created:${invB.id}`, 'owner', 'admin');
    await owner.api.patch(`/v1/workspaces/${ws.id}/investments/${invA.id}`, { amount: 2 });
    await owner.api.patch(`/v1/workspaces/${ws.id}/investments/${invB.id}`, { amount: 2 });
    expect_(`investment.updated:${invA.id}`, ...all);
    expect_(`investment.updated:${invB.id}`, 'owner', 'admin');

    const valA = await create(owner, 'valuations', { investmentId: invA.id, value: 10 });
    const valB = await create(owner, 'valuations', { investmentId: invB.id, value: 10 });
    expect_(`valuation.created:${valA.id}`, ...all);
    expect_(`valuation.created:${valB.id}`, 'owner', 'admin');
    await owner.api.patch(`/v1/workspaces/${ws.id}/valuations/${valB.id}`, { value: 11 });
    expect_(`valuation.updated:${valB.id}`, 'owner', 'admin');
    expect((await owner.api.delete(`/v1/workspaces/${ws.id}/valuations/${valB.id}`)).status).toBe(204);
    expect_(`valuation.deleted:${valB.id}`, 'owner', 'admin');
    expect((await owner.api.delete(`/v1/workspaces/${ws.id}/investments/${invB.id}`)).status).toBe(204);
    expect_(`investment.deleted:${invB.id}`, 'owner', 'admin');

    const wsMemo = await create(owner, 'memos', { title: 'all', visibility: 'workspace' });
    const teamAMemo = await create(owner, 'memos', { title: 'A', visibility: 'team', teamId: ws.teamA });
    const teamBMemo = await create(owner, 'memos', { title: 'B', visibility: 'team', teamId: ws.teamB });
    const ownerPrivate = await create(owner, 'memos', { title: 'mine', visibility: 'private' });
    const memberPrivate = await create(member, 'memos', { title: 'mine too', visibility: 'private' });
    expect_(`memo.created:${wsMemo.id}`, ...all);
    expect_(`memo.created:${teamAMemo.id}`, ...all);
    expect_(`memo.created:${teamBMemo.id}`, 'owner', 'admin');
    expect_(`memo.created:${ownerPrivate.id}`, 'owner');
    expect_(`memo.created:${memberPrivate.id}`, 'member');
    await member.api.patch(`/v1/workspaces/${ws.id}/memos/${memberPrivate.id}`, { title: 'renamed' });
    expect_(`memo.updated:${memberPrivate.id}`, 'member');
    // Made visible to the workspace: the update is judged on the memo as it is after the change.
    await member.api.patch(`/v1/workspaces/${ws.id}/memos/${memberPrivate.id}`, { visibility: 'workspace' });
    expect_(`memo.updated:${memberPrivate.id}`, ...all);
    expect((await owner.api.delete(`/v1/workspaces/${ws.id}/memos/${teamBMemo.id}`)).status).toBe(204);
    expect_(`memo.deleted:${teamBMemo.id}`, 'owner', 'admin');

    const assumption = await create(owner, 'assumptions', { name: 'rate', value: 0.1 });
    await owner.api.patch(`/v1/workspaces/${ws.id}/assumptions/${assumption.id}`, { value: 0.2 });
    await owner.api.delete(`/v1/workspaces/${ws.id}/assumptions/${assumption.id}`);
    for (const action of ['created', 'updated', 'deleted']) expect_(`assumption.${action}:${assumption.id}`, ...all);

    const pipeline = await create(member, 'pipelines', { name: 'deals', stages: ['a'] });
    await member.api.patch(`/v1/workspaces/${ws.id}/pipelines/${pipeline.id}`, { stages: ['a', 'b'] });
    await owner.api.delete(`/v1/workspaces/${ws.id}/pipelines/${pipeline.id}`);
    for (const action of ['created', 'updated', 'deleted']) expect_(`pipeline.${action}:${pipeline.id}`, ...all);

    await expectExactly();
    const types = new Set(expected.owner.concat(expected.member).map((k) => k.split(':')[0]));
    expect(types.size).toBe(18);
  });

  it('phase 2: a demotion to viewer narrows the very next event', async () => {
    const { owner, member } = ws;
    expect((await owner.api.patch(`/v1/workspaces/${ws.id}/members/${member.id}`, { role: 'viewer' })).status).toBe(200);
    const assumption = await create(owner, 'assumptions', { name: 'growth', value: 3 });
    const teamMemo = await create(owner, 'memos', { title: 'A2', visibility: 'team', teamId: ws.teamA });
    const wsMemo = await create(owner, 'memos', { title: 'all2', visibility: 'workspace' });
    const inv = await create(owner, 'investments', { name: 'A2', teamId: ws.teamA });
    expect_(`assumption.created:${assumption.id}`, 'owner', 'admin');
    expect_(`memo.created:${teamMemo.id}`, 'owner', 'admin');
    expect_(`memo.created:${wsMemo.id}`, 'owner', 'admin', 'member');
    expect_(`investment.created:${inv.id}`, 'owner', 'admin', 'member');
    await expectExactly();
  });

  it('phase 3: leaving a team stops that team’s events', async () => {
    const { owner, member } = ws;
    expect((await owner.api.delete(`/v1/workspaces/${ws.id}/teams/${ws.teamA}/members/${member.id}`)).status).toBe(204);
    const inv = await create(owner, 'investments', { name: 'A3', teamId: ws.teamA });
    expect_(`investment.created:${inv.id}`, 'owner', 'admin');
    await expectExactly();
  });

  it('phase 4: a removed creator gets nothing and the webhook is disabled with creator_removed', async () => {
    const { owner, member } = ws;
    expect((await owner.api.delete(`/v1/workspaces/${ws.id}/members/${member.id}`)).status).toBe(204);
    const pipeline = await create(owner, 'pipelines', { name: 'after' });
    expect_(`pipeline.created:${pipeline.id}`, 'owner', 'admin');
    await expectExactly();
    const hook = await ws.admin.api.get(`/v1/workspaces/${ws.id}/webhooks/${hookIds.member}`);
    expect(hook.body).toMatchObject({ enabled: false, disabledReason: 'creator_removed' });
  });

  it('keeps workspaces apart: another workspace’s events never reach these webhooks', async () => {
    const other = await signup(api, 'Other');
    const otherWs = (await other.api.post('/v1/workspaces', { name: 'Other fund' })).body.id;
    await other.api.post(`/v1/workspaces/${otherWs}/pipelines`, { name: 'theirs' });
    await expectExactly();
  });
});
