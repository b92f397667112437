import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { toDomainEvent } from '../events/domain-event';
import { AbilityService } from '../permissions/ability.service';
import { ClaimedDelivery, DeliveryAttemptsService, RunOptions } from './delivery-attempts.service';
import { DeliveryRepository, LeasedDelivery } from './delivery.repository';
import { entitlement } from './entitlement';
import { serializePayload } from './webhook-payload';

/**
 * Leased deliveries → attempts, for the processor's jobs and for the backlog: a delivery left due in
 * PostgreSQL because this process had no room for its workspace or webhook (flow control's caps) is
 * pulled back here as soon as room frees, a chunk per pull, each webhook's oldest first — not left
 * to the reconciler's sweep (which only finds work whose job is late or lost).
 *
 * Before an attempt the webhook's current owner's ability is asked again (cached per ability
 * version): what they may no longer read is cancelled (`not_permitted`), never sent; a disabled
 * webhook's delivery is cancelled (`webhook_disabled`).
 */
@Injectable()
export class DeliveryBacklog implements OnModuleInit {
  private readonly logger = new Logger(DeliveryBacklog.name);
  /** Workspaces being pulled from now (one pull at a time per workspace). */
  private readonly pulling = new Set<string>();

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly attempts: DeliveryAttemptsService,
    private readonly abilities: AbilityService,
  ) {}

  onModuleInit(): void {
    this.attempts.onRoom((workspaceId) => void this.pull(workspaceId));
  }

  /** Leases as much of the workspace's backlog as it has room for here, and attempts it. */
  async pull(workspaceId: string): Promise<number> {
    if (this.pulling.has(workspaceId)) return 0;
    this.pulling.add(workspaceId);
    let count = 0;
    let release = () => {};
    try {
      const room = this.attempts.backlogRoom(workspaceId);
      if (!room) return 0;
      // The room is the pull's while it reads PostgreSQL, until its attempts are queued.
      release = this.attempts.reserveRoom(workspaceId, room.total);
      const leasedAt = Date.now();
      const rows = await this.deliveries.leaseBacklog(room.perWebhook, room.total);
      const pulled = new Map<string, number>();
      for (const row of rows) pulled.set(row.webhook_id, (pulled.get(row.webhook_id) ?? 0) + 1);
      this.attempts.backlogPulled(workspaceId, room, pulled);
      if (rows.length) await this.attemptLeased(rows, { leasedAt, fromBacklog: true, onQueued: release });
      else release();
      count = rows.length;
    } catch (err) {
      release();
      // Still due in PostgreSQL (leases lapse): the next pull or the reconciler takes them.
      this.logger.warn(`backlog pull for workspace ${workspaceId} deferred: ${(err as Error).message}`);
    } finally {
      this.pulling.delete(workspaceId);
    }
    // Room offered while this pull ran was not taken: look again (nothing happens unless there is some).
    if (count > 0) this.attempts.pullEnded(workspaceId);
    return count;
  }

  /**
   * Checks each leased delivery against its webhook and owner now, cancels what may not be sent,
   * and hands the rest to flow control. Returns once they are handed over (the attempts run on).
   */
  async attemptLeased(rows: LeasedDelivery[], options: RunOptions = {}): Promise<void> {
    const batch: ClaimedDelivery[] = [];
    for (const delivery of rows) {
      // Disabling a webhook stops its deliveries; re-enabling resumes new ones.
      if (!delivery.enabled) {
        await this.deliveries.cancel(delivery.id, 'webhook_disabled');
        continue;
      }
      const allowed =
        delivery.role === null
          ? ({ readable: false } as const)
          : entitlement(
              await this.abilities.abilityFor({
                workspaceId: delivery.workspace_id,
                userId: delivery.created_by_id,
                role: delivery.role,
                abilityVersion: delivery.ability_version!,
              }),
              delivery.type,
              delivery.data,
            );
      if (!allowed.readable) {
        await this.deliveries.cancel(delivery.id, 'not_permitted');
        continue;
      }
      const event = toDomainEvent({ ...delivery, id: delivery.event_id, data: allowed.data });
      batch.push({
        deliveryId: delivery.id,
        webhookId: delivery.webhook_id,
        eventId: delivery.event_id,
        url: delivery.url,
        secrets: delivery.secrets,
        attemptCount: delivery.attempt_count,
        body: serializePayload(event),
        flow: {
          workspaceId: delivery.workspace_id,
          maxConcurrency: delivery.max_concurrency,
          rateLimitPerSecond: delivery.rate_limit_per_second,
          enabled: delivery.enabled,
          url: delivery.url,
          createdById: delivery.created_by_id,
          abilityVersion: delivery.ability_version,
        },
      });
    }
    if (!batch.length) return options.onQueued?.();
    // The attempts run on; each failed one schedules its own next attempt (DeliveryAttemptsService).
    void this.attempts
      .run(batch, options)
      // An attempt is logged or its lease runs out: either way the reconciler has it.
      .catch((err: Error) => this.logger.warn(`attempts of ${batch.length} deliveries left to the reconciler: ${err.message}`));
  }
}
