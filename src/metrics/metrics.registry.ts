import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * The one Prometheus registry of the process. Modules define their own metrics on it (delivery:
 * src/delivery/delivery-metrics.ts); the metrics module serves it at GET /metrics.
 */
export const METRICS_REGISTRY = new Registry();
collectDefaultMetrics({ register: METRICS_REGISTRY, prefix: 'cc_process_' });
