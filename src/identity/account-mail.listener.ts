import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { DomainEvent } from '../events/domain-event';
import { EventSubscriptions } from '../events/event-subscriptions';
import { MailService } from '../mail/mail.service';
import { ACCOUNT_MAIL_SUBSCRIBER, EMAIL_VERIFICATION_REQUESTED, PASSWORD_RESET_REQUESTED } from './account-events';
import { AccountTokensService, PASSWORD_RESET_TTL_MS, VERIFY_EMAIL_TTL_MS } from './account-tokens.service';

/**
 * Mails account links, from the event bus's queue jobs (after the requesting transaction
 * committed). The token is minted here, right before the mail leaves, so no secret ever sits in
 * the outbox. A send that fails throws: the job is retried, and a retry mints a fresh token.
 */
@Injectable()
export class AccountMailListener implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly subscriptions: EventSubscriptions,
    private readonly tokens: AccountTokensService,
    private readonly mail: MailService,
  ) {}

  onModuleInit(): void {
    this.subscriptions.subscribe(ACCOUNT_MAIL_SUBSCRIBER, [EMAIL_VERIFICATION_REQUESTED, PASSWORD_RESET_REQUESTED], (event) => this.handle(event));
  }

  private async handle(event: DomainEvent): Promise<void> {
    const object = event.data.object as { userId?: string; email: string };
    if (event.type === EMAIL_VERIFICATION_REQUESTED) await this.sendVerification(object.userId!, object.email);
    else if (event.type === PASSWORD_RESET_REQUESTED) await this.sendReset(object.email);
  }

  private async sendVerification(userId: string, email: string): Promise<void> {
    // Verified meanwhile, or the address changed: nothing to prove any more.
    const users: { name: string }[] = await this.dataSource.query(
      'SELECT name FROM users WHERE id = $1 AND email = $2 AND email_verified_at IS NULL',
      [userId, email],
    );
    if (!users[0]) return;
    const token = await this.tokens.mint(this.dataSource.manager, 'verify_email', userId, email);
    await this.mail.send('verify-email', email, { name: users[0].name, token, expiresInHours: VERIFY_EMAIL_TTL_MS / 3600_000 });
  }

  private async sendReset(email: string): Promise<void> {
    // No account with that address: nothing is sent (and the request could not tell).
    const users: { id: string; name: string }[] = await this.dataSource.query('SELECT id, name FROM users WHERE email = $1', [email]);
    if (!users[0]) return;
    // Anyone may ask, without signing in: at most one reset mail a minute per account, so the route
    // cannot be used to flood someone's mailbox. The link already sent still works.
    const recent = await this.dataSource.query(
      `SELECT 1 FROM account_tokens WHERE user_id = $1 AND purpose = 'password_reset' AND created_at > now() - interval '1 minute'`,
      [users[0].id],
    );
    if (recent.length) return;
    const token = await this.tokens.mint(this.dataSource.manager, 'password_reset', users[0].id, email);
    await this.mail.send('password-reset', email, { name: users[0].name, token, expiresInMinutes: PASSWORD_RESET_TTL_MS / 60_000 });
  }
}
