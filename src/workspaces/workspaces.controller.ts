import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiPage } from '../kernel/api-page.decorator';
import { PageQueryDto } from '../kernel/pagination';
import { CurrentPrincipal, Principal } from '../kernel/principal';
import { Policy } from '../permissions/policy.decorator';
import { SignedIn } from '../kernel/route-decorators';
import { CurrentWorkspace, WorkspaceContext } from '../permissions/workspace-context';
import { WorkspaceDto, WorkspaceView } from './workspace.dto';
import { WorkspacesService } from './workspaces.service';

@ApiTags('workspaces')
@Controller('v1/workspaces')
export class WorkspacesController {
  constructor(private readonly workspaces: WorkspacesService) {}

  @Post()
  @SignedIn()
  @ApiOperation({ summary: 'Create a workspace; the caller becomes its owner' })
  @ApiCreatedResponse({ type: WorkspaceView })
  create(@CurrentPrincipal() principal: Principal, @Body() dto: WorkspaceDto) {
    return this.workspaces.create(principal, dto);
  }

  @Get()
  @SignedIn({ allowApiKey: true })
  @ApiOperation({ summary: "The caller's workspaces" })
  @ApiPage(WorkspaceView)
  list(@CurrentPrincipal() principal: Principal, @Query() page: PageQueryDto) {
    return this.workspaces.listMine(principal, page);
  }

  @Get(':wid')
  @Policy('read', 'Workspace')
  @ApiOperation({ summary: 'A workspace the caller belongs to, with their role' })
  @ApiParam({ name: 'wid', type: String, format: 'uuid' })
  @ApiOkResponse({ type: WorkspaceView })
  get(@CurrentWorkspace() ctx: WorkspaceContext) {
    return this.workspaces.get(ctx);
  }

  @Patch(':wid')
  @Policy('update', 'Workspace')
  @ApiOperation({ summary: 'Rename the workspace (owners and admins)' })
  @ApiParam({ name: 'wid', type: String, format: 'uuid' })
  @ApiOkResponse({ type: WorkspaceView })
  rename(@CurrentWorkspace() ctx: WorkspaceContext, @Body() dto: WorkspaceDto) {
    return this.workspaces.rename(ctx, dto);
  }

  @Delete(':wid')
  @HttpCode(204)
  @Policy('delete', 'Workspace', { allowApiKey: false })
  @ApiParam({ name: 'wid', type: String, format: 'uuid' })
  @ApiOperation({ summary: 'Delete the workspace and everything in it (owners only)' })
  @ApiNoContentResponse()
  async remove(@CurrentWorkspace() ctx: WorkspaceContext): Promise<void> {
    await this.workspaces.remove(ctx);
  }
}
