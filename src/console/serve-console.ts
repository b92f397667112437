import type { NestExpressApplication } from '@nestjs/platform-express';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename, join, resolve } from 'node:path';

/** Paths the console never answers: the API, Swagger, probes, assets. Their unknown paths stay JSON 404s. */
const SERVER_PATHS = /^\/(v1|docs|docs-json|health|metrics|assets)(\/|$|-)/;

/**
 * Where `vite build` put the console: dist/web, found from dist/src/console when running the build and
 * from src/console when running from sources (tests). WEB_DIR overrides both.
 */
export function consoleDirectory(): string | undefined {
  const outDir = resolve(__dirname, '..', '..');
  const candidates = [process.env.WEB_DIR, basename(outDir) === 'dist' ? join(outDir, 'web') : join(outDir, 'dist', 'web')];
  return candidates.find((dir): dir is string => !!dir && existsSync(join(dir, 'index.html')));
}

/**
 * Serves the single-page console at / from the same origin as the API (Nest's express.static): hashed
 * assets cached for a year, index.html never cached, and any other GET that asks for HTML gets
 * index.html so client routes survive a reload. Registered before Nest's router, so it only claims
 * paths that are not the API's.
 */
export function serveConsole(app: NestExpressApplication, dir = consoleDirectory()): void {
  if (!dir) return; // API-only checkout (console not built): / stays a 404, the API is unaffected.
  const index = readFileSync(join(dir, 'index.html'));
  app.useStaticAssets(join(dir, 'assets'), { prefix: '/assets', immutable: true, maxAge: '1y', index: false, fallthrough: true });
  app.use((req: IncomingMessage & { path: string }, res: ServerResponse, next: () => void) => {
    const wantsHtml = /text\/html|\*\/\*/.test(req.headers.accept ?? '*/*');
    if ((req.method !== 'GET' && req.method !== 'HEAD') || SERVER_PATHS.test(req.path) || !wantsHtml) return next();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', 'content-length': index.length });
    res.end(req.method === 'HEAD' ? undefined : index);
  });
}
