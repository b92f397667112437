import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { DomainEvent } from '../events/domain-event';
import { eventTypeInfo, isOperationalEventType, SUBSCRIBABLE_EVENT_TYPES } from '../events/event-catalog';
import { EventSubscriptions } from '../events/event-subscriptions';
import type { EventData } from '../events/outbox-event.entity';
import { AbilityService } from '../permissions/ability.service';
import { filterInput, matchesWebhookFilter } from '../webhooks/webhook-filter';
import { SubscribedWebhook, WebhookRepository } from '../webhooks/webhook.repository';
import { ClaimedDelivery, DeliveryAttemptsService } from './delivery-attempts.service';
import { FANOUT_SUBSCRIBER } from './delivery.constants';
import { entitlement } from './entitlement';
import { serializePayload } from './webhook-payload';
import { DeliveryRepository } from './delivery.repository';
import { WORKER_DATA_SOURCE } from '../database/data-source-options';
import { withLogContext } from '../kernel/request-context';
import type { SkipReason } from './delivery-skip.entity';
import { DELIVERY_SKIPS } from './delivery-metrics';

/** One delivery to create: an event and a webhook entitled to it. */
interface Entitled {
  event: DomainEvent;
  webhook: SubscribedWebhook;
  /** Non-null when the owner may not see all of the event (fields, previousAttributes): the narrowed data. */
  data: EventData | null;
}

/** A decision not to deliver (delivery_skips). */
interface Skipped {
  event: DomainEvent;
  webhookId: string;
  reason: SkipReason;
}

const MAX_ATTEMPTS_IN_FLIGHT = 2_000;
/** How long a fan-out batch waits for its workspaces to have room in this process (AttemptsService.roomFor). */
const ROOM_WAIT_MS = 2_000;

/**
 * Subscribes to every domain event, taking the events of one relay batch together: one query for
 * the subscribed webhooks (disabled ones too), one statement inserting all their deliveries and all
 * the decisions not to deliver (delivery_skips, with the reason), one statement logging all the
 * first attempts. A delivery is created per enabled webhook whose owner's current CASL ability
 * may read the event's object (`entitlement`), then attempted at once; later attempts ask again. Safe to run twice for the same events (a
 * crash, a re-enqueue): deliveries are unique per (event, webhook) and only unleased ones are attempted.
 */
@Injectable()
export class FanOutService implements OnModuleInit {
  private readonly logger = new Logger(FanOutService.name);

  constructor(
    @InjectDataSource(WORKER_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly deliveries: DeliveryRepository,
    private readonly subscriptions: EventSubscriptions,
    private readonly abilities: AbilityService,
    private readonly attempts: DeliveryAttemptsService,
    private readonly webhooks: WebhookRepository,
  ) {}

  onModuleInit(): void {
    this.subscriptions.subscribeBatch(FANOUT_SUBSCRIBER, SUBSCRIBABLE_EVENT_TYPES, (events) =>
      withLogContext({ eventIds: events.map((e) => e.id) }, () => this.fanOut(events)),
    );
  }

  async fanOut(events: DomainEvent[]): Promise<void> {
    const known = events.filter((event) => eventTypeInfo(event.type));
    if (!known.length) return;
    const webhooks = await this.webhooks.findSubscribed(
      this.dataSource,
      [...new Set(known.map((e) => e.workspaceId))],
      [...new Set(known.map((e) => e.type))],
    );
    if (!webhooks.length) return;

    const orphaned = webhooks.filter((w) => w.enabled && w.role === null).map((w) => w.id);
    if (orphaned.length) await this.disableOrphaned(orphaned);

    const entitled: Entitled[] = [];
    const skipped: Skipped[] = [];
    for (const event of known) {
      const happenedAt = Date.parse(event.createdAt);
      for (const webhook of webhooks) {
        if (webhook.workspace_id !== event.workspaceId || !webhook.events.includes(event.type)) continue;
        // An alert about a webhook never goes through that webhook (a failing endpoint cannot feed itself alerts).
        if (isOperationalEventType(event.type) && event.data.object.id === webhook.id) continue;
        const decision = await this.decide(event, happenedAt, webhook);
        if ('reason' in decision) skipped.push({ event, webhookId: webhook.id, reason: decision.reason });
        else entitled.push({ event, webhook, data: decision.data });
      }
    }
    if (!entitled.length && !skipped.length) return;

    const leasedAt = Date.now();
    const created = await this.deliveries.insertLeased(
      entitled.map((e) => ({ eventId: e.event.id, webhookId: e.webhook.id, workspaceId: e.event.workspaceId, eventType: e.event.type })),
      skipped.map((s) => ({ eventId: s.event.id, webhookId: s.webhookId, workspaceId: s.event.workspaceId, reason: s.reason })),
    );
    for (const s of skipped) DELIVERY_SKIPS.inc({ reason: s.reason });
    this.logger.debug(`fan-out: ${created.length} deliveries, ${skipped.length} skipped`);
    if (!created.length) return;
    const byPair = new Map(entitled.map((e) => [`${e.event.id}:${e.webhook.id}`, e]));
    const bodies = new Map<string, Buffer>();
    const batch: ClaimedDelivery[] = created.map(({ id, event_id, webhook_id, attempt_count }) => {
      const target = byPair.get(`${event_id}:${webhook_id}`)!;
      // Serialised once per event; a redacted payload gets its own body.
      let body = target.data ? serializePayload(target.event, target.data) : bodies.get(event_id);
      if (!body) bodies.set(event_id, (body = serializePayload(target.event)));
      return {
        deliveryId: id,
        webhookId: webhook_id,
        eventId: event_id,
        url: target.webhook.url,
        secrets: target.webhook.secrets,
        attemptCount: attempt_count,
        body,
      };
    });
    // Paced per workspace first: a burst waits here (leased) for room rather than in PostgreSQL.
    const perWebhook = new Map<string, Map<string, number>>();
    for (const e of entitled) {
      let hooks = perWebhook.get(e.event.workspaceId);
      if (!hooks) perWebhook.set(e.event.workspaceId, (hooks = new Map()));
      hooks.set(e.webhook.id, (hooks.get(e.webhook.id) ?? 0) + 1);
    }
    const release = await this.attempts.roomFor(perWebhook, ROOM_WAIT_MS);
    // The first attempts run on without holding this job: a receiver that hangs until the timeout
    // must not hold a queue slot that other events need. The deliveries are leased in PostgreSQL;
    // if this process dies meanwhile, the lease lapses and the reconciler sends them again.
    // Each failed attempt schedules its own next attempt (DeliveryAttemptsService).
    void this.attempts
      .run(batch, { onQueued: release, leasedAt })
      .catch((err: Error) => this.logger.error(`attempts of ${batch.length} deliveries left to the reconciler: ${err.message}`));
    // Backpressure: past this many attempts in flight, fan-out waits instead of piling up sockets.
    await this.attempts.belowLimit(MAX_ATTEMPTS_IN_FLIGHT);
  }

  /**
   * Why `webhook` does not get `event`, or what it gets (docs/delivery.md "Which webhooks get an
   * event"): disabled at fan-out (or its owner left) → `disabled`; created after the event happened
   * (webhooks.created_at later than events.created_at, to the millisecond) → `created_after_event`;
   * owner may not read the object now → `not_permitted`.
   */
  private async decide(
    event: DomainEvent,
    happenedAt: number,
    webhook: SubscribedWebhook,
  ): Promise<{ reason: SkipReason } | { data: EventData | null }> {
    if (!webhook.enabled || webhook.role === null) return { reason: 'disabled' };
    if (new Date(webhook.created_at).getTime() > happenedAt) return { reason: 'created_after_event' };
    // Operational events go only to webhooks owned by an owner or admin (an owner demoted since: skipped).
    if (isOperationalEventType(event.type) && webhook.role !== 'owner' && webhook.role !== 'admin') return { reason: 'not_permitted' };
    const ability = await this.abilities.abilityFor({
      workspaceId: event.workspaceId,
      userId: webhook.created_by_id,
      role: webhook.role,
      abilityVersion: webhook.ability_version!,
    });
    const allowed = entitlement(ability, event.type, event.data);
    if (!allowed.readable) return { reason: 'not_permitted' };
    // The webhook's filter sees only what it may carry.
    const filtered = matchesWebhookFilter(webhook.filter, filterInput(allowed.data, Object.keys(event.data.previousAttributes ?? {})));
    if (!filtered.deliver) return { reason: 'filtered' };
    return { data: allowed.narrowed ? allowed.data : null };
  }

  private async disableOrphaned(webhookIds: string[]): Promise<void> {
    await this.webhooks.disableForRemovedCreator(this.dataSource, webhookIds);
    this.logger.log(`disabled ${webhookIds.length} webhook(s) whose creator left the workspace`);
  }
}
