import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { OutboxEvent } from '../events/outbox-event.entity';
import { Webhook } from '../webhooks/webhook.entity';

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'retrying', 'failed', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * Why a delivery was cancelled: its webhook was disabled or paused, or the webhook's owner may not
 * read the event's object at the moment of the attempt (role, team, visibility or owner changed).
 */
export const CANCEL_REASONS = ['webhook_disabled', 'not_permitted'] as const;
export type CancelReason = (typeof CANCEL_REASONS)[number];

/** One event to one webhook: the unit that is retried, logged and redelivered. */
@Entity('deliveries')
@Index(['eventId', 'webhookId'], { unique: true })
@Index(['webhookId', 'createdAt'])
// The workspace-wide delivery search (GET /v1/workspaces/:wid/deliveries), newest first.
@Index(['workspaceId', 'createdAt'])
// The reconciler's scan: due work that may have lost its queue job.
@Index('idx_deliveries_due', ['nextAttemptAt'], { where: "status IN ('pending', 'retrying')" })
// A webhook's backlog in due order: what a worker left here for want of room, pulled back (DeliveryBacklog).
@Index('idx_deliveries_due_by_webhook', ['webhookId', 'nextAttemptAt'], { where: "status IN ('pending', 'retrying')" })
export class Delivery {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  eventId: string;

  @Column('uuid')
  webhookId: string;

  @Column('uuid')
  workspaceId: string;

  @Column('text')
  eventType: string;

  @Column('text', { default: 'pending' })
  status: DeliveryStatus;

  @Column('integer', { default: 0 })
  attemptCount: number;

  @Column('integer', { nullable: true })
  responseStatus: number | null;

  @Column('timestamptz', { nullable: true })
  nextAttemptAt: Date | null;

  /** A worker that is sending this delivery holds it until then; an expired lease means the worker died. */
  @Column('timestamptz', { nullable: true })
  leaseUntil: Date | null;

  /** Set with status `cancelled`; null otherwise. */
  @Column('text', { nullable: true })
  cancelReason: CancelReason | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;

  @ManyToOne(() => OutboxEvent, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'event_id' })
  event?: OutboxEvent;

  @ManyToOne(() => Webhook, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'webhook_id' })
  webhook?: Webhook;
}
