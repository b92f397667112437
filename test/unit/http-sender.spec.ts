import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { classifySendError, HttpSender } from '../../src/delivery/http-sender';
import { waitFor } from '../support/wait';

type TestServer = {
  port: number;
  url: string;
  connections: number;
  requests: number;
  close(): Promise<void>;
};

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

// Tracks sockets so close() never waits on a hung keep-alive connection.
async function listen(server: NetServer, state: { connections: number; requests: number }): Promise<TestServer> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    state.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const ts: TestServer = {
    port,
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return state.connections;
    },
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  cleanups.push(ts.close);
  return ts;
}

async function httpServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const state = { connections: 0, requests: 0 };
  const server = createHttpServer((req, res) => {
    state.requests += 1;
    handler(req, res);
  });
  return listen(server, state);
}

async function rawServer(onData: (socket: Socket) => void): Promise<TestServer> {
  const state = { connections: 0, requests: 0 };
  const server = createNetServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => {
      state.requests += 1;
      onData(socket);
    });
  });
  return listen(server, state);
}

function sender(opts: Partial<ConstructorParameters<typeof HttpSender>[0]> = {}): HttpSender {
  const s = new HttpSender({ timeoutMs: 2000, allowPrivateNetwork: true, userAgent: 'TestHooks/1.0', ...opts });
  cleanups.push(() => s.close());
  return s;
}

const JSON_HEADERS = { 'content-type': 'application/json', 'webhook-id': 'evt_1' };
const BODY = Buffer.from('{"hello":"world"}');

describe('HttpSender', () => {
  it('returns ok with status, lowercased headers and body for a 2xx', async () => {
    let seen: { headers: IncomingMessage['headers']; body: string; method?: string; url?: string } | undefined;
    const srv = await httpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen = { headers: req.headers, body: Buffer.concat(chunks).toString(), method: req.method, url: req.url };
        res.writeHead(200, { 'X-Receiver': 'Yes', 'Content-Type': 'text/plain' });
        res.end('thanks');
      });
    });
    const result = await sender().send(`${srv.url}/hook?a=1#frag`, JSON_HEADERS, BODY);
    expect(result).toMatchObject({ ok: true, status: 200, body: 'thanks' });
    expect(result.errorKind).toBeUndefined();
    expect(result.headers?.['x-receiver']).toBe('Yes');
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(seen).toMatchObject({ method: 'POST', url: '/hook?a=1', body: '{"hello":"world"}' });
    expect(seen?.headers['user-agent']).toBe('TestHooks/1.0');
    expect(seen?.headers['content-type']).toBe('application/json');
    expect(seen?.headers['webhook-id']).toBe('evt_1');
  });

  it('treats a 500 as http_status with the body kept', async () => {
    const srv = await httpServer((_req, res) => {
      res.writeHead(500);
      res.end('boom');
    });
    const result = await sender().send(srv.url, JSON_HEADERS, BODY);
    expect(result).toMatchObject({ ok: false, status: 500, errorKind: 'http_status', body: 'boom' });
  });

  it('does not follow a 302 redirect', async () => {
    const target = await httpServer((_req, res) => res.end('should not be reached'));
    const srv = await httpServer((_req, res) => {
      res.writeHead(302, { location: `${target.url}/elsewhere` });
      res.end();
    });
    const result = await sender().send(srv.url, JSON_HEADERS, BODY);
    expect(result).toMatchObject({ ok: false, status: 302, errorKind: 'http_status' });
    expect(result.headers?.location).toBe(`${target.url}/elsewhere`);
    expect(target.requests).toBe(0);
    expect(target.connections).toBe(0);
  });

  it('times out a server that never answers, within about timeoutMs', async () => {
    // The server's view: when the request arrived and when the client hung up on it.
    let arrivedAt = 0;
    let hungUpAt = 0;
    const srv = await httpServer((req) => {
      arrivedAt = Date.now();
      req.socket.once('close', () => (hungUpAt = Date.now()));
    });
    const started = Date.now();
    const result = await sender({ timeoutMs: 300 }).send(srv.url, JSON_HEADERS, BODY);
    const took = Date.now() - started;
    expect(result).toMatchObject({ ok: false, errorKind: 'timeout' });
    expect(result.status).toBeUndefined();
    // Never before the timeout; the platform (not the server, which never answers) hangs up.
    expect(took).toBeGreaterThanOrEqual(290);
    await waitFor(() => hungUpAt > 0, 10_000, () => 'the client to hang up');
    // Not the 2 s default or a backstop: a loose bound (a loaded machine), far below what a missing abort would take.
    expect(hungUpAt - arrivedAt).toBeLessThan(300 + 1_500);
  });

  it('reports connection_refused for a closed port', async () => {
    const srv = await httpServer(() => undefined);
    const url = srv.url;
    await srv.close();
    const result = await sender().send(url, JSON_HEADERS, BODY);
    expect(result).toMatchObject({ ok: false, errorKind: 'connection_refused' });
    expect(result.errorMessage).toMatch(/ECONNREFUSED/);
  });

  it('reports connection_reset when the server destroys the socket', async () => {
    const srv = await httpServer((req) => req.socket.destroy());
    const result = await sender().send(srv.url, JSON_HEADERS, BODY);
    expect(result).toMatchObject({ ok: false, errorKind: 'connection_reset' });
  });

  it('reports invalid_response for a non-HTTP reply', async () => {
    const srv = await rawServer((socket) => socket.end('SSH-2.0-OpenSSH_9.6\r\ngarbage garbage\r\n\r\n'));
    const result = await sender().send(srv.url, JSON_HEADERS, BODY);
    expect(result).toMatchObject({ ok: false, errorKind: 'invalid_response' });
  });

  it('reports tls when speaking https to a plain-http server', async () => {
    const srv = await httpServer((_req, res) => res.end('plain'));
    const result = await sender().send(`https://127.0.0.1:${srv.port}/`, JSON_HEADERS, BODY);
    expect(result).toMatchObject({ ok: false, errorKind: 'tls' });
  });

  it('keeps at most maxResponseBytes of a 20 MB body and returns quickly', async () => {
    const total = 20 * 1024 * 1024;
    let written = 0;
    let closed = false;
    const srv = await httpServer((_req, res) => {
      res.on('close', () => (closed = true));
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(total) });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      // Respect backpressure so `written` measures what the client actually pulled.
      const pump = () => {
        while (written < total) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('error', () => undefined);
      pump();
    });
    const result = await sender().send(srv.url, JSON_HEADERS, BODY);
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(result.body?.length).toBe(4096);
    expect(result.body).toBe('a'.repeat(4096));
    // The client stopped reading and hung up: the server never got to push the whole body.
    await waitFor(() => closed, 10_000, () => 'the client to close the 20 MB response');
    expect(written).toBeLessThan(total / 2);
  });

  it('does not grow memory on a 100 MB response', async () => {
    const total = 100 * 1024 * 1024;
    const srv = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(256 * 1024, 'b');
      let written = 0;
      const pump = () => {
        while (written < total) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('error', () => undefined);
      pump();
    });
    const s = sender({ maxResponseBytes: 1024 });
    global.gc?.();
    const before = process.memoryUsage();
    const result = await s.send(srv.url, JSON_HEADERS, BODY);
    const after = process.memoryUsage();
    expect(result.ok).toBe(true);
    expect(result.body?.length).toBe(1024);
    expect(after.arrayBuffers + after.heapUsed - (before.arrayBuffers + before.heapUsed)).toBeLessThan(32 * 1024 * 1024);
  });

  it('times out a slow body drip (1 byte / 100 ms)', async () => {
    const timers: NodeJS.Timeout[] = [];
    const srv = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      timers.push(setInterval(() => res.write('x'), 100));
    });
    cleanups.push(async () => timers.forEach(clearInterval));
    // The body never ends: without the attempt's own timer this send would never return (the
    // 300 ms between bytes never trips undici's bodyTimeout backstop either).
    const result = await sender({ timeoutMs: 300 }).send(srv.url, JSON_HEADERS, BODY);
    expect(result).toMatchObject({ ok: false, status: 200, errorKind: 'timeout' });
  });

  it('times out a slow header drip', async () => {
    const timers: NodeJS.Timeout[] = [];
    const srv = await rawServer((socket) => {
      timers.push(setInterval(() => written < text.length && !socket.destroyed && socket.write(text[written++]), 100));
      socket.once('close', () => (hungUpAfter = written));
    });
    let written = 0;
    let hungUpAfter = -1;
    const text = 'HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n';
    cleanups.push(async () => timers.forEach(clearInterval));
    const result = await sender({ timeoutMs: 300 }).send(srv.url, JSON_HEADERS, BODY);
    expect(result).toMatchObject({ ok: false, errorKind: 'timeout' });
    // The headers would be complete after ~4 s of dripping: the client hung up long before.
    await waitFor(() => hungUpAfter >= 0, 10_000, () => 'the client to hang up');
    expect(hungUpAfter).toBeLessThan(text.length);
  });

  it.each([
    ['127.0.0.1 literal', (port: number) => `http://127.0.0.1:${port}/hook`],
    ['localhost (resolved by the guarded lookup)', (port: number) => `http://localhost:${port}/hook`],
    ['hex-encoded loopback', (port: number) => `http://0x7f000001:${port}/hook`],
    ['IPv4-mapped IPv6 loopback', (port: number) => `http://[::ffff:127.0.0.1]:${port}/hook`],
    ['IPv6 loopback', (port: number) => `http://[::1]:${port}/hook`],
  ])('refuses %s when private networks are not allowed, with no connection made', async (_label, makeUrl) => {
    const srv = await httpServer((_req, res) => res.end('reached'));
    const result = await sender({ allowPrivateNetwork: false }).send(makeUrl(srv.port), JSON_HEADERS, BODY);
    expect(result).toMatchObject({ ok: false, errorKind: 'blocked_address' });
    expect(result.status).toBeUndefined();
    expect(srv.requests).toBe(0);
    expect(srv.connections).toBe(0);
  });

  it('parses Retry-After seconds on 429', async () => {
    const srv = await httpServer((_req, res) => {
      res.writeHead(429, { 'retry-after': '7' });
      res.end();
    });
    const result = await sender().send(srv.url, JSON_HEADERS, BODY);
    expect(result).toMatchObject({ ok: false, status: 429, errorKind: 'http_status', retryAfterMs: 7000 });
  });

  it('parses a Retry-After HTTP-date on 503', async () => {
    const at = new Date(Date.now() + 120_000);
    const srv = await httpServer((_req, res) => {
      res.writeHead(503, { 'retry-after': at.toUTCString() });
      res.end();
    });
    const result = await sender().send(srv.url, JSON_HEADERS, BODY);
    expect(result).toMatchObject({ ok: false, status: 503, errorKind: 'http_status' });
    expect(result.retryAfterMs).toBeGreaterThan(110_000);
    expect(result.retryAfterMs).toBeLessThanOrEqual(120_000);
  });

  it('ignores Retry-After on other statuses', async () => {
    const srv = await httpServer((_req, res) => {
      res.writeHead(500, { 'retry-after': '7' });
      res.end();
    });
    const result = await sender().send(srv.url, JSON_HEADERS, BODY);
    expect(result.retryAfterMs).toBeUndefined();
  });

  it('reuses one keep-alive connection for consecutive sends', async () => {
    const srv = await httpServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    const s = sender();
    const first = await s.send(srv.url, JSON_HEADERS, BODY);
    // undici returns the socket to its pool a tick after the body ends; a send
    // issued before that would open a second connection: wait until the pool has it back.
    const pool = () => (s as unknown as { agent: { stats: Record<string, { free: number }> } }).agent.stats[new URL(srv.url).origin];
    await waitFor(() => pool()?.free === 1, 5_000, () => `the socket back in the pool (${JSON.stringify(pool())})`, 1);
    const second = await s.send(srv.url, JSON_HEADERS, BODY);
    expect(first.ok && second.ok).toBe(true);
    expect(srv.requests).toBe(2);
    expect(srv.connections).toBe(1);
  });

  it('starts the timeout when a request gets a connection, not while it waits for one of the pool', async () => {
    // 4 connections, 24 requests answered in 150 ms each: the last waits ~750 ms for a connection,
    // far beyond the 400 ms timeout, yet none times out and none is sent twice.
    let open = 0;
    let maxOpen = 0;
    const srv = await httpServer((req, res) => {
      open += 1;
      maxOpen = Math.max(maxOpen, open);
      req.resume();
      setTimeout(() => {
        open -= 1;
        res.end('ok');
      }, 150);
    });
    const s = sender({ timeoutMs: 400, connectionsPerOrigin: 4 });
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 24 }, () => s.send(`${srv.url}/hook`, JSON_HEADERS, BODY)));
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(srv.requests).toBe(24);
    expect(maxOpen).toBeLessThanOrEqual(4);
    // Paced by the pool: 6 rounds of 150 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(6 * 140);
    // The logged duration is the endpoint's: about 150 ms, never the wait.
    expect(Math.max(...results.map((r) => r.durationMs))).toBeLessThan(400);
    expect(s.inFlight(srv.url)).toBe(0);
  });

  it('refuses a malformed URL without throwing', async () => {
    const result = await sender().send('ftp://example.com/x', JSON_HEADERS, BODY);
    expect(result).toMatchObject({ ok: false, errorKind: 'network' });
    expect(result.errorMessage).toMatch(/http or https/);
  });
});

describe('classifySendError', () => {
  const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });

  it.each([
    [withCode('ENOTFOUND', 'getaddrinfo ENOTFOUND hooks.example.invalid'), 'dns'],
    [withCode('EAI_AGAIN'), 'dns'],
    [withCode('EBLOCKED'), 'blocked_address'],
    [withCode('ECONNREFUSED'), 'connection_refused'],
    [withCode('ECONNRESET'), 'connection_reset'],
    [withCode('UND_ERR_SOCKET', 'other side closed'), 'connection_reset'],
    [withCode('UND_ERR_CONNECT_TIMEOUT'), 'timeout'],
    [withCode('UND_ERR_HEADERS_TIMEOUT'), 'timeout'],
    [withCode('CERT_HAS_EXPIRED'), 'tls'],
    [withCode('DEPTH_ZERO_SELF_SIGNED_CERT'), 'tls'],
    [withCode('ERR_TLS_CERT_ALTNAME_INVALID'), 'tls'],
    [withCode('HPE_INVALID_CONSTANT'), 'invalid_response'],
    [new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')]), 'connection_refused'],
    [Object.assign(new Error('fetch failed'), { cause: withCode('ENOTFOUND') }), 'dns'],
    [new Error('something odd'), 'network'],
    ['not even an error', 'network'],
  ])('classifies %s as %s', (err, kind) => {
    expect(classifySendError(err).kind).toBe(kind);
  });
});
