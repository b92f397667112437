import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, ApiResponse, signup, TestUser } from '../support/api-client';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 12, finding 10: 200 wrong passwords in 25 s, never a 429. Login and signup are now
 * throttled per account (failed attempts) and per client address, counted in Redis: two API
 * processes of one deployment (one QUEUE_PREFIX) share the counts. Tight limits here only; every
 * other suite runs with throttling off (test/support/test-app.ts).
 */

function expect429(res: ApiResponse): number {
  expect(res.status, JSON.stringify(res.body)).toBe(429);
  expect(res.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(/retry in \d+ s/) });
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  return retryAfter;
}

/** Two API processes sharing one deployment's Redis keys and one database. */
async function twoProcesses(env: Record<string, string>): Promise<[TestApp, TestApp]> {
  const prefix = `cct_throttle_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
  const first = await startTestApp({ PROCESS_ROLE: 'api', QUEUE_PREFIX: prefix, ...env });
  const second = await startTestApp({ PROCESS_ROLE: 'api', QUEUE_PREFIX: prefix, ...env }, first.databaseUrl);
  return [first, second];
}

describe('per account: attempts, cleared by a successful login', () => {
  let apps: TestApp[];
  let a: ApiClient;
  let b: ApiClient;
  let victim: TestUser;
  beforeAll(async () => {
    apps = await twoProcesses({ AUTH_THROTTLE_PER_ACCOUNT: '3/15m', AUTH_THROTTLE_PER_ADDRESS: 'off' });
    a = new ApiClient(apps[0].baseUrl);
    b = new ApiClient(apps[1].baseUrl);
    victim = await signup(a, 'Victim');
  });
  afterAll(async () => {
    for (const app of apps ?? []) await app.close();
  });

  it('the attack (wrong passwords in a row) → 429 with Retry-After after 3 failures, on every API process, even with the right password', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await (i % 2 ? b : a).post('/v1/auth/login', { email: victim.email, password: `wrong-${i}-password` })).status).toBe(401);
    }
    const retryAfter = expect429(await a.post('/v1/auth/login', { email: victim.email, password: 'wrong-again-password' }));
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    // The other process reads the same counter, and the case of the e-mail does not matter.
    expect429(await b.post('/v1/auth/login', { email: victim.email.toUpperCase(), password: 'password-123' }));
  });

  it('attempts in parallel cannot slip past the count', async () => {
    const target = await signup(a, 'Parallel');
    const statuses = (
      await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? b : a).post('/v1/auth/login', { email: target.email, password: `guess-${i}-password` })))
    ).map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
  });

  it('another account is not affected, and a successful login clears its own failures', async () => {
    const other = await signup(a, 'Other');
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 2; i++) expect((await a.post('/v1/auth/login', { email: other.email, password: 'wrong-password' })).status).toBe(401);
      expect((await b.post('/v1/auth/login', { email: other.email, password: 'password-123' })).status).toBe(200);
    }
  });

  it('signups probing a taken e-mail count for that account too', async () => {
    const taken = await signup(a, 'Taken');
    for (let i = 0; i < 3; i++) expect((await a.post('/v1/auth/signup', { email: taken.email, name: 'X', password: 'password-123' })).status).toBe(409);
    expect429(await b.post('/v1/auth/signup', { email: taken.email, name: 'X', password: 'password-123' }));
  });
});

describe('per client address: every login and signup', () => {
  let apps: TestApp[];
  beforeAll(async () => {
    apps = await twoProcesses({ AUTH_THROTTLE_PER_ADDRESS: '6/1m', AUTH_THROTTLE_PER_ACCOUNT: 'off' });
  });
  afterAll(async () => {
    for (const app of apps ?? []) await app.close();
  });

  it('the 7th attempt from one address within the window → 429 with Retry-After, wherever it lands; other routes are not throttled', async () => {
    const [a, b] = apps.map((app) => new ApiClient(app.baseUrl));
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await (i % 2 ? b : a).post('/v1/auth/login', { email: `nobody-${i}@example.com`, password: 'password-123' })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401]);
    const retryAfter = expect429(await a.post('/v1/auth/signup', { email: 'new@example.com', name: 'New', password: 'password-123' }));
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect429(await b.post('/v1/auth/login', { email: 'nobody-0@example.com', password: 'password-123' }));
    expect((await a.get('/health')).status).toBe(200);
  });
});
