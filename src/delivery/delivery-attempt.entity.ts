import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Delivery } from './delivery.entity';

/** One HTTP attempt of a delivery, as the "View Logs" screen shows it. */
@Entity('delivery_attempts')
@Index(['deliveryId', 'number'])
export class DeliveryAttempt {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @Column('uuid')
  deliveryId: string;

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
