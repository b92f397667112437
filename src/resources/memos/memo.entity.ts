import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { Team } from '../../workspaces/team.entity';
import { Investment } from '../investments/investment.entity';
import { WorkspaceOwnedEntity } from '../../kernel/workspace-owned.entity';

export const MEMO_VISIBILITIES = ['private', 'team', 'workspace'] as const;
export type MemoVisibility = (typeof MEMO_VISIBILITIES)[number];

@Entity('memos')
@Index(['workspaceId', 'createdAt'])
export class Memo extends WorkspaceOwnedEntity {
  @Column('text')
  title: string;

  @Column('text', { nullable: true })
  body: string | null;

  @Column('uuid', { nullable: true })
  investmentId: string | null;

  @Column('uuid', { nullable: true })
  teamId: string | null;

  @Column('text')
  visibility: MemoVisibility;

  @Column('uuid')
  authorId: string;

  @ManyToOne(() => Investment, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'investment_id' })
  investment?: Investment;

  @ManyToOne(() => Team, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'team_id' })
  team?: Team;
}
