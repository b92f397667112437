import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlatformProcess, RUN_SOURCES, spawnPlatform, stopGracefully } from './platform-process';
import { TEST_ENV, TestApp } from './test-app';

const LOG_DIR = join(tmpdir(), `cc-e2e-workers-${process.pid}`);

/**
 * A second worker as a real second process (PROCESS_ROLE=worker, `src/main.ts` run through SWC, no
 * build) on a test app's database, Redis, SMTP server and secret key, and by default its queue
 * prefix: the deployment shape of two workers. Its log is in `proc.logFile`.
 */
export function startWorkerProcess(t: TestApp, name: string, env: Record<string, string> = {}): Promise<PlatformProcess> {
  mkdirSync(LOG_DIR, { recursive: true });
  return spawnPlatform(
    name,
    'worker',
    {
      ...TEST_ENV,
      // 'Worker started' is logged at level log: the start waits for it.
      LOG_LEVEL: 'log',
      DATABASE_URL: t.databaseUrl,
      REDIS_URL: t.config.redisUrl,
      QUEUE_PREFIX: t.config.queuePrefix,
      SMTP_URL: t.mailbox.url,
      ...env,
    },
    { logDir: LOG_DIR, ...RUN_SOURCES },
  );
}

/** SIGTERM and wait for the exit (SIGKILL after `limitMs`). */
export async function stopWorkerProcess(proc: PlatformProcess | undefined, limitMs = 30_000): Promise<void> {
  if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  await stopGracefully(proc, limitMs);
}
