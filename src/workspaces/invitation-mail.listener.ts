import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { DomainEvent } from '../events/domain-event';
import { EventSubscriptions } from '../events/event-subscriptions';
import { UserDirectory } from '../identity/user-directory';
import { MailService } from '../mail/mail.service';
import { INVITATION_CREATED, INVITATION_MAIL_SUBSCRIBER } from './invitation-events';

/** Mails the invitee, from the event bus's queue job once the invitation has committed. */
@Injectable()
export class InvitationMailListener implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly subscriptions: EventSubscriptions,
    private readonly mail: MailService,
    private readonly users: UserDirectory,
  ) {}

  onModuleInit(): void {
    this.subscriptions.subscribe(INVITATION_MAIL_SUBSCRIBER, [INVITATION_CREATED], (event) => this.handle(event));
  }

  private async handle(event: DomainEvent): Promise<void> {
    const rows: { email: string; role: string; expires_at: Date; workspace_name: string; invited_by_id: string | null }[] = await this.dataSource.query(
      `SELECT i.email, i.role, i.expires_at, w.name AS workspace_name, i.invited_by_id
       FROM invitations i JOIN workspaces w ON w.id = i.workspace_id
       WHERE i.id = $1 AND i.status = 'pending' AND i.expires_at > now()`,
      [(event.data.object as { id: string }).id],
    );
    // Revoked, answered or expired meanwhile: no mail.
    if (!rows[0]) return;
    const row = rows[0];
    await this.mail.send('invitation', row.email, {
      workspaceName: row.workspace_name,
      inviterName: await this.users.name(row.invited_by_id),
      role: row.role,
      expiresAt: row.expires_at.toISOString(),
    });
  }
}
