import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { EventEmitter, once } from 'node:events';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { GracefulStop } from '../config/graceful-stop';
import type { StoredSecret } from '../webhooks/webhook.entity';
import { WebhookSecretsService } from '../webhooks/webhook-secrets.service';
import { HealthChange, WebhookRepository, type WebhookFlow } from '../webhooks/webhook.repository';
import { describeError, WebhookHealthAlerts } from './webhook-health-alerts.service';
import { ATTEMPT_DURATION, ATTEMPTS, CIRCUIT_TRANSITIONS, reportCircuits } from './delivery-metrics';
import type { DeliveryStatus } from './delivery.entity';
import { DeliveryRepository } from './delivery.repository';
import { DeliveryQueue } from './delivery-queue';
import { FlowClosedError, FlowScheduler } from './flow/flow-scheduler';
import { HttpSender, SendResult } from './http-sender';
import { nextRetryDelay } from './retry-policy';
import { signPayload } from './signing';
import { USER_AGENT } from './delivery.constants';
import { WORKER_DATA_SOURCE } from '../database/data-source-options';
import { retryTransientConflicts } from '../kernel/transient-conflicts';

/** A delivery this worker has leased and is about to attempt. */
export interface ClaimedDelivery {
  deliveryId: string;
  webhookId: string;
  eventId: string;
  url: string;
  secrets: StoredSecret[];
  /** Attempts made before this one. */
  attemptCount: number;
  /** The exact bytes to send and sign. */
  body: Buffer;
  /** The webhook's workspace and limits when the caller has them; otherwise looked up (one query per batch). */
  flow?: WebhookFlow;
}

/** What flow control needs to know about a webhook, and what an attempt that waited checks again (WebhookRepository.flowLimits). */
export type { WebhookFlow };

/**
 * An attempt that waited longer than this for its turn checks its webhook again before sending: if
 * it was paused or disabled, re-pointed, or its owner or the owner's access changed meanwhile, the
 * attempt is not made here but handed back (due, unleased) to the full check of a fresh lease
 * (cancelled `webhook_disabled` / `not_permitted`, or built for the new owner).
 */
const RECHECK_AFTER_MS = 1_000;
/** How long one reading of a webhook serves rechecks (a change is seen at most this late, plus the wait). */
const RECHECK_REUSE_MS = 250;
/** Share of the event jobs running at once (WORKER_CONCURRENCY) that may wait for one workspace's room: the rest serve the others. */
const MAX_WAITING_SHARE = 0.8;

export interface RunOptions {
  /** To the front of the webhook's queue: a test event or a redelivery someone is waiting for. */
  priority?: boolean;
  /** Called once every delivery of the batch is counted by flow control (or given up): fan-out's room reservation ends there. */
  onQueued?: () => void;
  /** When the batch's leases were taken (ms; default now): their renewal is timed from then. */
  leasedAt?: number;
  /** Pulled from the webhooks' backlog in PostgreSQL (DeliveryBacklog): the only way in for a webhook that has one. */
  fromBacklog?: boolean;
}

/** What one pull from a workspace's backlog may take (DeliveryAttemptsService.backlogRoom). */
export interface BacklogRoom {
  /** The workspace's room in all. */
  total: number;
  /** Per webhook left in the backlog with room: how many. */
  perWebhook: Map<string, number>;
  /** The backlog's state this answer saw: webhooks left again later are not concluded drained. */
  asOf: number;
}

export interface AttemptOutcome {
  deliveryId: string;
  number: number;
  /**
   * `deferred`: no attempt was made (the workspace's backlog in this process is full, the process is
   * shutting down, or the webhook is gone); the delivery is left due and unleased in PostgreSQL and
   * the reconciler brings it back. Not an attempt: nothing is logged or counted.
   */
  status: DeliveryStatus | 'deferred';
  /** Set when another attempt is scheduled. */
  retryInMs: number | null;
  error: string | null;
}

const FOREIGN_KEY_VIOLATION = '23503';

/** attemptInTurn's answer when the workspace or webhook had no room here (the delivery goes back to the backlog). */
const NO_ROOM = Symbol('no room');

interface AttemptRecord extends AttemptOutcome {
  webhookId: string;
  startedAt: Date;
  requestHeaders: Record<string, string>;
  result: SendResult;
  nextAttemptAt: Date | null;
  gone: boolean;
}

// One statement records a whole batch: the attempts, the deliveries' new state, and the
// webhooks' health (the webhooks module's statement: failures in a row, failing streak,
// auto-disable on `failing` or `gone`), answering the changes of health to announce.
const recordSql = (webhooks: WebhookRepository) => `
WITH attempt_rows AS (
  INSERT INTO delivery_attempts
    (delivery_id, number, started_at, duration_ms, request_headers, response_status, response_headers, response_body, error, error_message, webhook_id)
  SELECT a.* FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::int[], $5::jsonb[], $6::int[], $7::jsonb[], $8::text[], $9::text[], $10::text[], $13::uuid[])
    AS a(delivery_id, number, started_at, duration_ms, request_headers, response_status, response_headers, response_body, error, error_message, webhook_id)
  -- A delivery deleted with its webhook while the attempt was in flight has nothing to log: its row
  -- would fail the statement (foreign key) and take the batch's other attempts down with it.
  WHERE EXISTS (SELECT 1 FROM deliveries d WHERE d.id = a.delivery_id)
), delivery_rows AS (
  UPDATE deliveries d
  SET status = v.status, attempt_count = v.number, response_status = v.response_status,
      next_attempt_at = v.next_attempt_at, lease_until = NULL, updated_at = now()
  FROM unnest($1::uuid[], $11::text[], $2::int[], $6::int[], $12::timestamptz[]) AS v(id, status, number, response_status, next_attempt_at)
  WHERE d.id = v.id
), ${webhooks.healthSql(14)}
${webhooks.healthChangesSelect()}`;

/**
 * Makes attempts: waits for flow control (FlowScheduler: the webhook's, workspace's, origin's and
 * process's limits, the circuit breaker, round-robin between workspaces), signs the exact bytes,
 * POSTs them through the shared keep-alive client, decides the outcome with the retry policy, and
 * logs finished attempts in batched statements (group commit).
 *
 * While an attempt waits for its turn its delivery stays leased to this process: the lease is
 * extended in the background, so neither the reconciler nor another worker sends it meanwhile.
 */
@Injectable()
export class DeliveryAttemptsService implements OnApplicationShutdown {
  private readonly logger = new Logger(DeliveryAttemptsService.name);
  /** Attempts started and not yet recorded, across every caller (waiting for their turn included). */
  private active = 0;
  private readonly settled = new EventEmitter().setMaxListeners(0);
  /** Room promised to fan-out batches whose attempts are not queued yet (roomFor), per workspace. */
  private readonly reserved = new Map<string, number>();
  /** Fan-out batches waiting in roomFor, per workspace. */
  private readonly waitingBatches = new Map<string, number>();
  /** Webhooks whose deliveries this process left due in PostgreSQL for want of room, per workspace (leftInBacklog). */
  private readonly backlog = new Map<string, Map<string, number>>();
  private backlogSequence = 0;
  /** Workspaces with a room offer scheduled (leftInBacklog). */
  private readonly roomOffers = new Set<string>();
  private readonly roomListeners: ((workspaceId: string) => void)[] = [];
  readonly scheduler: FlowScheduler;
  private readonly stopReportingCircuits: () => void;
  /**
   * Deliveries held by this process (waiting or in flight) → when their lease runs out (ms), and
   * the run holding them: a run that gave a delivery back forgets only its own hold, never the hold
   * of a run that leased the same delivery again meanwhile (whose lease must go on being renewed).
   */
  private readonly leases = new Map<string, { until: number; holder: object }>();
  private readonly leaseMs: number;
  private leaseTimer: NodeJS.Timeout | null = null;
  private readonly flowCache = new Map<string, { flow: WebhookFlow; at: number }>();
  private readonly rechecks = new Map<string, Promise<WebhookFlow | undefined>>();
  private recheckBatch: { ids: string[]; read: Promise<Map<string, WebhookFlow>> } | null = null;
  private giveBackBatch: { ids: string[]; done: Promise<void> } | null = null;
  private retryBatch: { deliveryId: string; attempt: number; at: Date; workspaceId: string; webhookId: string }[] | null = null;
  private pending: { record: AttemptRecord; resolve(): void; reject(err: Error): void }[] = [];
  private flushing = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource(WORKER_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly secrets: WebhookSecretsService,
    private readonly webhooks: WebhookRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly queue: DeliveryQueue,
    private readonly sender: HttpSender,
    private readonly stop: GracefulStop,
    private readonly health: WebhookHealthAlerts,
  ) {
    const flow = config.flow;
    this.scheduler = new FlowScheduler({
      workerMaxInFlight: flow.workerMaxInFlight,
      workspaceMaxInFlight: flow.workspaceMaxInFlight,
      originMaxInFlight: sender.connectionsPerOrigin,
      circuit: {
        failures: flow.circuitFailures,
        cooldownMs: flow.circuitCooldownMs,
        maxCooldownMs: flow.circuitMaxCooldownMs,
        onTransition: (to) => CIRCUIT_TRANSITIONS.inc({ to }),
      },
    });
    this.stopReportingCircuits = reportCircuits(() => this.scheduler.circuitCounts());
    this.leaseMs = config.webhookTimeoutMs + config.deliveryLeaseMarginMs;
    this.recordSql = recordSql(webhooks);
  }

  private readonly recordSql: string;

  async run(batch: ClaimedDelivery[], options: RunOptions = {}): Promise<AttemptOutcome[]> {
    if (!batch.length) return [];
    this.active += batch.length;
    // The lease in PostgreSQL runs from when it was taken (a fan-out batch may have waited for
    // room since): renewals are timed from then, or a long wait would let it lapse first.
    const holder = {};
    const until = (options.leasedAt ?? Date.now()) + this.leaseMs;
    for (const d of batch) this.leases.set(d.deliveryId, { until, holder });
    this.armLeaseTimer();
    let flows: Map<string, WebhookFlow> | undefined;
    const done = (d: ClaimedDelivery) => {
      if (this.leases.get(d.deliveryId)?.holder === holder) this.leases.delete(d.deliveryId);
      this.active -= 1;
      const workspaceId = flows?.get(d.webhookId)?.workspaceId;
      // A webhook at its own cap draining is not room for the rest of the workspace: fan-out's
      // wait for room (roomFor) is not prolonged by it.
      const progress = workspaceId !== undefined && this.scheduler.heldBy(workspaceId, d.webhookId) < this.config.flow.webhookMaxQueued - 1;
      this.settled.emit('settled', progress ? workspaceId : undefined);
      if (workspaceId !== undefined) this.offerRoom(workspaceId);
    };
    try {
      flows = await this.flowsOf(batch);
    } catch (err) {
      options.onQueued?.();
      // Left to their leases (the reconciler takes them once those run out).
      for (const d of batch) done(d);
      throw err;
    }
    const attempts = batch.map(async (d): Promise<AttemptOutcome> => {
      const flow = flows!.get(d.webhookId);
      let record: AttemptRecord | typeof NO_ROOM | null;
      try {
        record = flow ? await this.attemptInTurn(d, flow, options) : null;
      } catch (err) {
        done(d);
        throw err;
      }
      if (record === null || record === NO_ROOM) {
        // Not attempted here: back to PostgreSQL at once (due, unleased), not after the batch's
        // other attempts (one of them may hang until the timeout). A shutdown waits for this too.
        try {
          await this.giveBack(d.deliveryId);
        } catch (err) {
          this.logger.warn(`lease release left to expiry: ${(err as Error).message}`);
        } finally {
          // Left in the backlog only once it is unleased: a pull (which takes only unleased rows)
          // that ran in between would have found nothing, concluded the webhook drained, and left
          // this delivery to the reconciler's sweep.
          if (record === NO_ROOM) this.leftInBacklog(flow!.workspaceId, d.webhookId);
          done(d);
        }
        return { deliveryId: d.deliveryId, number: d.attemptCount, status: 'deferred', retryInMs: null, error: null };
      }
      try {
        await this.record(record);
      } finally {
        done(d);
      }
      // Its next attempt's job as soon as this one is logged, not when the batch's slowest ends.
      if (record.nextAttemptAt) this.scheduleRetry({ deliveryId: d.deliveryId, attempt: record.number, at: record.nextAttemptAt, workspaceId: flow!.workspaceId, webhookId: d.webhookId });
      const { deliveryId, number, status, retryInMs, error } = record;
      return { deliveryId, number, status, retryInMs, error };
    });
    // Each attempt reached flow control synchronously (attemptInTurn registers before its first await).
    options.onQueued?.();
    const settled = await Promise.allSettled(attempts);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((r) => (r as PromiseFulfilledResult<AttemptOutcome>).value);
  }

  /**
   * Backpressure for callers that do not wait for their attempts (fan-out): resolves once this
   * process has a free place to send (fewer than min(`limit`, WEBHOOK_WORKER_MAX_IN_FLIGHT)
   * attempts in flight) and holds fewer than four workspaces' worth of waiting deliveries
   * (4 × WEBHOOK_WORKSPACE_MAX_QUEUED). A workspace whose own limits hold its deliveries back
   * (hanging endpoints, a low rate limit, an open circuit) uses none of those places, so it never
   * holds up fan-out for the others; past its own maximum its deliveries wait in PostgreSQL.
   */
  async belowLimit(limit: number): Promise<void> {
    const sending = Math.min(limit, this.config.flow.workerMaxInFlight);
    const holding = 4 * this.config.flow.workspaceMaxQueued;
    while (this.scheduler.inFlight >= sending || this.scheduler.inFlight + this.scheduler.waiting >= holding) await once(this.settled, 'settled');
  }

  /**
   * Backpressure per workspace, for fan-out: waits until each workspace of the batch has room for
   * its share of it — `held + reserved + need ≤ WEBHOOK_WORKSPACE_MAX_QUEUED`, where `need` counts
   * only deliveries whose webhook has room of its own (the others wait in PostgreSQL anyway), at most
   * half the workspace's cap (a batch larger than that goes once half is free) — for as long as that
   * workspace keeps draining: the wait ends `maxWaitMs` after the last attempt of a blocking
   * workspace settled (a webhook at its own cap does not count as draining). A busy workspace's
   * burst is thus paced here and stays in the event queue instead of crowding this process's memory
   * or being parked in PostgreSQL; a workspace stuck behind its own limits (hanging endpoints, an
   * open circuit) stops draining, so its batches go on after `maxWaitMs` and what does not fit waits
   * in PostgreSQL. At most 80 % of WORKER_CONCURRENCY batches wait per workspace, so one workspace
   * never holds every event job. `perWebhook`: workspace → webhook → deliveries in the batch.
   * Returns the release of the room reserved for the batch (call it once its attempts are queued).
   */
  async roomFor(perWebhook: Map<string, Map<string, number>>, maxWaitMs: number): Promise<() => void> {
    const flow = this.config.flow;
    const max = flow.workspaceMaxQueued;
    const perWorkspace = new Map<string, number>();
    for (const [ws, hooks] of perWebhook) {
      let n = 0;
      // A webhook with a backlog counts too: the batch waits (in the event queue) while that backlog
      // drains, rather than being parked behind it in PostgreSQL at once.
      for (const [hook, count] of hooks) n += Math.min(count, this.webhookRoom(ws, hook, true));
      perWorkspace.set(ws, n);
    }
    const load = (id: string) => this.workspaceLoad(id);
    const need = (n: number) => Math.min(n, Math.ceil(max / 2));
    const blocking = () => [...perWorkspace].filter(([id, n]) => n > 0 && load(id) > 0 && load(id) + need(n) > max).map(([id]) => id);
    let waiting = blocking();
    if (waiting.length && waiting.every((id) => (this.waitingBatches.get(id) ?? 0) < Math.max(1, Math.floor(this.config.workerConcurrency * MAX_WAITING_SHARE)))) {
      for (const id of waiting) this.waitingBatches.set(id, (this.waitingBatches.get(id) ?? 0) + 1);
      const counted = waiting;
      try {
        // Never longer than a quarter of a lease in all: the batch's deliveries are leased and
        // nothing renews those leases until the batch is handed over.
        const latest = Date.now() + this.leaseMs / 4;
        let deadline = Date.now() + maxWaitMs;
        for (; waiting.length; waiting = blocking()) {
          const left = Math.min(deadline, latest) - Date.now();
          if (left <= 0) break;
          const [settledIn] = await once(this.settled, 'settled', { signal: AbortSignal.timeout(left) }).catch(() => [undefined]);
          if (settledIn && waiting.includes(settledIn as string)) deadline = Date.now() + maxWaitMs;
        }
      } finally {
        for (const id of counted) this.waitingBatches.set(id, (this.waitingBatches.get(id) ?? 1) - 1);
      }
    }
    const releases = [...perWorkspace].map(([id, n]) => this.reserveRoom(id, n));
    return () => releases.forEach((release) => release());
  }

  /**
   * Holds `n` of the workspace's room until the returned release is called (more than once is
   * harmless): for a fan-out batch until its attempts are queued, and for a backlog pull while it
   * reads PostgreSQL — or fan-out would take the room meanwhile and the pulled rows go back again.
   */
  reserveRoom(workspaceId: string, n: number): () => void {
    this.reserved.set(workspaceId, (this.reserved.get(workspaceId) ?? 0) + n);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const rest = (this.reserved.get(workspaceId) ?? 0) - n;
      if (rest > 0) this.reserved.set(workspaceId, rest);
      else this.reserved.delete(workspaceId);
    };
  }

  /**
   * False when this workspace, or this webhook, already has its maximum waiting in this process
   * (WEBHOOK_WORKSPACE_MAX_QUEUED, WEBHOOK_MAX_QUEUED): its further work stays in PostgreSQL. The
   * webhook's own cap keeps one stuck endpoint from filling its workspace's room.
   */
  hasRoom(workspaceId: string, webhookId?: string, fromBacklog = false): boolean {
    if (this.scheduler.held(workspaceId) >= this.config.flow.workspaceMaxQueued) return false;
    return webhookId === undefined || this.webhookRoom(workspaceId, webhookId, fromBacklog) > 0;
  }

  /**
   * How many more of this webhook's deliveries may wait here (WEBHOOK_MAX_QUEUED). For work not
   * pulled from its backlog, none while it has deliveries left due in PostgreSQL: those go first (due
   * order), so a new event or a retry joins the back of that line instead of overtaking it — under a
   * sustained overload, older deliveries would otherwise wait until the load stopped.
   */
  private webhookRoom(workspaceId: string, webhookId: string, fromBacklog = false): number {
    if (!fromBacklog && this.backlog.get(workspaceId)?.has(webhookId)) return 0;
    return Math.max(0, this.config.flow.webhookMaxQueued - this.scheduler.heldBy(workspaceId, webhookId));
  }

  /**
   * A delivery of this webhook was left due in PostgreSQL for want of room here: it is pulled back
   * (DeliveryBacklog) once the workspace and the webhook have room again, without waiting for the
   * reconciler's sweep.
   */
  leftInBacklog(workspaceId: string, webhookId: string): void {
    let hooks = this.backlog.get(workspaceId);
    if (!hooks) this.backlog.set(workspaceId, (hooks = new Map()));
    // When it was left: a pull that started before cannot conclude it has nothing more due.
    hooks.set(webhookId, ++this.backlogSequence);
    // Only pulls feed a backlogged webhook now: one with nothing held here is pulled for at once
    // (once per turn of the event loop), not when some other attempt of the workspace settles.
    if (this.scheduler.heldBy(workspaceId, webhookId) === 0 && !this.roomOffers.has(workspaceId)) {
      this.roomOffers.add(workspaceId);
      setImmediate(() => {
        this.roomOffers.delete(workspaceId);
        this.offerRoom(workspaceId);
      });
    }
  }

  /** A workspace's deliveries held in this process (waiting or in flight) plus the room promised to fan-out batches. */
  private workspaceLoad(workspaceId: string): number {
    return this.scheduler.held(workspaceId) + (this.reserved.get(workspaceId) ?? 0);
  }

  /** Called with a workspace whose backlog in PostgreSQL this process may pull from now. */
  onRoom(listener: (workspaceId: string) => void): void {
    this.roomListeners.push(listener);
  }

  /**
   * Webhooks whose backlog this process pulls back itself as room frees (left out of the
   * reconciler's sweep, which would otherwise offer the same rows one job at a time), and their
   * workspaces (the reconciler's tick pulls them too, in case no attempt settles to offer room).
   */
  backlogged(): { workspaces: string[]; webhooks: string[] } {
    const webhooks: string[] = [];
    for (const hooks of this.backlog.values()) webhooks.push(...hooks.keys());
    return { workspaces: [...this.backlog.keys()], webhooks };
  }

  /**
   * What a pull from this workspace's backlog may take now: per webhook left in the backlog, its
   * room (webhooks without room left out), and the workspace's room in all; null when nothing.
   */
  backlogRoom(workspaceId: string): BacklogRoom | null {
    const hooks = this.backlog.get(workspaceId);
    if (!hooks?.size) return null;
    const flow = this.config.flow;
    const total = flow.workspaceMaxQueued - this.workspaceLoad(workspaceId);
    if (total <= 0) return null;
    const perWebhook = new Map<string, number>();
    for (const hook of hooks.keys()) {
      const room = Math.min(total, this.webhookRoom(workspaceId, hook, true));
      if (room > 0) perWebhook.set(hook, room);
    }
    return perWebhook.size ? { total, perWebhook, asOf: this.backlogSequence } : null;
  }

  /** After a pull of `pulled` rows for `asked`: when it was not cut by the workspace's total, the webhooks that got less than they asked for have nothing more due. */
  backlogPulled(workspaceId: string, asked: BacklogRoom, pulled: Map<string, number>): void {
    const hooks = this.backlog.get(workspaceId);
    if (!hooks) return;
    const all = [...pulled.values()].reduce((a, b) => a + b, 0);
    if (all < asked.total) {
      for (const [hook, n] of asked.perWebhook) {
        // Left again while the pull ran: more may be due than the pull could see.
        if ((pulled.get(hook) ?? 0) < n && (hooks.get(hook) ?? Infinity) <= asked.asOf) hooks.delete(hook);
      }
    }
    if (!hooks.size) this.backlog.delete(workspaceId);
  }

  /** Offers room again after a pull (offers made while it ran were not taken). */
  pullEnded(workspaceId: string): void {
    this.offerRoom(workspaceId);
  }

  /**
   * After an attempt of this workspace settled: when a quarter of the workspace's room is free and a
   * webhook it left in the backlog is at most half full, the backlog's listeners pull (in chunks,
   * not one row per settled attempt).
   */
  private offerRoom(workspaceId: string): void {
    const hooks = this.backlog.get(workspaceId);
    if (!hooks || !this.roomListeners.length) return;
    const flow = this.config.flow;
    const free = flow.workspaceMaxQueued - this.workspaceLoad(workspaceId);
    if (free < Math.ceil(flow.workspaceMaxQueued / 4)) return;
    for (const hook of hooks.keys()) {
      if (this.scheduler.heldBy(workspaceId, hook) <= flow.webhookMaxQueued / 2) {
        for (const listener of this.roomListeners) listener(workspaceId);
        return;
      }
    }
  }

  /** Waits for flow control, then attempts; NO_ROOM (no room here) or null (not attempted: shutdown, webhook changed) when it was not made. */
  private async attemptInTurn(d: ClaimedDelivery, flow: WebhookFlow, options: RunOptions): Promise<AttemptRecord | typeof NO_ROOM | null> {
    // Past what this workspace or webhook may hold in this process, the delivery waits in
    // PostgreSQL instead (pulled back as room frees). A test event or redelivery someone is waiting
    // for is not held back: those are few (rate-limited per webhook).
    if (!options.priority && !this.hasRoom(flow.workspaceId, d.webhookId, options.fromBacklog)) return NO_ROOM;
    let origin: string;
    try {
      origin = new URL(d.url).origin;
    } catch {
      origin = d.url;
    }
    const queuedAt = Date.now();
    let permit;
    try {
      permit = await this.scheduler.acquire({
        workspaceId: flow.workspaceId,
        webhookId: d.webhookId,
        origin,
        maxConcurrency: flow.maxConcurrency ?? this.config.flow.defaultMaxConcurrency,
        rateLimitPerSecond: flow.rateLimitPerSecond,
        priority: options.priority,
      });
    } catch (err) {
      if (err instanceof FlowClosedError) return null;
      throw err;
    }
    let record: AttemptRecord | null = null;
    try {
      if (Date.now() - queuedAt > RECHECK_AFTER_MS && !(await this.unchanged(d, flow))) return null;
      record = await this.attempt(d);
      return record;
    } finally {
      permit.end(record ? record.result.ok : null);
    }
  }

  /** The webhook as it is now (at most RECHECK_REUSE_MS old) still matches what the delivery was claimed with. */
  private async unchanged(d: ClaimedDelivery, claimed: WebhookFlow): Promise<boolean> {
    const now = await this.currentFlow(d.webhookId);
    return (
      now !== undefined &&
      now.enabled &&
      now.url === d.url &&
      now.createdById === claimed.createdById &&
      now.abilityVersion === claimed.abilityVersion
    );
  }

  /**
   * A webhook's settings read for rechecks: every webhook asked for in one turn of the event loop is
   * read in one query, and the answer serves further rechecks for RECHECK_REUSE_MS, so a backlog
   * released attempt by attempt costs a few queries a second, not one per attempt.
   */
  private currentFlow(webhookId: string): Promise<WebhookFlow | undefined> {
    const known = this.rechecks.get(webhookId);
    if (known) return known;
    let batch = this.recheckBatch;
    if (!batch) {
      const ids: string[] = [];
      const read = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.recheckBatch = null;
        return this.readFlows(ids);
      });
      batch = this.recheckBatch = { ids, read };
    }
    batch.ids.push(webhookId);
    const answer = batch.read.then((flows) => flows.get(webhookId));
    this.rechecks.set(webhookId, answer);
    const forget = () => setTimeout(() => this.rechecks.delete(webhookId), RECHECK_REUSE_MS).unref();
    answer.then(forget, () => this.rechecks.delete(webhookId));
    return answer;
  }

  /** The flow settings of the batch's webhooks: given by the caller, cached for a second, or read in one query. */
  private async flowsOf(batch: ClaimedDelivery[]): Promise<Map<string, WebhookFlow>> {
    const flows = new Map<string, WebhookFlow>();
    const missing = new Set<string>();
    const now = Date.now();
    for (const d of batch) {
      if (d.flow) {
        flows.set(d.webhookId, d.flow);
        this.flowCache.set(d.webhookId, { flow: d.flow, at: now });
        continue;
      }
      const cached = this.flowCache.get(d.webhookId);
      if (cached && now - cached.at < 1_000) flows.set(d.webhookId, cached.flow);
      else missing.add(d.webhookId);
    }
    if (missing.size) {
      for (const [id, flow] of await this.readFlows([...missing])) {
        flows.set(id, flow);
        this.flowCache.set(id, { flow, at: now });
      }
      if (this.flowCache.size > 10_000) {
        for (const [id, entry] of this.flowCache) if (now - entry.at >= 1_000) this.flowCache.delete(id);
      }
    }
    return flows;
  }

  private readFlows(ids: string[]): Promise<Map<string, WebhookFlow>> {
    return this.webhooks.flowLimits(this.dataSource, ids);
  }

  /**
   * Adds the delayed job of a delivery's next attempt; those logged in the same turn of the event
   * loop share one Redis round trip. If Redis refuses, the reconciler finds the delivery due in
   * PostgreSQL (next_attempt_at was written with the attempt).
   */
  private scheduleRetry(retry: { deliveryId: string; attempt: number; at: Date; workspaceId: string; webhookId: string }): void {
    if (!this.retryBatch) {
      const batch: (typeof retry)[] = (this.retryBatch = []);
      setImmediate(() => {
        this.retryBatch = null;
        const now = Date.now();
        this.queue
          .enqueue(batch.map((r) => ({ deliveryId: r.deliveryId, attempt: r.attempt, delayMs: Math.max(0, r.at.getTime() - now), workspaceId: r.workspaceId, webhookId: r.webhookId })))
          .catch((err: Error) => this.logger.warn(`${batch.length} retries left to the reconciler: ${err.message}`));
      });
    }
    this.retryBatch.push(retry);
  }

  /** Unleases a delivery not attempted here; those given back in the same turn of the event loop share one statement. */
  private giveBack(deliveryId: string): Promise<void> {
    let batch = this.giveBackBatch;
    if (!batch) {
      const ids: string[] = [];
      const done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.giveBackBatch = null;
        return this.deliveries.unlease(ids);
      });
      batch = this.giveBackBatch = { ids, done };
    }
    batch.ids.push(deliveryId);
    return batch.done;
  }

  /** Extends the leases of held deliveries that would run out within half a lease. */
  private armLeaseTimer(): void {
    if (this.leaseTimer) return;
    const every = Math.max(100, Math.floor(this.leaseMs / 4));
    this.leaseTimer = setInterval(() => void this.extendLeases(), every);
    this.leaseTimer.unref();
  }

  private async extendLeases(): Promise<void> {
    if (this.leases.size === 0) {
      if (this.leaseTimer) clearInterval(this.leaseTimer);
      this.leaseTimer = null;
      return;
    }
    const now = Date.now();
    const due = [...this.leases].filter(([, lease]) => lease.until < now + this.leaseMs / 2).map(([id]) => id);
    if (!due.length) return;
    for (const id of due) this.leases.get(id)!.until = now + this.leaseMs;
    try {
      await this.deliveries.extendLeases(due);
    } catch (err) {
      this.logger.warn(`lease extension failed: ${(err as Error).message}`);
    }
  }

  private async attempt(delivery: ClaimedDelivery): Promise<AttemptRecord> {
    const startedAt = new Date();
    const timestamp = Math.floor(startedAt.getTime() / 1000);
    const requestHeaders: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      // The event id: the same on every retry and redelivery, so receivers can deduplicate.
      'webhook-id': delivery.eventId,
      'webhook-timestamp': String(timestamp),
      // One v1 signature per live secret (two during a rotation overlap).
      'webhook-signature': signPayload(this.secrets.liveSecrets(delivery.webhookId, delivery.secrets), delivery.eventId, timestamp, delivery.body),
    };
    const result = await this.sender.send(delivery.url, requestHeaders, delivery.body);
    const number = delivery.attemptCount + 1;
    const gone = result.status === 410;
    // A target refused by the SSRF guard is not a transient fault: the delivery fails now rather
    // than knocking on the blocked address for the rest of the schedule. (Recover or redeliver
    // try again, checked again, once the URL or its DNS is fixed.)
    const permanent = gone || result.errorKind === 'blocked_address';
    let status: DeliveryStatus = 'succeeded';
    let retryInMs: number | null = null;
    if (!result.ok) {
      retryInMs = permanent ? null : nextRetryDelay(this.config.webhookRetryScheduleMs, number, { retryAfterMs: result.retryAfterMs });
      status = retryInMs === null ? 'failed' : 'retrying';
    }
    return {
      deliveryId: delivery.deliveryId,
      webhookId: delivery.webhookId,
      number,
      status,
      retryInMs,
      error: result.ok ? null : (result.errorKind ?? 'network'),
      startedAt,
      requestHeaders,
      result,
      nextAttemptAt: retryInMs === null ? null : new Date(Date.now() + retryInMs),
      gone,
    };
  }

  /**
   * Logs one finished attempt. Attempts that finish while a statement is running are logged
   * together by the next one (group commit): one statement per batch, however they finished.
   */
  private record(record: AttemptRecord): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ record, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        // Attempts that end in the same turn of the event loop share the first statement.
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending.splice(0, 2_000);
      const records = batch.map((p) => p.record);
      try {
        // Once more when a webhook was deleted (with its deliveries) after the statement's snapshot
        // (a new snapshot no longer sees those rows), or the statement was a deadlock victim (a
        // webhook's delete locks it, then its deliveries): otherwise the batch's attempts would go
        // unlogged and be sent again once their leases lapse.
        await retryTransientConflicts(() => this.recordBatch(records), { alsoOn: [FOREIGN_KEY_VIOLATION] });
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err as Error);
      }
    }
    this.flushing = false;
  }

  private async recordBatch(records: AttemptRecord[]): Promise<void> {
    const col = <T>(pick: (r: AttemptRecord) => T) => records.map(pick);
    const changes: HealthChange[] = await this.dataSource.query(this.recordSql, [
      col((r) => r.deliveryId),
      col((r) => r.number),
      col((r) => r.startedAt),
      col((r) => Math.round(r.result.durationMs)),
      col((r) => JSON.stringify(r.requestHeaders)),
      col((r) => r.result.status ?? null),
      col((r) => (r.result.headers ? JSON.stringify(r.result.headers) : null)),
      col((r) => (r.result.body === undefined ? null : r.result.body.replace(/\u0000/g, ''))),
      col((r) => r.error),
      col((r) => (r.result.errorMessage ? r.result.errorMessage.slice(0, 1000) : null)),
      col((r) => r.status),
      col((r) => r.nextAttemptAt),
      col((r) => r.webhookId),
      ...this.webhooks.healthParams({
        // In the order they ended: a success after failures is a recovery, failures after a success a new run.
        attempts: records.map((r) => ({
          webhookId: r.webhookId,
          outcome: r.gone ? 'gone' : r.status === 'succeeded' ? 'succeeded' : 'failed',
          error: r.status === 'succeeded' ? null : describeError({ error: r.error ?? 'network', error_message: r.result.errorMessage?.slice(0, 1000) ?? null, response_status: r.result.status ?? null }),
        })),
        disableAfterMs: this.config.webhookDisableAfterMs,
        failingAfter: this.config.webhookFailingAfter,
      }),
    ]);
    for (const r of records) {
      ATTEMPTS.inc({ outcome: r.status });
      ATTEMPT_DURATION.observe(r.result.durationMs / 1000);
    }
    if (changes.length) {
      // Off the hot path: rare (a change of health), and never allowed to fail the attempts' record.
      void this.health.announce(changes).catch((err: Error) => this.logger.warn(`health alerts deferred: ${err.message}`));
    }
  }

  /** Resolves once no attempt is in flight (nor waiting for its turn, nor waiting to be recorded). */
  private async idle(): Promise<void> {
    while (this.active > 0) await once(this.settled, 'settled');
  }

  /**
   * On SIGTERM, after the queues stopped handing out jobs (their processors' beforeApplicationShutdown):
   * attempts still waiting for their turn are given back to PostgreSQL (unleased, due, not attempted);
   * those in flight finish and their rows are written, within WORKER_SHUTDOWN_GRACE_MS, and only then
   * is the HTTP client closed (the database closes after this). Past the grace period the remaining
   * sends are aborted and logged as failed attempts, so they are retried, never lost.
   */
  async onApplicationShutdown(): Promise<void> {
    this.stopReportingCircuits();
    this.scheduler.close();
    if (!(await this.stop.within(this.idle()))) {
      this.logger.warn(`${this.active} attempt(s) still in flight at the end of WORKER_SHUTDOWN_GRACE_MS: aborted, logged as failed and retried`);
      await this.sender.destroy();
      // The aborted attempts are recorded as failures (a retry is scheduled): a short bounded wait.
      await Promise.race([this.idle(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    }
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    await this.sender.close();
  }
}
