import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const WEB = join(ROOT, 'web');
const BUILT = join(ROOT, 'dist', 'web', 'index.html');

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((max, name) => Math.max(max, newestMtime(join(path, name))), stat.mtimeMs);
}

/**
 * vitest globalSetup: the browser tests drive the console the API serves from dist/web, so build it
 * (vite, ~2 s) when it is missing or older than any file under web/. A fresh bundle is left alone.
 */
export default function setup(): void {
  const stale = !existsSync(BUILT) || newestMtime(WEB) > statSync(BUILT).mtimeMs;
  if (!stale) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(WEB, 'vite.config.mts'), '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
    // NODE_ENV=test (vitest's) would make Vite bundle React's development build: the tests drive the production one.
    env: { ...process.env, NODE_ENV: 'production', VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' },
  });
}
