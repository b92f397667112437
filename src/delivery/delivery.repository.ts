import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { WORKER_DATA_SOURCE } from '../database/data-source-options';
import { EVENT_COLUMNS, type EventRow } from '../events/domain-event';
import { memberAccessJoin } from '../permissions/access-reader';
import type { MemberRole } from '../permissions/role';
import type { StoredSecret } from '../webhooks/webhook.entity';
import { webhookTarget } from '../webhooks/webhook.repository';
import type { CancelReason } from './delivery.entity';
import type { SkipReason } from './delivery-skip.entity';

/**
 * THE condition "due and nobody holds it" (alias `d`): still to be attempted, due by `dueBy`
 * (an SQL time expression), and not leased by a live worker. Leasing, reclaiming and the
 * reconciler all use it.
 */
function dueAndUnleased(dueBy: string, d = 'd'): string {
  return `${d}.status IN ('pending', 'retrying') AND ${d}.next_attempt_at <= ${dueBy} AND (${d}.lease_until IS NULL OR ${d}.lease_until < now())`;
}

/**
 * A batch's deliveries in the order they are queued for their webhooks: the oldest event first
 * (event ids sort by creation). RETURNING answers in no particular order.
 */
function oldestEventFirst(a: { event_id: string }, b: { event_id: string }): number {
  return a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0;
}

/** A delivery created or reclaimed by fan-out, leased to this worker. */
export interface CreatedDelivery {
  id: string;
  event_id: string;
  webhook_id: string;
  attempt_count: number;
}

/** One delivery to create: an event and a webhook entitled to it. */
export interface NewDelivery {
  eventId: string;
  webhookId: string;
  workspaceId: string;
  eventType: string;
}

/** A decision not to deliver an event to a subscribed webhook (delivery_skips). */
export interface NewSkip {
  eventId: string;
  webhookId: string;
  workspaceId: string;
  reason: SkipReason;
}

/** A delivery leased for one attempt, with its webhook, the webhook's owner now, and its event. */
export interface LeasedDelivery extends Omit<EventRow, 'id'> {
  id: string;
  webhook_id: string;
  attempt_count: number;
  url: string;
  enabled: boolean;
  /** The webhook's flow limits (null: the defaults). */
  max_concurrency: number | null;
  rate_limit_per_second: number | null;
  secrets: StoredSecret[];
  /** The webhook's owner now, and their membership (null role: no longer a member). */
  created_by_id: string;
  role: MemberRole | null;
  ability_version: number | null;
  event_id: string;
}

// Claims the delivery for this worker: only if it is still due and nobody holds it. A duplicate
// job (reconciler, redelivery) finds nothing to claim and ends: no double send in a normal run.
// The webhook's URL, its owner and the owner's membership come from the same snapshot, so the
// owner whose ability is checked is the one of the URL the attempt goes to.
// The webhook's and the event's columns, and the owner's membership, are named by their owners
// (webhookTarget, EVENT_COLUMNS, memberAccessJoin): one round trip, no foreign SQL here.
const webhook = webhookTarget('w');
/** Leases the deliveries `d` that `picked` selects (with `with`: a CTE named before), answering them as LeasedDelivery rows. */
const leaseSql = (picked: string, dueBy: string, withCte = '') => `
${withCte}
UPDATE deliveries d SET lease_until = now() + ($2 || ' milliseconds')::interval
FROM events e, ${webhook.from}
${memberAccessJoin('m', 'w.workspace_id', 'w.created_by_id')}
WHERE ${picked} AND w.id = d.webhook_id AND e.id = d.event_id
  AND ${dueAndUnleased(dueBy)}
RETURNING d.id, d.webhook_id, d.attempt_count, m.role, m.ability_version, ${webhook.columns},
          ${EVENT_COLUMNS.replace('e.id, ', 'e.id AS event_id, ')}`;
// A job may run a little before its delivery is due (clocks, Bull's delay): a second of slack.
const LEASE_SQL = leaseSql('d.id = $1', `now() + interval '1 second'`);
// A webhook's oldest due deliveries that a worker gave back (lease_until NULL: never one whose lease
// merely lapsed, which a live worker may still hold and send; those are the reconciler's after its
// grace), at most n each, $3 in all, oldest first across webhooks: one index range scan per webhook
// (idx_deliveries_due_by_webhook), whatever the backlog's size.
const LEASE_BACKLOG_SQL = leaseSql(
  'd.id IN (SELECT id FROM pick) AND d.lease_until IS NULL',
  'now()',
  `WITH pick AS (
     SELECT x.id FROM unnest($1::uuid[], $4::int[]) AS h(webhook_id, n)
     CROSS JOIN LATERAL (
       SELECT b.id, b.next_attempt_at, b.event_id FROM deliveries b
       WHERE b.webhook_id = h.webhook_id AND b.lease_until IS NULL AND ${dueAndUnleased('now()', 'b')}
       ORDER BY b.next_attempt_at, b.event_id LIMIT h.n
     ) x
     ORDER BY x.next_attempt_at, x.event_id LIMIT $3
   )`,
);

/**
 * The deliveries table's lifecycle on the delivery machinery's pool (synchronous_commit off):
 * insert leased, lease, reclaim, find due, cancel. A lease lasts one attempt (the send timeout
 * plus a margin); a worker that dies holding one lets it lapse, and the reconciler finds the row.
 */
@Injectable()
export class DeliveryRepository {
  private readonly leaseMs: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource(WORKER_DATA_SOURCE) private readonly dataSource: DataSource,
  ) {
    this.leaseMs = config.webhookTimeoutMs + config.deliveryLeaseMarginMs;
  }

  /**
   * Inserts the deliveries already leased to this worker, and the decisions not to deliver
   * (`skips`, delivery_skips: this repository owns both tables), in one statement. On a re-run, existing
   * rows are not duplicated; those of these events still due and unleased are claimed instead
   * (only pairs in `wanted`: a webhook may have been disabled or narrowed since).
   */
  async insertLeased(rows: NewDelivery[], skips: NewSkip[] = []): Promise<CreatedDelivery[]> {
    const inserted: CreatedDelivery[] = await this.dataSource.query(
      `WITH skips AS (
         INSERT INTO delivery_skips (event_id, webhook_id, workspace_id, reason)
         SELECT * FROM unnest($6::text[], $7::uuid[], $8::uuid[], $9::text[])
         ON CONFLICT (event_id, webhook_id) DO NOTHING
       )
       INSERT INTO deliveries (event_id, webhook_id, workspace_id, event_type, status, next_attempt_at, lease_until)
       SELECT p.event_id, p.webhook_id, p.workspace_id, p.event_type, 'pending', now(), now() + ($1 || ' milliseconds')::interval
       FROM unnest($2::text[], $3::uuid[], $4::uuid[], $5::text[]) AS p(event_id, webhook_id, workspace_id, event_type)
       ON CONFLICT (event_id, webhook_id) DO NOTHING
       RETURNING id, event_id, webhook_id, attempt_count`,
      [
        this.leaseMs,
        rows.map((r) => r.eventId),
        rows.map((r) => r.webhookId),
        rows.map((r) => r.workspaceId),
        rows.map((r) => r.eventType),
        skips.map((s) => s.eventId),
        skips.map((s) => s.webhookId),
        skips.map((s) => s.workspaceId),
        skips.map((s) => s.reason),
      ],
    );
    if (inserted.length === rows.length) return inserted.sort(oldestEventFirst);
    const reclaimed = await this.reclaim([...new Set(rows.map((r) => r.eventId))], inserted.map((d) => d.id));
    const wanted = new Set(rows.map((r) => `${r.eventId}:${r.webhookId}`));
    return [...inserted, ...reclaimed.filter((d) => wanted.has(`${d.event_id}:${d.webhook_id}`))].sort(oldestEventFirst);
  }

  /** Leases the deliveries of these events (but `except`) that are due and unleased. */
  private async reclaim(eventIds: string[], except: string[]): Promise<CreatedDelivery[]> {
    // TypeORM answers an UPDATE with [rows, affected].
    const [reclaimed]: [CreatedDelivery[], number] = await this.dataSource.query(
      `UPDATE deliveries d SET lease_until = now() + ($2 || ' milliseconds')::interval
       WHERE d.event_id = ANY($1::text[]) AND NOT (d.id = ANY($3::uuid[])) AND ${dueAndUnleased('now()')}
       RETURNING id, event_id, webhook_id, attempt_count`,
      [eventIds, this.leaseMs, except],
    );
    return reclaimed;
  }

  /** Leases one delivery for an attempt, if it is due (within a second) and unleased; else null. */
  async lease(deliveryId: string): Promise<LeasedDelivery | null> {
    const [rows]: [LeasedDelivery[], number] = await this.dataSource.query(LEASE_SQL, [deliveryId, this.leaseMs]);
    return rows[0] ?? null;
  }

  /**
   * Leases up to `perWebhook.get(id)` of each webhook's oldest due deliveries given back unleased,
   * `limit` in all (a worker pulling back what it left waiting here for want of room: DeliveryBacklog).
   */
  async leaseBacklog(perWebhook: Map<string, number>, limit: number): Promise<LeasedDelivery[]> {
    if (!perWebhook.size || limit <= 0) return [];
    const [rows]: [LeasedDelivery[], number] = await this.dataSource.query(LEASE_BACKLOG_SQL, [
      [...perWebhook.keys()],
      this.leaseMs,
      limit,
      [...perWebhook.values()],
    ]);
    return rows.sort(oldestEventFirst);
  }

  /**
   * Due for longer than `graceMs` and unleased (their job is late or lost), in turns per workspace:
   * every workspace's oldest first, then every workspace's second, … so one workspace's backlog
   * waiting here cannot crowd out another's. `exceptWebhooks`: webhooks the caller has no room for
   * now (their backlog is pulled back as room frees).
   */
  findDue(
    graceMs: number,
    limit: number,
    exceptWebhooks: string[] = [],
  ): Promise<{ id: string; attempt_count: number; workspace_id: string; webhook_id: string }[]> {
    return this.dataSource.query(
      `SELECT id, attempt_count, workspace_id, webhook_id FROM (
         SELECT d.id, d.attempt_count, d.workspace_id, d.webhook_id, d.next_attempt_at,
                row_number() OVER (PARTITION BY d.workspace_id ORDER BY d.next_attempt_at) AS turn
         FROM deliveries d
         WHERE ${dueAndUnleased(`now() - ($1 || ' milliseconds')::interval`)} AND NOT (d.webhook_id = ANY($2::uuid[]))
       ) due
       ORDER BY turn, next_attempt_at LIMIT ${Number(limit)}`,
      [graceMs, exceptWebhooks],
    );
  }

  /** Gives deliveries this worker holds but will not attempt back: due, unleased. */
  async unlease(ids: string[]): Promise<void> {
    await this.dataSource.query(`UPDATE deliveries SET lease_until = NULL WHERE id = ANY($1::uuid[]) AND status IN ('pending', 'retrying')`, [ids]);
  }

  /**
   * Renews the leases of deliveries still held (waiting for their turn or in flight). Only rows
   * still leased: one just logged (lease_until NULL) is not leased again.
   */
  async extendLeases(ids: string[]): Promise<void> {
    await this.dataSource.query(
      `UPDATE deliveries SET lease_until = now() + ($2 || ' milliseconds')::interval
       WHERE id = ANY($1::uuid[]) AND lease_until IS NOT NULL AND status IN ('pending', 'retrying')`,
      [ids, this.leaseMs],
    );
  }

  async cancel(deliveryId: string, reason: CancelReason): Promise<void> {
    await this.dataSource.query(
      `UPDATE deliveries SET status = 'cancelled', cancel_reason = $2, lease_until = NULL, next_attempt_at = NULL, updated_at = now()
       WHERE id = $1`,
      [deliveryId, reason],
    );
  }
}
