import { Injectable } from '@nestjs/common';
import { memberAccessJoin } from '../permissions/access-reader';
import type { MemberRole } from '../permissions/role';
import { In, type EntityManager } from 'typeorm';
import { Webhook, type PendingHealthChange, type StoredSecret } from './webhook.entity';

/** A DataSource or an EntityManager (a transaction): whatever the caller's statement must commit with. */
export interface Queryable {
  query<T = unknown>(sql: string, parameters?: unknown[]): Promise<T>;
}

/** A webhook (enabled or not) subscribed to some of a batch's event types, with its owner's membership. */
export interface SubscribedWebhook {
  id: string;
  workspace_id: string;
  events: string[];
  url: string;
  secrets: StoredSecret[];
  created_by_id: string;
  enabled: boolean;
  created_at: Date;
  /** null when the creator is no longer a member of the workspace. */
  role: MemberRole | null;
  ability_version: number | null;
  /** Only events matching it are delivered (webhook-filter.ts); null: all of the subscribed types. */
  filter: Record<string, unknown> | null;
}

/** A claimed alert-mail slot (claimAlertMail): the webhook to write about, and the slot's old and new values. */
export interface AlertMailClaim {
  name: string;
  url: string;
  workspace_id: string;
  created_by_id: string;
  previous: string | null;
  claimed: string;
}

/**
 * For delivery's lease statement, which reads a delivery's webhook in the same round trip: the
 * table (aliased) and the columns an attempt needs (url, enabled, secrets, created_by_id, and the flow
 * limits max_concurrency and rate_limit_per_second).
 */
export function webhookTarget(alias: string): { from: string; columns: string } {
  return {
    from: `webhooks ${alias}`,
    columns: ['url', 'enabled', 'secrets', 'created_by_id', 'max_concurrency', 'rate_limit_per_second'].map((c) => `${alias}.${c}`).join(', '),
  };
}

/** A webhook's flow-control settings as delivery's scheduler needs them, and what a waiting attempt checks again. */
export interface WebhookFlow {
  workspaceId: string;
  /** null: the platform default (WEBHOOK_MAX_CONCURRENCY). */
  maxConcurrency: number | null;
  /** null: no rate limit. */
  rateLimitPerSecond: number | null;
  enabled: boolean;
  url: string;
  /** The owner, and their membership's ability version (null: no longer a member). */
  createdById: string;
  abilityVersion: number | null;
}

/** One attempt of a batch, as the webhook's health sees it. */
export interface AttemptHealth {
  webhookId: string;
  /** `gone`: the endpoint answered 410. */
  outcome: 'succeeded' | 'failed' | 'gone';
  /** How the attempt failed (`http_status: 500`), for the announcement; null when it succeeded. */
  error: string | null;
}

/** A batch of attempts, in the order they ended, and the health settings. */
export interface WebhookHealth {
  attempts: AttemptHealth[];
  /** A webhook failing for longer than this is disabled (`failing`). */
  disableAfterMs: number;
  /** Failed attempts in a row that make a webhook `failing` (WEBHOOK_FAILING_AFTER). */
  failingAfter: number;
}

/** A webhook with changes of health still to announce (webhooks.alert_pending not empty). */
export interface HealthChange {
  id: string;
}

/** A parameterised row change (EventPublisher.publishWith writes an event with it, in one statement). */
export interface HealthAnnouncement {
  sql: string;
  params: unknown[];
}

// Indexed by (workspace_id): the cost depends on these workspaces' webhooks only. Disabled ones
// come too, so that fan-out records its decision not to deliver to them (delivery_skips).
// The creators' memberships come in the same round trip (the access check needs them);
// ability_version keys the ability cache.
const SUBSCRIBED_WEBHOOKS_SQL = `
SELECT w.id, w.workspace_id, w.events, w.url, w.secrets, w.created_by_id, w.enabled, w.created_at, w.filter, m.role, m.ability_version
FROM webhooks w
${memberAccessJoin('m', 'w.workspace_id', 'w.created_by_id')}
WHERE w.workspace_id = ANY($1::uuid[]) AND w.events && $2::text[]`;

/**
 * The webhooks table's writes outside plain CRUD, and the reads delivery needs. "When is a webhook
 * disabled?" is answered here and in WebhooksService (by a person) only:
 * - `creator_removed`: its creator left the workspace (disableForRemovedCreator, disableOwnedBy);
 * - `gone`: its URL answered 410; `failing`: every attempt failed for longer than
 *   WEBHOOK_DISABLE_AFTER (healthSql, run by delivery inside its attempt-record statement).
 */
@Injectable()
export class WebhookRepository {
  /** Webhooks of these workspaces subscribed to any of these types (disabled ones too), with their owners' memberships. */
  findSubscribed(db: Queryable, workspaceIds: string[], types: string[]): Promise<SubscribedWebhook[]> {
    return db.query<SubscribedWebhook[]>(SUBSCRIBED_WEBHOOKS_SQL, [workspaceIds, types]);
  }

  /** The flow-control settings of these webhooks (those that still exist) and their owners' access versions, by id. */
  async flowLimits(db: Queryable, ids: string[]): Promise<Map<string, WebhookFlow>> {
    const rows = await db.query<
      {
        id: string;
        workspace_id: string;
        max_concurrency: number | null;
        rate_limit_per_second: number | null;
        enabled: boolean;
        url: string;
        created_by_id: string;
        ability_version: number | null;
      }[]
    >(
      `SELECT w.id, w.workspace_id, w.max_concurrency, w.rate_limit_per_second, w.enabled, w.url, w.created_by_id, m.ability_version
       FROM webhooks w ${memberAccessJoin('m', 'w.workspace_id', 'w.created_by_id')}
       WHERE w.id = ANY($1::uuid[])`,
      [ids],
    );
    return new Map(
      rows.map((r) => [
        r.id,
        {
          workspaceId: r.workspace_id,
          maxConcurrency: r.max_concurrency,
          rateLimitPerSecond: r.rate_limit_per_second,
          enabled: r.enabled,
          url: r.url,
          createdById: r.created_by_id,
          abilityVersion: r.ability_version,
        },
      ]),
    );
  }

  /** Webhooks whose creator is no longer a member (found at fan-out): disabled, `creator_removed`. */
  async disableForRemovedCreator(db: Queryable, webhookIds: string[]): Promise<void> {
    await db.query(`UPDATE webhooks SET enabled = false, disabled_reason = 'creator_removed', updated_at = now() WHERE id = ANY($1) AND enabled`, [
      webhookIds,
    ]);
  }

  /** A member's removal (inside its transaction): every webhook they created is disabled, `creator_removed`. */
  async disableOwnedBy(tx: Queryable, workspaceId: string, userId: string): Promise<void> {
    await tx.query(
      `UPDATE webhooks SET enabled = false, disabled_reason = 'creator_removed', updated_at = now()
       WHERE workspace_id = $1 AND created_by_id = $2`,
      [workspaceId, userId],
    );
  }

  /**
   * The health update as common-table expressions for a caller's batch statement (delivery records
   * a batch of attempts in one round trip), using parameters $first … $first+11 in the order of
   * `healthParams`. Each webhook's attempts are taken in the order they ended, in one UPDATE per
   * webhook: failed attempts before its first success extend the current run of failures (counted up
   * to WEBHOOK_FAILING_AFTER; failing past WEBHOOK_DISABLE_AFTER disables it, `failing`), a success
   * ends the run (a run of WEBHOOK_FAILING_AFTER between two successes of the batch is a change of
   * health too), the failures after its last success start a new run, and a 410 disables it
   * (`gone`). Every change of health is appended to alert_pending in the same UPDATE, with what its
   * event will say: a change is never overtaken by the next one before it is announced. The
   * statement must end with `healthChangesSelect()`: the webhooks with changes to announce (also
   * those left unannounced earlier, e.g. by a crash: delayed, never lost).
   */
  healthSql(first: number): string {
    const p = (n: number) => `$${first + n}`;
    const [ids, lead, leadError, mid, midError, ok, trail, trailError, gone, goneError, after, failingAfter] = Array.from({ length: 12 }, (_, n) => p(n));
    const fa = `${failingAfter}::int`;
    // The run of failures was already longer than WEBHOOK_DISABLE_AFTER when this batch's first failures came.
    const expired = `(h.lead > 0 AND w.enabled AND COALESCE(w.failing_since < now() - (${after} || ' milliseconds')::interval, false))`;
    // The failures before the batch's first success complete WEBHOOK_FAILING_AFTER in a row.
    const leadFailing = `(h.lead > 0 AND w.enabled AND w.alert_state IS NULL AND LEAST(w.consecutive_failures + h.lead, ${fa}) >= ${fa})`;
    const stateBeforeSuccess = `(CASE WHEN ${leadFailing} THEN 'failing' ELSE w.alert_state END)`;
    const trailFailing = `(h.ok AND w.enabled AND h.trail >= ${fa})`;
    const goneNow = `(h.gone AND w.enabled AND NOT ${expired})`;
    const entry = (when: string, object: string) => `(CASE WHEN ${when} THEN jsonb_build_array(${object}) ELSE '[]'::jsonb END)`;
    const failingEntry = (error: string, since: string) => `jsonb_build_object('kind', 'failing', 'lastError', ${error}, 'failingSince', ${since})`;
    return `health AS (
  UPDATE webhooks w
  SET consecutive_failures = CASE WHEN ${expired} OR NOT h.ok THEN LEAST(w.consecutive_failures + h.lead, ${fa}) ELSE LEAST(h.trail, ${fa}) END,
      failing_since = CASE WHEN ${expired} THEN w.failing_since
                           WHEN h.ok THEN CASE WHEN h.trail > 0 THEN now() END
                           WHEN h.lead > 0 THEN COALESCE(w.failing_since, now())
                           ELSE w.failing_since END,
      enabled = CASE WHEN ${expired} OR ${goneNow} THEN false ELSE w.enabled END,
      disabled_reason = CASE WHEN ${expired} THEN 'failing' WHEN ${goneNow} THEN 'gone' ELSE w.disabled_reason END,
      updated_at = CASE WHEN ${expired} OR ${goneNow} OR h.lead > 0 THEN now() ELSE w.updated_at END,
      alert_state = CASE WHEN ${expired} OR ${goneNow} THEN 'disabled'
                         WHEN h.ok THEN CASE WHEN ${trailFailing} THEN 'failing' END
                         ELSE ${stateBeforeSuccess} END,
      alert_pending = w.alert_pending
        || ${entry(leadFailing, failingEntry('h.lead_error', 'COALESCE(w.failing_since, now())'))}
        || CASE WHEN ${expired} THEN jsonb_build_array(jsonb_build_object('kind', 'disabled', 'reason', 'failing', 'lastError', h.lead_error))
           ELSE ${entry(`h.ok AND ${stateBeforeSuccess} IS NOT NULL`, `'{"kind": "recovered"}'::jsonb`)}
             || (CASE WHEN h.ok AND h.mid AND w.enabled THEN jsonb_build_array(${failingEntry('h.mid_error', 'now()')}, '{"kind": "recovered"}'::jsonb) ELSE '[]'::jsonb END)
             || ${entry(trailFailing, failingEntry('h.trail_error', 'now()'))}
             || ${entry(goneNow, `jsonb_build_object('kind', 'disabled', 'reason', 'gone', 'lastError', h.gone_error)`)}
           END
  FROM unnest(${ids}::uuid[], ${lead}::int[], ${leadError}::text[], ${mid}::boolean[], ${midError}::text[], ${ok}::boolean[], ${trail}::int[], ${trailError}::text[], ${gone}::boolean[], ${goneError}::text[])
    AS h(id, lead, lead_error, mid, mid_error, ok, trail, trail_error, gone, gone_error)
  WHERE w.id = h.id
    -- Only a change of state writes: a run of failures ending or starting, its first
    -- WEBHOOK_FAILING_AFTER failures, a disable, a change of health. Rewriting every failing
    -- webhook on every batch made a retry storm contend on the webhook rows.
    AND ((h.ok AND (w.failing_since IS NOT NULL OR w.consecutive_failures > 0 OR w.alert_state IS NOT NULL OR h.trail > 0 OR h.mid))
         OR ${goneNow}
         OR (h.lead > 0 AND (w.failing_since IS NULL OR w.consecutive_failures < ${fa} OR ${expired} OR (w.enabled AND w.alert_state IS NULL))))
  RETURNING w.id, w.alert_pending
), unannounced AS (
  -- As the statement began: changes an earlier announcement did not get to (a crash, an error).
  SELECT id FROM webhooks WHERE id = ANY(${ids}::uuid[]) AND alert_pending <> '[]'::jsonb
)`;
  }

  /** The final SELECT of a statement using healthSql(first): the webhooks with changes of health to announce (HealthChange rows). */
  healthChangesSelect(): string {
    return `SELECT id FROM health WHERE alert_pending <> '[]'::jsonb UNION SELECT id FROM unannounced`;
  }

  /**
   * The parameters of healthSql, from the batch's attempts in the order they ended: per webhook,
   * the failures before its first success (or 410), whether a run of WEBHOOK_FAILING_AFTER lay
   * between two successes, whether it succeeded, the failures after its last success, and a 410
   * (what follows a 410 in the batch does not count: the webhook is disabled), each with its last error.
   */
  healthParams(health: WebhookHealth): unknown[] {
    interface Run {
      lead: number;
      leadError: string | null;
      mid: boolean;
      midError: string | null;
      ok: boolean;
      run: number;
      runError: string | null;
      gone: boolean;
      goneError: string | null;
    }
    const runs = new Map<string, Run>();
    for (const a of health.attempts) {
      let r = runs.get(a.webhookId);
      if (!r) runs.set(a.webhookId, (r = { lead: 0, leadError: null, mid: false, midError: null, ok: false, run: 0, runError: null, gone: false, goneError: null }));
      if (r.gone) continue;
      if (a.outcome === 'gone') {
        r.gone = true;
        r.goneError = a.error;
      } else if (a.outcome === 'failed') {
        if (r.ok) {
          r.run += 1;
          r.runError = a.error;
        } else {
          r.lead += 1;
          r.leadError = a.error;
        }
      } else {
        if (r.ok && r.run >= health.failingAfter) {
          r.mid = true;
          r.midError = r.runError;
        }
        r.ok = true;
        r.run = 0;
        r.runError = null;
      }
    }
    const all = [...runs.values()];
    return [
      [...runs.keys()],
      all.map((r) => r.lead),
      all.map((r) => r.leadError),
      all.map((r) => r.mid),
      all.map((r) => r.midError),
      all.map((r) => r.ok),
      all.map((r) => r.run),
      all.map((r) => r.runError),
      all.map((r) => r.gone),
      all.map((r) => r.goneError),
      health.disableAfterMs,
      health.failingAfter,
    ];
  }

  /**
   * The row change that announces the oldest pending change of health, `head` (for
   * EventPublisher.publishWith): pops it if it is still the oldest (another worker may have
   * announced it meanwhile), so its event is written once.
   */
  healthAnnouncement(webhookId: string, head: PendingHealthChange): HealthAnnouncement {
    return {
      sql: `UPDATE webhooks SET alert_pending = alert_pending - 0 WHERE id = $1 AND alert_pending -> 0 = $2::jsonb`,
      params: [webhookId, JSON.stringify(head)],
    };
  }

  /** The webhooks of these ids (any workspace: background work only) with their changes of health not announced yet. */
  findWithPendingHealth(manager: EntityManager, ids: string[]): Promise<Webhook[]> {
    if (!ids.length) return Promise.resolve([]);
    return manager.getRepository(Webhook).createQueryBuilder('w').addSelect('w.alertPending').where('w.id IN (:...ids)', { ids }).getMany();
  }

  /** The webhooks of these ids that exist (any workspace: for background work that holds ids, never for a request). */
  findByIds(manager: EntityManager, ids: string[]): Promise<Webhook[]> {
    return ids.length ? manager.getRepository(Webhook).findBy({ id: In(ids) }) : Promise.resolve([]);
  }

  /**
   * Claims the alert-mail slot of a webhook (at most one mail per `intervalMs`); null when taken.
   * Returns the slot's previous value and the claimed one (as text: exact to the microsecond), for
   * releaseAlertMail() when no mail could be sent.
   */
  async claimAlertMail(db: Queryable, webhookId: string, intervalMs: number): Promise<AlertMailClaim | null> {
    // TypeORM answers an UPDATE with [rows, affected]. The row is locked first, so two workers
    // cannot both see the old value: the second re-reads the first one's claim and gets nothing.
    const [rows] = await db.query<[AlertMailClaim[], number]>(
      `WITH prev AS (SELECT id, alert_mailed_at FROM webhooks WHERE id = $1 FOR UPDATE)
       UPDATE webhooks w SET alert_mailed_at = now() FROM prev
       WHERE w.id = prev.id AND (prev.alert_mailed_at IS NULL OR prev.alert_mailed_at <= now() - ($2 || ' milliseconds')::interval)
       RETURNING w.name, w.url, w.workspace_id, w.created_by_id, prev.alert_mailed_at::text AS previous, w.alert_mailed_at::text AS claimed`,
      [webhookId, intervalMs],
    );
    return rows[0] ?? null;
  }

  /**
   * Gives a claimed slot back (no alert mail could be sent): the slot returns to its previous value,
   * unless another claim took it meanwhile. The next try (the subscriber's job retried) claims it again.
   */
  async releaseAlertMail(db: Queryable, webhookId: string, claim: Pick<AlertMailClaim, 'previous' | 'claimed'>): Promise<void> {
    await db.query(`UPDATE webhooks SET alert_mailed_at = $2::timestamptz WHERE id = $1 AND alert_mailed_at = $3::timestamptz`, [
      webhookId,
      claim.previous,
      claim.claimed,
    ]);
  }

  /** Counted under a per-workspace advisory lock (held to the end of `tx`): concurrent creates cannot overshoot. */
  async countLocked(tx: Queryable, lockNamespace: number, workspaceId: string): Promise<number> {
    await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [lockNamespace, workspaceId]);
    const [{ count }] = await tx.query<{ count: number }[]>('SELECT count(*)::int AS count FROM webhooks WHERE workspace_id = $1', [workspaceId]);
    return count;
  }
}
