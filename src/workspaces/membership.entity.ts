import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from '../identity/user.entity';
import { Workspace } from './workspace.entity';
import type { MemberRole } from '../permissions/role';
import { CustomRole } from './custom-role.entity';

@Entity('memberships')
@Check('CHK_memberships_custom_role', `(role = 'custom') = (custom_role_id IS NOT NULL)`)
export class Membership {
  @PrimaryColumn('uuid')
  workspaceId: string;

  @Index()
  @PrimaryColumn('uuid')
  userId: string;

  @Column('text')
  role: MemberRole;

  /** With role `custom`: the workspace's custom role (deleting a role still assigned is refused). */
  @Index('IDX_memberships_custom_role', { where: 'custom_role_id IS NOT NULL' })
  @Column('uuid', { nullable: true })
  customRoleId: string | null;

  /**
   * Bumped by every role or team change of this member: cached CASL abilities are keyed by it,
   * so the very next request or event sees the change, in every process. Drawn from the sequence
   * `membership_ability_versions` (ability-version.ts), never reused: a member added again does not
   * meet a version of an earlier stay. (1 only for a new workspace's owner.)
   */
  @Column('integer', { default: 1 })
  abilityVersion: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @ManyToOne(() => CustomRole, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'custom_role_id' })
  customRole?: CustomRole;

  @ManyToOne(() => Workspace, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'workspace_id' })
  workspace?: Workspace;
}
