import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client';
import { startTestApp, TestApp } from '../support/test-app';

/** What client generators and linters rely on in /docs-json (npm run lint:openapi lints the rest). */
describe('the OpenAPI document', () => {
  let t: TestApp;
  let doc: any;
  const operations = () =>
    Object.entries<any>(doc.paths).flatMap(([path, item]) => Object.entries<any>(item).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })));

  beforeAll(async () => {
    t = await startTestApp();
    doc = (await new ApiClient(t.baseUrl).get('/docs-json')).body;
  });
  afterAll(() => t?.close());

  it('is OpenAPI 3.1 with a server and a bearer scheme that does not claim JWT', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers.length).toBeGreaterThan(0);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.bearer.bearerFormat).not.toMatch(/jwt/i);
  });

  it('types every path parameter as a UUID string (an event id as its evt_ pattern)', () => {
    const eventId = { type: 'string', pattern: '^evt_[0-9A-HJKMNP-TV-Z]{26}$' };
    for (const { route, op } of operations()) {
      for (const p of (op.parameters ?? []).filter((p: any) => p.in === 'path')) {
        expect(p.schema, `${route} ${p.name}`).toEqual(p.name === 'eventId' ? eventId : { type: 'string', format: 'uuid' });
      }
    }
  });

  it('declares security on every route: [] on the public ones', () => {
    const publicRoutes = operations().filter(({ op }) => op.security?.length === 0).map(({ route }) => route).sort();
    expect(publicRoutes).toEqual(['GET /health', 'POST /v1/auth/login', 'POST /v1/auth/password-reset', 'POST /v1/auth/password-reset/confirm', 'POST /v1/auth/signup', 'POST /v1/auth/verify-email']);
    for (const { route, op } of operations()) expect(op.security, route).toBeDefined();
  });

  it('documents the one error schema on every 4xx of every route', () => {
    expect(doc.components.schemas.Error.required).toEqual(['statusCode', 'message', 'error']);
    for (const { route, op } of operations()) {
      for (const [code, response] of Object.entries<any>(op.responses)) {
        if (code.startsWith('4')) expect(response.content['application/json'].schema, `${route} ${code}`).toEqual({ $ref: '#/components/schemas/Error' });
      }
      if (op.requestBody || op.parameters?.length) expect(Object.keys(op.responses), route).toContain('400');
    }
  });

  it('marks no request field with a default (generators would make it required) and says "an investment"', () => {
    for (const { op } of operations()) {
      const ref: string | undefined = op.requestBody?.content?.['application/json']?.schema?.$ref;
      if (!ref) continue;
      const schema = doc.components.schemas[ref.split('/').pop()!];
      for (const [name, property] of Object.entries<any>(schema.properties ?? {})) expect(property, `${ref} ${name}`).not.toHaveProperty('default');
    }
    const summaries = operations().map(({ op }) => op.summary as string);
    expect(summaries).toContain('Create an investment');
    // "a user" is right (a consonant sound); "a investment" is not.
    expect(summaries.filter((s) => /\ba [aeio]/i.test(s))).toEqual([]);
  });
});
