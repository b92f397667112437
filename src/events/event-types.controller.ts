import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { SignedIn } from '../permissions/policy.decorator';
import { EVENT_CATALOG, EVENT_SUBJECTS, EVENT_TYPES } from './event-catalog';

export class EventTypeView {
  @ApiProperty({ enum: EVENT_TYPES, example: 'investment.created' }) type: string;
  @ApiProperty({ enum: Object.keys(EVENT_SUBJECTS), example: 'investment' }) subject: string;
  @ApiProperty({ example: 'Action taken when an Investment is created' }) description: string;
}

@ApiTags('webhooks')
@Controller('v1/webhook-event-types')
export class EventTypesController {
  @Get()
  @SignedIn({ allowApiKey: true })
  @ApiOperation({ summary: 'The event types a webhook can subscribe to' })
  @ApiOkResponse({ type: [EventTypeView] })
  list(): EventTypeView[] {
    return EVENT_CATALOG.map(({ type, subject, description }) => ({ type, subject, description }));
  }
}
