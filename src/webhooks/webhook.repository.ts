import { Injectable } from '@nestjs/common';
import { memberAccessJoin } from '../permissions/access-reader';
import type { MemberRole } from '../permissions/role';
import { In, type EntityManager } from 'typeorm';
import { Webhook, type StoredSecret } from './webhook.entity';

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

/** Which webhooks an attempt batch found healthy, gone (410) or failing. */
export interface WebhookHealth {
  healthy: string[];
  gone: string[];
  /** One entry per failed attempt (a webhook appears as often as it failed in the batch). */
  failing: string[];
  /** A webhook failing for longer than this is disabled (`failing`). */
  disableAfterMs: number;
  /** Failed attempts in a row that make a webhook `failing` (WEBHOOK_FAILING_AFTER). */
  failingAfter: number;
}

/** A change of a webhook's health to announce (webhook.failing / disabled / recovered). */
export interface HealthChange {
  id: string;
  kind: 'failing' | 'disabled' | 'recovered';
}

/** A parameterised row change (EventPublisher.publishWith writes an event with it, in one statement). */
export interface HealthAnnouncement {
  sql: string;
  params: unknown[];
}

/** The state each announcement sets, and the condition it needs (checked again in its statement). */
const TRANSITIONS: Record<HealthChange['kind'], { state: string | null; when: string }> = {
  failing: { state: 'failing', when: `alert_state IS NULL AND enabled AND consecutive_failures >= $3::int` },
  disabled: { state: 'disabled', when: `alert_state IS DISTINCT FROM 'disabled' AND NOT enabled AND disabled_reason IN ('failing', 'gone')` },
  recovered: { state: null, when: `alert_state IS NOT NULL AND consecutive_failures = 0` },
};

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
   * a batch of attempts in one round trip), using parameters $first … $first+5, in the order of
   * `healthParams`: failed attempts in a row are counted (up to WEBHOOK_FAILING_AFTER), the failing
   * streak starts or ends, and a webhook is disabled when gone (410) or failing for longer than
   * disableAfterMs. The statement must end with `healthChangesSelect()`: the changes of health
   * still to announce (the announcement flips alert_state; until then these rows are written and
   * answered again, so a crash in between delays an alert, never loses it).
   */
  healthSql(first: number): string {
    const [healthy, gone, failing, after, counts, failingAfter] = [0, 1, 2, 3, 4, 5].map((n) => `$${first + n}`);
    return `healthy AS (
  UPDATE webhooks SET failing_since = NULL, consecutive_failures = 0
  WHERE id = ANY(${healthy}::uuid[]) AND (failing_since IS NOT NULL OR consecutive_failures > 0 OR alert_state IS NOT NULL)
  RETURNING id, alert_state
), gone AS (
  UPDATE webhooks SET enabled = false, disabled_reason = 'gone', updated_at = now()
  WHERE id = ANY(${gone}::uuid[]) AND (enabled OR (disabled_reason = 'gone' AND alert_state IS DISTINCT FROM 'disabled'))
  RETURNING id, alert_state
), failing_webhooks AS (
  UPDATE webhooks w
  SET failing_since = COALESCE(w.failing_since, now()),
      consecutive_failures = LEAST(w.consecutive_failures + f.n, ${failingAfter}::int),
      enabled = CASE WHEN w.failing_since < now() - (${after} || ' milliseconds')::interval THEN false ELSE w.enabled END,
      disabled_reason = CASE WHEN w.enabled AND w.failing_since < now() - (${after} || ' milliseconds')::interval THEN 'failing' ELSE w.disabled_reason END,
      updated_at = now()
  FROM unnest(${failing}::uuid[], ${counts}::int[]) AS f(id, n)
  WHERE w.id = f.id
    -- Only a change of state writes: the start of a failing streak, the first WEBHOOK_FAILING_AFTER
    -- failures, the disable, or a change of health not yet announced. Rewriting every failing
    -- webhook on every batch made a retry storm contend on the webhook rows.
    AND (w.failing_since IS NULL OR w.consecutive_failures < ${failingAfter}::int
         OR (w.enabled AND w.failing_since < now() - (${after} || ' milliseconds')::interval)
         OR (w.enabled AND w.alert_state IS NULL)
         OR (NOT w.enabled AND w.disabled_reason = 'failing' AND w.alert_state IS DISTINCT FROM 'disabled'))
  RETURNING w.id, w.enabled, w.disabled_reason, w.consecutive_failures, w.alert_state
)`;
  }

  /** The final SELECT of a statement using healthSql(first): the HealthChange rows to announce. */
  healthChangesSelect(first: number): string {
    const failingAfter = `$${first + 5}`;
    return `SELECT id, 'recovered' AS kind FROM healthy WHERE alert_state IS NOT NULL
UNION ALL
SELECT id, 'disabled' FROM gone WHERE alert_state IS DISTINCT FROM 'disabled'
UNION ALL
SELECT id, CASE WHEN enabled THEN 'failing' ELSE 'disabled' END FROM failing_webhooks
WHERE (enabled AND consecutive_failures >= ${failingAfter}::int AND alert_state IS NULL)
   OR (NOT enabled AND disabled_reason = 'failing' AND alert_state IS DISTINCT FROM 'disabled')`;
  }

  healthParams(health: WebhookHealth): unknown[] {
    const healthy = [...new Set(health.healthy)];
    // Failed attempts per webhook, for those with no success in this batch.
    const failures = new Map<string, number>();
    for (const id of health.failing) if (!healthy.includes(id)) failures.set(id, (failures.get(id) ?? 0) + 1);
    return [healthy, [...new Set(health.gone)], [...failures.keys()], health.disableAfterMs, [...failures.values()], health.failingAfter];
  }

  /**
   * The row change that announces `change` (for EventPublisher.publishWith): flips alert_state if
   * the webhook is still in that state and it was not announced yet, so the event is written once.
   */
  healthAnnouncement(change: HealthChange, failingAfter: number): HealthAnnouncement {
    const { state, when } = TRANSITIONS[change.kind];
    return {
      sql: `UPDATE webhooks SET alert_state = $2::text WHERE id = $1 AND ${when}`,
      params: change.kind === 'failing' ? [change.id, state, failingAfter] : [change.id, state],
    };
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
