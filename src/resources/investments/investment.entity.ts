import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { numericTransformer } from '../../kernel/transformers';
import { Team } from '../../workspaces/team.entity';
import { WorkspaceOwnedEntity } from '../../kernel/workspace-owned.entity';

export const INVESTMENT_STATUSES = ['active', 'exited', 'written_off'] as const;
export type InvestmentStatus = (typeof INVESTMENT_STATUSES)[number];

@Entity('investments')
@Index(['workspaceId', 'createdAt'])
export class Investment extends WorkspaceOwnedEntity {
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

  @ManyToOne(() => Team, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'team_id' })
  team?: Team;
}
