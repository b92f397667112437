
const DEFAULT_JITTER = 0.2;
const DEFAULT_MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/**
 * Ms to wait before the next attempt once `attemptsMade` attempts have failed,
 * or null when the schedule is exhausted. Non-zero delays get ±jitter so that
 * a receiver's outage does not end with every retry landing at once. A
 * Retry-After (capped) can only lengthen the wait.
 */
export function nextRetryDelay(
  schedule: number[],
  attemptsMade: number,
  opts: { retryAfterMs?: number; maxRetryAfterMs?: number; jitter?: number; random?: () => number } = {},
): number | null {
  if (!Number.isInteger(attemptsMade) || attemptsMade < 0) {
    throw new Error(`attemptsMade must be a non-negative integer (got ${attemptsMade})`);
  }
  if (attemptsMade >= schedule.length) return null;

  const base = Math.max(0, schedule[attemptsMade]);
  const jitter = Math.min(1, Math.max(0, opts.jitter ?? DEFAULT_JITTER));
  const random = opts.random ?? Math.random;
  let delay = base === 0 || jitter === 0 ? base : Math.max(0, Math.round(base * (1 + jitter * (2 * random() - 1))));

  if (opts.retryAfterMs !== undefined && Number.isFinite(opts.retryAfterMs) && opts.retryAfterMs > 0) {
    const cap = opts.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
    delay = Math.max(delay, Math.min(Math.round(opts.retryAfterMs), cap));
  }
  return delay;
}

const HTTP_DATE_SHAPE = /\b\d{1,2}:\d{2}:\d{2}\b/;
const MONTH = /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\b/i;

/**
 * A Retry-After header (delta-seconds or HTTP-date) as ms from `now`;
 * undefined when absent or unparseable. A date in the past gives 0.
 */
export function parseRetryAfter(header: string | undefined, now: number): number | undefined {
  if (typeof header !== 'string') return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // Date.parse is very lenient ("5" is a year): only trust things shaped like an HTTP-date.
  if (!HTTP_DATE_SHAPE.test(value) || !MONTH.test(value)) return undefined;
  const at = Date.parse(value);
  if (!Number.isFinite(at)) return undefined;
  return Math.max(0, at - now);
}
