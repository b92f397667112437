import { ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../support/throwaway-redis';

/** Every live process below `root` (Linux /proc), so a test can tell whether anything was left behind. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length) for (const child of children.get(queue.shift()!) ?? []) found.push(child), queue.push(child);
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what: string, deadlineMs: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('npm start (the README command)', () => {
  let child: ChildProcess | undefined;
  let pids: number[] = [];
  afterAll(() => {
    // Only what this test started, if an assertion failed before it stopped.
    for (const pid of [child?.pid, ...pids]) if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
  });

  it('creates the database, logs the migrations it ran, and stops entirely on SIGTERM', async () => {
    const port = await freePort();
    const url = new URL(inject('adminDatabaseUrl'));
    // Named after this run's template, so the run's teardown drops it.
    url.pathname = `/${inject('templateDatabase').replace(/_tpl$/, '')}_start_${process.pid}`;
    let log = '';
    child = spawn('npm', ['start'], {
      env: { ...process.env, PORT: String(port), DATABASE_URL: url.toString(), QUEUE_PREFIX: `cct_start_${process.pid}`, LOG_LEVEL: 'log', NODE_ENV: 'test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

    // npm start builds first: allow for a slow, shared machine.
    await until(`GET /health on :${port}\n${log}`, 240_000, async () => {
      if (child!.exitCode !== null) throw new Error(`npm start exited early:\n${log}`);
      return fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status === 200, () => false);
    });
    expect(log).toContain(`Created the database 127.0.0.1:5432${url.pathname}`);
    expect(log).toMatch(/Applied \d+ migration\(s\) to \S+: \w+/);

    pids = descendants(child.pid!);
    expect(pids.length).toBeGreaterThan(0);
    child.kill('SIGTERM');
    await until('npm start to exit', 60_000, () => child!.exitCode !== null || child!.signalCode !== null);
    await exited;
    // Nothing below npm may survive it: the server must have had the signal, not been orphaned.
    await until(`every child of npm start to end (left: ${pids.filter(alive).join(', ')})`, 30_000, () => pids.every((pid) => !alive(pid)));
    expect(await fetch(`http://127.0.0.1:${port}/health`).then(() => 'answered', () => 'refused')).toBe('refused');
  }, 360_000);
});
