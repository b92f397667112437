import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from './throwaway-redis';
import { sleep, waitFor } from './wait';

/**
 * The platform as separate processes (`node dist/src/main.js`, or the sources through SWC), for the
 * fault suite and for e2e tests that need a second worker process. Every child is registered so
 * that it dies with the test process, however that ends (a watchdog SIGKILLs them if it is killed).
 */

export const REPO_ROOT = resolve(__dirname, '../..');
const MAIN_JS = join(REPO_ROOT, 'dist/src/main.js');

function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: () => string): Promise<void> {
  return waitFor(check, timeoutMs, what, 100);
}

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

export function track(child: ChildProcess): void {
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

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return once(child, 'exit').then(([code]) => code as number | null);
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

export interface SpawnOptions {
  /** Where `${name}.log` is written. */
  logDir: string;
  /** Node flags before the entry point. */
  nodeArgs?: string[];
  /** The entry point: the built `dist/src/main.js` by default; `src/main.ts` runs the sources (RUN_SOURCES). */
  entry?: string;
}

/** Node flags and entry point that run the TypeScript sources without a build (compiled by SWC as required). */
export const RUN_SOURCES = { nodeArgs: ['-r', join(REPO_ROOT, 'test/support/ts-register.cjs')], entry: join(REPO_ROOT, 'src/main.ts') };

/** Starts the platform's main with PROCESS_ROLE=role; resolves when it serves (api) or has started (worker). */
export async function spawnPlatform(
  name: string,
  role: PlatformRole,
  env: Record<string, string>,
  { logDir, nodeArgs = [], entry = MAIN_JS }: SpawnOptions,
): Promise<PlatformProcess> {
  const port = role === 'api' ? await freePort() : null;
  const logFile = join(logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, [...nodeArgs, entry], {
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
