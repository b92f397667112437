import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { EventEmitter, once } from 'node:events';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { GracefulStop } from '../config/graceful-stop';
import type { StoredSecret } from '../webhooks/webhook.entity';
import { WebhookSecretsService } from '../webhooks/webhook-secrets.service';
import { WebhookRepository } from '../webhooks/webhook.repository';
import type { DeliveryStatus } from './delivery.entity';
import { HttpSender, SendResult } from './http-sender';
import { nextRetryDelay } from './retry-policy';
import { signPayload } from './signing';
import { USER_AGENT } from './delivery.constants';
import { WORKER_DATA_SOURCE } from '../database/data-source-options';

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
}

export interface AttemptOutcome {
  deliveryId: string;
  number: number;
  status: DeliveryStatus;
  /** Set when another attempt is scheduled. */
  retryInMs: number | null;
  error: string | null;
}

interface AttemptRecord extends AttemptOutcome {
  webhookId: string;
  startedAt: Date;
  requestHeaders: Record<string, string>;
  result: SendResult;
  nextAttemptAt: Date | null;
  gone: boolean;
}

// One statement records a whole batch: the attempts, the deliveries' new state, and the
// webhooks' health (the webhooks module's statement: failing streak, auto-disable on `failing` or `gone`).
const recordSql = (webhooks: WebhookRepository) => `
WITH attempt_rows AS (
  INSERT INTO delivery_attempts
    (delivery_id, number, started_at, duration_ms, request_headers, response_status, response_headers, response_body, error, error_message)
  SELECT * FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::int[], $5::jsonb[], $6::int[], $7::jsonb[], $8::text[], $9::text[], $10::text[])
), delivery_rows AS (
  UPDATE deliveries d
  SET status = v.status, attempt_count = v.number, response_status = v.response_status,
      next_attempt_at = v.next_attempt_at, lease_until = NULL, updated_at = now()
  FROM unnest($1::uuid[], $11::text[], $2::int[], $6::int[], $12::timestamptz[]) AS v(id, status, number, response_status, next_attempt_at)
  WHERE d.id = v.id
), ${webhooks.healthSql(13)}
SELECT 1`;

/**
 * Makes attempts: signs the exact bytes, POSTs them through the shared keep-alive client, decides
 * the outcome with the retry policy, and logs every attempt in one batched statement.
 */
@Injectable()
export class DeliveryAttemptsService implements OnApplicationShutdown {
  private readonly logger = new Logger(DeliveryAttemptsService.name);
  /** Attempts started and not yet recorded, across every caller. */
  private active = 0;
  private readonly settled = new EventEmitter().setMaxListeners(0);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource(WORKER_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly secrets: WebhookSecretsService,
    private readonly webhooks: WebhookRepository,
    private readonly sender: HttpSender,
    private readonly stop: GracefulStop,
  ) {
    this.recordSql = recordSql(webhooks);
  }

  private readonly recordSql: string;

  async run(batch: ClaimedDelivery[]): Promise<AttemptOutcome[]> {
    if (!batch.length) return [];
    this.active += batch.length;
    try {
      const records = await Promise.all(batch.map((delivery) => this.attempt(delivery)));
      await this.record(records);
      return records.map(({ deliveryId, number, status, retryInMs, error }) => ({ deliveryId, number, status, retryInMs, error }));
    } finally {
      this.active -= batch.length;
      this.settled.emit('settled');
    }
  }

  /** Resolves once at most `limit` attempts are in flight (backpressure for callers that do not wait). */
  async belowLimit(limit: number): Promise<void> {
    while (this.active > limit) await once(this.settled, 'settled');
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

  private async record(records: AttemptRecord[]): Promise<void> {
    const col = <T>(pick: (r: AttemptRecord) => T) => records.map(pick);
    const succeeded = records.filter((r) => r.status === 'succeeded').map((r) => r.webhookId);
    const gone = records.filter((r) => r.gone).map((r) => r.webhookId);
    const failing = records.filter((r) => r.status !== 'succeeded' && !r.gone).map((r) => r.webhookId);
    await this.dataSource.query(this.recordSql, [
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
      ...this.webhooks.healthParams({ healthy: succeeded, gone, failing, disableAfterMs: this.config.webhookDisableAfterMs }),
    ]);
  }

  /** Resolves once no attempt is in flight (nor waiting to be recorded). */
  private async idle(): Promise<void> {
    while (this.active > 0) await once(this.settled, 'settled');
  }

  /**
   * On SIGTERM, after the queues stopped handing out jobs (their processors' beforeApplicationShutdown):
   * the attempts in flight finish and their rows are written, within WORKER_SHUTDOWN_GRACE_MS, and
   * only then is the HTTP client closed (the database closes after this). Past the grace period the
   * remaining sends are aborted and logged as failed attempts, so they are retried, never lost.
   */
  async onApplicationShutdown(): Promise<void> {
    if (!(await this.stop.within(this.idle()))) {
      this.logger.warn(`${this.active} attempt(s) still in flight at the end of WORKER_SHUTDOWN_GRACE_MS: aborted, logged as failed and retried`);
      await this.sender.destroy();
      // The aborted attempts are recorded as failures (a retry is scheduled): a short bounded wait.
      await Promise.race([this.idle(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    }
    await this.sender.close();
  }
}
