import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES, OPERATIONAL_EVENT_TYPES, SUBSCRIBABLE_EVENT_TYPES } from '../../src/events/event-catalog';
import { ApiClient, seedWorkspace, TestWorkspace } from '../support/api-client';
import { Receiver } from '../support/receiver';
import { startTestApp, TestApp } from '../support/test-app';

/** A strict validator, as a careful receiver would configure one. */
function validator() {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  return ajv;
}

describe('event catalogue: schemas and examples of the 18 types match what is delivered', () => {
  let t: TestApp;
  let api: ApiClient;
  let ws: TestWorkspace;
  const receiver = new Receiver();

  beforeAll(async () => {
    t = await startTestApp();
    api = new ApiClient(t.baseUrl);
    await receiver.start();
    ws = await seedWorkspace(api);
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  it('GET /v1/webhook-event-types returns a schema and an example per type, and each example validates', async () => {
    const res = await ws.member.api.get('/v1/webhook-event-types');
    expect(res.status).toBe(200);
    expect(res.body.map((e: { type: string }) => e.type).sort()).toEqual([...SUBSCRIBABLE_EVENT_TYPES].sort());
    const ajv = validator();
    for (const entry of res.body) {
      expect(entry.schema.properties.type.const).toBe(entry.type);
      const validate = ajv.compile(entry.schema);
      expect(validate(entry.example), `${entry.type}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      // The schema is strict: a field the platform does not send is a schema violation.
      const extra = structuredClone(entry.example);
      extra.data.object.surprise = 1;
      expect(validate(extra), `${entry.type} accepts an unknown object field`).toBe(false);
    }
  });

  it('a real delivery of every one of the 18 types validates against its schema', async () => {
    const owner = ws.owner.api;
    const base = `/v1/workspaces/${ws.id}`;
    const hook = await owner.post(`${base}/webhooks`, { name: 'all', url: receiver.url('/all'), events: [...EVENT_TYPES] });
    expect(hook.status).toBe(201);

    const created = async (resource: string, body: object) => {
      const res = await owner.post(`${base}/${resource}`, body);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.id as string;
    };
    const ok = async (method: 'patch' | 'delete', path: string, body?: object) => {
      const res = method === 'patch' ? await owner.patch(path, body) : await owner.delete(path);
      expect(res.status, JSON.stringify(res.body)).toBe(method === 'patch' ? 200 : 204);
    };
    // Every nullable field set once and null once, so both branches of each schema are exercised.
    const team = await created('teams', { name: 'Schema team' });
    const investment = await created('investments', { name: 'Acme', teamId: team, stage: 'Seed', amount: 100, currency: 'USD' });
    const valuation = await created('valuations', { investmentId: investment, value: 10 });
    const memo = await created('memos', { title: 'IC', body: 'Go', visibility: 'team', teamId: team, investmentId: investment });
    const assumption = await created('assumptions', { name: 'Rate', value: 0.1 });
    const pipeline = await created('pipelines', { name: 'Flow', stages: ['a', 'b'] });
    await ok('patch', `${base}/teams/${team}`, { name: 'Schema team 2' });
    await ok('patch', `${base}/investments/${investment}`, { amount: null, status: 'exited', stage: null });
    await ok('patch', `${base}/valuations/${valuation}`, { valuedAt: '2026-09-30', currency: 'EUR', method: 'DCF', value: 11.5 });
    await ok('patch', `${base}/memos/${memo}`, { visibility: 'workspace', teamId: null, body: null });
    await ok('patch', `${base}/assumptions/${assumption}`, { unit: 'ratio' });
    await ok('patch', `${base}/pipelines/${pipeline}`, { stages: [] });
    await ok('delete', `${base}/valuations/${valuation}`);
    await ok('delete', `${base}/memos/${memo}`);
    await ok('delete', `${base}/investments/${investment}`);
    await ok('delete', `${base}/assumptions/${assumption}`);
    await ok('delete', `${base}/pipelines/${pipeline}`);
    await ok('delete', `${base}/teams/${team}`);

    await receiver.waitFor(() => new Set(receiver.on('/all').map((r) => JSON.parse(r.body).type)).size === 18, 20_000, 'all 18 types');

    const catalogue = (await owner.get('/v1/webhook-event-types')).body as { type: string; schema: object }[];
    const ajv = validator();
    const validators = new Map(catalogue.map((e) => [e.type, ajv.compile(e.schema)]));
    const verifier = new StandardWebhook(hook.body.secret);
    const seen = new Set<string>();
    for (const req of receiver.on('/all')) {
      const payload = verifier.verify(req.body, req.headers) as { type: string };
      const validate = validators.get(payload.type)!;
      expect(validate(payload), `${payload.type}: ${ajv.errorsText(validate.errors)}\n${req.body}`).toBe(true);
      seen.add(payload.type);
    }
    expect([...seen].sort()).toEqual([...EVENT_TYPES].sort());
  });

  it('the OpenAPI document describes every outgoing event (3.1 webhooks), and webhook.test deliveries match it', async () => {
    const doc = (await api.get('/docs-json')).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.webhooks).sort()).toEqual([...EVENT_TYPES, ...OPERATIONAL_EVENT_TYPES, 'webhook.test'].sort());
    for (const [type, item] of Object.entries<any>(doc.webhooks)) {
      const ref: string = item.post.requestBody.content['application/json'].schema.$ref;
      const schema = doc.components.schemas[ref.split('/').pop()!];
      expect(schema.properties.type.const).toBe(type);
      expect(item.post.parameters.map((p: { name: string }) => p.name)).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
    }

    const hook = await ws.owner.api.post(`/v1/workspaces/${ws.id}/webhooks`, { name: 'test', url: receiver.url('/test'), events: ['team.created'] });
    expect((await ws.owner.api.post(`/v1/workspaces/${ws.id}/webhooks/${hook.body.id}/test`)).status).toBe(202);
    await receiver.waitFor(() => receiver.on('/test').length === 1);
    const payload = new StandardWebhook(hook.body.secret).verify(receiver.on('/test')[0].body, receiver.on('/test')[0].headers);
    const ajv = validator();
    const validate = ajv.compile(doc.components.schemas.WebhookTestEvent);
    expect(validate(payload), ajv.errorsText(validate.errors)).toBe(true);
  });
});
