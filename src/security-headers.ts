import type { INestApplication } from '@nestjs/common';
import helmet from 'helmet';
import type { AppConfig } from './config/app-config';

type Req = { secure?: boolean; url?: string; headers: Record<string, string | string[] | undefined> };
type Next = (err?: unknown) => void;

/**
 * What the platform serves is JSON, Swagger UI (/docs) and the web console (/), a single-page app
 * built with no inline scripts: everything loads from this origin. Styles allow 'unsafe-inline'
 * because Swagger UI sets style attributes at run time; images allow data: URIs (Swagger's icons).
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  connectSrc: ["'self'"],
  fontSrc: ["'self'", 'data:'],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  imgSrc: ["'self'", 'data:'],
  objectSrc: ["'none'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
};

/**
 * Security headers (helmet) and the CORS policy:
 * - CSP above, `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`, no Referer across origins;
 * - HSTS only on requests that arrived over HTTPS (directly, or per X-Forwarded-Proto from a
 *   proxy trusted by TRUST_PROXY): over plain HTTP it would mean nothing, or worse on localhost;
 * - CORS: none unless CORS_ORIGINS lists origins; then those origins only, without cookies
 *   (the API authenticates with bearer tokens, never cookies).
 */
export function applySecurityHeaders(app: INestApplication, config: AppConfig): void {
  app.use(
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
      strictTransportSecurity: false,
      xFrameOptions: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
    }),
  );
  const hsts = helmet.strictTransportSecurity({ maxAge: 31_536_000, includeSubDomains: true });
  app.use((req: Req, res: unknown, next: Next) => (req.secure ? hsts(req as never, res as never, next) : next()));
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins,
      credentials: false,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type'],
      exposedHeaders: ['Retry-After'],
      maxAge: 600,
    });
  }
}

const AUTH_PATH = /^\/+v1\/+auth(\/|\?|$)/i;

/** A JSON body sent to a /v1/auth route (matched like Express routes: case-insensitive). */
export function isAuthJsonRequest(req: Req): boolean {
  const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  return type === 'application/json' && AUTH_PATH.test(req.url ?? '');
}
