import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { SignedIn } from '../kernel/route-decorators';
import { EVENT_CATALOG, EVENT_SUBJECTS, EVENT_TYPES } from '../events/event-catalog';
import { eventExample, eventSchema } from '../events/event-schemas';

export class EventTypeView {
  @ApiProperty({ enum: EVENT_TYPES, example: 'investment.created' }) type: string;
  @ApiProperty({ enum: Object.keys(EVENT_SUBJECTS), example: 'investment' }) subject: string;
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
    return EVENT_CATALOG.map(({ type, subject, description }) => ({
      type,
      subject,
      description,
      schema: eventSchema(type),
      example: eventExample(type),
    }));
  }
}
