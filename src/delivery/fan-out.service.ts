import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { DomainEvent } from '../events/domain-event';
import { EVENT_TYPES, eventTypeInfo } from '../events/event-catalog';
import { EventSubscriptions } from '../events/event-subscriptions';
import type { EventData } from '../events/outbox-event.entity';
import { AbilityService } from '../permissions/ability.service';
import { filterInput, matchesWebhookFilter } from '../webhooks/webhook-filter';
import { SubscribedWebhook, WebhookRepository } from '../webhooks/webhook.repository';
import { ClaimedDelivery, DeliveryAttemptsService } from './delivery-attempts.service';
import { FANOUT_SUBSCRIBER } from './delivery.constants';
import { entitlement } from './entitlement';
import { serializePayload } from './webhook-payload';
import { DeliveryQueue } from './delivery-queue';
import { CreatedDelivery, DeliveryRepository } from './delivery.repository';
import { WORKER_DATA_SOURCE } from '../database/data-source-options';

/** One delivery to create: an event and a webhook entitled to it. */
interface Entitled {
  event: DomainEvent;
  webhook: SubscribedWebhook;
  /** Non-null when the owner may not see all of the event (fields, previousAttributes): the narrowed data. */
  data: EventData | null;
}

const MAX_ATTEMPTS_IN_FLIGHT = 2_000;

/**
 * Subscribes to every domain event, taking the events of one relay batch together: one query for
 * the subscribed webhooks, one insert of all their deliveries, one statement logging all the
 * first attempts. A delivery is created per enabled webhook whose owner's current CASL ability
 * may read the event's object (`entitlement`), then attempted at once; later attempts ask again. Safe to run twice for the same events (a
 * crash, a re-enqueue): deliveries are unique per (event, webhook) and only unleased ones are attempted.
 */
@Injectable()
export class FanOutService implements OnModuleInit {
  private readonly logger = new Logger(FanOutService.name);

  constructor(
    @InjectDataSource(WORKER_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly queue: DeliveryQueue,
    private readonly deliveries: DeliveryRepository,
    private readonly subscriptions: EventSubscriptions,
    private readonly abilities: AbilityService,
    private readonly attempts: DeliveryAttemptsService,
    private readonly webhooks: WebhookRepository,
  ) {}

  onModuleInit(): void {
    this.subscriptions.subscribeBatch(FANOUT_SUBSCRIBER, EVENT_TYPES, (events) => this.fanOut(events));
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

    const orphaned = webhooks.filter((w) => w.role === null).map((w) => w.id);
    if (orphaned.length) await this.disableOrphaned(orphaned);

    const entitled: Entitled[] = [];
    for (const event of known) {
      for (const webhook of webhooks) {
        if (webhook.role === null || webhook.workspace_id !== event.workspaceId || !webhook.events.includes(event.type)) continue;
        const ability = await this.abilities.abilityFor({
          workspaceId: event.workspaceId,
          userId: webhook.created_by_id,
          role: webhook.role,
          abilityVersion: webhook.ability_version!,
        });
        const allowed = entitlement(ability, event.type, event.data);
        if (!allowed.readable) continue;
        // The webhook's filter sees only what it may carry. (A skip here has reason `filtered`.)
        const filtered = matchesWebhookFilter(webhook.filter, filterInput(allowed.data, Object.keys(event.data.previousAttributes ?? {})));
        if (!filtered.deliver) continue;
        entitled.push({ event, webhook, data: allowed.narrowed ? allowed.data : null });
      }
    }
    if (!entitled.length) return;

    const created = await this.createDeliveries(entitled);
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
    // The first attempts run on without holding this job: a receiver that hangs until the timeout
    // must not hold a queue slot that other events need. The deliveries are leased in PostgreSQL;
    // if this process dies meanwhile, the lease lapses and the reconciler sends them again.
    void this.attempts
      .run(batch)
      .then((outcomes) =>
        this.scheduleRetries(outcomes.filter((o) => o.retryInMs !== null).map((o) => ({ id: o.deliveryId, delay: o.retryInMs!, n: o.number }))),
      )
      .catch((err: Error) => this.logger.error(`attempts of ${batch.length} deliveries left to the reconciler: ${err.message}`));
    // Backpressure: past this many attempts in flight, fan-out waits instead of piling up sockets.
    await this.attempts.belowLimit(MAX_ATTEMPTS_IN_FLIGHT);
  }

  private createDeliveries(entitled: Entitled[]): Promise<CreatedDelivery[]> {
    return this.deliveries.insertLeased(
      entitled.map((e) => ({ eventId: e.event.id, webhookId: e.webhook.id, workspaceId: e.event.workspaceId, eventType: e.event.type })),
    );
  }

  private async disableOrphaned(webhookIds: string[]): Promise<void> {
    await this.webhooks.disableForRemovedCreator(this.dataSource, webhookIds);
    this.logger.log(`disabled ${webhookIds.length} webhook(s) whose creator left the workspace`);
  }

  /** Later attempts run as their own queue jobs; if Redis is unavailable the reconciler finds them in PostgreSQL. */
  private async scheduleRetries(retries: { id: string; delay: number; n: number }[]): Promise<void> {
    await this.queue
      .enqueue(retries.map((r) => ({ deliveryId: r.id, attempt: r.n, delayMs: r.delay })))
      .catch((err: Error) => this.logger.warn(`retries left to the reconciler: ${err.message}`));
  }
}
