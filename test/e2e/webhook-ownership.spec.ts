import type { ServerResponse } from 'node:http';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, seedWorkspace, TestUser, TestWorkspace } from '../support/api-client';
import { ReceivedRequest, Receiver } from '../support/receiver';
import { startTestApp, TestApp } from '../support/test-app';

interface Payload {
  id: string;
  type: string;
  data: { object: Record<string, unknown> & { id: string }; previousAttributes?: Record<string, unknown> };
}

/** A response held open until `release()`: the attempt is in flight while the test changes access. */
function heldResponse(status: number) {
  let release!: () => void;
  let arrived!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const reached = new Promise<void>((resolve) => (arrived = resolve));
  const responder = (_req: ReceivedRequest, res: ServerResponse) => {
    arrived();
    void released.then(() => res.writeHead(status).end(`status ${status}`));
  };
  return { responder, reached, release };
}

/**
 * Issue 12, findings 1, 3 and 5, as the attacks were made: over HTTP, with real receivers on
 * 127.0.0.1. A webhook carries only what its current owner may read: whoever points it somewhere
 * else becomes its owner, and every attempt (first, retry, redelivery, recovery) asks the owner's
 * ability at that moment.
 */
describe('a webhook carries only what its current owner may read', () => {
  let t: TestApp;
  let api: ApiClient;
  let db: DataSource;
  const receiver = new Receiver();
  /** The server the attacking admin controls. */
  const attacker = new Receiver();

  beforeAll(async () => {
    // A long attempt timeout: a held response stays one attempt until the test releases it.
    t = await startTestApp({ WEBHOOK_TIMEOUT_MS: '30000' });
    api = new ApiClient(t.baseUrl);
    db = t.app.get(DataSource);
    await receiver.start();
    await attacker.start();
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
    await attacker.stop();
  });

  const base = (ws: TestWorkspace) => `/v1/workspaces/${ws.id}`;

  async function create(ws: TestWorkspace, user: TestUser, resource: string, body: object): Promise<{ id: string }> {
    const res = await user.api.post(`${base(ws)}/${resource}`, body);
    expect(res.status, `${resource} ${JSON.stringify(res.body)}`).toBe(201);
    return res.body;
  }

  async function createHook(ws: TestWorkspace, user: TestUser, url: string, events: string[]) {
    const res = await user.api.post(`${base(ws)}/webhooks`, { name: 'hook', url, events });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; secret: string };
  }

  /** The webhook's deliveries by the id of the object their event is about. */
  async function deliveriesOf(webhookId: string): Promise<Map<string, { id: string; status: string; cancel_reason: string | null }>> {
    const rows: { id: string; status: string; cancel_reason: string | null; object_id: string }[] = await db.query(
      `SELECT d.id, d.status, d.cancel_reason, e.data->'object'->>'id' AS object_id
       FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.webhook_id = $1`,
      [webhookId],
    );
    return new Map(rows.map((r) => [r.object_id, r]));
  }

  /** Resolves once fan-out has handled every event about `objectId` (no subscriber left). */
  async function fannedOut(objectId: string): Promise<void> {
    await expect
      .poll(async () => {
        const rows: { pending: number }[] = await db.query(
          `SELECT count(*)::int AS pending FROM events WHERE data->'object'->>'id' = $1 AND (relayed_at IS NULL OR pending_subscribers <> '{}')`,
          [objectId],
        );
        return rows[0].pending;
      }, { timeout: 15_000 })
      .toBe(0);
  }

  const verified = (requests: ReceivedRequest[], secret: string): Payload[] =>
    requests.map((r) => new StandardWebhook(secret).verify(r.body, r.headers) as Payload);

  it("finding 1: an admin who re-points a member's webhook becomes its owner and receives none of the member's private memos", async () => {
    const ws = await seedWorkspace(api);
    const { member, admin } = ws;
    const since = new Date(Date.now() - 1_000).toISOString();
    const hook = await createHook(ws, member, receiver.url('/mine'), ['memo.created', 'memo.updated']);
    const hookPath = `${base(ws)}/webhooks/${hook.id}`;

    // The member's history: a private memo delivered, two memos whose deliveries failed (one
    // private), and a private memo whose first attempt is still in flight when the admin strikes.
    const delivered = await create(ws, member, 'memos', { title: 'private: delivered', visibility: 'private' });
    await receiver.waitFor(() => receiver.on('/mine').length >= 1, 15_000, 'the first delivery');
    receiver.script('/mine', [500]);
    const failedPrivate = await create(ws, member, 'memos', { title: 'private: failed', visibility: 'private' });
    const failedShared = await create(ws, member, 'memos', { title: 'shared: failed', visibility: 'workspace' });
    await expect
      .poll(async () => [...(await deliveriesOf(hook.id)).values()].filter((d) => d.status === 'failed').length, { timeout: 15_000 })
      .toBe(2);
    const held = heldResponse(500);
    receiver.script('/mine', [held.responder, 500]);
    const pending = await create(ws, member, 'memos', { title: 'private: pending retry', visibility: 'private' });
    await held.reached;

    // The attack: point it at the admin's server, subscribe to memo.*, read its secret.
    const taken = await admin.api.patch(hookPath, { url: attacker.url('/loot'), events: ['memo.created', 'memo.updated', 'memo.deleted'] });
    expect(taken.status, JSON.stringify(taken.body)).toBe(200);
    expect(taken.body).toMatchObject({ createdById: admin.id, previousOwnerId: member.id, ownerChangedAt: expect.any(String) });
    const secret = (await admin.api.get(`${hookPath}/secret`)).body.secret as string;
    expect(secret).toMatch(/^whsec_/);
    // The in-flight attempt fails; its retry would now go to the admin's server, as the admin's.
    held.release();

    const deliveries = await deliveriesOf(hook.id);
    for (const memo of [delivered, failedPrivate]) {
      const res = await admin.api.post(`${hookPath}/deliveries/${deliveries.get(memo.id)!.id}/redeliver`);
      expect(res.status, JSON.stringify(res.body)).toBe(403);
      expect(res.body.message).toMatch(/owner may not read/);
    }
    const recovered = await admin.api.post(`${hookPath}/recover`, { since });
    expect(recovered.status).toBe(202);
    expect(recovered.body).toEqual({ count: 1, skipped: 1, more: false });

    // New memos: the member's private one is not the admin's to read; the shared one is.
    const newPrivate = await create(ws, member, 'memos', { title: 'private: written later', visibility: 'private' });
    const newShared = await create(ws, member, 'memos', { title: 'shared: written later', visibility: 'workspace' });

    await expect
      .poll(async () => (await deliveriesOf(hook.id)).get(pending.id), { timeout: 15_000 })
      .toMatchObject({ status: 'cancelled', cancel_reason: 'not_permitted' });
    const view = await admin.api.get(`${hookPath}/deliveries/${(await deliveriesOf(hook.id)).get(pending.id)!.id}`);
    expect(view.body).toMatchObject({ status: 'cancelled', cancelReason: 'not_permitted' });
    await attacker.waitFor(() => attacker.requests.length >= 2, 15_000, 'the shared memos');
    await fannedOut(newPrivate.id);
    await fannedOut(newShared.id);
    expect((await deliveriesOf(hook.id)).has(newPrivate.id)).toBe(false);

    const loot = verified(attacker.requests, secret);
    expect(loot.map((p) => p.data.object.id).sort()).toEqual([failedShared.id, newShared.id].sort());
    expect(attacker.requests.map((r) => r.body).join('\n')).not.toMatch(/private:/);
    // The member's own receiver got the pending memo once (the held attempt) and nothing after.
    const theirs = receiver.on('/mine').map((r) => JSON.parse(r.body) as Payload);
    expect(theirs.filter((p) => p.data.object.id === pending.id)).toHaveLength(1);
  });

  it('finding 3: previousAttributes only carry what the owner could read before the change', async () => {
    const ws = await seedWorkspace(api);
    const { owner, admin, member } = ws;
    const events = ['investment.updated', 'memo.updated'];
    const memberHook = await createHook(ws, member, receiver.url('/prev-member'), events);
    const ownerHook = await createHook(ws, owner, receiver.url('/prev-owner'), events);

    // Moved from team B (not the member's) into team A (the member's).
    const moved = await create(ws, owner, 'investments', { name: 'Hidden B', teamId: ws.teamB, amount: 100 });
    expect((await owner.api.patch(`${base(ws)}/investments/${moved.id}`, { teamId: ws.teamA, amount: 200 })).status).toBe(200);
    // An admin's private memo made public: nobody else ever could read its old title.
    const memo = await create(ws, admin, 'memos', { title: 'Old private title', body: 'old private body', visibility: 'private' });
    expect((await admin.api.patch(`${base(ws)}/memos/${memo.id}`, { visibility: 'workspace', title: 'Now public' })).status).toBe(200);
    // Control: a change the member could see before keeps its previous values.
    const seen = await create(ws, owner, 'investments', { name: 'Visible A', teamId: ws.teamA, amount: 1 });
    expect((await owner.api.patch(`${base(ws)}/investments/${seen.id}`, { amount: 2 })).status).toBe(200);

    await receiver.waitFor(
      () => receiver.on('/prev-member').length >= 3 && receiver.on('/prev-owner').length >= 3,
      15_000,
      'the updated events',
    );
    const byObject = (payloads: Payload[]) => new Map(payloads.map((p) => [p.data.object.id, p]));
    const toMember = byObject(verified(receiver.on('/prev-member'), memberHook.secret));
    const toOwner = byObject(verified(receiver.on('/prev-owner'), ownerHook.secret));

    expect(toMember.get(moved.id)!.data).toMatchObject({ object: { teamId: ws.teamA, amount: 200 } });
    expect(toMember.get(moved.id)!.data).not.toHaveProperty('previousAttributes');
    expect(toMember.get(memo.id)!.data).toMatchObject({ object: { title: 'Now public', visibility: 'workspace' } });
    expect(toMember.get(memo.id)!.data).not.toHaveProperty('previousAttributes');
    // The old values nowhere (not `Hidden B.*100`: a timestamp's milliseconds or an id can hold "100").
    expect(receiver.on('/prev-member').map((r) => r.body).join('\n')).not.toMatch(/Old private title|"amount":100[,}]/);
    expect(toMember.get(seen.id)!.data.previousAttributes).toEqual({ amount: 1 });

    // The owner could read the investment in team B: its webhook keeps the old values. The admin's
    // private memo was never the owner's to read: no previous values there either.
    expect(toOwner.get(moved.id)!.data.previousAttributes).toEqual({ teamId: ws.teamB, amount: 100 });
    expect(toOwner.get(memo.id)!.data).not.toHaveProperty('previousAttributes');
  });

  it("finding 5: a retry after losing a team is cancelled (not_permitted) and can't be redelivered; removal disables at once", async () => {
    const ws = await seedWorkspace(api);
    const { owner, member } = ws;
    const hook = await createHook(ws, member, receiver.url('/access'), ['investment.created', 'pipeline.created']);
    const hookPath = `${base(ws)}/webhooks/${hook.id}`;

    // Team removal while the first attempt is in flight: the retry is judged on the member's access now.
    const first = heldResponse(500);
    receiver.script('/access', [first.responder, 200]);
    const investment = await create(ws, owner, 'investments', { name: 'Team A deal', teamId: ws.teamA });
    await first.reached;
    expect((await owner.api.delete(`${base(ws)}/teams/${ws.teamA}/members/${member.id}`)).status).toBe(204);
    first.release();
    await expect
      .poll(async () => (await deliveriesOf(hook.id)).get(investment.id), { timeout: 15_000 })
      .toMatchObject({ status: 'cancelled', cancel_reason: 'not_permitted' });
    const deliveryId = (await deliveriesOf(hook.id)).get(investment.id)!.id;
    const redeliver = await member.api.post(`${hookPath}/deliveries/${deliveryId}/redeliver`);
    expect(redeliver.status, JSON.stringify(redeliver.body)).toBe(403);
    expect((await deliveriesOf(hook.id)).get(investment.id)).toMatchObject({ status: 'cancelled' });

    // Removal from the workspace while an attempt is in flight: the webhook is disabled by the
    // removal itself, and the retry is cancelled.
    const second = heldResponse(500);
    receiver.script('/access', [second.responder, 200]);
    const pipeline = await create(ws, owner, 'pipelines', { name: 'after the team change' });
    await second.reached;
    expect((await owner.api.delete(`${base(ws)}/members/${member.id}`)).status).toBe(204);
    expect((await owner.api.get(hookPath)).body).toMatchObject({ enabled: false, disabledReason: 'creator_removed' });
    second.release();
    await expect
      .poll(async () => (await deliveriesOf(hook.id)).get(pipeline.id), { timeout: 15_000 })
      .toMatchObject({ status: 'cancelled', cancel_reason: 'webhook_disabled' });

    // Each object reached the receiver once: the held attempt, never a retry.
    const sent = receiver.on('/access').map((r) => (JSON.parse(r.body) as Payload).data.object.id);
    expect(sent.sort()).toEqual([investment.id, pipeline.id].sort());

    // Re-enabled as is, it would carry nobody's view (409); taking it over makes it the owner's.
    const reenabled = await owner.api.patch(hookPath, { enabled: true });
    expect(reenabled.status).toBe(409);
    expect(reenabled.body.message).toMatch(/no longer a member.*take it over/);
    const takenOver = await owner.api.patch(hookPath, { url: receiver.url('/access-owner'), enabled: true });
    expect(takenOver.body).toMatchObject({ enabled: true, disabledReason: null, createdById: owner.id, previousOwnerId: member.id });
  });
});
