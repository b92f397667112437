import { readFileSync } from 'node:fs';

/**
 * Aggregates a V8 .cpuprofile (node --cpu-prof) by function and by package: where the platform's
 * CPU went. Usage:
 *   node dist/bench/profile-summary.js <file.cpuprofile> [--from-us N --to-us N] [--top N]
 * --from-us/--to-us keep only samples in that window of the monotonic clock (process.hrtime in µs,
 * the clock V8 stamps samples with), e.g. one benchmark scenario.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Row {
  name: string;
  selfMs: number;
  /** Share of busy time: everything but (idle). */
  share: number;
}

export interface ProfileSummary {
  windowMs: number;
  busyMs: number;
  idleMs: number;
  samples: number;
  byFunction: Row[];
  byPackage: Row[];
}

/** The package a frame belongs to: an npm package, a Node.js core area, an app folder, or a V8 pseudo-frame. */
export function packageOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) {
    const parts = url.slice(5).split('/');
    return `node:${parts[0] === 'internal' && parts.length > 2 ? `internal/${parts[1]}` : parts.slice(0, 2).join('/')}`;
  }
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const app = /\/dist\/(src|migrations|bench)\/(.*)$/.exec(path);
  if (app) {
    const dirs = app[2].split('/');
    return `app:${app[1]}${dirs.length > 1 ? `/${dirs[0]}` : ''}`;
  }
  return path;
}

function shortLocation(frame: CallFrame): string {
  if (!frame.url) return '';
  const path = frame.url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  const short = nm >= 0 ? path.slice(nm + '/node_modules/'.length) : path.replace(/^.*\/dist\//, 'dist/');
  return ` ${short}:${frame.lineNumber + 1}`;
}

export function summarizeProfile(profile: CpuProfile, options: { fromUs?: number; toUs?: number; top?: number } = {}): ProfileSummary {
  const { fromUs = -Infinity, toUs = Infinity, top = 25 } = options;
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const byNode = new Map<number, number>();
  // Sample i is stamped at t[i]; it stands for the time until the next sample.
  let t = profile.startTime;
  const stamps = profile.timeDeltas.map((delta) => (t += delta));
  for (let i = 0; i < profile.samples.length; i++) {
    if (stamps[i] < fromUs || stamps[i] > toUs) continue;
    const next = i + 1 < stamps.length ? stamps[i + 1] : profile.endTime;
    const us = Math.max(0, Math.min(next, toUs) - stamps[i]);
    byNode.set(profile.samples[i], (byNode.get(profile.samples[i]) ?? 0) + us);
  }
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let idleUs = 0;
  let totalUs = 0;
  let samples = 0;
  for (const [id, us] of byNode) {
    const frame = frames.get(id)!;
    totalUs += us;
    samples++;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const pkg = packageOf(frame);
    const fn = `${frame.functionName || '(anonymous)'}${shortLocation(frame)} [${pkg}]`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const rows = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: us / 1000, share: busyUs ? us / busyUs : 0 }));
  return {
    windowMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    samples: profile.samples.filter((_, i) => stamps[i] >= fromUs && stamps[i] <= toUs).length,
    byFunction: rows(byFunction),
    byPackage: rows(byPackage),
  };
}

export function formatProfileSummary(summary: ProfileSummary): string {
  const line = (r: Row) => `${r.selfMs.toFixed(0).padStart(8)} ms ${(r.share * 100).toFixed(1).padStart(5)} %  ${r.name}`;
  return [
    `window ${(summary.windowMs / 1000).toFixed(2)} s, busy ${(summary.busyMs / 1000).toFixed(2)} s, idle ${(summary.idleMs / 1000).toFixed(2)} s, ${summary.samples} samples (shares are of busy time)`,
    '',
    'Self time by package:',
    ...summary.byPackage.map(line),
    '',
    'Self time by function:',
    ...summary.byFunction.map(line),
  ].join('\n');
}

function main(argv: string[]): void {
  // The one argument that is neither a flag nor a flag's value.
  const file = argv.find((a, i) => !a.startsWith('--') && !(i > 0 && argv[i - 1].startsWith('--')));
  if (!file) {
    console.error('usage: node dist/bench/profile-summary.js <file.cpuprofile> [--from-us N --to-us N] [--top N]');
    process.exit(2);
  }
  const flag = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : undefined;
  };
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  console.log(formatProfileSummary(summarizeProfile(profile, { fromUs: flag('--from-us'), toUs: flag('--to-us'), top: flag('--top') })));
}

if (require.main === module) main(process.argv.slice(2));
