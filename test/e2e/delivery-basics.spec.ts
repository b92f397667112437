import { Webhook as StandardWebhook } from 'standardwebhooks';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { WORKER_DATA_SOURCE } from '../../src/database/data-source-options';
import { DeliveryReconciler } from '../../src/delivery/delivery-reconciler.service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, seedWorkspace, TestWorkspace } from '../support/api-client';
import { Receiver } from '../support/receiver';
import { startTestApp, TestApp } from '../support/test-app';

describe('delivery basics', () => {
  let t: TestApp;
  let api: ApiClient;
  let ws: TestWorkspace;
  const receiver = new Receiver();

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

  it('delivers a signed investment.created to an owner webhook', async () => {
    const hook = await ws.owner.api.post(`/v1/workspaces/${ws.id}/webhooks`, {
      name: 'inv',
      url: receiver.url('/basic'),
      events: ['investment.created'],
    });
    expect(hook.status).toBe(201);
    const inv = await ws.owner.api.post(`/v1/workspaces/${ws.id}/investments`, { name: 'Acme', teamId: ws.teamA });
    expect(inv.status).toBe(201);
    await receiver.waitFor(() => receiver.on('/basic').length === 1);
    const [req] = receiver.on('/basic');
    const payload = new StandardWebhook(hook.body.secret).verify(req.body, req.headers) as Record<string, any>;
    expect(payload.type).toBe('investment.created');
    expect(payload.data.object).toEqual(inv.body);
    expect(req.headers['webhook-id']).toBe(payload.id);

    const deliveries = await ws.owner.api.get(`/v1/workspaces/${ws.id}/webhooks/${hook.body.id}/deliveries`);
    expect(deliveries.status).toBe(200);
    await expect.poll(async () => (await ws.owner.api.get(`/v1/workspaces/${ws.id}/webhooks/${hook.body.id}/deliveries`)).body.data[0]?.status).toBe('succeeded');
  });

  it('purges attempts older than WEBHOOK_LOG_RETENTION and keeps the rest', async () => {
    const db = t.app.get(DataSource);
    const [{ n: before }] = await db.query('SELECT count(*)::int AS n FROM delivery_attempts');
    expect(before).toBeGreaterThan(0);
    await db.query(`UPDATE delivery_attempts SET started_at = now() - interval '31 days' WHERE id = (SELECT min(id) FROM delivery_attempts)`);
    expect(await t.app.get(DeliveryReconciler).purgeAttempts()).toBe(1);
    const [{ n: after }] = await db.query('SELECT count(*)::int AS n FROM delivery_attempts');
    expect(after).toBe(before - 1);
  });

  it('commits the delivery machinery without waiting for the WAL flush, and the API durably', async () => {
    const worker = t.app.get<DataSource>(getDataSourceToken(WORKER_DATA_SOURCE));
    expect((await worker.query('SHOW synchronous_commit'))[0].synchronous_commit).toBe('off');
    expect((await t.app.get(DataSource).query('SHOW synchronous_commit'))[0].synchronous_commit).toBe('on');
  });
});
