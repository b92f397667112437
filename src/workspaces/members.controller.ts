import { Body, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ApiPage } from '../common/api-page.decorator';
import { PageQueryDto } from '../common/pagination';
import { WorkspaceController } from '../common/workspace-route';
import { Policy } from '../permissions/policy.decorator';
import { CurrentWorkspace, WorkspaceContext } from '../permissions/workspace-context';
import { MembersService } from './members.service';
import { AddMemberDto, MemberPermissionsView, MemberView, UpdateMemberDto } from './workspace.dto';
import { UuidParam } from '../common/uuid-param.decorator';

@WorkspaceController('members', 'members')
export class MembersController {
  constructor(private readonly members: MembersService) {}

  @Get()
  @Policy('read', 'Member')
  @ApiOperation({ summary: 'The members of the workspace with their roles and teams' })
  @ApiPage(MemberView)
  list(@CurrentWorkspace() ctx: WorkspaceContext, @Query() page: PageQueryDto) {
    return this.members.list(ctx, page);
  }

  @Post()
  @Policy('create', 'Member', { allowApiKey: false })
  @ApiOperation({ summary: 'Add an existing user by email (404 unknown email, 409 already a member)' })
  @ApiCreatedResponse({ type: MemberView })
  @ApiConflictResponse({ description: 'Already a member' })
  add(@CurrentWorkspace() ctx: WorkspaceContext, @Body() dto: AddMemberDto) {
    return this.members.add(ctx, dto);
  }

  @Patch(':userId')
  @Policy('update', 'Member', { allowApiKey: false })
  @ApiOperation({ summary: "Change a member's role (only owners grant or change owner; 409 for the last owner)" })
  @ApiOkResponse({ type: MemberView })
  changeRole(@CurrentWorkspace() ctx: WorkspaceContext, @UuidParam('userId') userId: string, @Body() dto: UpdateMemberDto) {
    return this.members.changeRole(ctx, userId, dto);
  }

  @Delete(':userId')
  @HttpCode(204)
  @Policy('delete', 'Member', { allowApiKey: false })
  @ApiOperation({ summary: 'Remove a member (admins), or leave (anyone); 409 for the last owner' })
  @ApiNoContentResponse()
  remove(@CurrentWorkspace() ctx: WorkspaceContext, @UuidParam('userId') userId: string) {
    return this.members.remove(ctx, userId);
  }

  @Get(':userId/permissions')
  @Policy('read_permissions', 'Member')
  @ApiOperation({ summary: "A member's CASL rules, packed (admins, or the member themself)" })
  @ApiOkResponse({ type: MemberPermissionsView })
  permissions(@CurrentWorkspace() ctx: WorkspaceContext, @UuidParam('userId') userId: string) {
    return this.members.permissions(ctx, userId);
  }
}
