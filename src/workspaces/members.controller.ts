import { Body, Delete, Get, GoneException, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiGoneResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ApiPage } from '../kernel/api-page.decorator';
import { PageQueryDto } from '../kernel/pagination';
import { WorkspaceController } from '../kernel/workspace-route';
import { Policy } from '../permissions/policy.decorator';
import { CurrentWorkspace, WorkspaceContext } from '../permissions/workspace-context';
import { MembersService } from './members.service';
import { MemberPermissionsView, MemberView, UpdateMemberDto } from './workspace.dto';
import { UuidParam } from '../kernel/uuid-param.decorator';

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

  /**
   * Retired: it attached whichever account had registered the address, verified or not, so whoever
   * registered someone's e-mail first got their access. People join through invitations now.
   */
  /**
   * Retired: it attached whichever account had registered the address, verified or not, so whoever
   * registered someone's e-mail first got their access. People join through invitations now.
   */
  @Post()
  @Policy('create', 'Member', { allowApiKey: false })
  @ApiOperation({ summary: 'Retired (410 Gone): invite people with POST /v1/workspaces/:wid/invitations instead', deprecated: true })
  @ApiGoneResponse({ description: 'Always: use invitations' })
  add(): never {
    throw new GoneException(
      'POST /v1/workspaces/:wid/members is retired: invite people with POST /v1/workspaces/:wid/invitations {email, role}; they become members when they accept',
    );
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
