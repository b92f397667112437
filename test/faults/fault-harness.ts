import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { freePort, ThrowawayRedis } from '../support/throwaway-redis';
import { sleep, waitFor } from '../support/wait';

/**
 * Processes for the fault-injection suite: the built platform (`node dist/src/main.js`) as
 * separate api and worker children, a throwaway redis-server, a fresh PostgreSQL database.
 * Every child is registered so that it dies with the test process, however that ends.
 */

export const REPO_ROOT = resolve(__dirname, '../..');
const MAIN_JS = join(REPO_ROOT, 'dist/src/main.js');
const PG_HOST_URL = process.env.FAULTS_DATABASE_ADMIN_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
export const LOG_DIR = join(tmpdir(), `cc-faults-${Date.now().toString(36)}-${process.pid}`);
mkdirSync(LOG_DIR, { recursive: true });

export { sleep };

export function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: () => string): Promise<void> {
  return waitFor(check, timeoutMs, what, 100);
}

export { freePort };

// ---------------------------------------------------------------------------------------------
// Child registry: killed on afterAll, on process exit, and by a watchdog if this process dies.

const children = new Set<ChildProcess>();
let watchdog: ChildProcess | null = null;

// The watchdog holds a pipe from this process: when this process dies (even by SIGKILL) the pipe
// closes and the watchdog SIGKILLs every pid it was told about.
const WATCHDOG_JS = `
const pids = new Set(); let buf = '';
process.stdin.on('data', (d) => { buf += d; let i;
  while ((i = buf.indexOf('\\n')) >= 0) { const l = buf.slice(0, i); buf = buf.slice(i + 1);
    if (l[0] === '-') pids.delete(l.slice(1)); else if (l) pids.add(l); } });
process.stdin.on('end', () => { for (const p of pids) { try { process.kill(Number(p), 'SIGKILL'); } catch {} } process.exit(0); });
`;

function tellWatchdog(line: string): void {
  if (!watchdog) {
    watchdog = spawn(process.execPath, ['-e', WATCHDOG_JS], { stdio: ['pipe', 'ignore', 'ignore'] });
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void }).unref?.();
  }
  watchdog.stdin!.write(`${line}\n`);
}

function track(child: ChildProcess): void {
  children.add(child);
  if (child.pid) tellWatchdog(String(child.pid));
  child.once('exit', () => {
    children.delete(child);
    if (child.pid) tellWatchdog(`-${child.pid}`);
  });
}

export function killAllChildren(): void {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

process.once('exit', killAllChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAllChildren();
    process.exit(1);
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return once(child, 'exit').then(([code]) => code as number | null);
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

export type PlatformRole = 'api' | 'worker';

export interface PlatformProcess {
  name: string;
  role: PlatformRole;
  child: ChildProcess;
  pid: number;
  port: number | null;
  logFile: string;
  baseUrl: string;
  exited: Promise<number | null>;
  /** Everything the process wrote so far. */
  log(): string;
  /** VmRSS in bytes (from /proc), or null once the process is gone. */
  rss(): number | null;
}

/** Starts `node dist/src/main.js` with PROCESS_ROLE=role; resolves when it serves (api) or has started (worker). */
export async function startPlatform(
  name: string,
  role: PlatformRole,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<PlatformProcess> {
  const port = role === 'api' ? await freePort() : null;
  const logFile = join(LOG_DIR, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, [...nodeArgs, MAIN_JS], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      NODE_ENV: 'test',
      LOG_LEVEL: 'log',
      PROCESS_ROLE: role,
      PORT: String(port ?? 0),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let output = '';
  let sawWorkerStart = false;
  const onData = (chunk: Buffer) => {
    const text = chunk.toString();
    output += text;
    if (output.length > 2_000_000) output = output.slice(-1_000_000);
    if (text.includes('Worker started')) sawWorkerStart = true;
    log.write(chunk);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = exitOf(child);
  const proc: PlatformProcess = {
    name,
    role,
    child,
    pid: child.pid!,
    port,
    logFile,
    baseUrl: port ? `http://127.0.0.1:${port}` : '',
    exited,
    log: () => output,
    rss: () => readRss(child.pid!),
  };
  let dead = false;
  void exited.then(() => (dead = true));
  try {
    await waitUntil(
      async () => {
        if (dead) throw new Error(`${name} exited during start; log ${logFile}:\n${output.slice(-3000)}`);
        if (role === 'worker') return sawWorkerStart;
        try {
          const res = await fetch(`${proc.baseUrl}/health`, { signal: AbortSignal.timeout(2_000) });
          return res.status === 200;
        } catch {
          return false;
        }
      },
      60_000,
      () => `${name} to start (log ${logFile})`,
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return proc;
}

export function readRss(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** SIGKILL, then waits for the exit. */
export async function killHard(proc: PlatformProcess): Promise<void> {
  proc.child.kill('SIGKILL');
  await proc.exited;
}

/** SIGTERM; resolves with how long the process took to exit (throws after `limitMs`, killing it). */
export async function stopGracefully(proc: PlatformProcess, limitMs: number): Promise<{ ms: number; code: number | null }> {
  const started = Date.now();
  proc.child.kill('SIGTERM');
  const timeout = sleep(limitMs).then(() => 'timeout' as const);
  const result = await Promise.race([proc.exited, timeout]);
  if (result === 'timeout') {
    proc.child.kill('SIGKILL');
    await proc.exited;
    throw new Error(`${proc.name} did not exit within ${limitMs} ms of SIGTERM (log ${proc.logFile})`);
  }
  return { ms: Date.now() - started, code: result };
}
