import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** What is known about the HTTP request being served, wherever the code runs during it. */
export interface RequestInfo {
  /** The request id: the client's X-Request-Id when sane, else a new UUID (echoed in the answer). */
  requestId: string;
  /** The client address (Express `req.ip`: TRUST_PROXY decides whose X-Forwarded-For to believe). */
  ip: string | null;
  userAgent: string | null;
}

const storage = new AsyncLocalStorage<RequestInfo>();
const REQUEST_ID = /^[\w.:-]{1,100}$/;

/** Express middleware: every request runs inside its own RequestInfo. */
export function requestContextMiddleware(
  req: { ip?: string; headers: Record<string, string | string[] | undefined>; id?: unknown },
  res: { setHeader(name: string, value: string): void },
  next: () => void,
): void {
  const userAgent = req.headers['user-agent'];
  const given = req.headers['x-request-id'];
  const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  req.id = requestId;
  res.setHeader('x-request-id', requestId);
  storage.run({ requestId, ip: req.ip ?? null, userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 500) : null }, next);
}

/** Ids that every log line written inside `fn` carries (a worker's event or delivery ids). */
const logContext = new AsyncLocalStorage<Record<string, unknown>>();
export function withLogContext<T>(fields: Record<string, unknown>, fn: () => T): T {
  return logContext.run({ ...logContext.getStore(), ...fields }, fn);
}
export function currentLogContext(): Record<string, unknown> | undefined {
  return logContext.getStore();
}

/** The current request's info; null outside a request (a queue job, a timer). */
export function currentRequest(): RequestInfo | null {
  return storage.getStore() ?? null;
}
