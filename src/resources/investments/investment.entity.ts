import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { numericTransformer } from '../../database/transformers';
import { Team } from '../../workspaces/team.entity';
import { Workspace } from '../../workspaces/workspace.entity';

export const INVESTMENT_STATUSES = ['active', 'exited', 'written_off'] as const;
export type InvestmentStatus = (typeof INVESTMENT_STATUSES)[number];

@Entity('investments')
@Index(['workspaceId', 'createdAt'])
export class Investment {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  workspaceId: string;

  @Column('text')
  name: string;

  @Index()
  @Column('uuid')
  teamId: string;

  @Column('text', { nullable: true })
  stage: string | null;

  @Column('text', { default: 'active' })
  status: InvestmentStatus;

  @Column('numeric', { nullable: true, transformer: numericTransformer })
  amount: number | null;

  @Column('char', { length: 3, nullable: true })
  currency: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;

  @ManyToOne(() => Workspace, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'workspace_id' })
  workspace?: Workspace;

  @ManyToOne(() => Team, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'team_id' })
  team?: Team;
}
