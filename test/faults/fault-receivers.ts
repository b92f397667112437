import { once } from 'node:events';
import { createServer as createHttpServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createNetServer, Server as NetServer, Socket } from 'node:net';
import { socketOwner } from '../support/socket-owner';

export { socketOwner };
import { Webhook as StandardWebhook } from 'standardwebhooks';

/** One request a receiver got, after checking its Standard Webhooks signature. */
export interface Received {
  path: string;
  webhookId: string;
  /** The payload's `id` (must equal webhookId) when the signature verified; null otherwise. */
  payloadId: string | null;
  verified: boolean;
  /** What the receiver answered: only a 2xx counts as delivered. */
  status: number;
  at: number;
  /** The process whose socket sent it (see RecordingReceiver.senderPids; filled in asynchronously), or null if unknown. */
  pid: number | null;
}

/**
 * The customer's endpoint: answers 200 on every path, records each request's webhook-id and
 * verifies its signature with the standardwebhooks package, as a customer would.
 */
export class RecordingReceiver {
  readonly received: Received[] = [];
  private readonly secrets = new Map<string, StandardWebhook>();
  private readonly failingFirst = new Map<string, number>();
  private readonly fixedStatus = new Map<string, number>();
  private server!: Server;
  baseUrl = '';
  /** Pids whose connections are attributed (the workers): each request records which one sent it. */
  senderPids: () => number[] = () => [];
  /** Answer every request after this long: a slow customer, so attempts are in flight when a worker stops. */
  respondAfterMs = 0;
  /** `${path} ${webhookId}` of requests read but not yet answered. */
  readonly inFlight = new Set<string>();
  private readonly owners = new WeakMap<Socket, Promise<number | null>>();

  async start(): Promise<this> {
    this.server = createHttpServer((req, res) => this.handle(req, res));
    this.server.on('connection', (socket: Socket) => {
      const pids = this.senderPids();
      // A socket already closed has no remotePort: attribution is best effort, never a failure here.
      if (!pids.length || !socket.remotePort) return;
      this.owners.set(socket, socketOwner(socket.remotePort, (this.server.address() as { port: number }).port, pids).catch(() => null));
    });
    // Longer than the sender's keep-alive: the sender always closes an idle socket first.
    this.server.keepAliveTimeout = 60_000;
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  /** Requests to `path` are verified with this `whsec_…` secret. */
  expectSecret(path: string, secret: string): void {
    this.secrets.set(path, new StandardWebhook(secret));
  }

  /** The first request of each message on `path` gets 503 with Retry-After: a retry sits in the queue meanwhile. */
  failFirstAttempt(path: string, retryAfterSeconds: number): void {
    this.failingFirst.set(path, retryAfterSeconds);
  }

  /** Every request to `path` is answered with this status (an ordinary failing endpoint). */
  answerAlways(path: string, status: number): void {
    this.fixedStatus.set(path, status);
  }

  /** Requests answered 2xx: deliveries, as the customer sees them. */
  delivered(): Received[] {
    return this.received.filter((r) => r.status >= 200 && r.status < 300);
  }

  on(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : (v ?? '');
      const verifier = this.secrets.get(path);
      let payloadId: string | null = null;
      let verified = false;
      if (verifier) {
        try {
          const payload = verifier.verify(Buffer.concat(chunks), headers) as { id?: string };
          payloadId = payload.id ?? null;
          verified = true;
        } catch {
          verified = false;
        }
      }
      const webhookId = headers['webhook-id'] ?? '';
      const retryAfter = this.failingFirst.get(path);
      const fail = retryAfter !== undefined && !this.received.some((r) => r.path === path && r.webhookId === webhookId);
      const status = fail ? 503 : (this.fixedStatus.get(path) ?? 200);
      const owner = this.owners.get(req.socket);
      const answer = () => {
        this.inFlight.delete(`${path} ${webhookId}`);
        // Recorded when answered: a request whose sender hung up first is not a delivery.
        const record: Received = { path, webhookId, payloadId, verified, status: res.destroyed ? 0 : status, at: Date.now(), pid: null };
        this.received.push(record);
        void owner?.then((pid) => (record.pid = pid));
        if (fail) res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': String(retryAfter) }).end('busy');
        else res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : `status ${status}`);
      };
      if (!this.respondAfterMs) return answer();
      this.inFlight.add(`${path} ${webhookId}`);
      setTimeout(answer, this.respondAfterMs);
    });
  }
}

/** Endpoints that misbehave, each on its own port (its own connection pool in the sender). */
export interface HostileReceivers {
  /** Reads the request, never answers. */
  timeout: string;
  /** Resets the connection (RST) as soon as the request arrives. */
  reset: string;
  /** 200 with a 100 MB body, streamed with backpressure (never held in memory). */
  huge: string;
  /** 200, then one body byte every 100 ms. */
  drip: string;
  /** 302 to `redirectTarget` (a path of the recording receiver that must see nothing). */
  redirect: string;
  /** A raw TCP server answering bytes that are not HTTP. */
  garbage: string;
  /** How many requests each one saw. */
  hits: Record<'timeout' | 'reset' | 'huge' | 'drip' | 'redirect' | 'garbage', number>;
  /** The webhook-id of every request each one saw, in order (duplicates counted). */
  ids: Record<'timeout' | 'reset' | 'huge' | 'drip' | 'redirect' | 'garbage', string[]>;
  /** On the receiver's clock: ms from a request's end until the sender hung up (timeout, drip). */
  heldOpenMs: Record<'timeout' | 'drip', number[]>;
  /** Bytes the huge endpoint managed to write in total (it stops when the sender hangs up). */
  hugeBytesWritten(): number;
  stop(): Promise<void>;
}

const HUGE_BYTES = 100 * 1024 * 1024;

export async function startHostileReceivers(redirectTarget: string): Promise<HostileReceivers> {
  const hits = { timeout: 0, reset: 0, huge: 0, drip: 0, redirect: 0, garbage: 0 };
  const ids: HostileReceivers['ids'] = { timeout: [], reset: [], huge: [], drip: [], redirect: [], garbage: [] };
  const heldOpenMs: HostileReceivers['heldOpenMs'] = { timeout: [], drip: [] };
  const rawId = (data: Buffer) => /\r\nwebhook-id: *([^\r\n]+)/i.exec(data.toString('latin1'))?.[1] ?? '';
  const servers: (Server | NetServer)[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let hugeWritten = 0;

  const listen = async (server: Server | NetServer): Promise<string> => {
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  };
  const http = (handler: (req: IncomingMessage, res: ServerResponse) => void) =>
    createHttpServer((req, res) => {
      req.resume();
      req.on('end', () => handler(req, res));
    });
  const idOf = (req: IncomingMessage) => String(req.headers['webhook-id'] ?? '');
  const timeHeldOpen = (kind: 'timeout' | 'drip', res: ServerResponse) => {
    const at = Date.now();
    res.on('close', () => heldOpenMs[kind].push(Date.now() - at));
  };

  const timeout = await listen(
    http((req, res) => {
      hits.timeout++;
      ids.timeout.push(idOf(req));
      timeHeldOpen('timeout', res);
    }),
  );
  const reset = await listen(
    createNetServer((socket) => {
      socket.once('data', (data: Buffer) => {
        hits.reset++;
        ids.reset.push(rawId(data));
        socket.resetAndDestroy();
      });
    }),
  );
  const huge = await listen(
    http((req, res) => {
      hits.huge++;
      ids.huge.push(idOf(req));
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(HUGE_BYTES) });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
      let closed = false;
      res.on('close', () => (closed = true));
      const pump = () => {
        while (!closed && sent < HUGE_BYTES) {
          sent += chunk.length;
          hugeWritten += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        if (!closed) res.end();
      };
      pump();
    }),
  );
  const drip = await listen(
    http((req, res) => {
      hits.drip++;
      ids.drip.push(idOf(req));
      timeHeldOpen('drip', res);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.flushHeaders();
      let n = 0;
      const timer = setInterval(() => {
        if (res.destroyed || ++n > 600) {
          clearInterval(timer);
          timers.delete(timer);
          if (!res.destroyed) res.end();
          return;
        }
        res.write('x');
      }, 100);
      timers.add(timer);
      res.on('close', () => {
        clearInterval(timer);
        timers.delete(timer);
      });
    }),
  );
  const redirect = await listen(
    http((req, res) => {
      hits.redirect++;
      ids.redirect.push(idOf(req));
      res.writeHead(302, { location: redirectTarget, 'content-type': 'text/plain' }).end('moved');
    }),
  );
  const garbage = await listen(
    createNetServer((socket) => {
      socket.once('data', (data: Buffer) => {
        hits.garbage++;
        ids.garbage.push(rawId(data));
        socket.end('SSH-2.0-OpenSSH_9.6 \u0000\u0001\u0002 definitely not HTTP\r\n\r\n');
      });
    }),
  );

  return {
    timeout,
    reset,
    huge,
    drip,
    redirect,
    garbage,
    hits,
    ids,
    heldOpenMs,
    hugeBytesWritten: () => hugeWritten,
    async stop() {
      timers.forEach(clearInterval);
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((server) => new Promise<void>((r) => server.close(() => r()))));
    },
  };
}
