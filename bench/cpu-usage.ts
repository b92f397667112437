import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Where the machine's CPU went during a scenario, from /proc: the platform, the receiver, this
 * driver, the PostgreSQL backends serving the bench database, PostgreSQL's own server processes
 * (WAL writer, checkpointer…), Redis, other processes (other databases' backends included), the
 * kernel's interrupt work (loopback networking is charged to no process) and hypervisor steal.
 * Everything runs on one machine, so a platform starved of CPU by its neighbours shows up here and
 * nowhere else. Linux only; elsewhere it reports nothing.
 */

interface CpuTimes {
  /** user + nice + system: time charged to processes (kernel threads included). */
  tasks: number;
  /** irq + softirq: e.g. loopback networking, charged to no process. */
  irq: number;
  /** Taken by the hypervisor for other guests. */
  steal: number;
  all: number;
}

interface Snapshot extends CpuTimes {
  at: number;
  /** pid → [group, user+system ticks, system ticks]; per process, so that one exiting meanwhile does not make a group negative. */
  procs: Map<string, [string, number, number]>;
  groupNames: string[];
}

let clockTicks = 100;
try {
  clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // the usual value
}

/** utime + stime and stime of a process, in clock ticks; `comm` is its name. */
function readProcess(pid: string): { comm: string; ticks: number; sys: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // Fields 14 and 15 of proc(5); `fields` starts at field 3.
    return { comm, ticks: Number(fields[11]) + Number(fields[12]), sys: Number(fields[12]) };
  } catch {
    return null;
  }
}

function cpuTimes(): CpuTimes {
  try {
    // user nice system idle iowait irq softirq steal …
    const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    return { tasks: user + nice + system, irq: irq + softirq, steal, all: user + nice + system + idle + iowait + irq + softirq + steal };
  } catch {
    return { tasks: 0, irq: 0, steal: 0, all: 0 };
  }
}

/** Share (0..1) of all cores busy over the next `ms`; NaN where /proc/stat is missing. */
export async function machineBusy(ms: number): Promise<number> {
  const from = cpuTimes();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const to = cpuTimes();
  return to.all > from.all ? (to.tasks + to.irq - from.tasks - from.irq) / (to.all - from.all) : NaN;
}

export class CpuUsage {
  private start: Snapshot | null = null;
  /** Cores used by other processes over the last begin()–end() window. */
  otherCores = 0;

  constructor(
    private readonly named: () => Record<string, number>,
    private readonly databaseName: string,
  ) {}

  begin(): void {
    this.start = this.snapshot();
  }

  /** e.g. "platform 97 %, …, other processes 3 %, irq/softirq 5 %, steal 0 % (100 % = one core); machine busy 95 % of 2 cores". */
  end(): string {
    const from = this.start;
    const to = this.snapshot();
    if (!from || !to.all) return 'not available';
    const seconds = (to.at - from.at) / 1000;
    const cores = (to.all - from.all) / clockTicks / seconds;
    const pct = (ticks: number) => Math.round((100 * ticks) / clockTicks / seconds);
    const used = new Map(to.groupNames.map((name) => [name, [0, 0]]));
    for (const [pid, [group, ticks, sys]] of to.procs) {
      const before = from.procs.get(pid);
      const same = before && before[0] === group;
      const total = used.get(group)!;
      total[0] += ticks - (same ? before[1] : 0);
      total[1] += sys - (same ? before[2] : 0);
    }
    const parts: string[] = [];
    let accounted = 0;
    for (const [name, [ticks, sys]] of used) {
      accounted += ticks;
      // The kernel's share shows time spent in system calls (socket writes, say).
      parts.push(`${name} ${pct(ticks)} %${ticks ? ` (sys ${pct(sys)} %)` : ''}`);
    }
    const tasks = to.tasks - from.tasks;
    const irq = to.irq - from.irq;
    this.otherCores = Math.max(0, tasks - accounted) / clockTicks / seconds;
    parts.push(`other processes ${pct(Math.max(0, tasks - accounted))} %`, `irq/softirq ${pct(irq)} %`, `steal ${pct(to.steal - from.steal)} %`);
    return `${parts.join(', ')} (100 % = one core); machine busy ${Math.round((100 * (tasks + irq)) / (to.all - from.all))} % of ${Math.round(cores)} cores`;
  }

  /** A backend's title is "postgres: <cluster>: <user> <database> <client> <state>". */
  private postgresGroup(pid: string): string | null {
    let title = '';
    try {
      title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      return null;
    }
    const backend = /^postgres: [^:]+: \S+ (\S+) (\S+\(\d+\)|\[local\])/.exec(title);
    if (!backend) return 'postgres server';
    return backend[1] === this.databaseName ? 'postgres backends' : null;
  }

  private snapshot(): Snapshot {
    const pids = this.named();
    const byPid = new Map(Object.entries(pids).map(([name, pid]) => [String(pid), name]));
    const groupNames = [...Object.keys(pids), 'postgres backends', 'postgres server', 'redis'];
    const procs = new Map<string, [string, number, number]>();
    let entries: string[] = [];
    try {
      entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
    } catch {
      return { at: Date.now(), tasks: 0, irq: 0, steal: 0, all: 0, procs, groupNames };
    }
    for (const pid of entries) {
      const proc = readProcess(pid);
      if (!proc) continue;
      const group = byPid.get(pid) ?? (proc.comm === 'postgres' ? this.postgresGroup(pid) : proc.comm.startsWith('redis-server') ? 'redis' : null);
      if (group) procs.set(pid, [group, proc.ticks, proc.sys]);
    }
    return { at: Date.now(), ...cpuTimes(), procs, groupNames };
  }
}
