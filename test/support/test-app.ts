import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createHttpApp, createWorkerContext } from '../../src/app.factory';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { createTestDatabase } from './test-database';

export interface TestApp {
  app: INestApplication;
  baseUrl: string;
  config: AppConfig;
  databaseUrl: string;
  close(): Promise<void>;
}

/** Settings every test app shares: local receivers allowed, quiet logs, fast retries. */
export const TEST_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'error',
  WEBHOOK_ALLOW_PRIVATE_NETWORK: 'true',
  WEBHOOK_RETRY_SCHEDULE: '0,200ms,400ms',
  WEBHOOK_TIMEOUT_MS: '2000',
  // One random key per test process (never a key file in the checkout).
  WEBHOOK_SECRET_KEY: randomBytes(32).toString('base64'),
  // Suites sign many users up from 127.0.0.1; only the throttling test turns throttling on.
  AUTH_THROTTLE_PER_ADDRESS: 'off',
  AUTH_THROTTLE_PER_ACCOUNT: 'off',
};

let apps = 0;

export function testConfig(databaseUrl: string, env: Record<string, string> = {}): AppConfig {
  return loadConfig({
    ...process.env,
    ...TEST_ENV,
    DATABASE_URL: databaseUrl,
    QUEUE_PREFIX: `cct_${process.pid}_${Date.now().toString(36)}_${++apps}`,
    ...env,
  });
}

/**
 * The real application on a random port, with its own database and its own queue prefix
 * against the real PostgreSQL and Redis.
 */
export async function startTestApp(env: Record<string, string> = {}, databaseUrl?: string): Promise<TestApp> {
  const dbUrl = databaseUrl ?? (await createTestDatabase());
  const config = testConfig(dbUrl, env);
  const app = await createHttpApp(config);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, baseUrl: `http://127.0.0.1:${port}`, config, databaseUrl: dbUrl, close: () => app.close() };
}

/** A worker-only process-alike (PROCESS_ROLE=worker) sharing the database of `databaseUrl`. */
export async function startTestWorker(databaseUrl: string, env: Record<string, string> = {}): Promise<INestApplicationContext> {
  return createWorkerContext(testConfig(databaseUrl, { PROCESS_ROLE: 'worker', ...env }));
}
