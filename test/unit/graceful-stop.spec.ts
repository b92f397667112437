import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/app-config';
import { GracefulStop } from '../../src/config/graceful-stop';

const KEY = 'k'.repeat(44);

describe('WORKER_SHUTDOWN_GRACE_MS', () => {
  it('defaults to WEBHOOK_TIMEOUT_MS + 5 s, and is validated', () => {
    expect(loadConfig({ WEBHOOK_SECRET_KEY: KEY }).workerShutdownGraceMs).toBe(15_000);
    expect(loadConfig({ WEBHOOK_SECRET_KEY: KEY, WEBHOOK_TIMEOUT_MS: '2000' }).workerShutdownGraceMs).toBe(7_000);
    expect(loadConfig({ WEBHOOK_SECRET_KEY: KEY, WORKER_SHUTDOWN_GRACE_MS: '30000' }).workerShutdownGraceMs).toBe(30_000);
    expect(() => loadConfig({ WEBHOOK_SECRET_KEY: KEY, WORKER_SHUTDOWN_GRACE_MS: 'soon' })).toThrow(ConfigError);
    expect(() => loadConfig({ WEBHOOK_SECRET_KEY: KEY, WORKER_SHUTDOWN_GRACE_MS: '-1' })).toThrow(/WORKER_SHUTDOWN_GRACE_MS/);
  });
});

describe('GracefulStop', () => {
  const stop = (graceMs: number) => new GracefulStop(loadConfig({ WEBHOOK_SECRET_KEY: KEY, WORKER_SHUTDOWN_GRACE_MS: String(graceMs) }));

  it('waits for work that settles in time, failed work included', async () => {
    const s = stop(60_000);
    expect(await s.within(Promise.resolve())).toBe(true);
    expect(await s.within(Promise.reject(new Error('closed')))).toBe(true);
  });

  it('gives up on work that outlasts the grace period', async () => {
    const never = new Promise<void>(() => undefined);
    expect(await stop(0).within(never)).toBe(false);
  });

  it('one deadline for every stage: a later stage gets only what is left', async () => {
    const s = stop(200);
    let release!: () => void;
    const first = new Promise<void>((resolve) => (release = resolve));
    // The first stage uses up the grace period; the second, started after, has none left.
    expect(await s.within(first)).toBe(false);
    release();
    expect(s.remainingMs()).toBe(0);
    expect(await s.within(new Promise<void>(() => undefined))).toBe(false);
  });
});
