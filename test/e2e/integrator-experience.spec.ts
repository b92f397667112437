import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, seedWorkspace, TestWorkspace } from '../support/api-client';
import { Receiver } from '../support/receiver';
import { startTestApp, TestApp } from '../support/test-app';

/** What a new integrator meets first: error messages that say what to do, test events, logs. */

describe('messages that tell an integrator what to do', () => {
  let t: TestApp;
  let ws: TestWorkspace;

  beforeAll(async () => {
    // As in production: loopback and private targets refused.
    t = await startTestApp({ WEBHOOK_ALLOW_PRIVATE_NETWORK: 'false' });
    ws = await seedWorkspace(new ApiClient(t.baseUrl));
  });
  afterAll(() => t?.close());

  it.each([
    ['http://127.0.0.1:4000/hook', /loopback/],
    ['http://localhost:4000/hook', /localhost resolves to a (loopback|non-public) address/],
    ['http://10.0.0.1/hook', /private/],
  ])('a 422 for %s names the setting that allows it locally, and no resolved address', async (url, reason) => {
    const res = await ws.owner.api.post(`/v1/workspaces/${ws.id}/webhooks`, { name: 'local', url, events: ['team.created'] });
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.body.message).toMatch(reason);
    expect(res.body.message).toMatch(/WEBHOOK_ALLOW_PRIVATE_NETWORK=true/);
    if (url.includes('localhost')) expect(res.body.message).not.toMatch(/127\.0\.0\.1|::1/);
  });

  it('a missing required field is "required", not "must be a UUID"; a malformed one says what is wrong', async () => {
    const post = (body: object) => ws.owner.api.post(`/v1/workspaces/${ws.id}/investments`, body);
    const missing = await post({ name: 'Acme' });
    expect(missing.body).toEqual({ statusCode: 400, message: ['teamId is required'], error: 'Bad Request' });
    const malformed = await post({ name: 'Acme', teamId: 'team-a' });
    expect(malformed.body).toEqual({ statusCode: 400, message: ['teamId must be a UUID'], error: 'Bad Request' });
    const both = await post({});
    expect(both.body.message).toEqual(expect.arrayContaining(['name is required', 'teamId is required']));
    // An optional field that is absent is not required.
    expect((await post({ name: 'Acme', teamId: ws.teamA })).status).toBe(201);
  });
});

describe('test events and delivery logs', () => {
  let t: TestApp;
  let ws: TestWorkspace;
  let base: string;
  const receiver = new Receiver();

  beforeAll(async () => {
    t = await startTestApp();
    await receiver.start();
    ws = await seedWorkspace(new ApiClient(t.baseUrl));
    base = `/v1/workspaces/${ws.id}/webhooks`;
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  it('a test event on a disabled webhook is refused with 409 (not queued and cancelled); enabled, it is sent', async () => {
    const hook = await ws.owner.api.post(base, { name: 'off', url: receiver.url('/off'), events: ['team.created'], enabled: false });
    expect(hook.status).toBe(201);
    const refused = await ws.owner.api.post(`${base}/${hook.body.id}/test`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/disabled.*enable it/);
    expect((await ws.owner.api.get(`${base}/${hook.body.id}/deliveries`)).body.data).toEqual([]);

    expect((await ws.owner.api.patch(`${base}/${hook.body.id}`, { enabled: true })).status).toBe(200);
    expect((await ws.owner.api.post(`${base}/${hook.body.id}/test`)).status).toBe(202);
    await receiver.waitFor(() => receiver.on('/off').length === 1);
    expect(JSON.parse(receiver.on('/off')[0].body).type).toBe('webhook.test');
  });

  it("a delivery's detail shows the exact body that was sent and signed", async () => {
    const hook = await ws.owner.api.post(base, { name: 'logs', url: receiver.url('/logs'), events: ['investment.created'] });
    const inv = await ws.owner.api.post(`/v1/workspaces/${ws.id}/investments`, { name: 'Logged', teamId: ws.teamA });
    expect(inv.status).toBe(201);
    await receiver.waitFor(() => receiver.on('/logs').length === 1);
    const sent = receiver.on('/logs')[0].body;

    const list = await ws.owner.api.get(`${base}/${hook.body.id}/deliveries`);
    const detail = await ws.owner.api.get(`${base}/${hook.body.id}/deliveries/${list.body.data[0].id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.requestBody).toBe(sent);
    expect(JSON.parse(detail.body.requestBody).data.object).toEqual(inv.body);
  });
});
