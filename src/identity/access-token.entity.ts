import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from './user.entity';

/** A login session: its bearer token's SHA-256 (never the token), listed in GET /v1/me/sessions. */
@Entity('access_tokens')
export class AccessToken {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index()
  @Column('uuid')
  userId: string;

  @Index({ unique: true })
  @Column('text')
  tokenHash: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz')
  expiresAt: Date;

  /** Moved forward at most once a minute (AuthGuard), so a busy session does not write on every request. */
  @Column('timestamptz', { default: () => 'now()' })
  lastUsedAt: Date;

  /** The User-Agent that signed in, so people can tell their sessions apart. */
  @Column('text', { nullable: true })
  userAgent: string | null;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;
}
