import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from './stats';

export interface PlatformOptions {
  port: number;
  env: Record<string, string>;
  /** Extra node flags (--cpu-prof …). */
  nodeFlags?: string[];
  root: string;
}

const RSS_SAMPLE_MS = 200;
const MAX_KEPT_LOG_LINES = 200;

/** The V8 flags of `npm run start:prod` (its heap limits), so the bench runs the platform as production does. */
const PRODUCTION_NODE_FLAGS: string[] = (
  JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')).scripts['start:prod'].match(/--[\w-]+=\S+/g) ?? []
) as string[];

/**
 * The platform under test: `node dist/src/main.js` as a child process, exactly as production runs
 * it. Samples its resident memory from /proc every 200 ms and keeps what it logs (LOG_LEVEL=warn:
 * warnings and errors only).
 */
export class PlatformProcess {
  readonly baseUrl: string;
  readonly logLines: string[] = [];
  logLineCount = 0;
  private child: ChildProcess | null = null;
  private exited: Promise<string> = Promise.resolve('not started');
  private sampler: NodeJS.Timeout | null = null;
  private windowPeakKb = 0;
  private hwmResetWorks = false;

  constructor(private readonly options: PlatformOptions) {
    this.baseUrl = `http://127.0.0.1:${options.port}`;
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  async start(timeoutMs = 90_000): Promise<void> {
    const { root, env, nodeFlags = [], port } = this.options;
    const child = spawn(process.execPath, [...PRODUCTION_NODE_FLAGS, ...nodeFlags, join(root, 'dist/src/main.js')], {
      cwd: root,
      env: { ...process.env, ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ? `killed by ${signal}` : `exit code ${code}`)));
    for (const stream of [child.stdout!, child.stderr!]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) this.keep(line);
      });
    }
    this.sampler = setInterval(() => this.sample(), RSS_SAMPLE_MS);
    const deadline = Date.now() + timeoutMs;
    let exit: string | undefined;
    void this.exited.then((how) => (exit = how));
    while (Date.now() < deadline) {
      if (exit !== undefined) throw new Error(`the platform exited (${exit}) during start:\n${this.logLines.join('\n')}`);
      try {
        const res = await fetch(`${this.baseUrl}/health`);
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    throw new Error(`the platform did not answer /health within ${timeoutMs} ms:\n${this.logLines.join('\n')}`);
  }

  /** Starts a measurement window for peak RSS (resets the kernel's high-water mark when allowed). */
  startWindow(): void {
    this.windowPeakKb = 0;
    try {
      // "5" resets VmHWM to the current RSS (Linux ≥ 4.0), so VmHWM becomes this window's peak.
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
      this.hwmResetWorks = true;
    } catch {
      this.hwmResetWorks = false;
    }
    this.sample();
  }

  /** Peak resident set size in MB since startWindow(). */
  endWindow(): number {
    this.sample();
    return Math.round(this.windowPeakKb / 1024);
  }

  /** Current resident set size in MB. */
  currentRssMb(): number {
    return Math.round((this.readStatus()?.rss ?? 0) / 1024);
  }

  /** SIGTERM (graceful: Nest's shutdown hooks run, and --cpu-prof writes its profile), SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 20_000): Promise<string> {
    if (this.sampler) clearInterval(this.sampler);
    const child = this.child;
    if (!child) return 'not started';
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const how = await this.exited;
    clearTimeout(timer);
    return how;
  }

  private keep(raw: string): void {
    // Nest colours its console output.
    const line = raw.replace(/\x1b\[[0-9;]*m/g, '');
    if (!line.trim()) return;
    this.logLineCount++;
    if (this.logLines.length < MAX_KEPT_LOG_LINES) this.logLines.push(line);
  }

  private sample(): void {
    const status = this.readStatus();
    if (!status) return;
    this.windowPeakKb = Math.max(this.windowPeakKb, status.rss, this.hwmResetWorks ? status.hwm : 0);
  }

  private readStatus(): { rss: number; hwm: number } | null {
    if (!this.pid) return null;
    try {
      const text = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
      return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
    } catch {
      return null;
    }
  }
}
