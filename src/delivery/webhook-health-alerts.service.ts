import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { WORKER_DATA_SOURCE } from '../database/data-source-options';
import type { OperationalEventType } from '../events/event-catalog';
import { EventPublisher } from '../events/event-publisher.service';
import { toWebhookView } from '../webhooks/webhook.dto';
import { HealthChange, WebhookRepository } from '../webhooks/webhook.repository';

/**
 * Announces changes of a webhook's health as operational events (`webhook.failing`,
 * `webhook.disabled`, `webhook.recovered`) through the event publisher: each event is written in
 * the same statement that flips webhooks.alert_state, so a change is announced exactly once even
 * when two workers see it. The events then travel like any other (fan-out to the admin webhooks
 * subscribed to them, never through the webhook they are about; the alert mail).
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
    const ids = [...new Set(changes.map((c) => c.id))];
    const [webhooks, errors] = await Promise.all([
      this.webhooks.findByIds(this.dataSource.manager, ids),
      this.dataSource.query(
        `SELECT DISTINCT ON (webhook_id) webhook_id, error, error_message, response_status FROM delivery_attempts
         WHERE webhook_id = ANY($1::uuid[]) AND error IS NOT NULL ORDER BY webhook_id, started_at DESC`,
        [ids],
      ) as Promise<{ webhook_id: string; error: string; error_message: string | null; response_status: number | null }[]>,
    ]);
    const lastErrors = new Map(errors.map((e) => [e.webhook_id, describeError(e)]));
    for (const change of changes) {
      const webhook = webhooks.find((w) => w.id === change.id);
      if (!webhook) continue;
      const type = `webhook.${change.kind}` as OperationalEventType;
      const object = { ...toWebhookView(webhook) } as unknown as Record<string, unknown>;
      // The health the event announces (the row's alert_state flips with the event's own statement).
      if (change.kind === 'disabled') Object.assign(object, { enabled: false, health: 'disabled' });
      if (change.kind === 'failing') Object.assign(object, { health: 'failing' });
      if (change.kind === 'recovered') Object.assign(object, { health: 'healthy', consecutiveFailures: 0, failingSince: null });
      const extra: Record<string, unknown> =
        change.kind === 'recovered' ? {} : { lastError: lastErrors.get(webhook.id) ?? null };
      if (change.kind === 'disabled') extra.reason = webhook.disabledReason === 'gone' ? 'gone' : 'failing';
      await this.publisher.publishWith(
        this.webhooks.healthAnnouncement(change, this.config.webhookFailingAfter),
        { type, workspaceId: webhook.workspaceId, actor: { type: 'system', id: null }, object, extra },
      );
      this.logger.debug(`${type} ${webhook.id} announced (unless another worker did)`);
    }
  }
}

export function describeError(row: { error: string; error_message: string | null; response_status: number | null }): string {
  if (row.error === 'http_status' && row.response_status !== null) return `http_status: ${row.response_status}`;
  return row.error_message ? `${row.error}: ${row.error_message}` : row.error;
}
