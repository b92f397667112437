import { Body, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConflictResponse, ApiForbiddenResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ApiPage } from '../kernel/api-page.decorator';
import { WorkspaceController } from '../kernel/workspace-route';
import { Policy } from '../permissions/policy.decorator';
import { CurrentWorkspace, WorkspaceContext } from '../permissions/workspace-context';
import { DeliveriesService } from './deliveries.service';
import { AcceptedDeliveryView, DeliveriesQueryDto, DeliveryDetailView, DeliveryView, RecoverDto, RecoverResultView } from './delivery.dto';
import { UuidParam } from '../kernel/uuid-param.decorator';

@WorkspaceController('webhooks/:id', 'webhook deliveries')
export class DeliveriesController {
  constructor(private readonly deliveries: DeliveriesService) {}

  @Post('test')
  @HttpCode(202)
  @Policy('update', 'Webhook')
  @ApiOperation({ summary: 'Send a webhook.test event to this endpoint only' })
  @ApiAcceptedResponse({ type: AcceptedDeliveryView })
  @ApiConflictResponse({ description: 'The webhook is disabled: enable it first' })
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
  redeliver(@CurrentWorkspace() ctx: WorkspaceContext, @UuidParam('id') id: string, @UuidParam('did') did: string) {
    return this.deliveries.redeliver(ctx, id, did);
  }

  @Post('recover')
  @HttpCode(202)
  @Policy('update', 'Webhook')
  @ApiOperation({
    summary: 'Redeliver every failed delivery since a time',
    description:
      "Queues again the failed deliveries created since `since` whose event the webhook's current owner (createdById) may " +
      'read now; the others stay failed and are counted in `skipped`. Each attempt checks the owner again when it runs.',
  })
  @ApiAcceptedResponse({ type: RecoverResultView })
  recover(@CurrentWorkspace() ctx: WorkspaceContext, @UuidParam('id') id: string, @Body() dto: RecoverDto) {
    return this.deliveries.recover(ctx, id, new Date(dto.since));
  }
}
