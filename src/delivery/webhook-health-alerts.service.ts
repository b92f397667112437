import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { WORKER_DATA_SOURCE } from '../database/data-source-options';
import type { OperationalEventType } from '../events/event-catalog';
import { EventPublisher } from '../events/event-publisher.service';
import { toWebhookView } from '../webhooks/webhook.dto';
import type { PendingHealthChange, Webhook } from '../webhooks/webhook.entity';
import { HealthChange, WebhookRepository } from '../webhooks/webhook.repository';

/** Pops per webhook and call at most: each pop either announces a change or sees another worker's. */
const MAX_ROUNDS = 20;

/**
 * Announces changes of a webhook's health as operational events (`webhook.failing`,
 * `webhook.disabled`, `webhook.recovered`) through the event publisher. The attempts' statement
 * queues each change on the webhook (alert_pending, with what its event says) as it makes it; here
 * the queue is announced oldest first, each event written in the statement that pops its change, so
 * a change is announced exactly once, in order, even when two workers announce at once or the next
 * change came before this one was announced. The events then travel like any other (fan-out to the
 * admin webhooks subscribed to them, never through the webhook they are about; the alert mail).
 */
@Injectable()
export class WebhookHealthAlerts {
  private readonly logger = new Logger(WebhookHealthAlerts.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource(WORKER_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly publisher: EventPublisher,
    private readonly webhooks: WebhookRepository,
  ) {}

  async announce(changes: HealthChange[]): Promise<void> {
    let ids = [...new Set(changes.map((c) => c.id))];
    for (let round = 0; ids.length && round < MAX_ROUNDS; round++) {
      const webhooks = await this.webhooks.findWithPendingHealth(this.dataSource.manager, ids);
      const again: string[] = [];
      for (const webhook of webhooks) {
        const head = webhook.alertPending?.[0];
        if (!head) continue;
        const published = await this.publisher.publishWith(this.webhooks.healthAnnouncement(webhook.id, head), this.eventOf(webhook, head));
        this.logger.debug(`webhook.${head.kind} ${webhook.id} ${published ? 'announced' : 'announced by another worker'}`);
        // Popped (or another worker popped it): the next change, if any, from the row as it is now.
        if (webhook.alertPending.length > 1 || !published) again.push(webhook.id);
      }
      ids = again;
    }
  }

  private eventOf(webhook: Webhook, change: PendingHealthChange) {
    const type = `webhook.${change.kind}` as OperationalEventType;
    const object = { ...toWebhookView(webhook) } as unknown as Record<string, unknown>;
    // The health the event announces, as it was when the change was made (the webhook may have moved on since).
    if (change.kind === 'failing') {
      Object.assign(object, {
        enabled: true,
        disabledReason: null,
        health: 'failing',
        consecutiveFailures: this.config.webhookFailingAfter,
        failingSince: change.failingSince ? new Date(change.failingSince).toISOString() : null,
      });
    }
    if (change.kind === 'disabled') Object.assign(object, { enabled: false, disabledReason: change.reason, health: 'disabled' });
    if (change.kind === 'recovered') Object.assign(object, { health: 'healthy', consecutiveFailures: 0, failingSince: null });
    const extra: Record<string, unknown> = change.kind === 'recovered' ? {} : { lastError: change.lastError ?? null };
    if (change.kind === 'disabled') extra.reason = change.reason === 'gone' ? 'gone' : 'failing';
    return { type, workspaceId: webhook.workspaceId, actor: { type: 'system', id: null } as const, object, extra };
  }
}

export function describeError(row: { error: string; error_message: string | null; response_status: number | null }): string {
  if (row.error === 'http_status' && row.response_status !== null) return `http_status: ${row.response_status}`;
  return row.error_message ? `${row.error}: ${row.error_message}` : row.error;
}
