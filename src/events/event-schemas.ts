import { createHash } from 'node:crypto';
import type { Type } from '@nestjs/common';
import { EVENT_CATALOG, EventSubject, EventType, OPERATIONAL_EVENT_CATALOG, OperationalEventType, TEST_EVENT_TYPE } from './event-catalog';

/**
 * The event catalogue's payload schemas. Each subject has ONE definition: the view class its
 * resource returns from the API and puts in `data.object` (its `toView`). That class's Swagger
 * metadata (`@ApiProperty` type, format, enum, nullable, example) gives the JSON Schema and the
 * example of every event about it, so documentation, schema and emitted shape cannot drift apart
 * (test/e2e/event-schemas.spec.ts validates real deliveries of all 18 types against these schemas).
 */

export type JsonSchema = Record<string, unknown>;

interface EventObjectDefinition {
  view: Type<unknown>;
  /** An example of `data.previousAttributes` for `<subject>.updated`. */
  previousAttributes: Record<string, unknown>;
}

const DEFINITIONS = new Map<EventSubject, EventObjectDefinition>();

/**
 * Marks a view class as the shape of `data.object` in `<subject>.*` events. The decorator keeps the
 * dependency one-way: resource modules register with the events module, never the reverse.
 */
export function EventObject(subject: EventSubject, options: { previousAttributes: Record<string, unknown> }): ClassDecorator {
  return (target) => {
    DEFINITIONS.set(subject, { view: target as unknown as Type<unknown>, previousAttributes: options.previousAttributes });
  };
}

function definition(subject: EventSubject): EventObjectDefinition {
  const found = DEFINITIONS.get(subject);
  // Every resource module's view is loaded with the app; a missing one is a programming error.
  if (!found) throw new Error(`No @EventObject view registered for subject "${subject}"`);
  return found;
}

const SWAGGER_PROPERTIES = 'swagger/apiModelProperties';
const SWAGGER_PROPERTY_NAMES = 'swagger/apiModelPropertiesArray';

interface PropertyMetadata {
  type?: unknown;
  items?: { type?: unknown; enum?: unknown[] };
  isArray?: boolean;
  format?: string;
  enum?: unknown[];
  nullable?: boolean;
  example?: unknown;
  description?: string;
  required?: boolean;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
}

function jsonType(type: unknown): string {
  if (type === String || type === 'string') return 'string';
  if (type === Number || type === 'number') return 'number';
  if (type === Boolean || type === 'boolean') return 'boolean';
  if (type === 'integer') return 'integer';
  // A free-form object (the webhook view's `filter`, in the operational events).
  if (type === Object || type === 'object') return 'object';
  throw new Error(`Event object property of unsupported type ${String(type)}`);
}

/** The JSON Schema (2020-12, as OpenAPI 3.1 uses) of one view property. */
function propertySchema(meta: PropertyMetadata, designType: unknown): JsonSchema {
  // An array of enum values (`isArray` with `enum`): Swagger keeps the item type and enum in `items`.
  if (meta.type === 'array' && meta.items) meta = { ...meta, type: meta.items.type, enum: meta.items.enum ?? meta.enum };
  const base = jsonType(meta.type ?? designType);
  let schema: JsonSchema = { type: base };
  if (meta.format) schema.format = meta.format;
  if (meta.enum) schema.enum = [...meta.enum];
  if (meta.isArray) schema = { type: 'array', items: schema };
  if (meta.nullable) {
    schema.type = [schema.type, 'null'];
    if (schema.enum) schema.enum = [...(schema.enum as unknown[]), null];
  }
  if (meta.description) schema.description = meta.description;
  return schema;
}

interface ObjectModel {
  schema: JsonSchema;
  example: Record<string, unknown>;
}

const cache = new Map<string, ObjectModel>();

/** Stable example UUIDs, one per field name, so examples read the same on every call. */
function exampleUuid(seed: string): string {
  const h = createHash('sha1').update(`countercyclical-example:${seed}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const EXAMPLE_TIME = '2026-11-27T10:00:00.000Z';

function objectModel(subject: EventSubject | 'webhook'): ObjectModel {
  const cached = cache.get(subject);
  if (cached) return cached;
  const view = subject === 'webhook' ? webhookView() : definition(subject).view;
  const proto = view.prototype as object;
  const names = ((Reflect.getMetadata(SWAGGER_PROPERTY_NAMES, proto) as string[] | undefined) ?? []).map((n) => n.replace(/^:/, ''));
  const properties: Record<string, JsonSchema> = {};
  const example: Record<string, unknown> = {};
  for (const name of names) {
    const meta = (Reflect.getMetadata(SWAGGER_PROPERTIES, proto, name) ?? {}) as PropertyMetadata;
    const schema = propertySchema(meta, Reflect.getMetadata('design:type', proto, name));
    properties[name] = schema;
    example[name] =
      meta.example !== undefined ? meta.example : meta.format === 'uuid' ? exampleUuid(`${subject}.${name}`) : meta.format === 'date-time' ? EXAMPLE_TIME : null;
  }
  example.id = exampleUuid(`${subject}.id`);
  example.workspaceId = exampleUuid('workspace');
  const model: ObjectModel = {
    schema: {
      title: `${view.name.replace(/View$/, '')}`,
      type: 'object',
      description:
        `The ${subject} as the API returns it. Every property is present, except any the webhook owner's role ` +
        'may not read (field-restricted roles omit them).',
      properties,
      required: ['id'],
      additionalProperties: false,
    },
    example,
  };
  cache.set(subject, model);
  return model;
}

const ENVELOPE_PROPERTIES: Record<string, JsonSchema> = {
  id: {
    type: 'string',
    pattern: '^evt_[0-9A-HJKMNP-TV-Z]{26}$',
    description: 'The event id (`evt_` + a ULID, sortable by time); the `webhook-id` header, the same on every retry: deduplicate on it',
  },
  createdAt: { type: 'string', format: 'date-time', description: 'When the change was committed (ISO-8601 UTC)' },
  workspaceId: { type: 'string', format: 'uuid' },
  actor: {
    type: 'object',
    description: 'Who made the change: a user, or a user acting through an API key',
    properties: {
      type: { type: 'string', enum: ['user', 'api_key', 'system'] },
      id: { type: ['string', 'null'], description: 'The user id (for api_key: the id of the key)' },
    },
    required: ['type', 'id'],
    additionalProperties: false,
  },
};

function envelope(type: string, description: string, data: JsonSchema): JsonSchema {
  return {
    title: type,
    description,
    type: 'object',
    properties: { id: ENVELOPE_PROPERTIES.id, type: { type: 'string', const: type }, ...ENVELOPE_PROPERTIES, data },
    required: ['id', 'type', 'createdAt', 'workspaceId', 'actor', 'data'],
    additionalProperties: false,
  };
}

/** The JSON Schema (2020-12) of the whole body a receiver gets for `type`. */
export function eventSchema(type: EventType): JsonSchema {
  const info = EVENT_CATALOG.find((e) => e.type === type);
  if (!info) throw new Error(`Unknown event type ${type}`);
  const object = objectModel(info.subject).schema;
  const updated = type.endsWith('.updated');
  const data: JsonSchema = {
    type: 'object',
    properties: {
      object: { ...object, description: `The ${info.subject} ${updated || type.endsWith('.created') ? 'after' : 'just before'} the change` },
      ...(updated
        ? {
            previousAttributes: {
              type: 'object',
              description:
                'The old values of exactly the fields that changed; absent when the webhook owner could not read the object before the change',
              properties: (object.properties as Record<string, JsonSchema>),
              additionalProperties: false,
            },
          }
        : {}),
    },
    // An update's previousAttributes is left out when the webhook owner could not read the object
    // as it was before the change (its old values were never theirs to see).
    required: ['object'],
    additionalProperties: false,
  };
  return envelope(type, info.description, data);
}

/** An example body of `type`, built from the view's `@ApiProperty` examples. */
export function eventExample(type: EventType): Record<string, unknown> {
  const info = EVENT_CATALOG.find((e) => e.type === type)!;
  const { example } = objectModel(info.subject);
  const updated = type.endsWith('.updated');
  return {
    id: 'evt_01JDZ8Q2X4N3K5M7P9R1S3T5V7',
    type,
    createdAt: EXAMPLE_TIME,
    workspaceId: example.workspaceId,
    actor: { type: 'user', id: exampleUuid('actor') },
    data: updated ? { object: example, previousAttributes: definition(info.subject).previousAttributes } : { object: example },
  };
}

/** `webhook.test`, sent by `POST …/webhooks/:id/test` to one endpoint only. */
export function testEventSchema(): JsonSchema {
  return envelope(TEST_EVENT_TYPE, 'A test event, sent on request to one webhook only', {
    type: 'object',
    properties: {
      object: {
        type: 'object',
        properties: { webhookId: { type: 'string', format: 'uuid' }, message: { type: 'string' } },
        required: ['webhookId', 'message'],
        additionalProperties: false,
      },
    },
    required: ['object'],
    additionalProperties: false,
  });
}

export function testEventExample(): Record<string, unknown> {
  return {
    id: 'evt_01JDZ8Q2X4N3K5M7P9R1S3T5V8',
    type: TEST_EVENT_TYPE,
    createdAt: EXAMPLE_TIME,
    workspaceId: exampleUuid('workspace'),
    actor: { type: 'user', id: exampleUuid('actor') },
    data: { object: { webhookId: exampleUuid('webhook'), message: 'A test event from Countercyclical' } },
  };
}


let webhookViewClass: Type<unknown> | null = null;

/** Marks the webhook view class as `data.object` of the operational events (webhooks registers it). */
export function WebhookEventObject(): ClassDecorator {
  return (target) => {
    webhookViewClass = target as unknown as Type<unknown>;
  };
}

function webhookView(): Type<unknown> {
  if (!webhookViewClass) throw new Error('No @WebhookEventObject view registered');
  return webhookViewClass;
}

const LAST_ERROR_SCHEMA: JsonSchema = {
  type: ['string', 'null'],
  description: 'The error of the last failed attempt, e.g. "http_status: 500" or "timeout: …"',
};

/** The JSON Schema of an operational event (`webhook.failing`, `webhook.disabled`, `webhook.recovered`). */
export function operationalEventSchema(type: OperationalEventType): JsonSchema {
  const info = OPERATIONAL_EVENT_CATALOG.find((e) => e.type === type)!;
  const object = objectModel('webhook').schema;
  const properties: Record<string, JsonSchema> = {
    object: { ...object, description: 'The webhook this is about (never its secret)' },
  };
  if (type !== 'webhook.recovered') properties.lastError = LAST_ERROR_SCHEMA;
  if (type === 'webhook.disabled') properties.reason = { type: 'string', enum: ['failing', 'gone'], description: 'Why it was disabled' };
  return envelope(type, info.description, { type: 'object', properties, required: Object.keys(properties), additionalProperties: false });
}

export function operationalEventExample(type: OperationalEventType): Record<string, unknown> {
  const { example } = objectModel('webhook');
  const health: Record<OperationalEventType, Record<string, unknown>> = {
    'webhook.failing': { health: 'failing' },
    'webhook.disabled': { enabled: false, disabledReason: 'failing', health: 'disabled' },
    'webhook.recovered': { health: 'healthy', consecutiveFailures: 0, failingSince: null },
  };
  const object = { ...example, ...health[type] };
  const data: Record<string, unknown> = { object };
  if (type !== 'webhook.recovered') data.lastError = 'http_status: 500';
  if (type === 'webhook.disabled') data.reason = 'failing';
  return {
    id: 'evt_01JDZ8Q2X4N3K5M7P9R1S3T5V9',
    type,
    createdAt: EXAMPLE_TIME,
    workspaceId: example.workspaceId,
    actor: { type: 'system', id: null },
    data,
  };
}
