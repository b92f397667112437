import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity('users')
export class User {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Stored lower-cased: email lookups are case-insensitive. */
  @Index({ unique: true })
  @Column('text')
  email: string;

  @Column('text')
  name: string;

  /** argon2id (PHC string); older scrypt hashes are upgraded at the next successful login. */
  @Column('text')
  passwordHash: string;

  /** When the owner of the address proved it (a mailed token); NULL until then. */
  @Column('timestamptz', { nullable: true })
  emailVerifiedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
