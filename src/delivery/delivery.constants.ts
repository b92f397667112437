import type { JobOptions } from 'bull';

export const DELIVERIES_QUEUE = 'webhook-deliveries';
/** Carries a delivery id only: PostgreSQL holds the delivery, its event and its attempts. */
export const DELIVER_JOB = 'deliver';

export interface DeliverJob {
  deliveryId: string;
  /** When known: lets a worker whose backlog for this workspace is full skip the job without a query. */
  workspaceId?: string;
  /** When known, with workspaceId: lets a worker with no room for this webhook skip the job without a query. */
  webhookId?: string;
  /** A test event or redelivery someone is waiting for: first in its webhook's queue. */
  priority?: boolean;
}

/** The Bull backoff strategy that waits exactly the delay the retry policy stored in PostgreSQL. */
export const SCHEDULED_BACKOFF = 'webhook-retry-schedule';

export const DELIVER_JOB_OPTIONS: JobOptions = {
  // The retry policy (not Bull) decides when a delivery is exhausted; this only bounds runaway loops.
  attempts: 50,
  backoff: { type: SCHEDULED_BACKOFF },
  removeOnComplete: true,
  removeOnFail: true,
};

/** The event-bus subscriber name under which fan-out runs (stored in events.pending_subscribers). */
export const FANOUT_SUBSCRIBER = 'webhook-fanout';

/** The event-bus subscriber that mails the operational events (stored in events.pending_subscribers). */
export const ALERT_MAIL_SUBSCRIBER = 'webhook-alert-mail';

export const USER_AGENT = 'Countercyclical-Webhooks/1.0';
export const MAX_LOGGED_RESPONSE_BYTES = 4096;

/** How often PostgreSQL is scanned for due deliveries that have no live queue job (e.g. after a Redis wipe). */
export const RECONCILE_INTERVAL_MS = 5_000;
/** A due delivery is left to its own queue job for this long before the reconciler enqueues it again. */
export const RECONCILE_GRACE_MS = 5_000;
export const RECONCILE_BATCH = 1_000;
export const PURGE_INTERVAL_MS = 60 * 60_000;
