import type { INestApplication } from '@nestjs/common';
import express, { NextFunction, Request, Response } from 'express';
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

/** Paths the console never answers: the API, Swagger, probes. Their unknown paths stay JSON 404s. */
const SERVER_PATHS = /^\/(v1|docs|docs-json|health|metrics)(\/|$|\?|-)/;

/**
 * Where `vite build` put the console: dist/web next to dist/src when running the build,
 * <repo>/dist/web when running from sources (tests). WEB_DIR overrides both.
 */
export function consoleDirectory(): string | undefined {
  const outDir = resolve(__dirname, '..', '..');
  const candidates = [
    process.env.WEB_DIR,
    // Compiled: dist/src/console → dist/web. From sources: src/console → dist/web (never web/, the sources).
    basename(outDir) === 'dist' ? join(outDir, 'web') : join(outDir, 'dist', 'web'),
  ];
  return candidates.find((dir): dir is string => !!dir && existsSync(join(dir, 'index.html')));
}

/**
 * Serves the single-page console at / from the same origin as the API: hashed assets cached for a year,
 * index.html never cached, and any other GET that wants HTML gets index.html so client routes survive a reload.
 */
export function serveConsole(app: INestApplication, dir = consoleDirectory()): void {
  if (!dir) return; // API-only checkout (console not built): / stays a 404, the API is unaffected.
  const index = join(dir, 'index.html');
  app.use(
    '/assets',
    express.static(join(dir, 'assets'), { immutable: true, maxAge: '1y', index: false, fallthrough: true }),
  );
  app.use(express.static(dir, { index: false, maxAge: '1h' }));
  app.use((req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || SERVER_PATHS.test(req.path) || req.path.startsWith('/assets/')) {
      return next();
    }
    if (!req.accepts('html')) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
}
