import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { OutboxEvent } from '../events/outbox-event.entity';
import { Webhook } from '../webhooks/webhook.entity';

/**
 * Why fan-out did not create a delivery for a webhook subscribed to the event's type:
 * - `not_permitted`: the webhook's owner may not read the event's object;
 * - `disabled`: the webhook was disabled (or paused) when the event was fanned out;
 * - `created_after_event`: the webhook was created after the event happened;
 * - `filtered`: the webhook's filter did not match the event.
 */
export const SKIP_REASONS = ['not_permitted', 'disabled', 'created_after_event', 'filtered'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/**
 * A decision not to deliver an event to a webhook. Deliveries record the positive decisions; this
 * table records the negative ones, so "why (not)?" can be answered for every subscribed webhook.
 * Written by fan-out in the same statement as the deliveries; removed with its event (same
 * retention as the delivery logs, WEBHOOK_LOG_RETENTION) or its webhook.
 */
@Entity('delivery_skips')
export class DeliverySkip {
  @PrimaryColumn('text')
  eventId: string;

  @PrimaryColumn('uuid')
  webhookId: string;

  @Column('uuid')
  workspaceId: string;

  @Column('text')
  reason: SkipReason;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @ManyToOne(() => OutboxEvent, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'event_id' })
  event?: OutboxEvent;

  @ManyToOne(() => Webhook, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'webhook_id' })
  webhook?: Webhook;
}
