import { Body, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOperation } from '@nestjs/swagger';
import { ApiPage } from '../kernel/api-page.decorator';
import { PageQueryDto } from '../kernel/pagination';
import { WorkspaceController } from '../kernel/workspace-route';
import { Policy } from '../permissions/policy.decorator';
import { CurrentWorkspace, WorkspaceContext } from '../permissions/workspace-context';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyView, CreatedApiKeyView, CreateApiKeyDto } from '../identity/auth.dto';
import { UuidParam } from '../kernel/uuid-param.decorator';

@WorkspaceController('api-keys', 'api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  @Policy('create', 'ApiKey', { allowApiKey: false })
  @ApiOperation({ summary: 'Create an API key acting as the caller inside this workspace; the key is shown once' })
  @ApiCreatedResponse({ type: CreatedApiKeyView })
  create(@CurrentWorkspace() ctx: WorkspaceContext, @Body() dto: CreateApiKeyDto) {
    return this.apiKeys.create(ctx, dto);
  }

  @Get()
  @Policy('read', 'ApiKey')
  @ApiOperation({ summary: 'Own keys (owners and admins: all keys of the workspace), never the key itself' })
  @ApiPage(ApiKeyView)
  list(@CurrentWorkspace() ctx: WorkspaceContext, @Query() page: PageQueryDto) {
    return this.apiKeys.list(ctx, page);
  }

  @Delete(':id')
  @HttpCode(204)
  @Policy('delete', 'ApiKey', { allowApiKey: false })
  @ApiOperation({ summary: 'Revoke a key; it stops working at once' })
  @ApiNoContentResponse()
  remove(@CurrentWorkspace() ctx: WorkspaceContext, @UuidParam('id') id: string) {
    return this.apiKeys.remove(ctx, id);
  }
}
