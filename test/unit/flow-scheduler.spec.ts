import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/delivery/flow/circuit-breaker';
import { FlowPermit, FlowScheduler, FlowTicket } from '../../src/delivery/flow/flow-scheduler';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function scheduler(overrides: Partial<ConstructorParameters<typeof FlowScheduler>[0]> = {}, clock = { now: 0 }) {
  return new FlowScheduler({
    workerMaxInFlight: 100,
    workspaceMaxInFlight: 100,
    originMaxInFlight: 64,
    circuit: { failures: 0, cooldownMs: 1000, maxCooldownMs: 8000 },
    now: () => clock.now,
    ...overrides,
  });
}

const ticket = (workspaceId: string, webhookId: string, extra: Partial<FlowTicket> = {}): FlowTicket => ({
  workspaceId,
  webhookId,
  origin: `http://${webhookId}.example`,
  maxConcurrency: 10,
  rateLimitPerSecond: null,
  ...extra,
});

/** Requests `n` permits and records the order in which they are granted. */
function request(s: FlowScheduler, n: number, t: FlowTicket, started: { label: string; permit: FlowPermit }[], label = t.webhookId) {
  for (let i = 0; i < n; i++) void s.acquire(t).then((permit) => started.push({ label, permit }));
}

describe('FlowScheduler', () => {
  it('never runs more than a webhook’s maxConcurrency; the others wait, then start as places free up', async () => {
    const s = scheduler();
    const started: { label: string; permit: FlowPermit }[] = [];
    request(s, 5, ticket('w1', 'h1', { maxConcurrency: 2 }), started);
    await flush();
    expect(started).toHaveLength(2);
    expect(s.waiting).toBe(3);
    started[0].permit.end(true);
    await flush();
    expect(started).toHaveLength(3);
    expect(s.inFlight).toBe(2);
  });

  it('serves workspaces in turn: one with a deep backlog does not delay another’s first attempt', async () => {
    const s = scheduler({ workerMaxInFlight: 1 });
    const started: { label: string; permit: FlowPermit }[] = [];
    request(s, 50, ticket('noisy', 'a'), started, 'noisy');
    await flush();
    request(s, 1, ticket('quiet', 'b'), started, 'quiet');
    await flush();
    // One slot: the noisy workspace's first attempt holds it; the next turn goes to the quiet one.
    started[0].permit.end(true);
    await flush();
    expect(started.map((s) => s.label)).toEqual(['noisy', 'quiet']);
  });

  it('caps a workspace’s attempts in flight while another workspace still starts', async () => {
    const s = scheduler({ workspaceMaxInFlight: 3 });
    const started: { label: string; permit: FlowPermit }[] = [];
    for (const h of ['a1', 'a2', 'a3', 'a4']) request(s, 5, ticket('A', h), started, 'A');
    request(s, 2, ticket('B', 'b1'), started, 'B');
    await flush();
    expect(started.filter((x) => x.label === 'A')).toHaveLength(3);
    expect(started.filter((x) => x.label === 'B')).toHaveLength(2);
  });

  it('keeps part of an origin’s connections for other workspaces', async () => {
    const s = scheduler({ originMaxInFlight: 16 });
    const started: { label: string; permit: FlowPermit }[] = [];
    for (let i = 0; i < 4; i++) request(s, 10, ticket('A', `a${i}`, { origin: 'http://shared' }), started, 'A');
    await flush();
    expect(started).toHaveLength(14);
    request(s, 1, ticket('B', 'b', { origin: 'http://shared' }), started, 'B');
    await flush();
    expect(started.at(-1)?.label).toBe('B');
    expect(s.inFlight).toBe(15);
  });

  it('paces a webhook to rateLimitPerSecond (a burst of one second’s worth, then one per 1/rate s)', async () => {
    const clock = { now: 0 };
    const s = scheduler({}, clock);
    const started: { label: string; permit: FlowPermit }[] = [];
    request(s, 10, ticket('w', 'h', { rateLimitPerSecond: 4, maxConcurrency: 100 }), started);
    await flush();
    expect(started).toHaveLength(4);
    clock.now = 260;
    // The scheduler armed a timer for the next token; time moved on the fake clock, a real timer fires soon.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(started).toHaveLength(5);
  });

  it('puts a priority attempt first in its webhook’s queue', async () => {
    const s = scheduler();
    const started: { label: string; permit: FlowPermit }[] = [];
    request(s, 1, ticket('w', 'h', { maxConcurrency: 1 }), started, 'first');
    await flush();
    request(s, 3, ticket('w', 'h', { maxConcurrency: 1 }), started, 'backlog');
    request(s, 1, ticket('w', 'h', { maxConcurrency: 1, priority: true }), started, 'test');
    await flush();
    started[0].permit.end(true);
    await flush();
    expect(started.map((x) => x.label)).toEqual(['first', 'test']);
  });

  it('refuses waiting attempts on close', async () => {
    const s = scheduler();
    const first = s.acquire(ticket('w', 'h', { maxConcurrency: 1 }));
    const second = s.acquire(ticket('w', 'h', { maxConcurrency: 1 }));
    await first;
    s.close();
    await expect(second).rejects.toThrow(/shutting down/);
  });
});

describe('CircuitBreaker', () => {
  const settings = { failures: 3, cooldownMs: 1000, maxCooldownMs: 4000 };

  it('opens after N consecutive failures, probes once after the cooldown, closes on a successful probe', () => {
    const c = new CircuitBreaker(settings);
    for (let i = 0; i < 2; i++) {
      c.started(0);
      c.ended(false, 0);
    }
    expect(c.state(0)).toBe('closed');
    c.started(0);
    c.ended(false, 10);
    expect(c.state(10)).toBe('open');
    expect(c.allows(500)).toBe(false);
    expect(c.retryAt(500)).toBe(1010);
    expect(c.allows(1010)).toBe(true);
    c.started(1010);
    expect(c.allows(1011)).toBe(false); // one probe at a time
    c.ended(true, 1050);
    expect(c.state(1050)).toBe('closed');
    expect(c.pristine).toBe(true);
  });

  it('doubles the pause after each failed probe, up to the maximum', () => {
    const c = new CircuitBreaker(settings);
    for (let i = 0; i < 3; i++) {
      c.started(0);
      c.ended(false, 0);
    }
    let now = 0;
    const pauses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const at = c.retryAt(now)!;
      pauses.push(at - now);
      now = at;
      c.started(now);
      c.ended(false, now);
    }
    expect(pauses).toEqual([1000, 2000, 4000, 4000]);
  });

  it('a success resets the count of consecutive failures', () => {
    const c = new CircuitBreaker(settings);
    for (const ok of [false, false, true, false, false]) {
      c.started(0);
      c.ended(ok, 0);
    }
    expect(c.state(0)).toBe('closed');
  });

  it('reports each change of state once: open, half_open when the probe starts, open again, closed', () => {
    const seen: string[] = [];
    const c = new CircuitBreaker({ ...settings, onTransition: (to) => seen.push(to) });
    for (let i = 0; i < 4; i++) {
      c.started(0);
      c.ended(false, 0);
    }
    expect(seen).toEqual(['open']);
    c.started(1000);
    c.ended(false, 1000);
    c.started(3000);
    c.ended(true, 3000);
    expect(seen).toEqual(['open', 'half_open', 'open', 'half_open', 'closed']);
  });
});

describe('FlowScheduler circuit counts', () => {
  it('counts the webhooks it keeps a circuit for by state now (open turns half_open by the clock)', async () => {
    const clock = { now: 0 };
    const s = scheduler({ circuit: { failures: 2, cooldownMs: 1000, maxCooldownMs: 8000 } }, clock);
    for (const id of ['a', 'b']) {
      for (let i = 0; i < (id === 'a' ? 2 : 1); i++) (await s.acquire(ticket('w', id))).end(false);
    }
    expect(s.circuitCounts()).toEqual({ closed: 1, open: 1, half_open: 0 });
    clock.now = 1000;
    expect(s.circuitCounts()).toEqual({ closed: 1, open: 0, half_open: 1 });
  });
});
