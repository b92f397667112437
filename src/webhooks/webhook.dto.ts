import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidationArguments,
} from 'class-validator';
import { SUBSCRIBABLE_EVENT_TYPES } from '../events/event-catalog';
import { WebhookEventObject } from '../events/event-schemas';
import { MAX_WEBHOOK_URL_LENGTH } from './url-safety';
import { DISABLED_REASONS, DisabledReason, Webhook } from './webhook.entity';

export const WEBHOOK_NAME_MAX = 200;
export const WEBHOOK_DESCRIPTION_MAX = 1000;

const KNOWN_TYPES = new Set<string>(SUBSCRIBABLE_EVENT_TYPES);

/** Names the offending entries, so a typo is obvious from the 400 alone. */
function unknownEventTypesMessage({ value }: ValidationArguments): string {
  const unknown = (Array.isArray(value) ? value : [value]).filter((v) => typeof v !== 'string' || !KNOWN_TYPES.has(v));
  return `events contains unknown event type(s): ${unknown.map((v) => JSON.stringify(v)).join(', ')}; see GET /v1/webhook-event-types`;
}

/** Optional, but an explicit null is refused (the column is NOT NULL): validated whenever present. */
const OptionalNotNull = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

const EVENTS_EXAMPLE = ['investment.created', 'investment.updated', 'memo.created'];

const FILTER_DESCRIPTION =
  'Only events matching this condition are delivered: a MongoDB-style query ($eq $ne $in $nin $gt $gte $lt $lte $exists $and $or $not, ' +
  'dotted paths) on {object, previousAttributes, changedFields} — the fields the owner may read, and the names of the changed fields. ' +
  'Examples: {"changedFields": {"$in": ["value"]}} (a valuation.updated only when the value changed); {"object.amount": {"$gte": 1000000}}. ' +
  'null or absent: every event of the subscribed types. An unknown operator or field is refused with 400.';
const FILTER_EXAMPLE = { 'object.amount': { $gte: 1000000 } };

/** A filter's Swagger shape: any JSON object (validated by webhook-filter.ts). */
const FilterProperty = (example: unknown) =>
  ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, example, description: FILTER_DESCRIPTION });

export const MAX_CONCURRENCY_LIMIT = 1000;
export const RATE_LIMIT_PER_SECOND_LIMIT = 10_000;

const MAX_CONCURRENCY_DOC =
  'At most this many attempts to this webhook are in flight at once (per worker process); more wait their turn — ' +
  `delayed, never dropped or failed. 1–${MAX_CONCURRENCY_LIMIT}; null: the platform default (WEBHOOK_MAX_CONCURRENCY, 10 unless configured)`;
const RATE_LIMIT_DOC =
  'At most this many attempts to this webhook start per second (per worker process; bursts of up to one second\'s worth); ' +
  `more wait their turn — delayed, never dropped or failed. 1–${RATE_LIMIT_PER_SECOND_LIMIT}; null: no rate limit`;

/** The flow-control fields, shared by create and update: null means the default. */
class WebhookFlowFields {
  @ApiPropertyOptional({ example: 10, minimum: 1, maximum: MAX_CONCURRENCY_LIMIT, nullable: true, type: Number, description: MAX_CONCURRENCY_DOC })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_CONCURRENCY_LIMIT)
  maxConcurrency?: number | null;

  @ApiPropertyOptional({ example: 50, minimum: 1, maximum: RATE_LIMIT_PER_SECOND_LIMIT, nullable: true, type: Number, description: RATE_LIMIT_DOC })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(RATE_LIMIT_PER_SECOND_LIMIT)
  rateLimitPerSecond?: number | null;
}

export class CreateWebhookDto extends WebhookFlowFields {
  @ApiProperty({ example: 'CRM sync', maxLength: WEBHOOK_NAME_MAX })
  @IsString()
  @IsNotEmpty()
  @MaxLength(WEBHOOK_NAME_MAX)
  name: string;

  @ApiProperty({
    example: 'https://hooks.example.com/countercyclical',
    maxLength: MAX_WEBHOOK_URL_LENGTH,
    description:
      'http or https, no credentials. Unless WEBHOOK_ALLOW_PRIVATE_NETWORK, a host that is or resolves to a loopback, ' +
      'private, link-local, CGNAT or otherwise non-public address is refused with 422. Stored (and shown) in normalised form.',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_WEBHOOK_URL_LENGTH)
  url: string;

  @ApiProperty({
    example: EVENTS_EXAMPLE,
    enum: SUBSCRIBABLE_EVENT_TYPES,
    isArray: true,
    description: 'Event types to receive (GET /v1/webhook-event-types); the creator must be able to read their subject',
  })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @IsIn(SUBSCRIBABLE_EVENT_TYPES, { each: true, message: unknownEventTypesMessage })
  events: string[];

  @ApiPropertyOptional({ example: 'Pushes portfolio changes to the CRM', maxLength: WEBHOOK_DESCRIPTION_MAX, nullable: true, type: String })
  @IsOptional()
  @IsString()
  @MaxLength(WEBHOOK_DESCRIPTION_MAX)
  description?: string | null;

  @ApiPropertyOptional({ example: true, default: true })
  @OptionalNotNull()
  @IsBoolean()
  enabled?: boolean;

  @FilterProperty(FILTER_EXAMPLE)
  @IsOptional()
  @IsObject()
  filter?: Record<string, unknown> | null;
}

/** Every field optional; null is refused except for description (which it clears). */
export class UpdateWebhookDto extends WebhookFlowFields {
  @ApiPropertyOptional({ example: 'CRM sync', maxLength: WEBHOOK_NAME_MAX })
  @OptionalNotNull()
  @IsString()
  @IsNotEmpty()
  @MaxLength(WEBHOOK_NAME_MAX)
  name?: string;

  @ApiPropertyOptional({
    example: 'https://hooks.example.com/countercyclical',
    maxLength: MAX_WEBHOOK_URL_LENGTH,
    description: 'Re-validated like at creation (400 / 422). Changed by anyone but the owner, it makes the caller the owner',
  })
  @OptionalNotNull()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_WEBHOOK_URL_LENGTH)
  url?: string;

  @ApiPropertyOptional({ example: EVENTS_EXAMPLE, enum: SUBSCRIBABLE_EVENT_TYPES, isArray: true, description: 'Replaces the whole list. Changed by anyone but the owner, it makes the caller the owner' })
  @OptionalNotNull()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @IsIn(SUBSCRIBABLE_EVENT_TYPES, { each: true, message: unknownEventTypesMessage })
  events?: string[];

  @ApiPropertyOptional({ example: null, maxLength: WEBHOOK_DESCRIPTION_MAX, nullable: true, type: String, description: 'null clears it' })
  @IsOptional()
  @IsString()
  @MaxLength(WEBHOOK_DESCRIPTION_MAX)
  description?: string | null;

  @ApiPropertyOptional({
    example: true,
    description: 'true re-enables a webhook the system disabled (clears disabledReason and failingSince); false pauses it',
  })
  @OptionalNotNull()
  @IsBoolean()
  enabled?: boolean;

  @FilterProperty({ changedFields: { $in: ['value'] } })
  @IsOptional()
  @IsObject()
  filter?: Record<string, unknown> | null;
}

export const WEBHOOK_HEALTH = ['healthy', 'failing', 'disabled'] as const;
export type WebhookHealth = (typeof WEBHOOK_HEALTH)[number];

/** A webhook's health as the operational events announce it (alert_state: set with the change they announce), and the system's disable. */
export function webhookHealth(row: Pick<Webhook, 'enabled' | 'disabledReason' | 'alertState'>): WebhookHealth {
  if (!row.enabled && row.disabledReason) return 'disabled';
  return row.alertState === 'failing' ? 'failing' : 'healthy';
}

@WebhookEventObject()
export class WebhookView {
  @ApiProperty({ format: 'uuid', example: '3f1c2b9e-8a4d-4c2e-9b7a-1d2e3f4a5b6c' }) id: string;
  @ApiProperty({ format: 'uuid', example: '0b6f9c1e-2d3a-4f5b-8c7d-9e0f1a2b3c4d' }) workspaceId: string;
  @ApiProperty({ example: 'CRM sync' }) name: string;
  @ApiProperty({ example: 'https://hooks.example.com/countercyclical' }) url: string;
  @ApiProperty({ example: EVENTS_EXAMPLE, enum: SUBSCRIBABLE_EVENT_TYPES, isArray: true }) events: string[];
  @ApiProperty({ example: 'Pushes portfolio changes to the CRM', nullable: true, type: String }) description: string | null;
  @ApiProperty({ example: true }) enabled: boolean;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: FILTER_EXAMPLE, description: FILTER_DESCRIPTION })
  filter: Record<string, unknown> | null;
  @ApiProperty({
    enum: DISABLED_REASONS,
    nullable: true,
    example: null,
    description: 'Why the system disabled it: gone (410), failing, creator_removed; null when enabled or paused by a user',
  })
  disabledReason: DisabledReason | null;
  @ApiProperty({
    enum: WEBHOOK_HEALTH,
    example: 'failing',
    description:
      'disabled: the system disabled it (disabledReason says why); failing: `webhook.failing` was announced (WEBHOOK_FAILING_AFTER ' +
      'failed attempts in a row) and no attempt has succeeded since; healthy otherwise (a webhook paused by a user keeps its last health)',
  })
  health: WebhookHealth;
  @ApiProperty({
    example: 4,
    minimum: 0,
    description: 'Failed attempts in a row, counted up to WEBHOOK_FAILING_AFTER (4 by default); any successful attempt resets it to 0',
  })
  consecutiveFailures: number;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'date-time',
    example: '2026-11-27T09:40:00.000Z',
    description: 'When the current run of failed attempts began; null once an attempt succeeds',
  })
  failingSince: string | null;
  @ApiProperty({ example: null, nullable: true, type: Number, description: MAX_CONCURRENCY_DOC })
  maxConcurrency: number | null;
  @ApiProperty({ example: null, nullable: true, type: Number, description: RATE_LIMIT_DOC })
  rateLimitPerSecond: number | null;
  @ApiProperty({
    format: 'uuid',
    example: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    description:
      'The owner: the webhook receives only what this user may read, at every attempt. The creator at first; whoever else ' +
      'changes url or events becomes the owner',
  })
  createdById: string;
  @ApiProperty({
    format: 'uuid',
    nullable: true,
    type: String,
    example: null,
    description: 'The owner before the last change of owner; null while the creator still owns it',
  })
  previousOwnerId: string | null;
  @ApiProperty({ nullable: true, type: String, example: null, description: 'When the webhook last changed owner' })
  ownerChangedAt: string | null;
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' }) createdAt: string;
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' }) updatedAt: string;
}

export class CreatedWebhookView extends WebhookView {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw5Qa1Ix5HvDs=',
    description: 'The signing secret (Standard Webhooks); also available later from GET …/secret',
  })
  secret: string;
}

export class SecretView {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw5Qa1Ix5HvDs=' }) secret: string;
}

/** The public shape of a webhook: never its secrets, nor internal delivery state beyond its health. */
export function toWebhookView(row: Webhook): WebhookView {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    url: row.url,
    events: row.events,
    description: row.description ?? null,
    enabled: row.enabled,
    filter: row.filter ?? null,
    disabledReason: row.disabledReason ?? null,
    health: webhookHealth(row),
    consecutiveFailures: row.consecutiveFailures ?? 0,
    failingSince: row.failingSince ? row.failingSince.toISOString() : null,
    maxConcurrency: row.maxConcurrency ?? null,
    rateLimitPerSecond: row.rateLimitPerSecond ?? null,
    createdById: row.createdById,
    previousOwnerId: row.previousOwnerId ?? null,
    ownerChangedAt: row.ownerChangedAt ? row.ownerChangedAt.toISOString() : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
