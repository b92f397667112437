import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from './user.entity';

/** A workspace API key: acts as its creator, inside its workspace only. Only its SHA-256 is stored. */
@Entity('api_keys')
@Index(['workspaceId', 'createdAt'])
export class ApiKey {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  workspaceId: string;

  @Index()
  @Column('uuid')
  userId: string;

  @Column('text')
  name: string;

  /** The first characters of the key, so people can tell keys apart without the secret. */
  @Column('text')
  prefix: string;

  @Index({ unique: true })
  @Column('text')
  keyHash: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  /** After this the key stops working (NULL: until revoked). */
  @Column('timestamptz', { nullable: true })
  expiresAt: Date | null;

  /** Moved forward at most once a minute (AuthGuard). */
  @Column('timestamptz', { nullable: true })
  lastUsedAt: Date | null;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  // Named, not imported: identity knows no workspaces module (the entity is workspaces').
  @ManyToOne('Workspace', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'workspace_id' })
  workspace?: object;
}
