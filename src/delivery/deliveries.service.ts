import { BadRequestException, ConflictException, ForbiddenException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditLogService } from '../audit/audit-log.service';
import { PageDto, paginate } from '../kernel/pagination';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TEST_EVENT_TYPE } from '../events/event-catalog';
import { EventPublisher } from '../events/event-publisher.service';
import { EventReader } from '../events/event-reader';
import type { EventData } from '../events/outbox-event.entity';
import { AbilityService } from '../permissions/ability.service';
import { authorize } from '../permissions/authorize';
import type { Action, AppAbility } from '../permissions/subjects';
import type { WorkspaceContext } from '../permissions/workspace-context';
import { Webhook } from '../webhooks/webhook.entity';
import { WebhooksService } from '../webhooks/webhooks.service';
import { ActionThrottleService } from './action-throttle.service';
import { DeliveryAttempt } from './delivery-attempt.entity';
import { DeliveryQueue } from './delivery-queue';
import { AcceptedDeliveryView, AttemptView, DeliveriesQueryDto, DeliveryDetailView, DeliveryView, RecoverResultView } from './delivery.dto';
import { Delivery } from './delivery.entity';
import { entitlement } from './entitlement';
import { serializePayload } from './webhook-payload';
import { fillLastDurations } from './last-durations';

/** A delivery with the event it carries, for the current owner's check. */
interface DeliveredEvent {
  id: string;
  type: string;
  data: EventData;
}

/** A failed delivery examined by recover, in (created_at, id) order. */
interface FailedDelivery {
  id: string;
  event_id: string;
  created_at: Date;
}

/** One recover call examines at most this many times its cap of failed deliveries (skipped ones included). */
const RECOVER_SCAN_FACTOR = 10;

/** "View Logs", redeliver, recover and test: the customer-facing side of delivery. */
@Injectable()
export class DeliveriesService {
  private readonly logger = new Logger(DeliveriesService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queue: DeliveryQueue,
    private readonly events: EventPublisher,
    private readonly eventReader: EventReader,
    private readonly webhooks: WebhooksService,
    private readonly abilities: AbilityService,
    private readonly audit: AuditLogService,
    private readonly throttle: ActionThrottleService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async list(ctx: WorkspaceContext, webhookId: string, query: DeliveriesQueryDto): Promise<PageDto<DeliveryView>> {
    await this.webhook(ctx, webhookId, 'read');
    const qb = this.dataSource.getRepository(Delivery).createQueryBuilder('d').where('d.webhookId = :webhookId', { webhookId });
    if (query.status) qb.andWhere('d.status = :status', { status: query.status });
    if (query.eventType) qb.andWhere('d.eventType = :eventType', { eventType: query.eventType });
    const page = await paginate(qb, query, toDeliveryView);
    await fillLastDurations(this.dataSource, page.data);
    return page;
  }

  async detail(ctx: WorkspaceContext, webhookId: string, deliveryId: string): Promise<DeliveryDetailView> {
    const webhook = await this.webhook(ctx, webhookId, 'read');
    const delivery = await this.delivery(webhookId, deliveryId);
    const attempts = await this.dataSource.getRepository(DeliveryAttempt).find({ where: { deliveryId }, order: { number: 'ASC', id: 'ASC' } });
    const event = await this.eventReader.find(delivery.eventId);
    // Built as each attempt builds it (the owner's current entitlement, the same serialisation that
    // is signed): byte for byte the body sent, unless the owner's access changed since.
    const ability = event ? await this.ownerAbility(ctx, webhook) : null;
    const allowed = event && ability ? entitlement(ability, event.type, event.data) : null;
    const requestBody = event && allowed?.readable ? serializePayload({ ...event, data: allowed.data }).toString('utf8') : null;
    return { ...toDeliveryView(delivery), lastDurationMs: attempts.at(-1)?.durationMs ?? null, requestBody, attempts: attempts.map(toAttemptView) };
  }

  /**
   * A new attempt of the same message: same event, same webhook-id, now. Only what the webhook's
   * current owner may read now (403 otherwise); the attempt itself asks again when it is made.
   */
  async redeliver(ctx: WorkspaceContext, webhookId: string, deliveryId: string): Promise<AcceptedDeliveryView> {
    const webhook = await this.webhook(ctx, webhookId, 'update');
    const [row] = await this.withEvents(
      await this.dataSource.query(`SELECT id, event_id FROM deliveries WHERE id = $1 AND webhook_id = $2`, [deliveryId, webhookId]),
    );
    if (!row) throw new NotFoundException('Delivery not found');
    await this.throttle.consume('redeliver', webhookId);
    const ability = await this.ownerAbility(ctx, webhook);
    if (!ability || !entitlement(ability, row.type, row.data).readable) {
      throw new ForbiddenException(
        "The webhook's owner may not read this event's object now, so it is not redelivered: a webhook carries only what its current owner may read",
      );
    }
    await this.dataSource.transaction(async (tx) => {
      await tx.query(
        `UPDATE deliveries SET status = 'pending', cancel_reason = NULL, next_attempt_at = now(), updated_at = now() WHERE id = $1`,
        [deliveryId],
      );
      await this.audit.record(tx, { workspaceId: ctx.workspaceId, actor: ctx.actor, action: 'delivery.redelivered', targetType: 'delivery', targetId: deliveryId });
    });
    await this.enqueueNow(ctx.workspaceId, [deliveryId], true);
    return { deliveryId };
  }

  /**
   * Redelivers the failed deliveries of this webhook created in [since, until) (bulk recovery after
   * an outage) whose event the webhook's current owner may read now, oldest first, at most
   * WEBHOOK_RECOVER_MAX per call; `more` tells whether failed deliveries of the window remain
   * (call again). The others stay `failed` and are counted as `skipped`.
   */
  async recover(ctx: WorkspaceContext, webhookId: string, since: Date, until: Date | null): Promise<RecoverResultView> {
    if (until && until.getTime() <= since.getTime()) throw new BadRequestException(['until must be later than since']);
    const webhook = await this.webhook(ctx, webhookId, 'update');
    await this.throttle.consume('recover', webhookId);
    const cap = this.config.flow.recoverMax;
    const ability = await this.ownerAbility(ctx, webhook);
    const permitted: string[] = [];
    let skipped = 0;
    let examined = 0;
    let more = false;
    let after: FailedDelivery | null = null;
    scan: for (;;) {
      const page: FailedDelivery[] = await this.dataSource.query(
        `SELECT d.id, d.event_id, d.created_at FROM deliveries d
         WHERE d.webhook_id = $1 AND d.status = 'failed' AND d.created_at >= $2 AND ($3::timestamptz IS NULL OR d.created_at < $3)
           AND ($4::timestamptz IS NULL OR (d.created_at, d.id) > ($4, $5::uuid))
         ORDER BY d.created_at, d.id LIMIT $6`,
        [webhookId, since, until, after?.created_at ?? null, after?.id ?? null, cap],
      );
      const events = new Map((await this.withEvents(page)).map((d) => [d.id, d]));
      for (const row of page) {
        if (permitted.length >= cap || examined >= cap * RECOVER_SCAN_FACTOR) {
          more = true;
          break scan;
        }
        examined += 1;
        // A delivery whose event was purged (WEBHOOK_LOG_RETENTION) has nothing left to send.
        const event = events.get(row.id);
        if (ability && event && entitlement(ability, event.type, event.data).readable) permitted.push(row.id);
        else skipped += 1;
      }
      if (page.length < cap) break;
      after = page[page.length - 1];
    }
    let ids: string[] = [];
    if (permitted.length) {
      const [rows]: [{ id: string }[], number] = await this.dataSource.query(
        `UPDATE deliveries SET status = 'pending', next_attempt_at = now(), updated_at = now()
         WHERE id = ANY($1::uuid[]) AND status = 'failed' RETURNING id`,
        [permitted],
      );
      ids = rows.map((r) => r.id);
    }
    await this.audit.record(null, {
      workspaceId: ctx.workspaceId,
      actor: ctx.actor,
      action: 'deliveries.recovered',
      targetType: 'webhook',
      targetId: webhookId,
      after: { since: since.toISOString(), count: ids.length, skipped, more },
    });
    await this.enqueueNow(ctx.workspaceId, ids, false);
    return { count: ids.length, skipped, more };
  }

  /** A `webhook.test` event for this endpoint only: never in the outbox, never fanned out. */
  async test(ctx: WorkspaceContext, webhookId: string): Promise<AcceptedDeliveryView> {
    const webhook = await this.webhook(ctx, webhookId, 'update');
    // Refused rather than queued and then cancelled unseen: a disabled webhook receives nothing.
    if (!webhook.enabled) {
      throw new ConflictException(
        `The webhook is disabled${webhook.disabledReason ? ` (${webhook.disabledReason})` : ''}; enable it (PATCH {"enabled": true}) to send a test event`,
      );
    }
    await this.throttle.consume('test', webhookId);
    const deliveryId = await this.dataSource.transaction(async (tx) => {
      const eventId = await this.events.publishUnrelayed(tx, {
        type: TEST_EVENT_TYPE,
        workspaceId: ctx.workspaceId,
        actor: ctx.actor,
        object: { webhookId: webhook.id, message: 'A test event from Countercyclical' },
      });
      const [row]: { id: string }[] = await tx.query(
        `INSERT INTO deliveries (event_id, webhook_id, workspace_id, event_type, status, next_attempt_at)
         VALUES ($1, $2, $3, $4, 'pending', now()) RETURNING id`,
        [eventId, webhook.id, ctx.workspaceId, TEST_EVENT_TYPE],
      );
      return row.id;
    });
    await this.enqueueNow(ctx.workspaceId, [deliveryId], true);
    return { deliveryId };
  }

  /** The deliveries with their events' type and data (the events module reads them; a purged event drops its delivery). */
  private async withEvents(rows: { id: string; event_id: string }[]): Promise<DeliveredEvent[]> {
    const events = await this.eventReader.findMany([...new Set(rows.map((r) => r.event_id))]);
    return rows.flatMap((r) => {
      const event = events.get(r.event_id);
      return event ? [{ id: r.id, type: event.type, data: event.data }] : [];
    });
  }

  /** 404 unless the caller may read the webhook; 403 if it may read but not `action` it. */
  private async webhook(ctx: WorkspaceContext, id: string, action: Action): Promise<Webhook> {
    const webhook = await this.webhooks.findReadable(ctx, id);
    if (action !== 'read') authorize(ctx, action, 'Webhook', webhook);
    return webhook;
  }

  /** The ability of the webhook's owner now; null when the owner is no longer a member. */
  private async ownerAbility(ctx: WorkspaceContext, webhook: Webhook): Promise<AppAbility | null> {
    if (webhook.createdById === ctx.userId) return ctx.ability;
    const access = await this.abilities.findAccess(ctx.workspaceId, webhook.createdById);
    return access ? this.abilities.abilityFor(access) : null;
  }

  private async delivery(webhookId: string, deliveryId: string): Promise<Delivery> {
    const delivery = await this.dataSource.getRepository(Delivery).findOneBy({ id: deliveryId, webhookId });
    if (!delivery) throw new NotFoundException('Delivery not found');
    return delivery;
  }

  /** A person's action runs now (deliveryJobId's `now`); the lease in PostgreSQL keeps a duplicate from sending twice. */
  private async enqueueNow(workspaceId: string, ids: string[], priority: boolean): Promise<void> {
    await this.queue
      .enqueue(ids.map((id) => ({ deliveryId: id, attempt: 'now' as const, workspaceId, priority })))
      // Accepted anyway: the delivery is due in PostgreSQL and the reconciler will enqueue it.
      .catch((err: Error) => this.logger.warn(`enqueue deferred to the reconciler: ${err.message}`));
  }
}

function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

export function toDeliveryView(d: Delivery): DeliveryView {
  return {
    id: d.id,
    eventId: d.eventId,
    eventType: d.eventType,
    status: d.status,
    cancelReason: d.cancelReason,
    attemptCount: d.attemptCount,
    responseStatus: d.responseStatus,
    nextAttemptAt: iso(d.nextAttemptAt),
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    lastDurationMs: null,
  };
}

function toAttemptView(a: DeliveryAttempt): AttemptView {
  return {
    number: a.number,
    startedAt: a.startedAt.toISOString(),
    durationMs: a.durationMs,
    requestHeaders: a.requestHeaders,
    responseStatus: a.responseStatus,
    responseHeaders: a.responseHeaders,
    responseBody: a.responseBody,
    error: a.error,
    errorMessage: a.errorMessage,
  };
}
