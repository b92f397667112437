import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiClient, seedWorkspace, TestWorkspace } from '../support/api-client';
import { Receiver } from '../support/receiver';
import { startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait';

/** Structured logs: JSON lines with the request id, the event ids in fan-out; never a secret, a token or a password. */
describe('structured logs', () => {
  let t: TestApp;
  let ws: TestWorkspace;
  const receiver = new Receiver();
  const lines: string[] = [];
  let restore: () => void;

  beforeAll(async () => {
    const write = process.stdout.write.bind(process.stdout);
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return write(chunk as never, ...(rest as []));
    });
    restore = () => spy.mockRestore();
    t = await startTestApp({ LOG_LEVEL: 'debug' });
    await receiver.start();
    ws = await seedWorkspace(new ApiClient(t.baseUrl));
  });
  afterAll(async () => {
    restore?.();
    await t?.close();
    await receiver.stop();
  });

  const json = () => lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);

  it('writes one JSON object per line, request lines carrying the request id sent back as X-Request-Id', async () => {
    const res = await ws.owner.api.request('GET', `/v1/workspaces/${ws.id}/webhooks?cursor=secret-looking-query`, undefined, { 'x-request-id': 'req-test-42' });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-request-id')).toBe('req-test-42');
    await waitFor(() => json().some((l) => l.requestId === 'req-test-42' && l.res?.status === 400), 5_000, () => 'the request line');
    const line = json().find((l) => l.requestId === 'req-test-42' && l.res)!;
    expect(line.req).toEqual({ method: 'GET', path: `/v1/workspaces/${ws.id}/webhooks` });
    expect(line.level).toBe('INFO');
    expect(typeof line.time).toBe('string');
    expect(typeof line.durationMs).toBe('number');
    // A generated id when the client sends none (or an unusable one).
    const other = await ws.owner.api.request('GET', '/v1/me', undefined, { 'x-request-id': 'bad id with spaces' });
    expect(other.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('worker lines carry the event ids; no line ever holds a secret, a token or a password', async () => {
    const hook = await ws.owner.api.post(`/v1/workspaces/${ws.id}/webhooks`, { name: 'l', url: receiver.url('/l'), events: ['pipeline.created'] });
    const pipeline = await ws.owner.api.post(`/v1/workspaces/${ws.id}/pipelines`, { name: 'p' });
    expect(pipeline.status).toBe(201);
    await receiver.waitFor(() => receiver.on('/l').length === 1, 10_000, 'the delivery');
    const eventId = JSON.parse(receiver.on('/l')[0].body).id;
    await waitFor(() => json().some((l) => l.eventIds?.includes(eventId)), 5_000, () => 'a fan-out line with the event id');
    expect(json().find((l) => l.eventIds?.includes(eventId))).toMatchObject({ context: 'FanOutService', msg: expect.stringContaining('fan-out') });
    await ws.owner.api.get(`/v1/workspaces/${ws.id}/webhooks/${hook.body.id}/secret`);
    const all = lines.join('\n');
    for (const secret of [hook.body.secret, ws.owner.token, ws.owner.password, 'secret-looking-query']) expect(all).not.toContain(secret);
  });
});
