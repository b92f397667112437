import { Column, Entity, Index } from 'typeorm';
import { WorkspaceOwnedEntity } from '../kernel/workspace-owned.entity';

export const DISABLED_REASONS = ['gone', 'failing', 'creator_removed'] as const;
export type DisabledReason = (typeof DISABLED_REASONS)[number];

/** One signing secret, encrypted at rest; `expiresAt` is set once it has been rotated out. */
export interface StoredSecret {
  ciphertext: string;
  createdAt: string;
  expiresAt: string | null;
}

/** A change of health detected and not announced yet (webhooks.alert_pending), with what its event says. */
export interface PendingHealthChange {
  kind: 'failing' | 'disabled' | 'recovered';
  /** failing, disabled: the error of the last failed attempt before the change (`http_status: 500`). */
  lastError?: string | null;
  /** disabled: why. */
  reason?: 'failing' | 'gone';
  /** failing: when the run of failures began. */
  failingSince?: string | null;
}

@Entity('webhooks')
@Index(['workspaceId', 'createdAt'])
// Fan-out looks up the enabled webhooks of one workspace by event type: cost independent of other workspaces.
@Index('idx_webhooks_fanout', ['workspaceId'], { where: 'enabled' })
export class Webhook extends WorkspaceOwnedEntity {
  @Column('text')
  name: string;

  @Column('text')
  url: string;

  @Column('text', { nullable: true })
  description: string | null;

  @Column('text', { array: true })
  events: string[];

  @Column('boolean', { default: true })
  enabled: boolean;

  @Column('text', { nullable: true })
  disabledReason: DisabledReason | null;

  /**
   * The owner: the webhook carries only what this user may read. Whoever else changes its url or
   * events becomes the owner (permissions.md "Who a webhook belongs to").
   */
  @Index()
  @Column('uuid')
  createdById: string;

  /** The owner before the last change of owner; null while the creator still owns it. */
  @Column('uuid', { nullable: true })
  previousOwnerId: string | null;

  /** When the webhook last changed owner. */
  @Column('timestamptz', { nullable: true })
  ownerChangedAt: Date | null;

  /** Newest first; the first is the current secret. Never serialised to API responses or logs. */
  @Column('jsonb', { select: false })
  secrets: StoredSecret[];

  /**
   * The id of the WEBHOOK_SECRET_KEY every secret of this row is encrypted under; null for rows
   * from before key ids. Rows not under the current key are re-encrypted at start-up.
   */
  @Column('text', { nullable: true, select: false })
  secretsKeyId: string | null;

  /**
   * Only events matching this condition are delivered (webhook-filter.ts): a MongoDB-style query on
   * `{object, previousAttributes, changedFields}`; null = every event of the subscribed types.
   */
  @Column('jsonb', { nullable: true })
  filter: Record<string, unknown> | null;
  /** Attempts in flight at once for this webhook; null: the platform default (WEBHOOK_MAX_CONCURRENCY). */
  @Column('integer', { nullable: true })
  maxConcurrency: number | null;

  /** At most this many attempts start per second; null: no rate limit. */
  @Column('integer', { nullable: true })
  rateLimitPerSecond: number | null;

  /** When the current run of failed deliveries began; null once any delivery succeeds. */
  @Column('timestamptz', { nullable: true })
  failingSince: Date | null;

  /** Failed attempts in a row (any success resets it): WEBHOOK_FAILING_AFTER of them raise `webhook.failing`. */
  @Column('integer', { default: 0 })
  consecutiveFailures: number;

  /**
   * The webhook's health as the attempts' statement last changed it: `failing`, `disabled`, or null
   * (healthy, or recovered). Each change also appends its announcement to alertPending.
   */
  @Column('text', { nullable: true })
  alertState: 'failing' | 'disabled' | null;

  /**
   * Changes of health not announced yet, oldest first: appended in the statement that changes the
   * health, popped in the statement that writes the operational event (each announced exactly once,
   * in order, even when the next change came before the announcement).
   */
  @Column('jsonb', { default: () => "'[]'", select: false })
  alertPending: PendingHealthChange[];

  /** When an operational alert about this webhook was last mailed (at most one per WEBHOOK_ALERT_MAIL_INTERVAL). */
  @Column('timestamptz', { nullable: true })
  alertMailedAt: Date | null;
}
