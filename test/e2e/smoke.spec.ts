import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, seedWorkspace } from '../support/api-client';
import { startTestApp, TestApp } from '../support/test-app';

describe('smoke', () => {
  let t: TestApp;
  let api: ApiClient;
  beforeAll(async () => {
    t = await startTestApp();
    api = new ApiClient(t.baseUrl);
  });
  afterAll(() => t?.close());

  it('serves health, docs and a seeded workspace', async () => {
    expect((await api.get('/health')).status).toBe(200);
    expect((await api.get('/docs-json')).body.openapi).toMatch(/^3/);
    const ws = await seedWorkspace(api);
    const inv = await ws.member.api.post(`/v1/workspaces/${ws.id}/investments`, { name: 'Acme', teamId: ws.teamA, amount: 5 });
    expect(inv.status).toBe(201);
    const list = await ws.viewer.api.get(`/v1/workspaces/${ws.id}/investments`);
    expect(list.body.data.map((i: { id: string }) => i.id)).toEqual([inv.body.id]);
    expect((await ws.outsider.api.get(`/v1/workspaces/${ws.id}/investments`)).status).toBe(404);
  });
});
