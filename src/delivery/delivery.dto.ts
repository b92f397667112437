import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { PageQueryDto } from '../kernel/pagination';
import { CANCEL_REASONS, CancelReason, DELIVERY_STATUSES, DeliveryStatus } from './delivery.entity';

export class DeliveriesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES, example: 'failed' })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;

  @ApiPropertyOptional({ example: 'investment.updated' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  eventType?: string;
}

// ISO 8601 also allows week and ordinal dates, which PostgreSQL does not read: calendar dates only.
const CALENDAR_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

export class RecoverDto {
  @ApiProperty({ example: '2026-11-26T00:00:00Z', description: 'Redeliver the failed deliveries created at or after this time' })
  @IsISO8601({ strict: true })
  @Matches(CALENDAR_DATE, { message: 'since must be a date or date-time like 2026-11-26 or 2026-11-26T00:00:00Z' })
  since: string;

  @ApiPropertyOptional({
    example: '2026-11-27T00:00:00Z',
    description: 'Only those created before this time (later than since); default: no upper bound',
  })
  // Optional, but null is refused: validated whenever present.
  @ValidateIf((_object: object, value: unknown) => value !== undefined)
  @IsISO8601({ strict: true })
  @Matches(CALENDAR_DATE, { message: 'until must be a date or date-time like 2026-11-27 or 2026-11-27T00:00:00Z' })
  until?: string;
}

export class DeliveryView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'evt_01KB3Q7ZJ8M2Y5D4XW0N6T9RHC', description: 'Also the webhook-id header of every attempt' }) eventId: string;
  @ApiProperty({ example: 'investment.updated' }) eventType: string;
  @ApiProperty({ enum: DELIVERY_STATUSES, example: 'succeeded' }) status: DeliveryStatus;
  @ApiProperty({
    enum: CANCEL_REASONS,
    nullable: true,
    example: null,
    description:
      'Why a `cancelled` delivery was not sent: webhook_disabled (disabled or paused), not_permitted (when the attempt was due, ' +
      "the webhook's current owner could not read the event's object); null otherwise",
  })
  cancelReason: CancelReason | null;
  @ApiProperty({ example: 1 }) attemptCount: number;
  @ApiProperty({ example: 200, nullable: true, type: Number }) responseStatus: number | null;
  @ApiProperty({ example: null, nullable: true, type: String, description: 'When the next attempt is due' }) nextAttemptAt: string | null;
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' }) createdAt: string;
  @ApiProperty({ example: '2026-11-27T10:00:00.120Z' }) updatedAt: string;
  @ApiProperty({ example: 42, nullable: true, type: Number, description: 'How long the latest attempt took (null before the first)' })
  lastDurationMs: number | null;
}

export class AttemptView {
  @ApiProperty({ example: 1 }) number: number;
  @ApiProperty({ example: '2026-11-27T10:00:00.010Z' }) startedAt: string;
  @ApiProperty({ example: 42 }) durationMs: number;
  @ApiProperty({
    example: { 'content-type': 'application/json', 'webhook-id': 'evt_01KB3Q7ZJ8M2Y5D4XW0N6T9RHC', 'webhook-timestamp': '1795775400' },
    description: 'As sent; never contains a secret',
  })
  requestHeaders: Record<string, string>;
  @ApiProperty({ example: 200, nullable: true, type: Number }) responseStatus: number | null;
  @ApiProperty({ example: { 'content-type': 'text/plain' }, nullable: true, type: Object }) responseHeaders: Record<string, string> | null;
  @ApiProperty({ example: 'ok', nullable: true, type: String, description: 'The first 4 KiB' }) responseBody: string | null;
  @ApiProperty({
    example: null,
    nullable: true,
    type: String,
    description: 'timeout, connection_refused, connection_reset, dns, blocked_address, tls, http_status, invalid_response, network',
  })
  error: string | null;
  @ApiProperty({ example: null, nullable: true, type: String }) errorMessage: string | null;
}

export class DeliveryDetailView extends DeliveryView {
  @ApiProperty({
    type: String,
    nullable: true,
    example: '{"id":"evt_01KB3Q7ZJ8M2Y5D4XW0N6T9RHC","type":"investment.updated","createdAt":"2026-11-27T10:00:00.000Z","workspaceId":"…","actor":{"type":"user","id":"…"},"data":{"object":{},"previousAttributes":{}}}',
    description: 'The exact JSON body sent (and signed) on every attempt; null once its event is purged (WEBHOOK_LOG_RETENTION)',
  })
  requestBody: string | null;
  @ApiProperty({ type: [AttemptView] }) attempts: AttemptView[];
}

export class AcceptedDeliveryView {
  @ApiProperty({ format: 'uuid' }) deliveryId: string;
}

export class RecoverResultView {
  @ApiProperty({ example: 12, description: 'Failed deliveries queued again' }) count: number;
  @ApiProperty({
    example: 0,
    description: "Failed deliveries left as they are: the webhook's current owner may not read their event's object now",
  })
  skipped: number;
  @ApiProperty({
    example: false,
    description:
      'true when failed deliveries of the window remain after this call (one call queues at most WEBHOOK_RECOVER_MAX, 1,000 by ' +
      'default): call again with the same since/until to continue',
  })
  more: boolean;
}
