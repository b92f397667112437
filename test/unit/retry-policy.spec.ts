import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_SCHEDULE, parseDuration, parseRetrySchedule } from '../../src/config/duration';
import { nextRetryDelay, parseRetryAfter } from '../../src/delivery/retry-policy';

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['500ms', 500],
    ['5s', 5 * SEC],
    ['5m', 5 * MIN],
    ['2h', 2 * HOUR],
    ['5d', 5 * 24 * HOUR],
    ['250', 250],
    [' 30m ', 30 * MIN],
    ['1.5h', 1.5 * HOUR],
  ])('%j → %d ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each(['', 'abc', '5x', 'five minutes', '1e3', 'Infinity', '5s,5m'])('rejects garbage %j', (input) => {
    expect(() => parseDuration(input)).toThrow(/Invalid duration/);
  });

  it.each(['-5s', '-1'])('rejects negative %j', (input) => {
    expect(() => parseDuration(input)).toThrow(/must not be negative/);
  });
});

describe('parseRetrySchedule', () => {
  it('parses the default schedule (8 attempts, about 28 h)', () => {
    const schedule = parseRetrySchedule(DEFAULT_RETRY_SCHEDULE);
    expect(schedule).toEqual([0, 5 * SEC, 5 * MIN, 30 * MIN, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR]);
    const total = schedule.reduce((a, b) => a + b, 0);
    expect(total / HOUR).toBeCloseTo(27.6, 1);
  });

  it('parses fast test schedules', () => {
    expect(parseRetrySchedule('0, 50ms ,100')).toEqual([0, 50, 100]);
    expect(parseRetrySchedule('0')).toEqual([0]);
  });

  it.each(['', ' ', '0,,5s', '0,5s,', '0,soon'])('rejects %j', (input) => {
    expect(() => parseRetrySchedule(input)).toThrow();
  });

  it('names the bad entry', () => {
    expect(() => parseRetrySchedule('0,5s,later')).toThrow(/entry 3/);
  });
});

describe('nextRetryDelay', () => {
  const schedule = parseRetrySchedule(DEFAULT_RETRY_SCHEDULE);
  const exact = { jitter: 0 };

  it('returns the delay before the next attempt, then null when exhausted', () => {
    expect(nextRetryDelay(schedule, 0, exact)).toBe(0);
    expect(nextRetryDelay(schedule, 1, exact)).toBe(5 * SEC);
    expect(nextRetryDelay(schedule, 2, exact)).toBe(5 * MIN);
    expect(nextRetryDelay(schedule, 7, exact)).toBe(10 * HOUR);
    expect(nextRetryDelay(schedule, 8, exact)).toBeNull();
    expect(nextRetryDelay(schedule, 100, exact)).toBeNull();
    expect(nextRetryDelay([0], 1)).toBeNull();
  });

  it('applies ±20 % jitter by default to non-zero delays, never to 0', () => {
    expect(nextRetryDelay(schedule, 1, { random: () => 0 })).toBe(4 * SEC);
    expect(nextRetryDelay(schedule, 1, { random: () => 0.999999 })).toBe(6 * SEC);
    expect(nextRetryDelay(schedule, 1, { random: () => 0.5 })).toBe(5 * SEC);
    expect(nextRetryDelay(schedule, 0, { random: () => 0 })).toBe(0);
    for (let i = 0; i < 200; i++) {
      const d = nextRetryDelay(schedule, 3)!;
      expect(d).toBeGreaterThanOrEqual(0.8 * 30 * MIN);
      expect(d).toBeLessThanOrEqual(1.2 * 30 * MIN);
    }
  });

  it('jitters millisecond schedules too but never below 0', () => {
    const fast = [0, 50, 100];
    expect(nextRetryDelay(fast, 1, { random: () => 0 })).toBe(40);
    expect(nextRetryDelay(fast, 2, { jitter: 1, random: () => 0 })).toBe(0);
  });

  it('waits at least Retry-After, capped at one hour by default', () => {
    expect(nextRetryDelay(schedule, 1, { ...exact, retryAfterMs: 60 * SEC })).toBe(60 * SEC);
    // A shorter Retry-After never shortens the schedule.
    expect(nextRetryDelay(schedule, 2, { ...exact, retryAfterMs: 10 * SEC })).toBe(5 * MIN);
    expect(nextRetryDelay(schedule, 1, { ...exact, retryAfterMs: 24 * HOUR })).toBe(HOUR);
    expect(nextRetryDelay(schedule, 1, { ...exact, retryAfterMs: 24 * HOUR, maxRetryAfterMs: 2 * HOUR })).toBe(2 * HOUR);
    // The schedule itself may exceed the cap.
    expect(nextRetryDelay(schedule, 6, { ...exact, retryAfterMs: 24 * HOUR })).toBe(10 * HOUR);
  });

  it('still returns null when exhausted, whatever Retry-After says', () => {
    expect(nextRetryDelay(schedule, 8, { retryAfterMs: 1000 })).toBeNull();
  });

  it('rejects a negative or fractional attempt count', () => {
    expect(() => nextRetryDelay(schedule, -1)).toThrow();
    expect(() => nextRetryDelay(schedule, 1.5)).toThrow();
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-27T10:00:00.000Z');

  it.each([
    ['120', 120 * SEC],
    ['0', 0],
    [' 7 ', 7 * SEC],
    ['Fri, 27 Nov 2026 10:02:00 GMT', 2 * MIN],
    ['Friday, 27-Nov-26 10:00:30 GMT', 30 * SEC],
    ['Fri, 27 Nov 2026 09:00:00 GMT', 0],
  ])('%j → %d ms', (header, expected) => {
    expect(parseRetryAfter(header, now)).toBe(expected);
  });

  it.each([undefined, '', 'soon', '-5', '1.5', 'abc 1', 'Fri, 99 Foo 2026 10:00:00 GMT'])('ignores %j', (header) => {
    expect(parseRetryAfter(header, now)).toBeUndefined();
  });

  it('reads plain digits as delta-seconds, never as a year', () => {
    expect(parseRetryAfter('5', now)).toBe(5 * SEC);
  });
});
