import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Webhook } from 'standardwebhooks';
import type { PhaseStats, ReceiverReply, ReceiverRequest } from './receiver-protocol';

/**
 * The webhook receiver of the benchmark, in its own process so that its CPU is not the driver's:
 * verifies every signature exactly as a customer would (the `standardwebhooks` package), counts
 * deliveries per path, and records receipt − payload.createdAt. Driven over IPC by bench/run.ts.
 */

const verifiers = new Map<string, Webhook>();
const failing = new Set<string>();
/** Failing paths that answer 500 only after this many ms (a slow failure holds a connection). */
const failSlowly = new Map<string, number>();
/** Healthy paths that answer 200 only after this many ms. */
const answerSlowly = new Map<string, number>();
/** Paths that never answer. */
const hanging = new Set<string>();
/** `${webhook-id}|${path}` of messages already failed once: a further request is a retry. */
const failedOnce = new Set<string>();

interface Phase {
  stats: PhaseStats;
  paths: Set<string>;
  seen: Set<string>;
  latencies: number[];
}

let phase: Phase = newPhase('idle', []);
let waiter: { target: number; done: (reached: boolean) => void } | null = null;

function newPhase(name: string, paths: string[]): Phase {
  return {
    stats: {
      name, requests: 0, badSignatures: 0, idMismatches: 0, healthyUnique: 0, duplicates: 0, failedRequests: 0, retriedRequests: 0,
      firstAt: null, lastAt: null, stray: 0, bodyBytes: 0,
    },
    paths: new Set(paths),
    seen: new Set(),
    latencies: [],
  };
}

// Wall-clock milliseconds with sub-millisecond resolution, comparable across processes.
const wallNow = () => performance.timeOrigin + performance.now();

function send(message: ReceiverReply): void {
  process.send!(message);
}

function snapshot(withLatencies = false): PhaseStats {
  return withLatencies ? { ...phase.stats, latencies: phase.latencies } : { ...phase.stats };
}

function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const receivedAt = wallNow();
  const path = req.url ?? '';
  const verifier = verifiers.get(path);
  if (!verifier) {
    res.writeHead(404).end();
    return;
  }
  // Never answered: the platform's timeout ends the attempt (and closes the connection).
  if (hanging.has(path)) return;
  const current = phase.paths.has(path);
  let payload: { id?: string; createdAt?: string };
  try {
    payload = verifier.verify(body.toString('utf8'), req.headers as Record<string, string>) as { id?: string; createdAt?: string };
  } catch {
    if (current) phase.stats.badSignatures++;
    res.writeHead(400).end('bad signature');
    return;
  }
  // The payload's id is the message id: it must equal webhook-id (what receivers deduplicate on).
  if (payload.id !== req.headers['webhook-id']) {
    if (current) phase.stats.idMismatches++;
    res.writeHead(400).end('payload id differs from webhook-id');
    return;
  }
  if (!current) {
    phase.stats.stray++;
    res.writeHead(failing.has(path) ? 500 : 200).end();
    return;
  }
  phase.stats.requests++;
  if (failing.has(path)) {
    phase.stats.failedRequests++;
    const key = `${req.headers['webhook-id']}|${path}`;
    if (failedOnce.has(key)) phase.stats.retriedRequests++;
    failedOnce.add(key);
    const delay = failSlowly.get(path);
    if (delay) setTimeout(() => res.writeHead(500).end('failing slowly on purpose'), delay);
    else res.writeHead(500).end('failing on purpose');
    return;
  }
  const slowly = answerSlowly.get(path);
  if (slowly) setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'), slowly);
  else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  const key = `${req.headers['webhook-id']}|${path}`;
  if (phase.seen.has(key)) {
    phase.stats.duplicates++;
    return;
  }
  phase.seen.add(key);
  phase.stats.healthyUnique++;
  phase.stats.firstAt ??= receivedAt;
  phase.stats.lastAt = receivedAt;
  phase.stats.bodyBytes = body.length;
  if (payload.createdAt) phase.latencies.push(receivedAt - Date.parse(payload.createdAt));
  if (waiter && phase.stats.healthyUnique >= waiter.target) waiter.done(true);
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => handle(req, res, Buffer.concat(chunks)));
});
// Longer than any client's keep-alive: the sender's pooled connections are never cut under it.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.requestTimeout = 0;

process.on('message', (message: ReceiverRequest) => {
  switch (message.type) {
    case 'configure':
      for (const [path, secret] of Object.entries(message.secrets)) verifiers.set(path, new Webhook(secret));
      for (const path of message.failing ?? []) failing.add(path);
      for (const [path, ms] of Object.entries(message.failSlowlyMs ?? {})) failSlowly.set(path, ms);
      for (const [path, ms] of Object.entries(message.answerSlowlyMs ?? {})) answerSlowly.set(path, ms);
      for (const path of message.hanging ?? []) hanging.add(path);
      send({ id: message.id, type: 'ok' });
      break;
    case 'phase':
      waiter?.done(false);
      phase = newPhase(message.name, message.paths);
      send({ id: message.id, type: 'ok' });
      break;
    case 'await': {
      const { id, target, timeoutMs } = message;
      waiter?.done(false);
      let finished = false;
      const done = (reached: boolean) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        if (waiter?.done === done) waiter = null;
        send({ id, type: 'awaited', reached, stats: snapshot() });
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      waiter = { target, done };
      if (phase.stats.healthyUnique >= target) done(true);
      break;
    }
    case 'stats':
      send({ id: message.id, type: 'stats', stats: snapshot(message.latencies) });
      break;
  }
});
// The driver went away: so do we.
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => send({ id: 0, type: 'ready', port: (server.address() as AddressInfo).port }));
