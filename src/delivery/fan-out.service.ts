import { subject as asSubject } from '@casl/ability';
import { permittedFieldsOf } from '@casl/ability/extra';
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
import { can } from '../permissions/authorize';
import type { AppAbility, SubjectType } from '../permissions/subjects';
import type { StoredSecret } from '../webhooks/webhook.entity';
import type { Role } from '../workspaces/role';
import { ClaimedDelivery, DeliveryAttemptsService } from './delivery-attempts.service';
import { DELIVER_JOB, DELIVER_JOB_OPTIONS, DELIVERIES_QUEUE, DeliverJob, FANOUT_SUBSCRIBER } from './delivery.constants';
import { EventRecord, serializePayload } from './webhook-payload';
import { WORKER_DATA_SOURCE } from '../database/data-source-options';

interface SubscribedWebhook {
  id: string;
  url: string;
  secrets: StoredSecret[];
  created_by_id: string;
  /** null when the creator is no longer a member of the workspace. */
  role: Role | null;
  ability_version: number | null;
}

interface Entitled {
  webhook: SubscribedWebhook;
  /** Non-null when the creator may not read every field: the redacted event data. */
  data: EventData | null;
}

// Indexed by (workspace_id) WHERE enabled: the cost depends on this workspace's webhooks only.
// The creator's membership comes in the same round trip; its ability_version keys the ability cache.
const MAX_ATTEMPTS_IN_FLIGHT = 2_000;

const SUBSCRIBED_WEBHOOKS_SQL = `
SELECT w.id, w.url, w.secrets, w.created_by_id, m.role, m.ability_version
FROM webhooks w
LEFT JOIN memberships m ON m.workspace_id = w.workspace_id AND m.user_id = w.created_by_id
WHERE w.workspace_id = $1 AND w.enabled AND $2 = ANY(w.events)`;

/**
 * Subscribes to every domain event. For each, creates one delivery per enabled webhook whose
 * creator's current CASL ability may read the event's object, then makes the first attempts
 * at once. Safe to run twice for the same event (a crash, a re-enqueue): deliveries are unique
 * per (event, webhook) and only unleased ones are attempted.
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
    this.subscriptions.subscribe(FANOUT_SUBSCRIBER, EVENT_TYPES, (event) => this.fanOut(event));
  }

  async fanOut(event: DomainEvent): Promise<void> {
    const info = eventTypeInfo(event.type);
    if (!info) return;
    const webhooks: SubscribedWebhook[] = await this.dataSource.query(SUBSCRIBED_WEBHOOKS_SQL, [event.workspaceId, event.type]);
    if (!webhooks.length) return;

    const orphaned = webhooks.filter((w) => w.role === null).map((w) => w.id);
    if (orphaned.length) await this.disableOrphaned(orphaned);

    const entitled: Entitled[] = [];
    for (const webhook of webhooks) {
      if (webhook.role === null) continue;
      const ability = await this.abilities.abilityFor({
        workspaceId: event.workspaceId,
        userId: webhook.created_by_id,
        role: webhook.role,
        abilityVersion: webhook.ability_version!,
      });
      // The object after the change, or as it was before a delete.
      if (!can(ability, 'read', info.caslSubject, event.data.object)) continue;
      entitled.push({ webhook, data: redact(ability, info.caslSubject, event.data) });
    }
    if (!entitled.length) return;

    const claimed = await this.createDeliveries(event, entitled);
    const record: EventRecord = { ...event, createdAt: new Date(event.createdAt) };
    const shared = serializePayload(record);
    const byWebhook = new Map(entitled.map((e) => [e.webhook.id, e]));
    const batch: ClaimedDelivery[] = claimed.map(({ id, webhook_id, attempt_count }) => {
      const target = byWebhook.get(webhook_id)!;
      return {
        deliveryId: id,
        webhookId: webhook_id,
        eventId: event.id,
        url: target.webhook.url,
        secrets: target.webhook.secrets,
        attemptCount: attempt_count,
        body: target.data ? serializePayload(record, target.data) : shared,
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
      .catch((err: Error) => this.logger.error(`attempts of ${event.id} left to the reconciler: ${err.message}`));
    // Backpressure: past this many attempts in flight, fan-out waits instead of piling up sockets.
    await this.attempts.belowLimit(MAX_ATTEMPTS_IN_FLIGHT);
  }

  /**
   * Inserts the deliveries already leased to this worker. On a re-run, existing rows are not
   * duplicated; those still due and unleased are claimed instead.
   */
  private async createDeliveries(event: DomainEvent, entitled: Entitled[]) {
    const leaseMs = this.config.webhookTimeoutMs + this.config.deliveryLeaseMarginMs;
    const inserted: { id: string; webhook_id: string; attempt_count: number }[] = await this.dataSource.query(
      `INSERT INTO deliveries (event_id, webhook_id, workspace_id, event_type, status, next_attempt_at, lease_until, payload)
       SELECT $1, w.id, $2, $3, 'pending', now(), now() + ($4 || ' milliseconds')::interval, w.payload
       FROM unnest($5::uuid[], $6::jsonb[]) AS w(id, payload)
       ON CONFLICT (event_id, webhook_id) DO NOTHING
       RETURNING id, webhook_id, attempt_count`,
      [
        event.id,
        event.workspaceId,
        event.type,
        leaseMs,
        entitled.map((e) => e.webhook.id),
        entitled.map((e) => (e.data ? JSON.stringify(e.data) : null)),
      ],
    );
    if (inserted.length === entitled.length) return inserted;
    const [reclaimed]: [{ id: string; webhook_id: string; attempt_count: number }[], number] = await this.dataSource.query(
      `UPDATE deliveries SET lease_until = now() + ($2 || ' milliseconds')::interval
       WHERE event_id = $1 AND NOT (id = ANY($3::uuid[])) AND status IN ('pending', 'retrying')
         AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
       RETURNING id, webhook_id, attempt_count`,
      [event.id, leaseMs, inserted.map((d) => d.id)],
    );
    return [...inserted, ...reclaimed];
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

/**
 * Field-level rules: when the creator may read only some fields of the subject, the object and
 * previousAttributes carry only those. Null when every field is readable (the common case).
 */
export function redact(ability: AppAbility, subjectType: SubjectType, data: EventData): EventData | null {
  if (!ability.rulesFor('read', subjectType).some((rule) => rule.fields)) return null;
  const all = Object.keys(data.object);
  const fields = new Set(
    permittedFieldsOf(ability, 'read', asSubject(subjectType, { ...data.object }) as never, { fieldsFrom: (rule) => rule.fields ?? all }),
  );
  const pick = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([k]) => fields.has(k)));
  return data.previousAttributes
    ? { object: pick(data.object), previousAttributes: pick(data.previousAttributes) }
    : { object: pick(data.object) };
}
