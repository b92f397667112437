import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bull';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import type { DomainEvent } from '../events/domain-event';
import { EVENT_TYPES, eventTypeInfo } from '../events/event-catalog';
import { EventSubscriptions } from '../events/event-subscriptions';
import type { EventData } from '../events/outbox-event.entity';
import { AbilityService } from '../permissions/ability.service';
import { filterInput, matchesWebhookFilter } from '../webhooks/webhook-filter';
import type { StoredSecret } from '../webhooks/webhook.entity';
import type { MemberRole as Role } from '../workspaces/role';
import { ClaimedDelivery, DeliveryAttemptsService } from './delivery-attempts.service';
import { DELIVER_JOB, DELIVER_JOB_OPTIONS, DELIVERIES_QUEUE, DeliverJob, FANOUT_SUBSCRIBER } from './delivery.constants';
import { entitlement } from './entitlement';
import { EventRecord, serializePayload } from './webhook-payload';
import { WORKER_DATA_SOURCE } from '../database/data-source-options';

interface SubscribedWebhook {
  id: string;
  workspace_id: string;
  events: string[];
  url: string;
  secrets: StoredSecret[];
  created_by_id: string;
  /** null when the creator is no longer a member of the workspace. */
  role: Role | null;
  ability_version: number | null;
  /** Only events matching it are delivered (webhook-filter.ts); null: all of the subscribed types. */
  filter: Record<string, unknown> | null;
}

/** One delivery to create: an event and a webhook entitled to it. */
interface Entitled {
  event: DomainEvent;
  webhook: SubscribedWebhook;
  /** Non-null when the owner may not see all of the event (fields, previousAttributes): the narrowed data. */
  data: EventData | null;
}

interface CreatedDelivery {
  id: string;
  event_id: string;
  webhook_id: string;
  attempt_count: number;
}

const MAX_ATTEMPTS_IN_FLIGHT = 2_000;

// Indexed by (workspace_id) WHERE enabled: the cost depends on these workspaces' webhooks only.
// The creators' memberships come in the same round trip; ability_version keys the ability cache.
const SUBSCRIBED_WEBHOOKS_SQL = `
SELECT w.id, w.workspace_id, w.events, w.url, w.secrets, w.created_by_id, w.filter, m.role, m.ability_version
FROM webhooks w
LEFT JOIN memberships m ON m.workspace_id = w.workspace_id AND m.user_id = w.created_by_id
WHERE w.workspace_id = ANY($1::uuid[]) AND w.enabled AND w.events && $2::text[]`;

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
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource(WORKER_DATA_SOURCE) private readonly dataSource: DataSource,
    @InjectQueue(DELIVERIES_QUEUE) private readonly queue: Queue<DeliverJob>,
    private readonly subscriptions: EventSubscriptions,
    private readonly abilities: AbilityService,
    private readonly attempts: DeliveryAttemptsService,
  ) {}

  onModuleInit(): void {
    this.subscriptions.subscribeBatch(FANOUT_SUBSCRIBER, EVENT_TYPES, (events) => this.fanOut(events));
  }

  async fanOut(events: DomainEvent[]): Promise<void> {
    const known = events.filter((event) => eventTypeInfo(event.type));
    if (!known.length) return;
    const webhooks: SubscribedWebhook[] = await this.dataSource.query(SUBSCRIBED_WEBHOOKS_SQL, [
      [...new Set(known.map((e) => e.workspaceId))],
      [...new Set(known.map((e) => e.type))],
    ]);
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
      const record: EventRecord = { ...target.event, createdAt: new Date(target.event.createdAt) };
      // Serialised once per event; a redacted payload gets its own body.
      let body = target.data ? serializePayload(record, target.data) : bodies.get(event_id);
      if (!body) bodies.set(event_id, (body = serializePayload(record)));
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

  /**
   * Inserts the deliveries already leased to this worker, in one statement. On a re-run, existing
   * rows are not duplicated; those still due and unleased are claimed instead.
   */
  private async createDeliveries(entitled: Entitled[]): Promise<CreatedDelivery[]> {
    const leaseMs = this.config.webhookTimeoutMs + this.config.deliveryLeaseMarginMs;
    const inserted: CreatedDelivery[] = await this.dataSource.query(
      `INSERT INTO deliveries (event_id, webhook_id, workspace_id, event_type, status, next_attempt_at, lease_until)
       SELECT p.event_id, p.webhook_id, p.workspace_id, p.event_type, 'pending', now(), now() + ($1 || ' milliseconds')::interval
       FROM unnest($2::text[], $3::uuid[], $4::uuid[], $5::text[]) AS p(event_id, webhook_id, workspace_id, event_type)
       ON CONFLICT (event_id, webhook_id) DO NOTHING
       RETURNING id, event_id, webhook_id, attempt_count`,
      [
        leaseMs,
        entitled.map((e) => e.event.id),
        entitled.map((e) => e.webhook.id),
        entitled.map((e) => e.event.workspaceId),
        entitled.map((e) => e.event.type),
      ],
    );
    if (inserted.length === entitled.length) return inserted;
    // TypeORM answers an UPDATE with [rows, affected].
    const [reclaimed]: [CreatedDelivery[], number] = await this.dataSource.query(
      `UPDATE deliveries SET lease_until = now() + ($2 || ' milliseconds')::interval
       WHERE event_id = ANY($1::text[]) AND NOT (id = ANY($3::uuid[])) AND status IN ('pending', 'retrying')
         AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
       RETURNING id, event_id, webhook_id, attempt_count`,
      [[...new Set(entitled.map((e) => e.event.id))], leaseMs, inserted.map((d) => d.id)],
    );
    // Only pairs this run is entitled to (a webhook may have been disabled or narrowed since).
    const wanted = new Set(entitled.map((e) => `${e.event.id}:${e.webhook.id}`));
    return [...inserted, ...reclaimed.filter((d) => wanted.has(`${d.event_id}:${d.webhook_id}`))];
  }

  private async disableOrphaned(webhookIds: string[]): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhooks SET enabled = false, disabled_reason = 'creator_removed', updated_at = now() WHERE id = ANY($1) AND enabled`,
      [webhookIds],
    );
    this.logger.log(`disabled ${webhookIds.length} webhook(s) whose creator left the workspace`);
  }

  /** Later attempts run as their own queue jobs; if Redis is unavailable the reconciler finds them in PostgreSQL. */
  private async scheduleRetries(retries: { id: string; delay: number; n: number }[]): Promise<void> {
    if (!retries.length) return;
    await this.queue
      .addBulk(
        retries.map((r) => ({
          name: DELIVER_JOB,
          data: { deliveryId: r.id },
          opts: { ...DELIVER_JOB_OPTIONS, delay: r.delay, jobId: `${r.id}:${r.n}` },
        })),
      )
      .catch((err: Error) => this.logger.warn(`retries left to the reconciler: ${err.message}`));
  }
}
