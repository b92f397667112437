import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, seedWorkspace, TestWorkspace } from '../support/api-client';
import { Receiver } from '../support/receiver';
import type { INestApplicationContext } from '@nestjs/common';
import { MetricsListener } from '../../src/metrics/metrics-listener.service';
import { startTestApp, startTestWorker, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait';

const TOKEN = 'metrics-token-0123456789abcdef';

/** GET /metrics: Prometheus text behind METRICS_TOKEN, with the delivery pipeline's figures. */
describe('metrics', () => {
  let t: TestApp;
  let ws: TestWorkspace;
  const receiver = new Receiver();

  beforeAll(async () => {
    t = await startTestApp({ METRICS_TOKEN: TOKEN });
    await receiver.start();
    ws = await seedWorkspace(new ApiClient(t.baseUrl));
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  const scrape = (authorization?: string) => fetch(`${t.baseUrl}/metrics`, { headers: authorization ? { authorization } : {} });

  it('refuses a scrape without the token (401), with a wrong one, or with a user session', async () => {
    expect((await scrape()).status).toBe(401);
    expect((await scrape(`Bearer ${TOKEN}x`)).status).toBe(401);
    expect((await scrape(`Bearer ${ws.owner.token}`)).status).toBe(401);
  });

  it('serves deliveries by outcome, attempt durations, skips, queue depth and outbox lag', async () => {
    const hook = await ws.owner.api.post(`/v1/workspaces/${ws.id}/webhooks`, { name: 'm', url: receiver.url('/m'), events: ['pipeline.created'] });
    expect(hook.status).toBe(201);
    await ws.owner.api.post(`/v1/workspaces/${ws.id}/pipelines`, { name: 'p' });
    await receiver.waitFor(() => receiver.on('/m').length === 1, 10_000, 'the delivery');
    let text = '';
    // The attempt is counted when it is recorded, a moment after the receiver answered.
    await waitFor(
      async () => {
        const res = await scrape(`Bearer ${TOKEN}`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toContain('text/plain');
        text = await res.text();
        return /cc_webhook_attempts_total\{outcome="succeeded"\} [1-9]/.test(text);
      },
      10_000,
      () => 'the attempt to be counted',
    );
    expect(text).toMatch(/cc_webhook_attempts_total\{outcome="succeeded"\} [1-9]/);
    expect(text).toMatch(/cc_webhook_attempt_duration_seconds_bucket\{le="\+Inf"\} [1-9]/);
    expect(text).toMatch(/cc_queue_depth\{queue="webhook-deliveries",state="waiting"\} \d+/);
    expect(text).toMatch(/cc_outbox_lag_seconds \d/);
    expect(text).toMatch(/cc_outbox_unrelayed_events \d/);
    expect(text).toContain('cc_reconciler_reenqueued_total');
    expect(text).toContain('cc_webhook_skips_total');
    // Never a secret or a token.
    expect(text).not.toMatch(/whsec_|cc_at_|cc_key_/);
  });

  it('does not exist without METRICS_TOKEN (404)', async () => {
    const plain = await startTestApp();
    try {
      expect((await fetch(`${plain.baseUrl}/metrics`)).status).toBe(404);
      expect((await fetch(`${plain.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});

describe('metrics of a worker process (METRICS_PORT)', () => {
  let t: TestApp;
  let worker: INestApplicationContext;
  const receiver = new Receiver();

  beforeAll(async () => {
    const queuePrefix = `cct_metrics_${process.pid}_${Date.now().toString(36)}`;
    t = await startTestApp({ PROCESS_ROLE: 'api', QUEUE_PREFIX: queuePrefix });
    worker = await startTestWorker(t.databaseUrl, { QUEUE_PREFIX: queuePrefix, METRICS_TOKEN: TOKEN, METRICS_PORT: '0' });
    await receiver.start();
  });
  afterAll(async () => {
    await worker?.close();
    await t?.close();
    await receiver.stop();
  });

  it('serves the worker figures on its own listener, behind the same token', async () => {
    const ws = await seedWorkspace(new ApiClient(t.baseUrl));
    await ws.owner.api.post(`/v1/workspaces/${ws.id}/webhooks`, { name: 'w', url: receiver.url('/w'), events: ['pipeline.created'] });
    await ws.owner.api.post(`/v1/workspaces/${ws.id}/pipelines`, { name: 'p' });
    await receiver.waitFor(() => receiver.on('/w').length === 1, 10_000, 'the delivery');
    const url = `http://127.0.0.1:${worker.get(MetricsListener).port}`;
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    expect((await fetch(`${url}/elsewhere`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    await waitFor(
      async () => /cc_webhook_attempts_total\{outcome="succeeded"\} [1-9]/.test(await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text()),
      10_000,
      () => 'the worker to count the attempt',
    );
    // The API process serves no /metrics without its own METRICS_TOKEN.
    expect((await fetch(`${t.baseUrl}/metrics`)).status).toBe(404);
  });
});

describe('metrics: circuit breaker state', () => {
  let t: TestApp;
  let ws: TestWorkspace;
  const receiver = new Receiver();

  beforeAll(async () => {
    // The breaker on for this app (TEST_ENV turns it off): open after 2 failures in a row, for 2 s.
    t = await startTestApp({ METRICS_TOKEN: TOKEN, WEBHOOK_CIRCUIT_FAILURES: '2', WEBHOOK_CIRCUIT_COOLDOWN: '2s', WEBHOOK_CIRCUIT_MAX_COOLDOWN: '2s' });
    await receiver.start();
    ws = await seedWorkspace(new ApiClient(t.baseUrl));
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  const figures = async () => {
    const text = await (await fetch(`${t.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    const value = (name: string, label: string) => Number(new RegExp(`^${name}\\{${label}\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
    return {
      open: value('cc_webhook_circuits', 'state="open"'),
      halfOpen: value('cc_webhook_circuits', 'state="half_open"'),
      opened: value('cc_webhook_circuit_transitions_total', 'to="open"'),
      closed: value('cc_webhook_circuit_transitions_total', 'to="closed"'),
    };
  };

  it('a failing receiver opens its webhook circuit (cc_webhook_circuits open 1), a successful probe closes it again', async () => {
    expect(await figures()).toMatchObject({ open: 0, halfOpen: 0 });
    // Two failures open the circuit; the third attempt (the retry) waits for the cooldown, probes and succeeds.
    receiver.script('/cb', [500, 500, 200]);
    const hook = await ws.owner.api.post(`/v1/workspaces/${ws.id}/webhooks`, { name: 'cb', url: receiver.url('/cb'), events: ['pipeline.created'] });
    expect(hook.status).toBe(201);
    await ws.owner.api.post(`/v1/workspaces/${ws.id}/pipelines`, { name: 'p' });
    let seen = await figures();
    await waitFor(async () => (seen = await figures()).open === 1, 10_000, () => `the circuit to open (${JSON.stringify(seen)})`);
    expect(seen.opened).toBe(1);
    expect(receiver.on('/cb')).toHaveLength(2);
    await receiver.waitFor(() => receiver.on('/cb').length === 3, 10_000, 'the probe');
    await waitFor(async () => (seen = await figures()).closed === 1, 10_000, () => `the circuit to close (${JSON.stringify(seen)})`);
    expect(seen).toMatchObject({ open: 0, halfOpen: 0, opened: 1 });
    // The probe waited for the cooldown.
    const [, second, probe] = receiver.on('/cb');
    expect(probe.receivedAt - second.receivedAt).toBeGreaterThanOrEqual(1_900);
  });
});
