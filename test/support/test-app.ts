import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createHttpApp, createWorkerContext } from '../../src/app.factory';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { createTestDatabase } from './test-database';
import { Mailbox, registerMailbox, unregisterMailbox } from './mailbox';

export interface TestApp {
  app: INestApplication;
  baseUrl: string;
  config: AppConfig;
  databaseUrl: string;
  /** The real SMTP server the app sends its mail to (one per app). */
  mailbox: Mailbox;
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
  // No circuit breaker unless a test turns it on (delivery-flow.spec.ts does): suites that make
  // endpoints fail on purpose check the retry schedule's attempts, which an open circuit spaces out.
  WEBHOOK_CIRCUIT_FAILURES: '0',
};

let apps = 0;
/** Workers started on an app's database send their mail to that app's mailbox. */
const smtpByDatabase = new Map<string, string>();

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
 * The real application on a random port, with its own database, its own queue prefix and its own
 * SMTP server (a Mailbox), against the real PostgreSQL and Redis.
 */
export async function startTestApp(env: Record<string, string> = {}, databaseUrl?: string): Promise<TestApp> {
  const dbUrl = databaseUrl ?? (await createTestDatabase());
  const mailbox = await Mailbox.start();
  const config = testConfig(dbUrl, { SMTP_URL: mailbox.url, ...env });
  const app = await createHttpApp(config);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  registerMailbox(baseUrl, mailbox);
  smtpByDatabase.set(dbUrl, mailbox.url);
  return {
    app,
    baseUrl,
    config,
    databaseUrl: dbUrl,
    mailbox,
    close: async () => {
      unregisterMailbox(baseUrl);
      await app.close();
      await mailbox.close();
    },
  };
}

/** A worker-only process-alike (PROCESS_ROLE=worker) sharing the database of `databaseUrl`. */
export async function startTestWorker(databaseUrl: string, env: Record<string, string> = {}): Promise<INestApplicationContext> {
  return createWorkerContext(testConfig(databaseUrl, { PROCESS_ROLE: 'worker', SMTP_URL: smtpByDatabase.get(databaseUrl) ?? '', ...env }));
}
