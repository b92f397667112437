import { ConflictException, ForbiddenException, Injectable, UnauthorizedException, BadRequestException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { EventPublisher } from '../events/event-publisher.service';
import {
  ACCOUNT_EVENTS_WORKSPACE_ID,
  EMAIL_VERIFICATION_REQUESTED,
  EmailVerificationRequested,
  PASSWORD_RESET_REQUESTED,
  PasswordResetRequested,
} from './account-events';
import { AccountTokensService } from './account-tokens.service';
import {
  ChangePasswordDto,
  LoginDto,
  MeView,
  PasswordResetConfirmDto,
  PasswordResetDto,
  SessionView,
  SignupDto,
  UserResponseView,
  UserView,
} from './auth.dto';
import { hashPassword, verifyPassword } from './password-hasher';
import type { Principal } from '../kernel/principal';
import { SessionsService } from './sessions.service';
import { User } from './user.entity';
import { ApiKeyRepository } from './api-key.repository';
import { UserMemberships } from './user-memberships';

// Compared against when the email is unknown, so response time does not reveal which emails exist.
const DUMMY_HASH = hashPassword('not-a-real-password');

@Injectable()
export class AuthService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sessions: SessionsService,
    private readonly tokens: AccountTokensService,
    private readonly events: EventPublisher,
    private readonly apiKeys: ApiKeyRepository,
    private readonly memberships: UserMemberships,
  ) {}

  /** The account starts unverified; the verification mail is requested in the same transaction. */
  async signup(dto: SignupDto, userAgent?: string): Promise<SessionView> {
    const passwordHash = await hashPassword(dto.password);
    return this.dataSource.transaction(async (tx) => {
      const inserted: User[] = await tx.query(
        `INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3) ON CONFLICT (email) DO NOTHING
         RETURNING id, email, name, email_verified_at AS "emailVerifiedAt"`,
        [dto.email.toLowerCase(), dto.name, passwordHash],
      );
      if (!inserted.length) throw new ConflictException('Email is already registered');
      const user = inserted[0];
      await this.requestVerification(tx, user);
      return { user: toUserView(user), token: await this.sessions.issue(tx, user.id, userAgent) };
    });
  }

  async login(dto: LoginDto, userAgent?: string): Promise<SessionView> {
    const user = await this.dataSource.getRepository(User).findOneBy({ email: dto.email.toLowerCase() });
    const check = await verifyPassword(dto.password, user?.passwordHash ?? (await DUMMY_HASH));
    if (!user || !check.valid) throw new UnauthorizedException('Invalid email or password');
    return this.dataSource.transaction(async (tx) => {
      // The password is known now: an older hash (scrypt, weaker parameters) becomes argon2id.
      if (check.needsRehash) {
        await tx.query('UPDATE users SET password_hash = $2 WHERE id = $1 AND password_hash = $3', [user.id, await hashPassword(dto.password), user.passwordHash]);
      }
      return { user: toUserView(user), token: await this.sessions.issue(tx, user.id, userAgent) };
    });
  }

  async me(userId: string): Promise<MeView> {
    const user = await this.dataSource.getRepository(User).findOneByOrFail({ id: userId });
    return { ...toUserView(user), memberships: await this.memberships.listForUser(userId) };
  }

  async verifyEmail(token: string): Promise<UserResponseView> {
    return this.dataSource.transaction(async (tx) => {
      const proof = await this.tokens.consume(tx, 'verify_email', token);
      // The token proves the address it was mailed to, and only while the account still has it.
      // An UPDATE answers [rows, affected] through TypeORM.
      const [rows]: [User[], number] = await tx.query(
        `UPDATE users SET email_verified_at = COALESCE(email_verified_at, now()) WHERE id = $1 AND email = $2
         RETURNING id, email, name, email_verified_at AS "emailVerifiedAt"`,
        [proof.userId, proof.email],
      );
      if (!rows[0]) throw new BadRequestException('This link is invalid or has already been used');
      await this.tokens.revokeAll(tx, proof.userId, ['verify_email']);
      return { user: toUserView(rows[0]) };
    });
  }

  async resendVerification(principal: Principal): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const user = await tx.getRepository(User).findOneByOrFail({ id: principal.userId });
      if (user.emailVerifiedAt) throw new ConflictException('Your e-mail address is already verified');
      await this.requestVerification(tx, user);
    });
  }

  /**
   * The same work whatever the address: one outbox row, resolved to an account (or none) by the
   * mail subscriber. Neither the answer nor its timing tells whether the address has an account.
   */
  async requestPasswordReset(dto: PasswordResetDto): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const object: PasswordResetRequested = { email: dto.email.toLowerCase() };
      await this.events.publish(tx, { type: PASSWORD_RESET_REQUESTED, workspaceId: ACCOUNT_EVENTS_WORKSPACE_ID, actor: { type: 'system', id: null }, object: { ...object } });
    });
  }

  /**
   * Sets the password, marks the address verified (the mailbox is proven) and ends every session.
   * When the address had not been verified, whoever held the account before may not have owned the
   * address (someone registering another person's e-mail first): their API keys go too.
   */
  async confirmPasswordReset(dto: PasswordResetConfirmDto): Promise<UserResponseView> {
    // A cheap look first: a public route must not spend an argon2 hash on every made-up token.
    await this.tokens.assertUsable('password_reset', dto.token, this.dataSource.manager);
    const passwordHash = await hashPassword(dto.password);
    return this.dataSource.transaction(async (tx) => {
      const proof = await this.tokens.consume(tx, 'password_reset', dto.token);
      const before: { email_verified_at: Date | null }[] = await tx.query('SELECT email_verified_at FROM users WHERE id = $1 AND email = $2 FOR UPDATE', [
        proof.userId,
        proof.email,
      ]);
      if (!before[0]) throw new BadRequestException('This link is invalid or has already been used');
      const [rows]: [User[], number] = await tx.query(
        `UPDATE users SET password_hash = $2, email_verified_at = COALESCE(email_verified_at, now()) WHERE id = $1
         RETURNING id, email, name, email_verified_at AS "emailVerifiedAt"`,
        [proof.userId, passwordHash],
      );
      await this.sessions.revokeAllBut(proof.userId, null, tx);
      await this.tokens.revokeAll(tx, proof.userId, ['password_reset', 'verify_email']);
      if (!before[0].email_verified_at) await this.apiKeys.deleteForUser(tx, proof.userId);
      return { user: toUserView(rows[0]) };
    });
  }

  /** Needs the current password; every other session ends (the current one stays signed in). */
  async changePassword(principal: Principal, dto: ChangePasswordDto): Promise<UserResponseView> {
    const user = await this.dataSource.getRepository(User).findOneByOrFail({ id: principal.userId });
    const check = await verifyPassword(dto.currentPassword, user.passwordHash);
    if (!check.valid) throw new ForbiddenException('The current password is not correct');
    const passwordHash = await hashPassword(dto.newPassword);
    return this.dataSource.transaction(async (tx) => {
      await tx.query('UPDATE users SET password_hash = $2 WHERE id = $1', [user.id, passwordHash]);
      await this.sessions.revokeAllBut(user.id, principal.sessionId, tx);
      await this.tokens.revokeAll(tx, user.id, ['password_reset']);
      return { user: toUserView(user) };
    });
  }

  private async requestVerification(tx: EntityManager, user: Pick<User, 'id' | 'email'>): Promise<void> {
    const object: EmailVerificationRequested = { userId: user.id, email: user.email };
    await this.events.publish(tx, {
      type: EMAIL_VERIFICATION_REQUESTED,
      workspaceId: ACCOUNT_EVENTS_WORKSPACE_ID,
      actor: { type: 'user', id: user.id },
      object: { ...object },
    });
  }
}

export function toUserView(user: Pick<User, 'id' | 'email' | 'name' | 'emailVerifiedAt'>): UserView {
  return { id: user.id, email: user.email, name: user.name, emailVerified: !!user.emailVerifiedAt };
}
