import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Team } from '../../workspaces/team.entity';
import { Workspace } from '../../workspaces/workspace.entity';
import { Investment } from '../investments/investment.entity';

export const MEMO_VISIBILITIES = ['private', 'team', 'workspace'] as const;
export type MemoVisibility = (typeof MEMO_VISIBILITIES)[number];

@Entity('memos')
@Index(['workspaceId', 'createdAt'])
export class Memo {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  workspaceId: string;

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

  @ManyToOne(() => Team, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'team_id' })
  team?: Team;
}
