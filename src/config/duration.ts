import ms from 'ms';

/** The default of WEBHOOK_RETRY_SCHEDULE: the delay before each attempt (about 28 h in all). */
export const DEFAULT_RETRY_SCHEDULE = '0,5s,5m,30m,2h,5h,10h,10h';

/** A duration in ms from "0", "500ms", "5s", "5m", "2h", "5d" or a plain integer (ms). */
export function parseDuration(s: string): number {
  const text = typeof s === 'string' ? s.trim() : '';
  // ms() returns undefined for garbage and throws on empty or over-long input.
  let value: number | undefined;
  try {
    value = text === '' ? undefined : (ms(text as ms.StringValue) as number | undefined);
  } catch {
    value = undefined;
  }
  if (value === undefined || !Number.isFinite(value)) {
    throw new Error(`Invalid duration "${s}": expected e.g. "0", "500ms", "5s", "5m", "2h", "5d" or milliseconds`);
  }
  if (value < 0) throw new Error(`Invalid duration "${s}": must not be negative`);
  return Math.round(value);
}

/**
 * Comma-separated durations; entry i is the delay before attempt i+1, so the
 * list length is the total number of attempts (the first entry is normally 0).
 */
export function parseRetrySchedule(s: string): number[] {
  const entries = typeof s === 'string' ? s.split(',').map((e) => e.trim()) : [];
  if (entries.length === 0 || entries.every((e) => e === '')) {
    throw new Error('Retry schedule must list at least one duration');
  }
  return entries.map((entry, i) => {
    if (entry === '') throw new Error(`Retry schedule "${s}" has an empty entry at position ${i + 1}`);
    try {
      return parseDuration(entry);
    } catch (err) {
      throw new Error(`Retry schedule "${s}", entry ${i + 1}: ${(err as Error).message}`);
    }
  });
}
