import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FANOUT_SUBSCRIBER } from '../../src/delivery/delivery.constants';
import { FanOutService } from '../../src/delivery/fan-out.service';
import { EVENT_SUBSCRIBERS } from '../../src/event-subscribers';
import { EventSubscriptions } from '../../src/events/event-subscriptions';
import { OutboxRelay } from '../../src/events/outbox-relay.service';
import { ApiClient, seedWorkspace, TestWorkspace } from '../support/api-client';
import { eventRows, waitFor } from '../support/event-recorder';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * PROCESS_ROLE composes modules (ApiModule, WorkerModule) instead of switching code paths, and the
 * event subscribers are declared statically: an API-only process, which runs no subscriber, stores
 * on each event the same subscriber list as a process that runs them all.
 */
describe('process roles and declared subscribers', () => {
  let full: TestApp;
  let api: TestApp;
  let ws: TestWorkspace;

  beforeAll(async () => {
    full = await startTestApp();
    ws = await seedWorkspace(new ApiClient(full.baseUrl));
    api = await startTestApp({ PROCESS_ROLE: 'api' }, full.databaseUrl);
  });
  afterAll(async () => {
    await api?.close();
    await full?.close();
  });

  it('runs every declared subscriber where workers run, and none of the work in an API-only process', () => {
    const subscriptions = full.app.get(EventSubscriptions);
    for (const { name } of EVENT_SUBSCRIBERS) expect(subscriptions.handlerOf(name), name).toBeDefined();
    expect(() => api.app.get(FanOutService)).toThrow();
    expect(api.app.get(EventSubscriptions).handlerOf(FANOUT_SUBSCRIBER)).toBeUndefined();
    // The relay is there (the events module is shared) but WorkerModule never started it.
    expect(api.app.get(OutboxRelay)).toBeDefined();
  });

  it('stores the same subscribers on an event whichever process writes it', () => {
    const types = [...new Set(EVENT_SUBSCRIBERS.flatMap((s) => s.types))];
    expect(types.length).toBeGreaterThan(18);
    for (const type of types) {
      const declared = EVENT_SUBSCRIBERS.filter((s) => s.types.includes(type)).map((s) => s.name);
      expect(api.app.get(EventSubscriptions).subscribersOf(type), type).toEqual(declared);
      expect(full.app.get(EventSubscriptions).subscribersOf(type), type).toEqual(declared);
    }
  });

  it('writes an event from an API-only process that the other process delivers to its subscribers', async () => {
    const res = await new ApiClient(api.baseUrl, ws.owner.token).post(`/v1/workspaces/${ws.id}/pipelines`, { name: 'from the api process' });
    expect(res.status).toBe(201);
    const [row] = await eventRows(api.app, `data->'object'->>'id' = $1`, [res.body.id]);
    expect(row.type).toBe('pipeline.created');
    // The full process relays it and its fan-out finishes: nothing stays pending.
    const handled = async () => (await eventRows(api.app, `id = $1 AND relayed_at IS NOT NULL AND pending_subscribers = '{}'`, [row.id])).length === 1;
    await waitFor(handled, 15_000, () => 'the event relayed and handled');
  });
});
