import { AsyncLocalStorage } from 'node:async_hooks';

/** What is known about the HTTP request being served, wherever the code runs during it. */
export interface RequestInfo {
  /** The client address (Express `req.ip`: TRUST_PROXY decides whose X-Forwarded-For to believe). */
  ip: string | null;
  userAgent: string | null;
}

const storage = new AsyncLocalStorage<RequestInfo>();

/** Express middleware: every request runs inside its own RequestInfo. */
export function requestContextMiddleware(
  req: { ip?: string; headers: Record<string, string | string[] | undefined> },
  _res: unknown,
  next: () => void,
): void {
  const userAgent = req.headers['user-agent'];
  storage.run({ ip: req.ip ?? null, userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 500) : null }, next);
}

/** The current request's info; null outside a request (a queue job, a timer). */
export function currentRequest(): RequestInfo | null {
  return storage.getStore() ?? null;
}
