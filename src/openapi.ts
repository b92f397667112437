import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { EVENT_CATALOG, OPERATIONAL_EVENT_CATALOG, TEST_EVENT_TYPE } from './events/event-catalog';
import { eventExample, eventSchema, JsonSchema, operationalEventExample, operationalEventSchema, testEventExample, testEventSchema } from './events/event-schemas';

/** The one error body of every 4xx answer (Nest's HttpException shape). */
const ERROR_SCHEMA_NAME = 'Error';
const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'Every error answer has this shape',
  properties: {
    statusCode: { type: 'integer', example: 400 },
    message: {
      description: 'What is wrong: one sentence, or (400 validation) one sentence per problem',
      oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
      example: ['teamId is required'],
    },
    error: { type: 'string', example: 'Bad Request' },
  },
  required: ['statusCode', 'message', 'error'],
};

const STANDARD_ERRORS: Record<string, string> = {
  '400': 'Invalid request: a missing, unknown or malformed field, parameter or query value',
  '401': 'Missing, invalid, expired or revoked token',
};

const SIGNATURE_HEADERS = [
  { name: 'webhook-id', description: 'The event id: the same on every retry and redelivery (deduplicate on it)', example: 'evt_01JDZ8Q2X4N3K5M7P9R1S3T5V7' },
  { name: 'webhook-timestamp', description: 'Unix seconds of this attempt; refuse one too far from now (replay)', example: '1795860000' },
  {
    name: 'webhook-signature',
    description:
      'Space-separated `v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">`, one per live secret (two during a rotation)',
    example: 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
  },
];

function componentName(type: string): string {
  return `${type.replace(/(^|[._])(\w)/g, (_, __, c: string) => c.toUpperCase())}Event`;
}

/** OpenAPI 3.1 `webhooks`: what the platform POSTs to a receiver, one entry per event type. */
function outgoingEvents(): { webhooks: NonNullable<OpenAPIObject['webhooks']>; schemas: Record<string, JsonSchema> } {
  const webhooks: NonNullable<OpenAPIObject['webhooks']> = {};
  const schemas: Record<string, JsonSchema> = {};
  const entries = [
    ...EVENT_CATALOG.map((info) => ({ type: info.type as string, tag: info.subject, description: info.description, schema: eventSchema(info.type), example: eventExample(info.type) })),
    { type: TEST_EVENT_TYPE, tag: 'webhook', description: 'Sent by POST …/webhooks/:id/test to that webhook only', schema: testEventSchema(), example: testEventExample() },
    ...OPERATIONAL_EVENT_CATALOG.map((info) => ({
      type: info.type as string,
      tag: 'operational',
      description: `${info.description} (operational: only to webhooks owned by an owner or admin, never through the webhook it is about)`,
      schema: operationalEventSchema(info.type),
      example: operationalEventExample(info.type),
    })),
  ];
  for (const entry of entries) {
    const name = componentName(entry.type);
    schemas[name] = { ...entry.schema, examples: [entry.example] };
    webhooks[entry.type] = {
      post: {
        operationId: `event_${entry.type.replace('.', '_')}`,
        summary: entry.type,
        description: `${entry.description}. Signed with Standard Webhooks headers; answer any 2xx quickly.`,
        tags: [`events: ${entry.tag}`],
        security: [],
        parameters: SIGNATURE_HEADERS.map((h) => ({ in: 'header' as const, required: true, name: h.name, description: h.description, schema: { type: 'string' }, example: h.example })),
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } } },
        responses: {
          '200': { description: 'Any 2xx: received. Anything else (or no answer within the timeout) is retried; 410 disables the webhook' },
        },
      },
    };
  }
  return { webhooks, schemas };
}

type Operation = {
  security?: unknown[];
  parameters?: { in: string; name: string; schema?: Record<string, unknown> }[];
  requestBody?: unknown;
  responses?: Record<string, { description?: string; content?: unknown }>;
};

/**
 * Conventions every route gets, so controllers stay one decorator per concern: public routes say
 * `security: []`, every 4xx answer references the one error schema, routes that take input
 * document 400 and authenticated routes 401, request schemas carry no `default`.
 */
function applyConventions(document: OpenAPIObject): void {
  const errorRef = { $ref: `#/components/schemas/${ERROR_SCHEMA_NAME}` };
  const requestBodies = new Set<string>();
  for (const item of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const op = (item as Record<string, Operation | undefined>)[method];
      if (!op) continue;
      op.security ??= [];
      op.responses ??= {};
      const takesInput = Boolean(op.requestBody) || (op.parameters ?? []).length > 0;
      if (takesInput && !op.responses['400']) op.responses['400'] = { description: STANDARD_ERRORS['400'] };
      if (op.security.length > 0 && !op.responses['401']) op.responses['401'] = { description: STANDARD_ERRORS['401'] };
      for (const [code, response] of Object.entries(op.responses)) {
        if (/^4/.test(code)) response.content = { 'application/json': { schema: errorRef } };
      }
      const bodyRef = (op.requestBody as { content?: Record<string, { schema?: { $ref?: string } }> } | undefined)?.content?.['application/json']?.schema?.$ref;
      if (bodyRef) requestBodies.add(bodyRef.split('/').pop()!);
    }
  }
  for (const name of requestBodies) defaultsToDescriptions(document.components?.schemas?.[name] as JsonSchema | undefined);
}

/**
 * A request field with a default is optional, but generators such as openapi-typescript (whose
 * defaultNonNullable is on by default) type any property with a `default` as always present, so a
 * client would be forced to send it. Request schemas state the default in words instead.
 */
function defaultsToDescriptions(schema: JsonSchema | undefined): void {
  const properties = (schema?.properties ?? {}) as Record<string, JsonSchema>;
  for (const property of Object.values(properties)) {
    if (!('default' in property)) continue;
    const note = `Default: \`${JSON.stringify(property.default)}\`.`;
    property.description = property.description ? `${String(property.description)} ${note}` : note;
    delete property.default;
  }
}

/** The OpenAPI 3.1 document of the HTTP API and of the events it sends (served at /docs-json). */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Countercyclical Webhooks API')
    .setDescription(
      'Workspaces, permission-scoped resources, and signed webhooks (Standard Webhooks) for their 18 event types. ' +
        'Authenticate with `Authorization: Bearer <token>`: a session token from /v1/auth/login or a workspace API key. ' +
        'The `webhooks` section describes every event the platform POSTs to your endpoints.',
    )
    .setVersion('1')
    .addServer('/', 'The server that serves this document')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'opaque token',
      description: 'A session token (`cc_at_…`, from signup or login) or a workspace API key (`cc_key_…`)',
    })
    .build();
  const events = outgoingEvents();
  const document = SwaggerModule.createDocument(app, { ...config, webhooks: events.webhooks });
  document.components ??= {};
  document.components.schemas = { ...document.components.schemas, [ERROR_SCHEMA_NAME]: ERROR_SCHEMA, ...events.schemas } as never;
  applyConventions(document);
  return document;
}
