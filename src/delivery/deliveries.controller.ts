import { Body, Get, HttpCode, Post, Query, UseInterceptors } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { ApiPage } from '../kernel/api-page.decorator';
import { WorkspaceController } from '../kernel/workspace-route';
import { Policy } from '../permissions/policy.decorator';
import { CurrentWorkspace, WorkspaceContext } from '../permissions/workspace-context';
import { ThrottleRetryAfterInterceptor } from './action-throttle.service';
import { DeliveriesService } from './deliveries.service';
import { AcceptedDeliveryView, DeliveriesQueryDto, DeliveryDetailView, DeliveryView, RecoverDto, RecoverResultView } from './delivery.dto';
import { UuidParam } from '../kernel/uuid-param.decorator';

const throttled = (setting: string, byDefault: string) =>
  ApiTooManyRequestsResponse({
    description: `More than ${setting} (${byDefault} by default) for this webhook: retry after the Retry-After header's seconds`,
    headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer', example: 12 } } },
  });

@WorkspaceController('webhooks/:id', 'webhook deliveries')
@UseInterceptors(ThrottleRetryAfterInterceptor)
export class DeliveriesController {
  constructor(private readonly deliveries: DeliveriesService) {}

  @Post('test')
  @HttpCode(202)
  @Policy('update', 'Webhook')
  @ApiOperation({ summary: 'Send a webhook.test event to this endpoint only' })
  @ApiAcceptedResponse({ type: AcceptedDeliveryView })
  @ApiConflictResponse({ description: 'The webhook is disabled: enable it first' })
  @throttled('WEBHOOK_TEST_THROTTLE', '10 per minute')
  test(@CurrentWorkspace() ctx: WorkspaceContext, @UuidParam('id') id: string) {
    return this.deliveries.test(ctx, id);
  }

  @Get('deliveries')
  @Policy('read', 'Webhook')
  @ApiOperation({ summary: 'View Logs: deliveries of this webhook, newest first' })
  @ApiPage(DeliveryView)
  list(@CurrentWorkspace() ctx: WorkspaceContext, @UuidParam('id') id: string, @Query() query: DeliveriesQueryDto) {
    return this.deliveries.list(ctx, id, query);
  }

  @Get('deliveries/:did')
  @Policy('read', 'Webhook')
  @ApiOperation({ summary: 'A delivery with every attempt (request headers, response status, headers, first 4 KiB of body, duration, error)' })
  @ApiOkResponse({ type: DeliveryDetailView })
  detail(@CurrentWorkspace() ctx: WorkspaceContext, @UuidParam('id') id: string, @UuidParam('did') did: string) {
    return this.deliveries.detail(ctx, id, did);
  }

  @Post('deliveries/:did/redeliver')
  @HttpCode(202)
  @Policy('update', 'Webhook')
  @ApiOperation({
    summary: 'Attempt this delivery again now (same message, same webhook-id)',
    description:
      "Only what the webhook's current owner (createdById) may read now: when the owner may no longer read the event's " +
      'object (role, team, visibility or owner changed since), the answer is 403 and nothing is sent. The payload is built ' +
      "for the current owner (fields they may not read, and previousAttributes they could not read before the change, are " +
      'left out); the check is made again when the attempt runs, which cancels it (cancelReason not_permitted) if access ' +
      'was lost meanwhile.',
  })
  @ApiAcceptedResponse({ type: AcceptedDeliveryView })
  @ApiForbiddenResponse({ description: "The webhook's current owner may not read this delivery's event now" })
  @throttled('WEBHOOK_REDELIVER_THROTTLE', '60 per minute')
  redeliver(@CurrentWorkspace() ctx: WorkspaceContext, @UuidParam('id') id: string, @UuidParam('did') did: string) {
    return this.deliveries.redeliver(ctx, id, did);
  }

  @Post('recover')
  @HttpCode(202)
  @Policy('update', 'Webhook')
  @ApiOperation({
    summary: 'Redeliver the failed deliveries of a time window',
    description:
      "Queues again, oldest first, the failed deliveries created at or after `since` (and before `until`, if given) whose event the " +
      "webhook's current owner (createdById) may read now; the others stay failed and are counted in `skipped`. One call " +
      'queues at most WEBHOOK_RECOVER_MAX (1,000 by default) and examines at most ten times that many: `more: true` means ' +
      'failed deliveries of the window remain, so call again. Each attempt checks the owner again when it runs, and the ' +
      "redeliveries flow at the webhook's own limits (maxConcurrency, rateLimitPerSecond).",
  })
  @ApiAcceptedResponse({ type: RecoverResultView })
  @throttled('WEBHOOK_RECOVER_THROTTLE', '10 per minute')
  recover(@CurrentWorkspace() ctx: WorkspaceContext, @UuidParam('id') id: string, @Body() dto: RecoverDto) {
    return this.deliveries.recover(ctx, id, new Date(dto.since), dto.until ? new Date(dto.until) : null);
  }
}
