import { randomUUID } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import type { ServerResponse } from 'node:http';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/events/event-catalog';
import { WebhookSecretsService } from '../../src/webhooks/webhook-secrets.service';
import type { Webhook } from '../../src/webhooks/webhook.entity';
import { ApiClient, seedWorkspace, TestWorkspace } from '../support/api-client';
import { Receiver } from '../support/receiver';
import { startTestApp, TestApp } from '../support/test-app';

/** Outcomes and retries (delivery.md "Attempts and retries") with a fast schedule: 0, 200 ms, 400 ms. */
describe('delivery outcomes and retries', () => {
  let t: TestApp;
  let api: ApiClient;
  let ws: TestWorkspace;
  const receiver = new Receiver();
  const base = () => `/v1/workspaces/${ws.id}`;

  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_RETRY_SCHEDULE: '0,200ms,400ms', WEBHOOK_TIMEOUT_MS: '400', WEBHOOK_SECRET_OVERLAP: '1h' });
    api = new ApiClient(t.baseUrl);
    await receiver.start();
    ws = await seedWorkspace(api);
    // The control: an owner webhook on every type. Once it has an event, fan-out of that event is
    // over (one insert for all webhooks), so "nothing arrives elsewhere" is checked, not waited for.
    receiver.script('/control', [200]);
    const control = await ws.owner.api.post(`${base()}/webhooks`, { name: 'control', url: receiver.url('/control'), events: EVENT_TYPES });
    expect(control.status).toBe(201);
  });

  /** Waits until the control webhook has received the event about `objectId`. */
  async function controlGot(objectId: string): Promise<void> {
    await receiver.waitFor(
      () => receiver.on('/control').some((r) => JSON.parse(r.body).data?.object?.id === objectId),
      15_000,
      `the control webhook to receive the event of ${objectId}`,
    );
  }

  const deliveriesOf = async (hookId: string) => (await ws.owner.api.get(`${base()}/webhooks/${hookId}/deliveries`)).body.data as any[];
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  /** A webhook on its own receiver path, subscribed to pipeline.created, and one event for it. */
  async function hookAndEvent(path: string, answers: Parameters<Receiver['script']>[1]) {
    receiver.script(path, answers);
    const hook = await ws.owner.api.post(`${base()}/webhooks`, { name: path, url: receiver.url(path), events: ['pipeline.created'] });
    expect(hook.status).toBe(201);
    // Other webhooks' paths get this event too; each test looks at its own path only.
    const pipeline = await ws.owner.api.post(`${base()}/pipelines`, { name: path });
    expect(pipeline.status).toBe(201);
    return { hook: hook.body as { id: string; secret: string }, pipelineId: pipeline.body.id as string };
  }

  async function deliveryOf(hookId: string, settled = (d: any) => ['succeeded', 'failed', 'cancelled'].includes(d.status)) {
    let detail: any;
    await expect
      .poll(
        async () => {
          const list = await ws.owner.api.get(`${base()}/webhooks/${hookId}/deliveries`);
          const d = list.body.data[0];
          if (!d) return false;
          detail = (await ws.owner.api.get(`${base()}/webhooks/${hookId}/deliveries/${d.id}`)).body;
          return settled(detail);
        },
        { timeout: 15_000, interval: 100 },
      )
      .toBe(true);
    return detail;
  }

  it('[500, 500, 200] → three attempts with one webhook-id, then succeeded', async () => {
    const { hook } = await hookAndEvent('/flaky', [500, 500, 200]);
    const delivery = await deliveryOf(hook.id);
    expect(delivery).toMatchObject({ status: 'succeeded', attemptCount: 3, responseStatus: 200, nextAttemptAt: null });
    expect(delivery.attempts.map((a: any) => [a.number, a.responseStatus, a.error])).toEqual([
      [1, 500, 'http_status'],
      [2, 500, 'http_status'],
      [3, 200, null],
    ]);
    const requests = receiver.on('/flaky');
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(requests[0].headers['webhook-id']).toBe(delivery.eventId);
    for (const r of requests) new StandardWebhook(hook.secret).verify(r.body, r.headers);
    // The schedule's 200 ms and 400 ms (±20 % jitter) separate the attempts.
    expect(requests[1].receivedAt - requests[0].receivedAt).toBeGreaterThanOrEqual(150);
    expect(requests[2].receivedAt - requests[1].receivedAt).toBeGreaterThanOrEqual(300);
  });

  it('always 500 → retries exhausted → failed, and the attempts are all logged', async () => {
    const { hook } = await hookAndEvent('/broken', [500]);
    const delivery = await deliveryOf(hook.id);
    expect(delivery).toMatchObject({ status: 'failed', attemptCount: 3, nextAttemptAt: null });
    expect(delivery.attempts).toHaveLength(3);
    expect(receiver.on('/broken')).toHaveLength(3);
  });

  it('410 Gone → no retry, webhook disabled with reason gone', async () => {
    const { hook } = await hookAndEvent('/gone', [410]);
    const delivery = await deliveryOf(hook.id);
    expect(delivery).toMatchObject({ status: 'failed', attemptCount: 1, responseStatus: 410 });
    const after = await ws.owner.api.get(`${base()}/webhooks/${hook.id}`);
    expect(after.body).toMatchObject({ enabled: false, disabledReason: 'gone' });
    // Disabled: the next event is not delivered to it (no delivery row, no request).
    const next = await ws.owner.api.post(`${base()}/pipelines`, { name: 'after gone' });
    await controlGot(next.body.id);
    expect(await deliveriesOf(hook.id)).toHaveLength(1);
    expect(receiver.on('/gone')).toHaveLength(1);
  });

  it('429 with Retry-After is honoured over the shorter schedule', async () => {
    const tooMany = (_req: unknown, res: import('node:http').ServerResponse) => res.writeHead(429, { 'retry-after': '1' }).end('slow down');
    const { hook } = await hookAndEvent('/limited', [tooMany, 200]);
    const delivery = await deliveryOf(hook.id);
    expect(delivery).toMatchObject({ status: 'succeeded', attemptCount: 2 });
    const [first, second] = receiver.on('/limited');
    expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(950);
  });

  it('a receiver that never answers → timeout, aborted within WEBHOOK_TIMEOUT_MS', async () => {
    // Judged on the receiver's clock: how long each hung request stayed open before the platform hung up.
    const heldOpenMs: number[] = [];
    const hang = (req: { receivedAt: number }, res: ServerResponse) => res.on('close', () => heldOpenMs.push(Date.now() - req.receivedAt));
    const { hook } = await hookAndEvent('/hang', [hang, hang, 200]);
    const delivery = await deliveryOf(hook.id);
    expect(delivery.attempts.slice(0, 2).map((a: any) => a.error)).toEqual(['timeout', 'timeout']);
    expect(delivery.status).toBe('succeeded');
    await receiver.waitFor(() => heldOpenMs.length === 2, 5_000, 'both hung requests to be closed');
    // Aborted by the 400 ms timeout (the body arrives a little after the clock starts), and not
    // left to the 10 s default or to the receiver: a generous bound for a busy machine.
    for (const ms of heldOpenMs) {
      expect(ms).toBeGreaterThanOrEqual(300);
      expect(ms).toBeLessThan(5_000);
    }
  });

  it('redirects are not followed', async () => {
    const redirect = (_req: unknown, res: import('node:http').ServerResponse) =>
      res.writeHead(302, { location: receiver.url('/redirect-target') }).end();
    const { hook } = await hookAndEvent('/redirect', [redirect]);
    const delivery = await deliveryOf(hook.id);
    expect(delivery.status).toBe('failed');
    expect(delivery.attempts.every((a: any) => a.responseStatus === 302 && a.error === 'http_status')).toBe(true);
    expect(receiver.on('/redirect-target')).toHaveLength(0);
  });

  it('logs show headers and a capped response body, and never a secret', async () => {
    const big = (_req: unknown, res: import('node:http').ServerResponse) => res.writeHead(200, { 'x-receiver': 'yes' }).end('x'.repeat(10_000));
    const { hook } = await hookAndEvent('/logged', [big]);
    const delivery = await deliveryOf(hook.id);
    const [attempt] = delivery.attempts;
    expect(attempt.responseBody.length).toBeLessThanOrEqual(4096);
    expect(attempt.responseHeaders['x-receiver']).toBe('yes');
    expect(attempt.requestHeaders).toMatchObject({ 'content-type': 'application/json', 'webhook-id': delivery.eventId });
    expect(attempt.requestHeaders['user-agent']).toMatch(/Countercyclical/);
    const key = hook.secret.slice('whsec_'.length);
    const everything = JSON.stringify([delivery, (await ws.owner.api.get(`${base()}/webhooks/${hook.id}/deliveries`)).body]);
    expect(everything).not.toContain(key);
    expect(everything).not.toContain('whsec_');
  });

  it('redeliver: a new attempt of the same message, same webhook-id', async () => {
    const { hook } = await hookAndEvent('/redeliver', [500]);
    const failed = await deliveryOf(hook.id);
    expect(failed.status).toBe('failed');
    receiver.script('/redeliver', [200]);
    const res = await ws.owner.api.post(`${base()}/webhooks/${hook.id}/deliveries/${failed.id}/redeliver`);
    expect(res.status).toBe(202);
    const done = await deliveryOf(hook.id, (d) => d.status === 'succeeded');
    expect(done.attempts).toHaveLength(4);
    const ids = new Set(receiver.on('/redeliver').map((r) => r.headers['webhook-id']));
    expect([...ids]).toEqual([failed.eventId]);
    // Not found for someone who cannot read the webhook; forbidden for a viewer.
    expect((await ws.outsider.api.post(`${base()}/webhooks/${hook.id}/deliveries/${failed.id}/redeliver`)).status).toBe(404);
    expect((await ws.viewer.api.post(`${base()}/webhooks/${hook.id}/deliveries/${failed.id}/redeliver`)).status).toBe(403);
    expect((await ws.member.api.post(`${base()}/webhooks/${hook.id}/deliveries/${failed.id}/redeliver`)).status).toBe(404);
    // A delivery of another webhook, or none at all: 404.
    expect((await ws.owner.api.post(`${base()}/webhooks/${hook.id}/deliveries/${randomUUID()}/redeliver`)).status).toBe(404);
  });

  it('recover: every failed delivery since a time is delivered again', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const { hook } = await hookAndEvent('/outage', [500]);
    await ws.owner.api.post(`${base()}/pipelines`, { name: 'second during outage' });
    await expect
      .poll(async () => (await ws.owner.api.get(`${base()}/webhooks/${hook.id}/deliveries?status=failed`)).body.data.length, { timeout: 15_000 })
      .toBe(2);
    receiver.script('/outage', [200]);
    const res = await ws.owner.api.post(`${base()}/webhooks/${hook.id}/recover`, { since });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ count: 2, skipped: 0, more: false });
    await expect
      .poll(async () => (await ws.owner.api.get(`${base()}/webhooks/${hook.id}/deliveries?status=succeeded`)).body.data.length, { timeout: 15_000 })
      .toBe(2);
    expect((await ws.owner.api.post(`${base()}/webhooks/${hook.id}/recover`, { since: 'yesterday' })).status).toBe(400);
  });

  it('test event: webhook.test to this endpoint only', async () => {
    receiver.script('/tested', [200]);
    const hook = (await ws.admin.api.post(`${base()}/webhooks`, { name: 'tested', url: receiver.url('/tested'), events: ['memo.created'] })).body;
    const before = receiver.requests.length;
    const res = await ws.admin.api.post(`${base()}/webhooks/${hook.id}/test`);
    expect(res.status).toBe(202);
    expect(res.body.deliveryId).toMatch(/^[0-9a-f-]{36}$/);
    await receiver.waitFor(() => receiver.on('/tested').length === 1);
    const event = new StandardWebhook(hook.secret).verify(receiver.on('/tested')[0].body, receiver.on('/tested')[0].headers) as any;
    expect(event).toMatchObject({ type: 'webhook.test', workspaceId: ws.id, data: { object: { webhookId: hook.id } } });
    const detail = await deliveryOf(hook.id);
    expect(detail).toMatchObject({ id: res.body.deliveryId, eventType: 'webhook.test', status: 'succeeded' });
    // One delivery of that event in the whole database (the control, on every type, has none), one request.
    const rows = await t.app.get(DataSource).query('SELECT webhook_id FROM deliveries WHERE event_id = $1', [detail.eventId]);
    expect(rows).toEqual([{ webhook_id: hook.id }]);
    expect(receiver.requests.slice(before).filter((r) => r.headers['webhook-id'] === detail.eventId)).toHaveLength(1);
  });

  it('during a rotation overlap every attempt carries a signature for each live secret', async () => {
    receiver.script('/rotated', [200]);
    const hook = (await ws.owner.api.post(`${base()}/webhooks`, { name: 'rot', url: receiver.url('/rotated'), events: ['assumption.created'] })).body;
    const rotated = await ws.owner.api.post(`${base()}/webhooks/${hook.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    await ws.owner.api.post(`${base()}/assumptions`, { name: 'r', value: 1 });
    await receiver.waitFor(() => receiver.on('/rotated').length === 1);
    const [req] = receiver.on('/rotated');
    expect(req.headers['webhook-signature'].split(' ')).toHaveLength(2);
    // A receiver holding either secret verifies the message.
    expect(new StandardWebhook(rotated.body.secret).verify(req.body, req.headers)).toBeTruthy();
    expect(new StandardWebhook(hook.secret).verify(req.body, req.headers)).toBeTruthy();
  });

  it('disabling a webhook stops new deliveries; deleting it removes its logs', async () => {
    receiver.script('/paused', [200]);
    const hook = (await ws.owner.api.post(`${base()}/webhooks`, { name: 'p', url: receiver.url('/paused'), events: ['team.created'] })).body;
    expect((await ws.owner.api.patch(`${base()}/webhooks/${hook.id}`, { enabled: false })).status).toBe(200);
    const paused = await ws.owner.api.post(`${base()}/teams`, { name: 'while paused' });
    await controlGot(paused.body.id);
    expect(await deliveriesOf(hook.id)).toEqual([]);
    expect(receiver.on('/paused')).toHaveLength(0);
    expect((await ws.owner.api.patch(`${base()}/webhooks/${hook.id}`, { enabled: true })).status).toBe(200);
    await ws.owner.api.post(`${base()}/teams`, { name: 'resumed' });
    await receiver.waitFor(() => receiver.on('/paused').length === 1);
    expect((await ws.owner.api.delete(`${base()}/webhooks/${hook.id}`)).status).toBe(204);
    expect((await ws.owner.api.get(`${base()}/webhooks/${hook.id}/deliveries`)).status).toBe(404);
  });
});

describe('auto-disable after WEBHOOK_DISABLE_AFTER of failures only', () => {
  let t: TestApp;
  let ws: TestWorkspace;
  const receiver = new Receiver();

  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_RETRY_SCHEDULE: '0,700ms,700ms', WEBHOOK_DISABLE_AFTER: '1s' });
    await receiver.start();
    ws = await seedWorkspace(new ApiClient(t.baseUrl));
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  it('a success resets the streak; a streak longer than the limit disables with reason failing', async () => {
    const base = `/v1/workspaces/${ws.id}`;
    receiver.script('/down', [500, 200]);
    const hook = (await ws.owner.api.post(`${base}/webhooks`, { name: 'd', url: receiver.url('/down'), events: ['team.created'] })).body;
    await ws.owner.api.post(`${base}/teams`, { name: 'first' });
    // 500 then 200 within the limit: the streak ends, the webhook stays enabled.
    await receiver.waitFor(() => receiver.on('/down').length === 2);
    await expect
      .poll(async () => (await ws.owner.api.get(`${base}/webhooks/${hook.id}/deliveries`)).body.data[0]?.status, { timeout: 10_000 })
      .toBe('succeeded');
    expect((await ws.owner.api.get(`${base}/webhooks/${hook.id}`)).body).toMatchObject({ enabled: true, disabledReason: null });

    receiver.script('/down', [500]);
    await ws.owner.api.post(`${base}/teams`, { name: 'second' });
    // Attempts at 0, 0.7 s and 1.4 s all fail: the third lands past the 1 s limit and disables it.
    await expect
      .poll(async () => (await ws.owner.api.get(`${base}/webhooks/${hook.id}`)).body.disabledReason, { timeout: 10_000 })
      .toBe('failing');
    expect((await ws.owner.api.get(`${base}/webhooks/${hook.id}`)).body.enabled).toBe(false);
    // Re-enabling resumes.
    receiver.script('/down', [200]);
    expect((await ws.owner.api.patch(`${base}/webhooks/${hook.id}`, { enabled: true })).body).toMatchObject({ enabled: true, disabledReason: null });
    const before = receiver.on('/down').length;
    await ws.owner.api.post(`${base}/teams`, { name: 'third' });
    await receiver.waitFor(() => receiver.on('/down').length === before + 1);
  });
});

describe('secret rotation: after the overlap', () => {
  let t: TestApp;
  let ws: TestWorkspace;
  const receiver = new Receiver();

  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_SECRET_OVERLAP: '1s' });
    await receiver.start();
    ws = await seedWorkspace(new ApiClient(t.baseUrl));
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  it('a delivery after the overlap carries one signature: the new secret verifies, the old one no longer does', async () => {
    const base = `/v1/workspaces/${ws.id}`;
    const hook = (await ws.owner.api.post(`${base}/webhooks`, { name: 'r', url: receiver.url('/after'), events: ['assumption.created'] })).body;
    const rotatedAt = Date.now();
    const rotated = (await ws.owner.api.post(`${base}/webhooks/${hook.id}/rotate-secret`)).body.secret as string;
    const secrets = t.app.get(WebhookSecretsService);
    // The overlap is over when the platform no longer signs with the old secret.
    await expect
      .poll(async () => secrets.liveSecrets(hook.id, ((await secrets.findWithSecrets(hook.id)) as Webhook).secrets).length, { timeout: 15_000 })
      .toBe(1);
    expect(Date.now() - rotatedAt).toBeGreaterThanOrEqual(950);

    await ws.owner.api.post(`${base}/assumptions`, { name: 'after overlap', value: 1 });
    await receiver.waitFor(() => receiver.on('/after').length === 1);
    const [req] = receiver.on('/after');
    expect(req.headers['webhook-signature'].split(' ')).toHaveLength(1);
    expect(new StandardWebhook(rotated).verify(req.body, req.headers)).toMatchObject({ type: 'assumption.created' });
    expect(() => new StandardWebhook(hook.secret).verify(req.body, req.headers)).toThrow();
  });
});
