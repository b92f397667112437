import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { PhaseStats, ReceiverReply, ReceiverRequest } from './receiver-protocol';

type Body<T> = T extends unknown ? Omit<T, 'id'> : never;

/** The driver's handle on the receiver child (bench/receiver.ts): request/reply over IPC. */
export class ReceiverProcess {
  port = 0;
  private child: ChildProcess | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, (reply: ReceiverReply) => void>();

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = fork(join(__dirname, 'receiver.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child = child;
    this.port = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the receiver exited (code ${code}) during start`)));
      child.on('message', (reply: ReceiverReply) => {
        if (reply.type === 'ready') resolve(reply.port);
        else this.pending.get(reply.id)?.(reply);
      });
    });
  }

  private request(message: Body<ReceiverRequest>): Promise<ReceiverReply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, (reply) => {
        this.pending.delete(id);
        resolve(reply);
      });
      this.child!.send({ ...message, id });
    });
  }

  async configure(
    secrets: Record<string, string>,
    failing: string[] = [],
    failSlowlyMs: Record<string, number> = {},
    more: { answerSlowlyMs?: Record<string, number>; hanging?: string[] } = {},
  ): Promise<void> {
    await this.request({ type: 'configure', secrets, failing, failSlowlyMs, ...more });
  }

  async phase(name: string, paths: string[]): Promise<void> {
    await this.request({ type: 'phase', name, paths });
  }

  /** Resolves once `target` distinct deliveries arrived on the phase's healthy paths, or at the deadline. */
  async awaitDeliveries(target: number, timeoutMs: number): Promise<{ reached: boolean; stats: PhaseStats }> {
    const reply = await this.request({ type: 'await', target, timeoutMs });
    if (reply.type !== 'awaited') throw new Error(`unexpected reply ${reply.type}`);
    return { reached: reply.reached, stats: reply.stats };
  }

  async stats(latencies = false): Promise<PhaseStats> {
    const reply = await this.request({ type: 'stats', latencies });
    if (reply.type !== 'stats') throw new Error(`unexpected reply ${reply.type}`);
    return reply.stats;
  }

  stop(): void {
    if (this.child && this.child.exitCode === null) this.child.kill('SIGTERM');
  }
}
