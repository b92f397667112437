import type { INestApplicationContext } from '@nestjs/common';
import { once } from 'node:events';
import { createServer, Server, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, seedWorkspace, TestWorkspace } from '../support/api-client';
import { startTestApp, startTestWorker, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait';

/**
 * Connect-time SSRF check, end to end: the URL passed the create-time check (an API process that
 * allows private networks, as if the name resolved publicly then), and at delivery the name
 * resolves to loopback (`localhost`, from /etc/hosts: no outside DNS). The worker, which does not
 * allow private networks, records `blocked_address`, and nothing ever connects to the listener.
 */
describe('delivery: connect-time address check', () => {
  let t: TestApp;
  let worker: INestApplicationContext;
  let ws: TestWorkspace;
  let listener: Server;
  let port = 0;
  const connections: Socket[] = [];

  beforeAll(async () => {
    // The API accepts the loopback URL (and runs no relay); the worker delivers with the check on.
    t = await startTestApp({ PROCESS_ROLE: 'api', WEBHOOK_ALLOW_PRIVATE_NETWORK: 'true' });
    worker = await startTestWorker(t.databaseUrl, { WEBHOOK_ALLOW_PRIVATE_NETWORK: 'false', WEBHOOK_RETRY_SCHEDULE: '0' });
    listener = createServer((socket) => {
      connections.push(socket);
      socket.destroy();
    });
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    port = (listener.address() as { port: number }).port;
    ws = await seedWorkspace(new ApiClient(t.baseUrl));
  });
  afterAll(async () => {
    await worker?.close();
    await t?.close();
    listener?.close();
  });

  it('a name resolving to loopback is refused at connect time: blocked_address, no connection', async () => {
    const base = `/v1/workspaces/${ws.id}`;
    const hook = await ws.owner.api.post(`${base}/webhooks`, { name: 'rebound', url: `http://localhost:${port}/hook`, events: ['memo.created'] });
    expect(hook.status).toBe(201);
    const memo = await ws.owner.api.post(`${base}/memos`, { title: 'Internal', visibility: 'workspace' });
    expect(memo.status).toBe(201);

    let attempt: { error: string | null; errorMessage: string | null } | undefined;
    await waitFor(
      async () => {
        const list = await ws.owner.api.get(`${base}/webhooks/${hook.body.id}/deliveries`);
        const delivery = list.body.data[0];
        if (!delivery) return false;
        attempt = (await ws.owner.api.get(`${base}/webhooks/${hook.body.id}/deliveries/${delivery.id}`)).body.attempts?.[0];
        return attempt !== undefined;
      },
      20_000,
      () => 'an attempt to the loopback webhook',
    );
    expect(attempt).toMatchObject({ error: 'blocked_address', errorMessage: expect.stringMatching(/localhost/) });
    // Refused before connecting: the listener never saw a connection.
    expect(connections).toHaveLength(0);
  });
});
