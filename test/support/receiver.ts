import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { socketOwner } from './socket-owner';

export interface ReceivedRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
  receivedAt: number;
  /** Which of `Receiver.senderPids` sent it (from /proc, filled in asynchronously); null until known or when unknown. */
  pid: number | null;
}

export type Responder = (req: ReceivedRequest, res: ServerResponse) => void;

/**
 * A webhook receiver on 127.0.0.1 for the tests: records every request and answers with what
 * each path is scripted to answer (default 200). `script(path, [500, 500, 200])` answers in turn.
 */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly scripts = new Map<string, (number | Responder)[]>();
  private server!: Server;
  private waiters: (() => void)[] = [];
  baseUrl = '';
  /** Processes whose connections are attributed (several workers): each request records which one sent it. */
  senderPids: () => number[] = () => [];
  private readonly owners = new WeakMap<Socket, Promise<number | null>>();

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (socket: Socket) => {
      const pids = this.senderPids();
      if (!pids.length || !socket.remotePort) return;
      this.owners.set(socket, socketOwner(socket.remotePort, (this.server.address() as AddressInfo).port, pids).catch(() => null));
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  url(path: string): string {
    return `${this.baseUrl}${path.startsWith('/') ? path : `/${path}`}`;
  }

  /** Answers for successive requests to `path`; the last one repeats. */
  script(path: string, answers: (number | Responder)[]): void {
    this.scripts.set(path, [...answers]);
  }

  on(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Resolves once `predicate` holds (checked on every request), or rejects after `timeoutMs`. */
  async waitFor(predicate: () => boolean, timeoutMs = 10_000, what = 'requests'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (have ${this.requests.length})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const record: ReceivedRequest = {
        path: req.url ?? '/',
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')])),
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
        pid: null,
      };
      void this.owners.get(req.socket)?.then((pid) => (record.pid = pid));
      this.requests.push(record);
      const answers = this.scripts.get(record.path);
      const answer = answers && answers.length > 1 ? answers.shift()! : (answers?.[0] ?? 200);
      if (typeof answer === 'function') answer(record, res);
      else res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : `status ${answer}`);
      const waiters = this.waiters;
      this.waiters = [];
      waiters.forEach((w) => w());
    });
  }
}
