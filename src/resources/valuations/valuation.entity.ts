import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { numericTransformer } from '../../kernel/transformers';
import { Investment } from '../investments/investment.entity';
import { WorkspaceOwnedEntity } from '../../kernel/workspace-owned.entity';

@Entity('valuations')
@Index(['workspaceId', 'createdAt'])
export class Valuation extends WorkspaceOwnedEntity {
  @Index()
  @Column('uuid')
  investmentId: string;

  /** Copied from the investment (and kept in step with it) so team-scoped rules filter valuations in SQL. */
  @Column('uuid')
  teamId: string;

  @Column('numeric', { transformer: numericTransformer })
  value: number;

  @Column('char', { length: 3, nullable: true })
  currency: string | null;

  @Column('date', { nullable: true })
  valuedAt: string | null;

  @Column('text', { nullable: true })
  method: string | null;

  @ManyToOne(() => Investment, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'investment_id' })
  investment?: Investment;
}
