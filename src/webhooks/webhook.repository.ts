import { Injectable } from '@nestjs/common';
import { memberAccessJoin } from '../permissions/access-reader';
import type { MemberRole } from '../permissions/role';
import type { StoredSecret } from './webhook.entity';

/** A DataSource or an EntityManager (a transaction): whatever the caller's statement must commit with. */
export interface Queryable {
  query<T = unknown>(sql: string, parameters?: unknown[]): Promise<T>;
}

/** An enabled webhook subscribed to some of a batch's event types, with its owner's membership. */
export interface SubscribedWebhook {
  id: string;
  workspace_id: string;
  events: string[];
  url: string;
  secrets: StoredSecret[];
  created_by_id: string;
  /** null when the creator is no longer a member of the workspace. */
  role: MemberRole | null;
  ability_version: number | null;
  /** Only events matching it are delivered (webhook-filter.ts); null: all of the subscribed types. */
  filter: Record<string, unknown> | null;
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
  failing: string[];
  /** A webhook failing for longer than this is disabled (`failing`). */
  disableAfterMs: number;
}

// Indexed by (workspace_id) WHERE enabled: the cost depends on these workspaces' webhooks only.
// The creators' memberships come in the same round trip (the access check needs them);
// ability_version keys the ability cache.
const SUBSCRIBED_WEBHOOKS_SQL = `
SELECT w.id, w.workspace_id, w.events, w.url, w.secrets, w.created_by_id, w.filter, m.role, m.ability_version
FROM webhooks w
${memberAccessJoin('m', 'w.workspace_id', 'w.created_by_id')}
WHERE w.workspace_id = ANY($1::uuid[]) AND w.enabled AND w.events && $2::text[]`;

/**
 * The webhooks table's writes outside plain CRUD, and the reads delivery needs. "When is a webhook
 * disabled?" is answered here and in WebhooksService (by a person) only:
 * - `creator_removed`: its creator left the workspace (disableForRemovedCreator, disableOwnedBy);
 * - `gone`: its URL answered 410; `failing`: every attempt failed for longer than
 *   WEBHOOK_DISABLE_AFTER (healthSql, run by delivery inside its attempt-record statement).
 */
@Injectable()
export class WebhookRepository {
  /** Enabled webhooks of these workspaces subscribed to any of these types, with their owners' memberships. */
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
   * a batch of attempts in one round trip), using parameters $first … $first+3, in the order of
   * `healthParams`: the failing streak starts or ends, and a webhook is disabled when gone (410)
   * or failing for longer than disableAfterMs. Its last expression is named `failing_webhooks`.
   */
  healthSql(first: number): string {
    const [healthy, gone, failing, after] = [first, first + 1, first + 2, first + 3].map((n) => `$${n}`);
    return `healthy AS (
  UPDATE webhooks SET failing_since = NULL WHERE id = ANY(${healthy}::uuid[]) AND failing_since IS NOT NULL
), gone AS (
  UPDATE webhooks SET enabled = false, disabled_reason = 'gone', updated_at = now() WHERE id = ANY(${gone}::uuid[]) AND enabled
), failing_webhooks AS (
  UPDATE webhooks
  SET failing_since = COALESCE(failing_since, now()),
      enabled = CASE WHEN failing_since < now() - (${after} || ' milliseconds')::interval THEN false ELSE enabled END,
      disabled_reason = CASE WHEN enabled AND failing_since < now() - (${after} || ' milliseconds')::interval THEN 'failing' ELSE disabled_reason END,
      updated_at = now()
  WHERE id = ANY(${failing}::uuid[])
    -- Only a change of state writes: the start of a failing streak, or the disable. Rewriting every
    -- failing webhook on every batch made a retry storm contend on the webhook rows.
    AND (failing_since IS NULL OR (enabled AND failing_since < now() - (${after} || ' milliseconds')::interval))
)`;
  }

  healthParams(health: WebhookHealth): unknown[] {
    const healthy = [...new Set(health.healthy)];
    return [healthy, [...new Set(health.gone)], [...new Set(health.failing)].filter((id) => !healthy.includes(id)), health.disableAfterMs];
  }

  /** Counted under a per-workspace advisory lock (held to the end of `tx`): concurrent creates cannot overshoot. */
  async countLocked(tx: Queryable, lockNamespace: number, workspaceId: string): Promise<number> {
    await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [lockNamespace, workspaceId]);
    const [{ count }] = await tx.query<{ count: number }[]>('SELECT count(*)::int AS count FROM webhooks WHERE workspace_id = $1', [workspaceId]);
    return count;
  }
}
