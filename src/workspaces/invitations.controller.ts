import { Body, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOperation } from '@nestjs/swagger';
import { ApiPage } from '../kernel/api-page.decorator';
import { PageQueryDto } from '../kernel/pagination';
import { UuidParam } from '../kernel/uuid-param.decorator';
import { WorkspaceController } from '../kernel/workspace-route';
import { Policy } from '../permissions/policy.decorator';
import { CurrentWorkspace, WorkspaceContext } from '../permissions/workspace-context';
import { CreateInvitationDto, InvitationView } from './invitation.dto';
import { InvitationsService } from './invitations.service';

@WorkspaceController('invitations', 'invitations')
export class InvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  @Post()
  @Policy('create', 'Invitation', { allowApiKey: false })
  @ApiOperation({ summary: 'Invite an e-mail address with a role (admins; only an owner invites an owner); mails the invitee. Signed-in people only, not API keys' })
  @ApiCreatedResponse({ type: InvitationView })
  @ApiConflictResponse({ description: 'Already a member, or already invited' })
  create(@CurrentWorkspace() ctx: WorkspaceContext, @Body() dto: CreateInvitationDto) {
    return this.invitations.create(ctx, dto);
  }

  @Get()
  @Policy('read', 'Invitation', { allowApiKey: false })
  @ApiOperation({ summary: "The workspace's invitations, every status (admins)" })
  @ApiPage(InvitationView)
  list(@CurrentWorkspace() ctx: WorkspaceContext, @Query() page: PageQueryDto) {
    return this.invitations.list(ctx, page);
  }

  @Delete(':id')
  @HttpCode(204)
  @Policy('delete', 'Invitation', { allowApiKey: false })
  @ApiOperation({ summary: 'Revoke a pending invitation (409 once answered)' })
  @ApiNoContentResponse()
  revoke(@CurrentWorkspace() ctx: WorkspaceContext, @UuidParam('id') id: string) {
    return this.invitations.revoke(ctx, id);
  }
}
