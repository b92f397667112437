import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 12, finding 9: no security headers and no stated CORS policy. helmet sets them: a CSP
 * for what the platform serves (JSON, Swagger UI at /docs, the console at /), nosniff, frame
 * protection, HSTS over HTTPS only; CORS is off unless CORS_ORIGINS lists origins.
 * And the start-up warnings: the development key and WEBHOOK_ALLOW_PRIVATE_NETWORK are logged.
 */

const CONSOLE_ORIGIN = 'http://console.example:8080';
const EVIL_ORIGIN = 'http://evil.example';
const keyDir = mkdtempSync(join(tmpdir(), 'cc-headers-'));

let plain: TestApp;
let proxied: TestApp;
let startupLog = '';

beforeAll(async () => {
  plain = await startTestApp({ PROCESS_ROLE: 'api' });
  // Behind a TLS-terminating proxy, with a console on another origin; no key set (development).
  const write = process.stdout.write.bind(process.stdout);
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
    startupLog += String(chunk);
    return write(chunk as never, ...(rest as []));
  });
  try {
    proxied = await startTestApp({
      PROCESS_ROLE: 'api',
      TRUST_PROXY: 'true',
      CORS_ORIGINS: CONSOLE_ORIGIN,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'development',
      WEBHOOK_SECRET_KEY: '',
      WEBHOOK_SECRET_KEY_FILE: join(keyDir, 'secret.key'),
    });
  } finally {
    spy.mockRestore();
  }
});
afterAll(async () => {
  await plain?.close();
  await proxied?.close();
  rmSync(keyDir, { recursive: true, force: true });
});

describe('security headers', () => {
  it('every answer (JSON, errors) carries nosniff, frame protection and the CSP; no X-Powered-By; no HSTS over plain HTTP', async () => {
    for (const path of ['/health', '/v1/me', '/docs-json', '/nowhere']) {
      const res = await fetch(plain.baseUrl + path);
      const h = res.headers;
      expect(h.get('x-content-type-options'), path).toBe('nosniff');
      expect(h.get('x-frame-options'), path).toBe('DENY');
      expect(h.get('content-security-policy'), path).toMatch(/default-src 'self'.*frame-ancestors 'none'.*object-src 'none'.*script-src 'self'/);
      expect(h.get('content-security-policy'), path).not.toMatch(/script-src[^;]*unsafe-inline/);
      expect(h.get('x-powered-by'), path).toBeNull();
      expect(h.get('strict-transport-security'), path).toBeNull();
    }
  });

  it('HSTS only when the request came over HTTPS, as told by a proxy TRUST_PROXY trusts', async () => {
    const https = await fetch(`${proxied.baseUrl}/health`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(https.headers.get('strict-transport-security')).toMatch(/max-age=31536000; includeSubDomains/);
    expect((await fetch(`${proxied.baseUrl}/health`)).headers.get('strict-transport-security')).toBeNull();
    // Without TRUST_PROXY the header is anyone's to forge: not believed.
    expect((await fetch(`${plain.baseUrl}/health`, { headers: { 'x-forwarded-proto': 'https' } })).headers.get('strict-transport-security')).toBeNull();
  });

  it('Swagger UI at /docs still renders under the CSP in a real browser (Chromium)', async () => {
    const { stdout } = await promisify(execFile)(
      '/usr/bin/chromium',
      ['--headless', '--no-sandbox', '--disable-gpu', '--virtual-time-budget=10000', '--dump-dom', `${plain.baseUrl}/docs`],
      { maxBuffer: 64 * 1024 * 1024, timeout: 90_000 },
    );
    // The title and the operations come from /docs-json, rendered by the page's scripts.
    expect(stdout).toMatch(/Countercyclical Webhooks API/);
    expect((stdout.match(/opblock-summary-path/g) ?? []).length).toBeGreaterThan(30);
  }, 120_000);
});

describe('CORS policy', () => {
  const preflight = (t: TestApp, origin: string) =>
    fetch(`${t.baseUrl}/v1/me`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });

  it('default: none — no origin is allowed to read answers cross-origin', async () => {
    const res = await fetch(`${plain.baseUrl}/health`, { headers: { origin: CONSOLE_ORIGIN } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect((await preflight(plain, CONSOLE_ORIGIN)).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('CORS_ORIGINS: exactly the listed origins, bearer tokens only (no credentials)', async () => {
    const ok = await preflight(proxied, CONSOLE_ORIGIN);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(CONSOLE_ORIGIN);
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
    expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
    expect((await fetch(`${proxied.baseUrl}/health`, { headers: { origin: CONSOLE_ORIGIN } })).headers.get('access-control-allow-origin')).toBe(CONSOLE_ORIGIN);
    expect((await preflight(proxied, EVIL_ORIGIN)).headers.get('access-control-allow-origin')).toBeNull();
    expect((await fetch(`${proxied.baseUrl}/health`, { headers: { origin: EVIL_ORIGIN } })).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('start-up warnings', () => {
  it('the generated development key and WEBHOOK_ALLOW_PRIVATE_NETWORK are announced in the log', () => {
    expect(startupLog).toMatch(/WEBHOOK_ALLOW_PRIVATE_NETWORK is on/);
    expect(startupLog).toMatch(/WEBHOOK_SECRET_KEY is not set: generated a random development key in .*secret\.key/);
  });
});
