import { InjectQueue } from '@nestjs/bull';
import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bull';
import { Counter, Gauge, Histogram } from 'prom-client';
import { EventReader } from '../events/event-reader';
import { METRICS_REGISTRY } from '../metrics/metrics.registry';
import { DELIVERIES_QUEUE, DeliverJob } from './delivery.constants';

/** Attempts by outcome: succeeded, retrying (failed, another attempt scheduled), failed (given up). */
export const ATTEMPTS = new Counter({
  name: 'cc_webhook_attempts_total',
  help: 'Webhook delivery attempts by outcome',
  labelNames: ['outcome'] as const,
  registers: [METRICS_REGISTRY],
});

export const ATTEMPT_DURATION = new Histogram({
  name: 'cc_webhook_attempt_duration_seconds',
  help: 'Duration of webhook delivery attempts (connect to response, or to the error)',
  buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [METRICS_REGISTRY],
});

export const RECONCILER_REENQUEUED = new Counter({
  name: 'cc_reconciler_reenqueued_total',
  help: 'Due deliveries the reconciler put on the queue again (their job was late or lost)',
  registers: [METRICS_REGISTRY],
});

export const DELIVERY_SKIPS = new Counter({
  name: 'cc_webhook_skips_total',
  help: 'Decisions not to deliver an event to a subscribed webhook, by reason',
  labelNames: ['reason'] as const,
  registers: [METRICS_REGISTRY],
});

/** Circuit breaker changes of state in this process (to: open, half_open when a probe starts, closed). */
export const CIRCUIT_TRANSITIONS = new Counter({
  name: 'cc_webhook_circuit_transitions_total',
  help: 'Circuit breaker changes of state, by the state entered',
  labelNames: ['to'] as const,
  registers: [METRICS_REGISTRY],
});

type CircuitCounts = Record<'closed' | 'open' | 'half_open', number>;
/** The schedulers of this process (one per delivery worker: tests run several apps in one process). */
const circuitSources = new Set<() => CircuitCounts>();

/** Counts a scheduler's circuits in cc_webhook_circuits until the returned function is called (shutdown). */
export function reportCircuits(source: () => CircuitCounts): () => void {
  circuitSources.add(source);
  return () => circuitSources.delete(source);
}

/** Read at scrape time from the schedulers' breakers: an open circuit turns half-open by the clock alone. */
export const CIRCUITS = new Gauge({
  name: 'cc_webhook_circuits',
  help: 'Webhooks by circuit breaker state in this process (closed: those with attempts or failures remembered)',
  labelNames: ['state'] as const,
  registers: [METRICS_REGISTRY],
  collect() {
    const total: CircuitCounts = { closed: 0, open: 0, half_open: 0 };
    for (const source of circuitSources) for (const [state, n] of Object.entries(source())) total[state as keyof CircuitCounts] += n;
    for (const [state, n] of Object.entries(total)) this.set({ state }, n);
  },
});

/**
 * Gauges read when Prometheus scrapes (never on the hot path): the deliveries queue's depth by
 * state (from Redis) and the outbox lag (unrelayed events and the age of the oldest, from the
 * events module's reader, through the partial index idx_events_unrelayed).
 */
@Injectable()
export class DeliveryMetrics implements OnModuleInit {
  constructor(
    private readonly events: EventReader,
    @InjectQueue(DELIVERIES_QUEUE) private readonly queue: Queue<DeliverJob>,
  ) {}

  onModuleInit(): void {
    const queue = this.queue;
    for (const name of ['cc_queue_depth', 'cc_outbox_unrelayed_events', 'cc_outbox_lag_seconds']) METRICS_REGISTRY.removeSingleMetric(name);
    new Gauge({
      name: 'cc_queue_depth',
      help: 'Jobs in the deliveries queue by state',
      labelNames: ['queue', 'state'] as const,
      registers: [METRICS_REGISTRY],
      async collect() {
        const counts = await queue.getJobCounts().catch(() => null);
        if (!counts) return;
        for (const [state, n] of Object.entries(counts)) this.set({ queue: DELIVERIES_QUEUE, state }, n);
      },
    });
    // The outbox is the events module's table: its reader answers (idx_events_unrelayed).
    const events = this.events;
    const outbox = () => events.outboxLag();
    new Gauge({
      name: 'cc_outbox_unrelayed_events',
      help: 'Events committed and not yet relayed to the queue',
      registers: [METRICS_REGISTRY],
      async collect() {
        this.set((await outbox()).unrelayed);
      },
    });
    new Gauge({
      name: 'cc_outbox_lag_seconds',
      help: 'Age of the oldest event not yet relayed (0 when none)',
      registers: [METRICS_REGISTRY],
      async collect() {
        this.set((await outbox()).lagSeconds);
      },
    });
  }
}
