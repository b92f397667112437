import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../identity/user.entity';
import type { Role } from '../permissions/role';
import { Workspace } from './workspace.entity';

export const INVITATION_STATUSES = ['pending', 'accepted', 'declined', 'revoked', 'expired'] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

/**
 * An offer of a role in a workspace to an e-mail address. A membership exists only once the owner
 * of that address, verified, accepts it.
 */
@Entity('invitations')
@Index(['workspaceId', 'createdAt'])
// One pending invitation per address and workspace.
@Index('idx_invitations_pending', ['workspaceId', 'email'], { unique: true, where: "status = 'pending'" })
export class Invitation {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  workspaceId: string;

  /** Stored lower-cased, like users.email. */
  @Index()
  @Column('text')
  email: string;

  @Column('text')
  role: Role;

  @Column('text', { default: 'pending' })
  status: InvitationStatus;

  @Column('uuid', { nullable: true })
  invitedById: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz')
  expiresAt: Date;

  /** When it was accepted, declined or revoked. */
  @Column('timestamptz', { nullable: true })
  respondedAt: Date | null;

  @ManyToOne(() => Workspace, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'workspace_id' })
  workspace?: Workspace;

  @ManyToOne(() => User, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'invited_by_id' })
  invitedBy?: User | null;
}
