import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, seedWorkspace, TestWorkspace } from '../support/api-client';
import { freePort } from '../support/throwaway-redis';
import { startTestApp, TestApp } from '../support/test-app';

/** The snippets of docs/receivers.md, run exactly as a customer would copy them. */
const EXAMPLES = join(__dirname, '../../docs/examples');

interface NodeSnippet {
  verifyWebhook(secret: string, headers: Record<string, string | string[] | undefined>, body: Buffer | string, options?: { now?: number }): any;
  createWebhookHandler(secret: string | (() => string), onEvent: (event: any) => unknown): (req: IncomingMessage, res: ServerResponse) => void;
  WebhookVerificationError: new (message: string) => Error;
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('receiver snippets verify real deliveries', () => {
  let t: TestApp;
  let ws: TestWorkspace;
  let base: string;

  beforeAll(async () => {
    t = await startTestApp();
    ws = await seedWorkspace(new ApiClient(t.baseUrl));
    base = `/v1/workspaces/${ws.id}`;
  });
  afterAll(() => t?.close());

  describe('Node (docs/examples/receiver-node.mjs)', () => {
    let snippet: NodeSnippet;
    let server: Server;
    let url: string;
    let secret = '';
    const events: any[] = [];
    const statuses: number[] = [];

    beforeAll(async () => {
      // A path in a variable: the .mjs file is loaded as is, not compiled with the tests.
      const file = join(EXAMPLES, 'receiver-node.mjs');
      snippet = (await import(file)) as NodeSnippet;
      const handle = snippet.createWebhookHandler(() => secret, (event) => void events.push(event));
      server = createServer((req, res) => {
        res.on('finish', () => statuses.push(res.statusCode));
        handle(req, res);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
    });
    afterAll(async () => {
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
    });

    it('verifies and parses a delivery, skips its redelivery, and keeps verifying across a secret rotation', async () => {
      const hook = await ws.owner.api.post(`${base}/webhooks`, { name: 'node', url, events: ['investment.created', 'investment.updated'] });
      expect(hook.status).toBe(201);
      secret = hook.body.secret;
      const inv = await ws.owner.api.post(`${base}/investments`, { name: 'Snippet', teamId: ws.teamA });
      await until('the first event', () => events.length === 1);
      expect(events[0]).toMatchObject({ type: 'investment.created', data: { object: inv.body } });

      // At-least-once: the same event again is acknowledged but not handled twice.
      const deliveries = (await ws.owner.api.get(`${base}/webhooks/${hook.body.id}/deliveries`)).body.data;
      expect((await ws.owner.api.post(`${base}/webhooks/${hook.body.id}/deliveries/${deliveries[0].id}/redeliver`)).status).toBe(202);
      await until('the redelivery', () => statuses.length === 2);
      expect(statuses).toEqual([204, 200]);
      expect(events).toHaveLength(1);

      // Rotation: deliveries carry both signatures; the receiver switches to the new secret.
      secret = (await ws.owner.api.post(`${base}/webhooks/${hook.body.id}/rotate-secret`)).body.secret;
      await ws.owner.api.patch(`${base}/investments/${inv.body.id}`, { amount: 5 });
      await until('the update', () => events.length === 2);
      expect(events[1]).toMatchObject({ type: 'investment.updated', data: { previousAttributes: { amount: null } } });
    });

    it('refuses a forged, altered or replayed delivery with 400, agreeing with the standardwebhooks library', async () => {
      const hook = await ws.owner.api.post(`${base}/webhooks`, { name: 'capture', url, events: ['team.created'] });
      // Capture one genuine delivery as received, then replay variants of it at the receiver.
      const captured: { headers: Record<string, string>; body: string }[] = [];
      const original = server.listeners('request')[0] as (req: IncomingMessage, res: ServerResponse) => void;
      server.removeAllListeners('request');
      server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          captured.push({ headers: req.headers as Record<string, string>, body });
          res.writeHead(204).end();
        });
      });
      try {
        await ws.owner.api.post(`${base}/teams`, { name: 'Captured' });
        await until('the captured delivery', () => captured.length === 1);
      } finally {
        server.removeAllListeners('request');
        server.on('request', original);
      }
      const genuine = captured[0];
      const library = new StandardWebhook(hook.body.secret);
      expect(snippet.verifyWebhook(hook.body.secret, genuine.headers, genuine.body)).toEqual(library.verify(genuine.body, genuine.headers));

      const post = (headers: Record<string, string>, body: string) =>
        fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).then((r) => r.status);
      const pick = (h: Record<string, string>) => ({ 'webhook-id': h['webhook-id'], 'webhook-timestamp': h['webhook-timestamp'], 'webhook-signature': h['webhook-signature'] });
      const altered = genuine.body.replace('Captured', 'Altered!');
      const otherSecret = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
      expect(await post(pick(genuine.headers), altered)).toBe(400);
      expect(await post({ ...pick(genuine.headers), 'webhook-signature': new StandardWebhook(otherSecret).sign(genuine.headers['webhook-id'], new Date(), genuine.body) }, genuine.body)).toBe(400);
      expect(await post({ ...pick(genuine.headers), 'webhook-id': 'evt_other' }, genuine.body)).toBe(400);
      expect(await post({}, genuine.body)).toBe(400);
      expect(() => library.verify(altered, genuine.headers)).toThrow();

      // A delivery older than the 5-minute tolerance is a replay, for the snippet and the library alike.
      const tenMinutesLater = Date.now() + 10 * 60_000;
      expect(() => snippet.verifyWebhook(hook.body.secret, genuine.headers, genuine.body, { now: tenMinutesLater })).toThrow(snippet.WebhookVerificationError);
      const old = new Date(Date.now() - 10 * 60_000);
      const oldHeaders = { ...pick(genuine.headers), 'webhook-timestamp': String(Math.floor(old.getTime() / 1000)), 'webhook-signature': library.sign(genuine.headers['webhook-id'], old, genuine.body) };
      expect(() => library.verify(genuine.body, oldHeaders)).toThrow();
      expect(await post(oldHeaders, genuine.body)).toBe(400);
    });
  });

  const python = spawnSync('python3', ['--version']).status === 0;
  describe.skipIf(!python)('Python (docs/examples/receiver_python.py)', () => {
    let child: ChildProcess | undefined;
    afterAll(() => {
      child?.kill();
    });

    it('verifies and parses a real delivery, and refuses a forged one', async () => {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/hooks`;
      const hook = await ws.owner.api.post(`${base}/webhooks`, { name: 'python', url, events: ['memo.created'] });
      let out = '';
      child = spawn('python3', [join(EXAMPLES, 'receiver_python.py')], {
        env: { ...process.env, WEBHOOK_SECRET: hook.body.secret, PORT: String(port), HOST: '127.0.0.1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
      await until(`the Python receiver to listen\n${out}`, () => out.includes(`listening on ${port}`));

      const memo = await ws.owner.api.post(`${base}/memos`, { title: 'From Python', visibility: 'workspace' });
      expect(memo.status).toBe(201);
      await until(`the verified event\n${out}`, () => /verified evt_\w+ memo\.created/.test(out));
      const [, json] = out.match(/verified evt_\w+ memo\.created (.*)\n/)!;
      expect(JSON.parse(json)).toEqual(memo.body);
      await expect.poll(async () => (await ws.owner.api.get(`${base}/webhooks/${hook.body.id}/deliveries`)).body.data[0]?.responseStatus).toBe(204);

      const forged = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'webhook-id': 'evt_x', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' },
        body: '{}',
      });
      expect(forged.status).toBe(400);
      expect(await forged.text()).toBe('no valid signature');
    });
  });
});
