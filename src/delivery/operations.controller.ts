import { Get, Param, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { ApiPage } from '../kernel/api-page.decorator';
import { UuidParam } from '../kernel/uuid-param.decorator';
import { WorkspaceController } from '../kernel/workspace-route';
import { Policy } from '../permissions/policy.decorator';
import { CurrentWorkspace, WorkspaceContext } from '../permissions/workspace-context';
import { DeliveryInsightsService } from './delivery-insights.service';
import { EVENT_ID_PATTERN, DeliverySearchQueryDto, DeliverySearchView, EventDecisionsView, TimeWindowQueryDto, WebhookStatsView } from './operations.dto';

@WorkspaceController('events', 'webhook deliveries')
export class EventDecisionsController {
  constructor(private readonly insights: DeliveryInsightsService) {}

  @Get(':eventId')
  @Policy('read', 'Webhook')
  @ApiParam({ name: 'eventId', schema: { type: 'string', pattern: EVENT_ID_PATTERN.source }, example: 'evt_01KB3Q7ZJ8M2Y5D4XW0N6T9RHC' })
  @ApiOperation({
    summary: 'Why (not)? An event and, for every webhook subscribed to its type, whether it was delivered and why not',
    description:
      "Owners and admins see every webhook of the workspace, members their own. 404 unless the caller may read the event's object.",
  })
  @ApiOkResponse({ type: EventDecisionsView })
  @ApiBadRequestResponse({ description: 'A malformed event id' })
  explain(@CurrentWorkspace() ctx: WorkspaceContext, @Param('eventId') eventId: string) {
    return this.insights.explainEvent(ctx, eventId);
  }
}

@WorkspaceController('deliveries', 'webhook deliveries')
export class DeliverySearchController {
  constructor(private readonly insights: DeliveryInsightsService) {}

  @Get()
  @Policy('read', 'Webhook')
  @ApiOperation({
    summary: 'Search deliveries across the workspace, newest first',
    description: 'Owners and admins: the deliveries of every webhook; members: of their own webhooks. Filters combine (AND).',
  })
  @ApiPage(DeliverySearchView)
  @ApiBadRequestResponse({ description: 'A malformed filter, or since not before until' })
  search(@CurrentWorkspace() ctx: WorkspaceContext, @Query() query: DeliverySearchQueryDto) {
    return this.insights.search(ctx, query);
  }
}

@WorkspaceController('webhooks/:id', 'webhook deliveries')
export class WebhookStatsController {
  constructor(private readonly insights: DeliveryInsightsService) {}

  @Get('stats')
  @Policy('read', 'Webhook')
  @ApiOperation({
    summary: "A webhook's health over a window (default the last 24 hours, at most 31 days), with hourly buckets",
  })
  @ApiOkResponse({ type: WebhookStatsView })
  @ApiBadRequestResponse({ description: 'A malformed time, since not before until, or a window over 31 days' })
  stats(@CurrentWorkspace() ctx: WorkspaceContext, @UuidParam('id') id: string, @Query() query: TimeWindowQueryDto) {
    return this.insights.stats(ctx, id, query);
  }
}
