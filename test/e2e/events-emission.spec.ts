import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/events/event-catalog';
import { EventPublisher } from '../../src/events/event-publisher.service';
import { ApiClient, seedWorkspace, TestWorkspace } from '../support/api-client';
import { EventRecorder, eventRows, EventRow, RelayProbe } from '../support/event-recorder';
import { startTestApp, TestApp } from '../support/test-app';

const EVT_ID = /^evt_[0-9A-HJKMNP-TV-Z]{26}$/;

/** What one successful mutation through the API must have emitted. */
interface Expected {
  type: string;
  object: Record<string, unknown>;
  previousAttributes?: Record<string, unknown>;
}

describe('event emission through the API', () => {
  let t: TestApp;
  let api: ApiClient;
  let ws: TestWorkspace;
  const recorder = new EventRecorder();
  let relay: RelayProbe;

  beforeAll(async () => {
    t = await startTestApp();
    recorder.attach(t.app);
    relay = new RelayProbe(t.app);
    api = new ApiClient(t.baseUrl);
    ws = await seedWorkspace(api);
  });
  afterAll(() => t?.close());

  const path = (resource: string, id?: string) => `/v1/workspaces/${ws.id}/${resource}${id ? `/${id}` : ''}`;
  const rowsFor = (objectId: string) => eventRows(t.app, `data->'object'->>'id' = $1`, [objectId]);
  const eventCount = async () => Number((await t.app.get(DataSource).query('SELECT count(*) AS n FROM events'))[0].n);

  it('emits each of the 18 types exactly once per mutation, with the payload of delivery.md', async () => {
    const owner = ws.owner.api;
    const expected: Expected[] = [];
    const ok = async (method: 'post' | 'patch' | 'delete', url: string, body?: unknown) => {
      const res = method === 'delete' ? await owner.delete(url) : await owner[method](url, body);
      expect(res.status, `${method} ${url}: ${JSON.stringify(res.body)}`).toBe(method === 'post' ? 201 : method === 'patch' ? 200 : 204);
      return res.body;
    };
    const create = async (resource: string, subject: string, body: object) => {
      const object = await ok('post', path(resource), body);
      expected.push({ type: `${subject}.created`, object });
      return object;
    };
    const update = async (resource: string, subject: string, before: Record<string, unknown>, patch: Record<string, unknown>) => {
      const object = await ok('patch', path(resource, before.id as string), patch);
      const previousAttributes = Object.fromEntries(Object.keys(patch).map((k) => [k, before[k]]));
      expected.push({ type: `${subject}.updated`, object, previousAttributes });
      return object;
    };
    const remove = async (resource: string, subject: string, id: string) => {
      const object = (await owner.get(path(resource, id))).body;
      await ok('delete', path(resource, id));
      expected.push({ type: `${subject}.deleted`, object });
    };

    const team = await create('teams', 'team', { name: 'Deal team' });
    const investment = await create('investments', 'investment', { name: 'Acme', teamId: team.id, amount: 100, currency: 'USD', stage: 'Seed' });
    const valuation = await create('valuations', 'valuation', { investmentId: investment.id, value: 10, currency: 'USD', valuedAt: '2026-09-30', method: 'last round' });
    const memo = await create('memos', 'memo', { title: 'IC notes', body: 'Go', visibility: 'workspace' });
    const assumption = await create('assumptions', 'assumption', { name: 'Discount rate', value: 0.1, unit: 'ratio' });
    const pipeline = await create('pipelines', 'pipeline', { name: 'Seed flow', stages: ['sourced', 'closed'] });

    const team2 = await update('teams', 'team', team, { name: 'Deal team 2' });
    const investment2 = await update('investments', 'investment', investment, { amount: 250, stage: 'Series A' });
    const valuation2 = await update('valuations', 'valuation', valuation, { value: 12.5 });
    const memo2 = await update('memos', 'memo', memo, { title: 'IC notes v2', visibility: 'team', teamId: team.id });
    const assumption2 = await update('assumptions', 'assumption', assumption, { value: 0.2 });
    const pipeline2 = await update('pipelines', 'pipeline', pipeline, { stages: ['sourced', 'diligence', 'closed'] });

    // Updates that change nothing: 200 with the unchanged resource, and no event.
    const noops: [string, Record<string, unknown>, Record<string, unknown>][] = [
      ['teams', team2, { name: 'Deal team 2' }],
      ['investments', investment2, { amount: 250, stage: 'Series A', currency: 'USD', teamId: team.id }],
      ['valuations', valuation2, { value: 12.5, valuedAt: '2026-09-30', investmentId: investment.id }],
      ['memos', memo2, { title: 'IC notes v2', visibility: 'team', teamId: team.id }],
      ['assumptions', assumption2, { value: 0.2, unit: 'ratio' }],
      ['pipelines', pipeline2, { stages: ['sourced', 'diligence', 'closed'] }],
      ['pipelines', pipeline2, {}],
    ];
    for (const [resource, current, patch] of noops) {
      const res = await owner.patch(path(resource, current.id as string), patch);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(current);
    }

    await remove('valuations', 'valuation', valuation.id);
    await remove('memos', 'memo', memo.id);
    await remove('investments', 'investment', investment.id);
    await remove('assumptions', 'assumption', assumption.id);
    await remove('pipelines', 'pipeline', pipeline.id);
    await remove('teams', 'team', team.id);

    expect(new Set(expected.map((e) => e.type))).toEqual(new Set(EVENT_TYPES));
    expect(expected).toHaveLength(18);

    // The outbox: exactly one row per mutation, in mutation order (ids sort by creation).
    const objectIds = [team, investment, valuation, memo, assumption, pipeline].map((o) => o.id as string);
    const rows: EventRow[] = await eventRows(t.app, `data->'object'->>'id' = ANY($1)`, [objectIds]);
    expect(rows.map((r) => [r.type, r.data.object.id])).toEqual(expected.map((e) => [e.type, e.object.id]));

    await recorder.waitForAll(rows.map((r) => r.id));
    await relay.quiet(); // a duplicate would have been handled by now
    for (const [i, row] of rows.entries()) {
      const want = expected[i];
      expect(recorder.timesHandled(row.id), row.type).toBe(1);
      const event = recorder.calls.find((c) => c.event.id === row.id)!.event;
      expect(event.id).toMatch(EVT_ID);
      expect(event.type).toBe(want.type);
      expect(event.createdAt).toBe(row.created_at.toISOString());
      expect(new Date(event.createdAt).toISOString()).toBe(event.createdAt);
      expect(event.workspaceId).toBe(ws.id);
      expect(event.actor).toEqual({ type: 'user', id: ws.owner.id });
      expect(event.data.object, want.type).toEqual(want.object);
      if (want.previousAttributes) {
        expect(event.data.previousAttributes, want.type).toEqual(want.previousAttributes);
        expect(event.data.previousAttributes).not.toHaveProperty('updatedAt');
      } else {
        expect(event.data, want.type).not.toHaveProperty('previousAttributes');
      }
      expect(Object.keys(event).sort()).toEqual(['actor', 'createdAt', 'data', 'id', 'type', 'workspaceId']);
    }
  });

  it('previousAttributes holds the old value of a field that was null', async () => {
    const inv = (await ws.owner.api.post(path('investments'), { name: 'Nulls', teamId: ws.teamA })).body;
    expect(inv.amount).toBeNull();
    const updated = await ws.owner.api.patch(path('investments', inv.id), { amount: 7, name: 'Nulls' });
    expect(updated.status).toBe(200);
    const rows = await rowsFor(inv.id);
    expect(rows.map((r) => r.type)).toEqual(['investment.created', 'investment.updated']);
    expect(rows[1].data.previousAttributes).toEqual({ amount: null });
    expect(rows[1].data.object).toEqual(updated.body);
  });

  it('a failed mutation (400, 403, 404, 409) emits nothing', async () => {
    const owner = ws.owner.api;
    const inv = (await owner.post(path('investments'), { name: 'Kept', teamId: ws.teamA, amount: 1 })).body;
    const memo = (await owner.post(path('memos'), { title: 'Kept', visibility: 'workspace' })).body;
    await recorder.waitForAll((await rowsFor(inv.id)).concat(await rowsFor(memo.id)).map((r) => r.id));
    const before = await eventCount();
    const handledBefore = recorder.calls.length;
    const missing = '00000000-0000-4000-8000-000000000000';

    const failures: [Promise<{ status: number }>, number][] = [
      [owner.post(path('investments'), { teamId: ws.teamA }), 400], // missing name
      [owner.patch(path('investments', inv.id), { amount: -1 }), 400],
      // Refused inside the transaction, after the row was changed in memory.
      [owner.patch(path('memos', memo.id), { visibility: 'team' }), 400],
      [owner.patch(path('investments', inv.id), { teamId: missing }), 400],
      [owner.post(path('valuations'), { investmentId: missing, value: 1 }), 400],
      [ws.viewer.api.post(path('investments'), { name: 'No', teamId: ws.teamA }), 403],
      [ws.member.api.post(path('investments'), { name: 'Not my team', teamId: ws.teamB }), 403],
      [ws.member.api.patch(path('investments', inv.id), { teamId: ws.teamB }), 403],
      [ws.member.api.delete(path('assumptions', missing)), 403],
      [owner.patch(path('investments', missing), { amount: 2 }), 404],
      [owner.delete(path('pipelines', missing)), 404],
      [ws.outsider.api.patch(path('investments', inv.id), { amount: 2 }), 404],
      // The team still owns investments: the FK refuses the delete inside the transaction.
      [owner.delete(path('teams', ws.teamA)), 409],
    ];
    for (const [request, status] of failures) expect((await request).status).toBe(status);

    await relay.quiet();
    expect(await eventCount()).toBe(before);
    expect(recorder.calls.length).toBe(handledBefore);
    expect((await owner.get(path('investments', inv.id))).body.amount).toBe(1);
    expect((await owner.get(path('teams', ws.teamA))).status).toBe(200);
  });

  it('an event published in a transaction that rolls back leaves no row and reaches no subscriber', async () => {
    const publisher = t.app.get(EventPublisher);
    const dataSource = t.app.get(DataSource);
    const input = (name: string) => ({
      type: 'pipeline.created',
      workspaceId: ws.id,
      actor: { type: 'user' as const, id: ws.owner.id },
      object: { id: name, name },
    });
    let rolledBack = '';
    await expect(
      dataSource.transaction(async (tx) => {
        rolledBack = await publisher.publish(tx, input('rolled-back'));
        // Visible inside the transaction: it really was written, then undone.
        expect(await tx.query('SELECT 1 FROM events WHERE id = $1', [rolledBack])).toHaveLength(1);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    // The control: the same call in a transaction that commits is stored and handled.
    const committed = await dataSource.transaction((tx) => publisher.publish(tx, input('committed')));
    await recorder.waitForAll([committed]);
    await relay.quiet();
    expect(rolledBack).toMatch(EVT_ID);
    expect(await eventRows(t.app, 'id = $1', [rolledBack])).toEqual([]);
    expect(recorder.timesHandled(rolledBack)).toBe(0);
    expect(recorder.calls.some((c) => c.event.data.object.id === 'rolled-back')).toBe(false);
    expect(recorder.timesHandled(committed)).toBe(1);
  });

  it('refuses to publish outside a transaction', async () => {
    const publisher = t.app.get(EventPublisher);
    await expect(
      publisher.publish(t.app.get(DataSource).manager, {
        type: 'pipeline.created',
        workspaceId: ws.id,
        actor: { type: 'user', id: ws.owner.id },
        object: { id: 'x' },
      }),
    ).rejects.toThrow(/transaction/);
  });
});

describe('GET /v1/webhook-event-types', () => {
  let t: TestApp;
  beforeAll(async () => {
    // With workers: seeding verifies addresses through mailed links.
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('lists the 18 domain types with subject and description (then the 3 operational ones), to signed-in callers only', async () => {
    const api = new ApiClient(t.baseUrl);
    expect((await api.get('/v1/webhook-event-types')).status).toBe(401);
    expect((await api.as('not-a-token').get('/v1/webhook-event-types')).status).toBe(401);
    const ws = await seedWorkspace(api);
    const all = await ws.viewer.api.get('/v1/webhook-event-types');
    expect(all.status).toBe(200);
    expect(all.body).toHaveLength(21);
    expect(all.body.slice(18).map((e: { category: string }) => e.category)).toEqual(['operational', 'operational', 'operational']);
    const res = { body: all.body.slice(0, 18) };
    const subjects = ['team', 'investment', 'valuation', 'memo', 'assumption', 'pipeline'];
    const types = subjects.flatMap((s) => ['created', 'updated', 'deleted'].map((a) => `${s}.${a}`));
    expect(res.body.map((e: { type: string }) => e.type).sort()).toEqual(types.sort());
    for (const e of res.body as { type: string; subject: string; description: string }[]) {
      expect(Object.keys(e).sort()).toEqual(['category', 'description', 'example', 'schema', 'subject', 'type']);
      expect(e.subject).toBe(e.type.split('.')[0]);
      expect(e.description).toMatch(new RegExp(`is ${e.type.split('.')[1]}$`));
    }
    expect(res.body.find((e: { type: string }) => e.type === 'investment.created').description).toBe(
      'Action taken when an Investment is created',
    );
  });
});
