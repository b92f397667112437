import type { INestApplicationContext } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, seedWorkspace, TestWorkspace } from '../support/api-client';
import { Receiver } from '../support/receiver';
import { startTestApp, startTestWorker, TestApp } from '../support/test-app';

const PUBLIC_IP_URL = 'https://93.184.216.34/hook';
/** The addresses `localhost` may resolve to: never to be named in a message. */
const LOOPBACK = /127\.0\.0\.1|::1|loopback/;

/**
 * Issue 12, finding 7, over HTTP: a refusal never names the private address a hostname resolves
 * to; port 0 is refused; a target blocked at connect time fails the delivery at once, unretried.
 */
describe('webhook targets: refusals at create and update', () => {
  let t: TestApp;
  let ws: TestWorkspace;
  let path: string;
  const receiver = new Receiver();

  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_ALLOW_PRIVATE_NETWORK: 'false' }); // with workers: seeding needs its mails
    ws = await seedWorkspace(new ApiClient(t.baseUrl));
    path = `/v1/workspaces/${ws.id}/webhooks`;
    await receiver.start();
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  it('says a hostname "resolves to a non-public address", never which (422)', async () => {
    const url = `http://localhost:${new URL(receiver.baseUrl).port}/probe`;
    const created = await ws.owner.api.post(path, { name: 'probe', url, events: ['pipeline.created'] });
    expect(created.status).toBe(422);
    // The refusal, then (docs/api.md) the setting that allows such targets in local development.
    expect(created.body.message).toMatch(/^URL host localhost resolves to a non-public address\. .*WEBHOOK_ALLOW_PRIVATE_NETWORK=true/);
    expect(JSON.stringify(created.body)).not.toMatch(LOOPBACK);

    const hook = await ws.owner.api.post(path, { name: 'public', url: PUBLIC_IP_URL, events: ['pipeline.created'], enabled: false });
    expect(hook.status).toBe(201);
    const patched = await ws.owner.api.patch(`${path}/${hook.body.id}`, { url });
    expect(patched.status).toBe(422);
    expect(JSON.stringify(patched.body)).not.toMatch(LOOPBACK);
    expect((await ws.owner.api.get(`${path}/${hook.body.id}`)).body.url).toBe(PUBLIC_IP_URL);
    expect(receiver.requests).toHaveLength(0);
  });

  it('refuses port 0 with 400 at create and update, and changes nothing', async () => {
    for (const url of ['https://93.184.216.34:0/hook', 'http://93.184.216.34:000/']) {
      const created = await ws.owner.api.post(path, { name: 'port zero', url, events: ['pipeline.created'] });
      expect(created.status).toBe(400);
      expect(JSON.stringify(created.body.message)).toMatch(/port must be between 1 and 65535/);
    }
    const hook = await ws.owner.api.post(path, { name: 'public', url: PUBLIC_IP_URL, events: ['pipeline.created'], enabled: false });
    const patched = await ws.owner.api.patch(`${path}/${hook.body.id}`, { url: 'https://93.184.216.34:0/hook' });
    expect(patched.status).toBe(400);
    expect((await ws.owner.api.get(`${path}/${hook.body.id}`)).body.url).toBe(PUBLIC_IP_URL);
  });
});

describe('webhook targets: blocked at connect time', () => {
  let api: TestApp;
  let worker: INestApplicationContext;
  let ws: TestWorkspace;
  const receiver = new Receiver();

  beforeAll(async () => {
    // The API accepted the URL (as if its name resolved to a public address then); the worker, which
    // refuses private targets, finds that it now resolves to loopback (DNS rebinding).
    const queuePrefix = `cct_target_${process.pid}_${Date.now().toString(36)}`;
    api = await startTestApp({ PROCESS_ROLE: 'api', QUEUE_PREFIX: queuePrefix });
    worker = await startTestWorker(api.databaseUrl, { WEBHOOK_ALLOW_PRIVATE_NETWORK: 'false', QUEUE_PREFIX: queuePrefix });
    ws = await seedWorkspace(new ApiClient(api.baseUrl));
    await receiver.start();
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await receiver.stop();
  });

  it('fails the delivery at its first attempt with blocked_address (no retries), naming no address', async () => {
    const base = `/v1/workspaces/${ws.id}`;
    const url = `http://localhost:${new URL(receiver.baseUrl).port}/rebound`;
    const hook = await ws.owner.api.post(`${base}/webhooks`, { name: 'rebound', url, events: ['pipeline.created'] });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);
    expect((await ws.owner.api.post(`${base}/pipelines`, { name: 'deals' })).status).toBe(201);

    const deliveries = `${base}/webhooks/${hook.body.id}/deliveries`;
    await expect
      .poll(async () => (await ws.owner.api.get(deliveries)).body.data[0]?.status, { timeout: 15_000 })
      .toBe('failed');
    const [delivery] = (await ws.owner.api.get(deliveries)).body.data;
    const detail = (await ws.owner.api.get(`${deliveries}/${delivery.id}`)).body;
    // Failed at once: one attempt, although the retry schedule has three.
    expect(detail).toMatchObject({ status: 'failed', attemptCount: 1, nextAttemptAt: null });
    expect(detail.attempts).toHaveLength(1);
    expect(detail.attempts[0]).toMatchObject({ error: 'blocked_address', errorMessage: expect.stringMatching(/resolves to a non-public address/) });
    expect(detail.attempts[0].errorMessage).not.toMatch(LOOPBACK);
    expect(receiver.requests).toHaveLength(0);
  });
});
