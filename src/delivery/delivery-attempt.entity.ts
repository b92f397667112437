import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Delivery } from './delivery.entity';

/** One HTTP attempt of a delivery, as the "View Logs" screen shows it. */
@Entity('delivery_attempts')
@Index(['deliveryId', 'number'])
// Health (GET …/webhooks/:id/stats): one range scan of this webhook's attempts in the window; the
// index also carries what the figures need (created by hand in the migration: INCLUDE columns).
@Index('idx_delivery_attempts_health', { synchronize: false })
export class DeliveryAttempt {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @Column('uuid')
  deliveryId: string;

  /** The delivery's webhook, copied so a webhook's health reads its attempts alone; null on rows from before it. */
  @Column('uuid', { nullable: true })
  webhookId: string | null;

  @Column('integer')
  number: number;

  @Index()
  @Column('timestamptz')
  startedAt: Date;

  @Column('integer')
  durationMs: number;

  @Column('jsonb')
  requestHeaders: Record<string, string>;

  @Column('integer', { nullable: true })
  responseStatus: number | null;

  @Column('jsonb', { nullable: true })
  responseHeaders: Record<string, string> | null;

  @Column('text', { nullable: true })
  responseBody: string | null;

  /** Error kind: timeout, connection_refused, dns, blocked_address, http_status, ... */
  @Column('text', { nullable: true })
  error: string | null;

  @Column('text', { nullable: true })
  errorMessage: string | null;

  @ManyToOne(() => Delivery, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'delivery_id' })
  delivery?: Delivery;
}
