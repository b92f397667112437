import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOpenApiJson, generateSchemaTypes } from '../../scripts/write-openapi';

// The console's API client is typed from the platform's own OpenAPI document. A route or DTO change
// without `npm run web:api` fails here, so the UI and the API cannot drift apart unnoticed.
describe('console API client', () => {
  it('web/src/api/schema.d.ts matches the current OpenAPI document (run `npm run web:api` after an API change)', async () => {
    const committed = readFileSync(resolve(__dirname, '..', '..', 'web', 'src', 'api', 'schema.d.ts'), 'utf8');
    const json = await buildOpenApiJson();
    const document = JSON.parse(json) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toContain('/v1/workspaces/{wid}/webhooks');
    expect(await generateSchemaTypes(json)).toBe(committed);
  }, 60_000);
});
