import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { SignedIn } from '../kernel/route-decorators';
import { EVENT_CATALOG, EVENT_SUBJECTS, OPERATIONAL_EVENT_CATALOG, SUBSCRIBABLE_EVENT_TYPES } from '../events/event-catalog';
import { eventExample, eventSchema, operationalEventExample, operationalEventSchema } from '../events/event-schemas';

export class EventTypeView {
  @ApiProperty({ enum: SUBSCRIBABLE_EVENT_TYPES, example: 'investment.created' }) type: string;
  @ApiProperty({ enum: [...Object.keys(EVENT_SUBJECTS), 'webhook'], example: 'investment' }) subject: string;
  @ApiProperty({
    enum: ['domain', 'operational'],
    example: 'domain',
    description: "domain: a change of the workspace's data; operational: a webhook's health (only webhooks owned by an owner or admin may subscribe)",
  })
  category: 'domain' | 'operational';
  @ApiProperty({ example: 'Action taken when an Investment is created' }) description: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'JSON Schema (draft 2020-12) of the whole request body a receiver gets for this type',
  })
  schema: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'An example body of this type' })
  example: Record<string, unknown>;
}

@ApiTags('webhooks')
@Controller('v1/webhook-event-types')
export class EventTypesController {
  @Get()
  @SignedIn({ allowApiKey: true })
  @ApiOperation({ summary: 'The event types a webhook can subscribe to, with the JSON Schema and an example of each payload' })
  @ApiOkResponse({ type: [EventTypeView] })
  list(): EventTypeView[] {
    return [
      ...EVENT_CATALOG.map(({ type, subject, description }) => ({
        type,
        subject,
        category: 'domain' as const,
        description,
        schema: eventSchema(type),
        example: eventExample(type),
      })),
      ...OPERATIONAL_EVENT_CATALOG.map(({ type, subject, description }) => ({
        type,
        subject,
        category: 'operational' as const,
        description,
        schema: operationalEventSchema(type),
        example: operationalEventExample(type),
      })),
    ];
  }
}
