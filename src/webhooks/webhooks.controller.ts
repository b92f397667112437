import { Body, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { ApiPage } from '../kernel/api-page.decorator';
import { PageQueryDto } from '../kernel/pagination';
import { WorkspaceController } from '../kernel/workspace-route';
import { Policy } from '../permissions/policy.decorator';
import { CurrentWorkspace, WorkspaceContext } from '../permissions/workspace-context';
import { CreatedWebhookView, CreateWebhookDto, SecretView, UpdateWebhookDto, WebhookView } from './webhook.dto';
import { WebhooksService } from './webhooks.service';
import { UuidParam } from '../kernel/uuid-param.decorator';

const BAD_REQUEST = 'Invalid body: unknown field, missing or malformed value, unknown or duplicate event type, malformed URL';
const BLOCKED_URL = 'The URL is well formed but its host is or resolves to a non-public address (the address is not named)';

@WorkspaceController('webhooks', 'webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @Policy('create', 'Webhook')
  @ApiOperation({
    summary: 'Create a webhook; its signing secret is returned',
    description:
      'The webhook receives only events about objects its owner (the caller, createdById) may read, checked at every attempt. Subscribing to an event type ' +
      'whose subject the caller can never read is refused (403). Webhook changes emit no events.',
  })
  @ApiCreatedResponse({ type: CreatedWebhookView })
  @ApiBadRequestResponse({ description: BAD_REQUEST })
  @ApiConflictResponse({ description: 'The workspace already has WEBHOOK_MAX_PER_WORKSPACE webhooks' })
  @ApiUnprocessableEntityResponse({ description: BLOCKED_URL })
  create(@CurrentWorkspace() ctx: WorkspaceContext, @Body() dto: CreateWebhookDto) {
    return this.webhooks.create(ctx, dto);
  }

  @Get()
  @Policy('read', 'Webhook')
  @ApiOperation({ summary: 'List webhooks: owners and admins see all of the workspace, members their own' })
  @ApiPage(WebhookView)
  list(@CurrentWorkspace() ctx: WorkspaceContext, @Query() page: PageQueryDto) {
    return this.webhooks.list(ctx, page);
  }

  @Get(':id')
  @Policy('read', 'Webhook')
  @ApiOperation({ summary: 'Get a webhook (never its secret)' })
  @ApiOkResponse({ type: WebhookView })
  get(@CurrentWorkspace() ctx: WorkspaceContext, @UuidParam('id') id: string) {
    return this.webhooks.get(ctx, id);
  }

  @Patch(':id')
  @Policy('update', 'Webhook')
  @ApiOperation({
    summary: 'Update a webhook',
    description:
      'Re-validates like creation: a changed URL is checked again (400/422). A webhook carries only what its owner ' +
      '(createdById) may read, and whoever points it somewhere else becomes its owner: when anyone but the owner changes ' +
      'url or events, the caller becomes the owner (createdById; previousOwnerId and ownerChangedAt record the change), ' +
      'and everything not yet sent — retries included — is checked against the new owner when it is attempted. Event ' +
      "types whose subject the (new) owner can never read are refused (403). enabled:true re-enables a webhook the system " +
      'disabled; enabled:false pauses it. Changing only name, description or enabled keeps the owner.',
  })
  @ApiOkResponse({ type: WebhookView })
  @ApiBadRequestResponse({ description: BAD_REQUEST })
  @ApiConflictResponse({
    description: "enabled:true alone on a webhook whose owner left the workspace: change its url or events to take it over",
  })
  @ApiUnprocessableEntityResponse({ description: BLOCKED_URL })
  update(@CurrentWorkspace() ctx: WorkspaceContext, @UuidParam('id') id: string, @Body() dto: UpdateWebhookDto) {
    return this.webhooks.update(ctx, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @Policy('delete', 'Webhook')
  @ApiOperation({
    summary: 'Delete a webhook',
    description: 'Its pending and retrying deliveries are cancelled: they are deleted with it, and with them its delivery logs.',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  async remove(@CurrentWorkspace() ctx: WorkspaceContext, @UuidParam('id') id: string): Promise<void> {
    await this.webhooks.remove(ctx, id);
  }

  @Get(':id/secret')
  @Policy('read', 'Webhook')
  @ApiOperation({ summary: 'The current signing secret' })
  @ApiOkResponse({ type: SecretView })
  getSecret(@CurrentWorkspace() ctx: WorkspaceContext, @UuidParam('id') id: string) {
    return this.webhooks.getSecret(ctx, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @Policy('update', 'Webhook')
  @ApiOperation({
    summary: 'Rotate the signing secret',
    description:
      'Returns the new secret, which signs from now on. The previous one also keeps signing (a second signature in ' +
      'webhook-signature) for WEBHOOK_SECRET_OVERLAP (default 24 h); at most 3 previous secrets are kept.',
  })
  @ApiOkResponse({ type: SecretView })
  rotateSecret(@CurrentWorkspace() ctx: WorkspaceContext, @UuidParam('id') id: string) {
    return this.webhooks.rotateSecret(ctx, id);
  }
}
