import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * A private `redis-server` child (no persistence, like the machines' Redis) that a test may kill
 * and start again on the same port, without touching the shared Redis.
 */
export interface ThrowawayRedisOptions {
  /** Where each start's output goes (`${logPrefix}-${n}.log`); discarded when absent. */
  logPrefix?: string;
  /** Called with every spawned child (the fault harness registers it to die with the test). */
  onSpawn?: (child: ChildProcess) => void;
}

export class ThrowawayRedis {
  private child: ChildProcess | null = null;
  private starts = 0;
  /** Its own working directory: a restart can never load a dump left by anyone. */
  readonly dir = mkdtempSync(join(tmpdir(), 'cc-redis-'));

  private constructor(
    readonly port: number,
    private readonly opts: ThrowawayRedisOptions,
  ) {}

  static async start(opts: ThrowawayRedisOptions = {}): Promise<ThrowawayRedis> {
    const redis = new ThrowawayRedis(await freePort(), opts);
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  async restart(): Promise<void> {
    if (this.child) throw new Error('redis-server is already running');
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir];
    const child = spawn('redis-server', args, { stdio: this.opts.logPrefix ? ['ignore', 'pipe', 'pipe'] : 'ignore' });
    this.starts++;
    if (this.opts.logPrefix) {
      const log = createWriteStream(`${this.opts.logPrefix}-${this.starts}.log`);
      child.stdout!.pipe(log);
      child.stderr!.pipe(log);
    }
    this.opts.onSpawn?.(child);
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await client.connect();
          if ((await client.ping()) === 'PONG') return;
        } catch (err) {
          if (attempt > 100 || !this.child) throw err;
          client.disconnect();
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    } finally {
      client.disconnect();
    }
  }

  /** How many keys it holds now (0 right after a restart: nothing survives a kill). */
  async dbsize(): Promise<number> {
    const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await client.dbsize();
    } finally {
      client.disconnect();
    }
  }

  /** SIGKILL: a crash, as far as its clients can tell; every key is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    if (child.signalCode !== 'SIGKILL') throw new Error(`redis-server ended by ${child.signalCode ?? `exit ${child.exitCode}`}, not SIGKILL`);
  }
}
