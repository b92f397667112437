import { performance } from 'node:perf_hooks';
import { Agent } from 'undici';
import { checkUrlSyntax, createGuardedLookup, ipLiteralHost, isBlockedAddress } from '../webhooks/url-safety';
import { KeyedSemaphore } from './flow/semaphore';
import { parseRetryAfter } from './retry-policy';

export type SendErrorKind =
  | 'timeout'
  | 'connection_refused'
  | 'connection_reset'
  | 'dns'
  | 'blocked_address'
  | 'tls'
  | 'http_status'
  | 'invalid_response'
  | 'network';

export type SendResult = {
  ok: boolean;
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  durationMs: number;
  errorKind?: SendErrorKind;
  errorMessage?: string;
  retryAfterMs?: number;
};

export type HttpSenderOptions = {
  timeoutMs: number;
  allowPrivateNetwork: boolean;
  maxResponseBytes?: number;
  userAgent: string;
  /** Keep-alive connections per origin (scheme://host:port); requests beyond wait for one before their timer starts. */
  connectionsPerOrigin?: number;
};

// Past the kept prefix we keep reading (and discarding) this much so that a
// slightly larger reply still leaves the keep-alive socket reusable; beyond
// it we destroy the body, which closes the socket instead of reading on.
const DRAIN_LIMIT_BYTES = 64 * 1024;

class AttemptTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * Sends webhook POSTs through one shared keep-alive undici Agent. Never throws
 * for network-level problems: every outcome is a SendResult to log.
 *
 * The attempt's timeout (and its logged duration) measures the endpoint only: a request first
 * waits for one of the origin's `connectionsPerOrigin` slots, and only then is its timer started
 * and the request handed to undici, whose pool for that origin has exactly that many connections,
 * so it never queues there. Time spent waiting on the platform's own pool is never charged to the
 * customer's endpoint.
 */
export class HttpSender {
  readonly connectionsPerOrigin: number;
  private readonly slots: KeyedSemaphore;
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly allowPrivateNetwork: boolean;
  private readonly maxResponseBytes: number;
  private readonly userAgent: string;

  constructor({ timeoutMs, allowPrivateNetwork, maxResponseBytes = 4096, userAgent, connectionsPerOrigin = 64 }: HttpSenderOptions) {
    if (!(timeoutMs > 0)) throw new Error(`timeoutMs must be positive (got ${timeoutMs})`);
    this.timeoutMs = timeoutMs;
    this.allowPrivateNetwork = allowPrivateNetwork;
    this.maxResponseBytes = Math.max(0, maxResponseBytes);
    this.userAgent = userAgent;
    this.connectionsPerOrigin = connectionsPerOrigin;
    this.slots = new KeyedSemaphore(connectionsPerOrigin);
    this.agent = new Agent({
      connections: connectionsPerOrigin,
      pipelining: 1,
      // Backstops only: the per-attempt AbortController below is the real bound.
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connect: {
        // Re-checks every resolved address at connect time (DNS rebinding).
        lookup: createGuardedLookup(allowPrivateNetwork),
        timeout: timeoutMs,
      },
      // undici 7 Agents follow no redirects unless a redirect interceptor is composed in: none is.
    });
  }

  async send(url: string, headers: Record<string, string>, body: Buffer): Promise<SendResult> {
    let started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);

    const syntax = checkUrlSyntax(url);
    if (!syntax.ok) {
      return { ok: false, durationMs: elapsed(), errorKind: 'network', errorMessage: `Invalid webhook URL: ${syntax.reason}` };
    }
    const target = syntax.url;
    // Node does not call `lookup` for IP-literal hosts, so the guard must see them here.
    const literal = ipLiteralHost(target);
    if (literal !== null && !this.allowPrivateNetwork && isBlockedAddress(literal)) {
      return {
        ok: false,
        durationMs: elapsed(),
        errorKind: 'blocked_address',
        errorMessage: `Refusing to connect to blocked address ${literal}`,
      };
    }

    const requestHeaders: Record<string, string> = { 'user-agent': this.userAgent };
    for (const [name, value] of Object.entries(headers)) requestHeaders[name.toLowerCase()] = value;

    // undici keys its pools by origin: one slot here is one connection there.
    const release = await this.slots.acquire(target.origin);
    started = performance.now();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new AttemptTimeoutError(`Timed out after ${this.timeoutMs} ms`));
    }, this.timeoutMs);

    let status: number | undefined;
    let responseHeaders: Record<string, string> | undefined;
    try {
      const response = await this.agent.request({
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method: 'POST',
        headers: requestHeaders,
        body,
        signal: controller.signal,
      });
      status = response.statusCode;
      responseHeaders = flattenHeaders(response.headers);
      const text = await readCapped(response.body, this.maxResponseBytes);

      const result: SendResult = { ok: status >= 200 && status < 300, status, headers: responseHeaders, body: text, durationMs: elapsed() };
      if (!result.ok) {
        result.errorKind = 'http_status';
        result.errorMessage = `HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}`;
        if (status === 429 || status === 503) {
          result.retryAfterMs = parseRetryAfter(responseHeaders['retry-after'], Date.now());
        }
      }
      return result;
    } catch (err) {
      const { kind, message } = timedOut
        ? {
            kind: 'timeout' as const,
            message: `Timed out after ${this.timeoutMs} ms${status === undefined ? ' waiting for the response' : ' reading the response body'}`,
          }
        : classifySendError(err);
      const result: SendResult = { ok: false, durationMs: elapsed(), errorKind: kind, errorMessage: message };
      // A failure after the headers arrived (timeout or reset mid-body) still logs what was received.
      if (status !== undefined) Object.assign(result, { status, headers: responseHeaders });
      return result;
    } finally {
      clearTimeout(timer);
      release();
    }
  }

  /** Requests holding one of `origin`'s connection slots now. */
  inFlight(origin: string): number {
    return this.slots.inUse(origin);
  }

  /** Waits for the requests in flight, then closes the pooled connections. */
  async close(): Promise<void> {
    if (this.agent.closed || this.agent.destroyed) return;
    await this.agent.close();
  }

  /** Aborts the requests in flight (each ends as a failed attempt) and closes every connection. */
  async destroy(): Promise<void> {
    if (this.agent.destroyed) return;
    await this.agent.destroy();
  }
}

/**
 * Keeps the first `max` bytes as text. Chunks past the cap are discarded as
 * they arrive (never buffered); past DRAIN_LIMIT_BYTES the body is destroyed.
 */
async function readCapped(body: AsyncIterable<Buffer> & { destroy(err?: Error): unknown }, max: number): Promise<string> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let seen = 0;
  for await (const chunk of body) {
    seen += chunk.length;
    if (keptBytes < max) {
      const part = chunk.subarray(0, max - keptBytes);
      kept.push(part);
      keptBytes += part.length;
    }
    // Leaving the loop early destroys the stream; undici then drops the socket.
    if (seen > Math.max(max, DRAIN_LIMIT_BYTES)) break;
  }
  return Buffer.concat(kept, keptBytes).toString('utf8');
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    if (value === undefined || key === '__proto__') continue;
    out[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NODATA', 'EAI_NONAME', 'EAI_FAIL', 'ENODATA', 'ESERVFAIL', 'ENONAME']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE']);
const INVALID_RESPONSE_CODES = new Set(['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'UND_ERR_RES_EXCEEDED_MAX_SIZE', 'UND_ERR_INFO']);
const TLS_CODES = new Set([
  'EPROTO',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'HOSTNAME_MISMATCH',
]);

type ErrorLike = { name?: unknown; code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };

/** Every error in the chain: the error, its `cause`s and AggregateError members (happy-eyeballs failures). */
function errorChain(err: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && out.length < 16) {
    const e = queue.shift();
    if (e === null || typeof e !== 'object' || out.includes(e as ErrorLike)) continue;
    const like = e as ErrorLike;
    out.push(like);
    if (like.cause !== undefined) queue.push(like.cause);
    if (Array.isArray(like.errors)) queue.push(...like.errors);
  }
  return out;
}

/** Maps a thrown transport error to the error kind logged on the attempt. */
export function classifySendError(err: unknown): { kind: SendErrorKind; message: string } {
  const chain = errorChain(err);
  const codes = chain.map((e) => (typeof e.code === 'string' ? e.code : '')).filter((c) => c !== '');
  const names = chain.map((e) => (typeof e.name === 'string' ? e.name : ''));
  // OpenSSL messages end in newlines; AggregateErrors often have an empty message of their own.
  const message =
    chain.map((e) => (typeof e.message === 'string' ? e.message.trim() : '')).find((m) => m !== '') ??
    (codes[0] ?? String(err));
  const has = (pred: (code: string) => boolean) => codes.some(pred);

  let kind: SendErrorKind = 'network';
  if (has((c) => c === 'EBLOCKED')) kind = 'blocked_address';
  else if (has((c) => TIMEOUT_CODES.has(c)) || names.includes('TimeoutError')) kind = 'timeout';
  else if (has((c) => DNS_CODES.has(c))) kind = 'dns';
  else if (has((c) => c === 'ECONNREFUSED')) kind = 'connection_refused';
  else if (has((c) => c.startsWith('HPE_') || INVALID_RESPONSE_CODES.has(c)) || names.includes('HTTPParserError')) kind = 'invalid_response';
  else if (has((c) => TLS_CODES.has(c) || c.startsWith('ERR_TLS_') || c.startsWith('ERR_SSL_') || c.startsWith('CERT_'))) kind = 'tls';
  else if (has((c) => RESET_CODES.has(c))) kind = 'connection_reset';

  return { kind, message: codes.length > 0 && !message.includes(codes[0]) ? `${message} (${codes[0]})` : message };
}
