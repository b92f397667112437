import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from './user.entity';

export const ACCOUNT_TOKEN_PURPOSES = ['verify_email', 'password_reset'] as const;
export type AccountTokenPurpose = (typeof ACCOUNT_TOKEN_PURPOSES)[number];

/**
 * A single-use token mailed to prove an address (e-mail verification, password reset). Only its
 * SHA-256 is stored; using it deletes the row, so a token works once.
 */
@Entity('account_tokens')
export class AccountToken {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index()
  @Column('uuid')
  userId: string;

  @Column('text')
  purpose: AccountTokenPurpose;

  @Index({ unique: true })
  @Column('text')
  tokenHash: string;

  /** The address the token was mailed to: it proves this address, not whatever the account has later. */
  @Column('text')
  email: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz')
  expiresAt: Date;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;
}
