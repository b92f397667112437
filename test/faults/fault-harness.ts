import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { killAllChildren, PlatformProcess, PlatformRole, spawnPlatform, track } from '../support/platform-process';
import { freePort, ThrowawayRedis } from '../support/throwaway-redis';
import { sleep, waitFor } from '../support/wait';

export { killAllChildren, killHard, readRss, REPO_ROOT, stopGracefully } from '../support/platform-process';
export type { PlatformProcess, PlatformRole } from '../support/platform-process';

/**
 * Processes for the fault-injection suite: the built platform (`node dist/src/main.js`) as
 * separate api and worker children, a throwaway redis-server, a fresh PostgreSQL database.
 * Every child is registered so that it dies with the test process, however that ends.
 */

const PG_HOST_URL = process.env.FAULTS_DATABASE_ADMIN_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
export const LOG_DIR = join(tmpdir(), `cc-faults-${Date.now().toString(36)}-${process.pid}`);
mkdirSync(LOG_DIR, { recursive: true });

export { sleep };

export function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: () => string): Promise<void> {
  return waitFor(check, timeoutMs, what, 100);
}

export { freePort };

// ---------------------------------------------------------------------------------------------
// Children (test/support/platform-process.ts) die with this process (on exit, or by its watchdog);
// here also on SIGINT/SIGTERM.

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAllChildren();
    process.exit(1);
  });
}

// ---------------------------------------------------------------------------------------------
// redis-server: the shared throwaway one, logging into LOG_DIR and registered to die with us.

export type RedisServer = ThrowawayRedis;
export const RedisServer = {
  start: async (): Promise<ThrowawayRedis> => ThrowawayRedis.start({ logPrefix: join(LOG_DIR, `redis-${Date.now().toString(36)}`), onSpawn: track }),
};

// ---------------------------------------------------------------------------------------------
// PostgreSQL

let databases = 0;

/** A new database name; the platform creates and migrates it on start. */
export function newDatabaseUrl(): { name: string; url: string } {
  const name = `cc_faults_${Date.now().toString(36)}_${process.pid}_${++databases}`;
  const url = new URL(PG_HOST_URL);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

export async function adminQuery<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: PG_HOST_URL });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

export async function dropDatabase(name: string): Promise<void> {
  await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

/** Databases left by a run that was killed before its afterAll (older than an hour). */
export async function dropStaleFaultDatabases(): Promise<void> {
  const rows = await adminQuery<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'cc\\_faults\\_%'`);
  for (const { datname } of rows) {
    const stamp = parseInt(datname.split('_')[2] ?? '', 36);
    if (Number.isFinite(stamp) && Date.now() - stamp > 60 * 60_000) await dropDatabase(datname).catch(() => undefined);
  }
}

/** A client on the scenario's database, for assertions and for killing its connections. */
export async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

// ---------------------------------------------------------------------------------------------
// The platform

/** Starts `node dist/src/main.js` with PROCESS_ROLE=role, logging into LOG_DIR. */
export function startPlatform(name: string, role: PlatformRole, env: Record<string, string>, nodeArgs: string[] = []): Promise<PlatformProcess> {
  return spawnPlatform(name, role, env, { logDir: LOG_DIR, nodeArgs });
}
