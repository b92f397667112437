import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from '../identity/user.entity';
import { Workspace } from './workspace.entity';
import type { Role } from '../permissions/role';

@Entity('memberships')
export class Membership {
  @PrimaryColumn('uuid')
  workspaceId: string;

  @Index()
  @PrimaryColumn('uuid')
  userId: string;

  @Column('text')
  role: Role;

  /**
   * Bumped by every role or team change of this member: cached CASL abilities are keyed by it,
   * so the very next request or event sees the change, in every process.
   */
  @Column('integer', { default: 1 })
  abilityVersion: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @ManyToOne(() => Workspace, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'workspace_id' })
  workspace?: Workspace;
}
