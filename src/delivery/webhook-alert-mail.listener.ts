import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { WORKER_DATA_SOURCE } from '../database/data-source-options';
import type { DomainEvent } from '../events/domain-event';
import { OPERATIONAL_EVENT_TYPES } from '../events/event-catalog';
import { EventReader } from '../events/event-reader';
import { EventSubscriptions } from '../events/event-subscriptions';
import { MailService } from '../mail/mail.service';
import { UserDirectory } from '../identity/user-directory';
import { AccessReader } from '../permissions/access-reader';
import { WebhookRepository } from '../webhooks/webhook.repository';
import { withLogContext } from '../kernel/request-context';
import { ALERT_MAIL_SUBSCRIBER } from './delivery.constants';


/**
 * Mails operational events to the webhook's owner and the workspace's owners and admins: at most
 * one mail per webhook per WEBHOOK_ALERT_MAIL_INTERVAL (1 h), whatever happens meanwhile, so a
 * flapping endpoint cannot flood anyone. The slot is claimed in PostgreSQL before sending (one
 * statement, safe across workers): never twice. When no recipient could be mailed (SMTP down or
 * answering 4xx), the slot is given back and the handler throws, so the queue retries the job with
 * backoff and the alert is mailed once SMTP is back, instead of being lost for the hour.
 */
@Injectable()
export class WebhookAlertMailListener implements OnModuleInit {
  private readonly logger = new Logger(WebhookAlertMailListener.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource(WORKER_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly subscriptions: EventSubscriptions,
    private readonly mail: MailService,
    private readonly webhooks: WebhookRepository,
    private readonly access: AccessReader,
    private readonly users: UserDirectory,
    private readonly events: EventReader,
  ) {}

  onModuleInit(): void {
    this.subscriptions.subscribe(ALERT_MAIL_SUBSCRIBER, OPERATIONAL_EVENT_TYPES, (event) => withLogContext({ eventId: event.id }, () => this.handle(event)));
  }

  private async handle(event: DomainEvent): Promise<void> {
    const webhookId = event.data.object.id;
    if (typeof webhookId !== 'string') return;
    const webhook = await this.webhooks.claimAlertMail(this.dataSource, webhookId, this.config.webhookAlertMailIntervalMs);
    if (!webhook) return;
    // The subscriber's jobs may run out of order (a webhook failing then recovered within a second):
    // the slot mails the oldest alert about the webhook not handled yet, so nobody is told "recovered"
    // without first having been told "failing". That older event's own job then finds the slot used.
    const first = (await this.events.oldestPendingAbout(event, webhookId, OPERATIONAL_EVENT_TYPES, ALERT_MAIL_SUBSCRIBER)) ?? event;
    // Who: the workspace's owners and admins, and the webhook's owner while a member (permissions'
    // reader); their addresses from identity's directory. Not a hot path: a few round trips.
    const [userIds, workspaceName] = await Promise.all([
      this.access.memberIds(webhook.workspace_id, ['owner', 'admin'], webhook.created_by_id),
      this.access.workspaceName(webhook.workspace_id),
    ]);
    const recipients = [...new Set((await this.users.emails(userIds)).values())].map((email) => ({ email, workspace_name: workspaceName ?? '' }));
    const kind = first.type.slice('webhook.'.length) as 'failing' | 'disabled' | 'recovered';
    let mailed = 0;
    let failure: Error | null = null;
    for (const { email, workspace_name } of recipients) {
      try {
        // 'rejected' (a 5xx: this address refused for good) counts as handled: retrying cannot help.
        await this.mail.send('webhook-alert', email, {
          kind,
          webhookName: webhook.name,
          url: webhook.url,
          workspaceName: workspace_name,
          lastError: first.data.lastError ?? null,
          reason: first.data.reason ?? null,
        });
        mailed++;
      } catch (err) {
        // One recipient's failure does not stop the others.
        failure ??= err as Error;
        this.logger.warn(`alert mail for webhook ${webhookId} to a recipient not sent: ${(err as Error).message}`);
      }
    }
    if (failure && mailed === 0) {
      // Nobody got it: free the slot and let the queue retry (with backoff) rather than lose the alert.
      await this.webhooks.releaseAlertMail(this.dataSource, webhookId, webhook);
      throw failure;
    }
    // Some got it: the slot stays used (a retry would mail them twice); the others are in the log.
  }
}
