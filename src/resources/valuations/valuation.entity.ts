import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { numericTransformer } from '../../database/transformers';
import { Workspace } from '../../workspaces/workspace.entity';
import { Investment } from '../investments/investment.entity';

@Entity('valuations')
@Index(['workspaceId', 'createdAt'])
export class Valuation {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  workspaceId: string;

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

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;

  @ManyToOne(() => Workspace, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'workspace_id' })
  workspace?: Workspace;

  @ManyToOne(() => Investment, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'investment_id' })
  investment?: Investment;
}
