import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { DeliveriesQueryDto, DeliveryView } from './delivery.dto';
import { SKIP_REASONS, SkipReason } from './delivery-skip.entity';
import { DELIVERY_STATUSES, DeliveryStatus, CANCEL_REASONS, CancelReason } from './delivery.entity';

/** Calendar dates and date-times PostgreSQL reads (ISO 8601 week and ordinal dates are refused). */
export const DATE_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const dateTimeMessage = (name: string) => ({ message: `${name} must be a date or date-time like 2026-11-26 or 2026-11-26T00:00:00Z` });

/** `evt_` + a ULID (Crockford base 32). */
export const EVENT_ID_PATTERN = /^evt_[0-9A-HJKMNP-TV-Z]{26}$/;

export const ERROR_KINDS = [
  'timeout',
  'connection_refused',
  'connection_reset',
  'dns',
  'blocked_address',
  'tls',
  'http_status',
  'invalid_response',
  'network',
] as const;

export class TimeWindowQueryDto {
  @ApiPropertyOptional({ example: '2026-11-26T00:00:00Z', description: 'From this time (inclusive)' })
  @IsOptional()
  @Matches(DATE_TIME_PATTERN, dateTimeMessage('since'))
  since?: string;

  @ApiPropertyOptional({ example: '2026-11-27T00:00:00Z', description: 'Up to this time (exclusive)' })
  @IsOptional()
  @Matches(DATE_TIME_PATTERN, dateTimeMessage('until'))
  until?: string;
}

export class DeliverySearchQueryDto extends DeliveriesQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only this webhook' })
  @IsOptional()
  @IsUUID()
  webhookId?: string;

  @ApiPropertyOptional({ example: 'evt_01KB3Q7ZJ8M2Y5D4XW0N6T9RHC', description: 'Only deliveries of this event' })
  @IsOptional()
  @Matches(EVENT_ID_PATTERN, { message: 'eventId must be an event id (evt_ followed by 26 characters)' })
  eventId?: string;

  @ApiPropertyOptional({ example: '0b7c6a52-3f0e-4c1b-9a53-4f1d2f6b8e11', description: "Only events about this object (the event's data.object.id)" })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  objectId?: string;

  @ApiPropertyOptional({ enum: ERROR_KINDS, example: 'timeout', description: "Only deliveries whose latest attempt failed with this kind of error" })
  @IsOptional()
  @IsIn(ERROR_KINDS)
  errorKind?: string;

  @ApiPropertyOptional({ example: '2026-11-26T00:00:00Z', description: 'Deliveries created at or after this time' })
  @IsOptional()
  @Matches(DATE_TIME_PATTERN, dateTimeMessage('since'))
  since?: string;

  @ApiPropertyOptional({ example: '2026-11-27T00:00:00Z', description: 'Deliveries created before this time' })
  @IsOptional()
  @Matches(DATE_TIME_PATTERN, dateTimeMessage('until'))
  until?: string;
}

export class DeliverySearchView extends DeliveryView {
  @ApiProperty({ format: 'uuid' }) webhookId: string;
}

export const DECISIONS = ['delivered', 'skipped', 'pending'] as const;
export type Decision = (typeof DECISIONS)[number];
/** The reasons fan-out records, and `not_subscribed`, found when the event is looked at. */
export const DECISION_REASONS = [...SKIP_REASONS, 'not_subscribed'] as const;
export type DecisionReason = SkipReason | 'not_subscribed';

export class WebhookDecisionView {
  @ApiProperty({ format: 'uuid' }) webhookId: string;
  @ApiProperty({ example: 'CRM sync' }) webhookName: string;
  @ApiProperty({
    enum: DECISIONS,
    example: 'skipped',
    description:
      'delivered: a delivery exists (see deliveryId, status); skipped: fan-out decided not to deliver (see reason); ' +
      'pending: the event has not been fanned out yet',
  })
  decision: Decision;
  @ApiProperty({
    enum: DECISION_REASONS,
    nullable: true,
    example: 'not_permitted',
    description:
      "Set when skipped. not_permitted: the webhook's owner may not read the event's object; disabled: the webhook was disabled " +
      'when the event was fanned out; created_after_event: the webhook was created after the event happened; filtered: ' +
      "the webhook's filter did not match; not_subscribed: the webhook subscribed to this type after the event was fanned out",
  })
  reason: DecisionReason | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, example: null }) deliveryId: string | null;
  @ApiProperty({ enum: DELIVERY_STATUSES, nullable: true, example: null, description: 'The delivery status when delivered' })
  status: DeliveryStatus | null;
  @ApiProperty({ enum: CANCEL_REASONS, nullable: true, example: null, description: 'Why a delivered (then cancelled) delivery was not sent' })
  cancelReason: CancelReason | null;
}

export class EventActorView {
  @ApiProperty({ enum: ['user', 'api_key', 'system'], example: 'user' }) type: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) id: string | null;
}

export class EventDecisionsView {
  @ApiProperty({ example: 'evt_01KB3Q7ZJ8M2Y5D4XW0N6T9RHC' }) id: string;
  @ApiProperty({ example: 'investment.updated' }) type: string;
  @ApiProperty({ example: '0b7c6a52-3f0e-4c1b-9a53-4f1d2f6b8e11', nullable: true, type: String, description: "The event's data.object.id" })
  objectId: string | null;
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' }) createdAt: string;
  @ApiProperty({ type: EventActorView }) actor: EventActorView;
  @ApiProperty({
    type: [WebhookDecisionView],
    description: "One per webhook of the workspace subscribed to the event's type (members: their own webhooks only)",
  })
  decisions: WebhookDecisionView[];
}

export class StatsBucketView {
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z', description: 'Start of the hour' }) start: string;
  @ApiProperty({ example: 120, description: 'Attempts that succeeded in this hour' }) succeeded: number;
  @ApiProperty({ example: 3, description: 'Attempts that failed in this hour' }) failed: number;
}

export class WebhookStatsView {
  @ApiProperty({ example: '2026-11-26T10:00:00.000Z' }) since: string;
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' }) until: string;
  @ApiProperty({ example: 130, description: 'Deliveries created in the window' }) total: number;
  @ApiProperty({ example: 120, description: '… of which succeeded' }) succeeded: number;
  @ApiProperty({ example: 3, description: '… failed (every attempt used, or a permanent error)' }) failed: number;
  @ApiProperty({ example: 2, description: '… waiting for a retry' }) retrying: number;
  @ApiProperty({ example: 5, description: '… not attempted yet' }) pending: number;
  @ApiProperty({ example: 0.9756, nullable: true, type: Number, description: 'succeeded / (succeeded + failed); null when neither' })
  successRate: number | null;
  @ApiProperty({ example: 42, nullable: true, type: Number, description: 'Median duration of the attempts in the window' })
  p50DurationMs: number | null;
  @ApiProperty({ example: 180, nullable: true, type: Number, description: '95th percentile duration of the attempts in the window' })
  p95DurationMs: number | null;
  @ApiProperty({ example: '2026-11-27T09:59:00.000Z', nullable: true, type: String, description: 'The latest successful attempt (any time)' })
  lastSuccessAt: string | null;
  @ApiProperty({ example: '2026-11-27T08:00:00.000Z', nullable: true, type: String, description: 'The latest failed attempt (any time)' })
  lastFailureAt: string | null;
  @ApiProperty({ example: 'timeout: no answer within 10000 ms', nullable: true, type: String, description: 'The error of the latest failed attempt' })
  lastError: string | null;
  @ApiProperty({ type: [StatsBucketView], description: 'Attempts per hour, oldest first, every hour of the window' })
  series: StatsBucketView[];
}
