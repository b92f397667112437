import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiForbiddenResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiPage } from '../kernel/api-page.decorator';
import { PageQueryDto } from '../kernel/pagination';
import { UuidParam } from '../kernel/uuid-param.decorator';
import { CurrentPrincipal, Principal } from '../kernel/principal';
import { SignedIn } from '../kernel/route-decorators';
import { AcceptedInvitationView, MyInvitationView } from './invitation.dto';
import { InvitationsService } from './invitations.service';

@ApiTags('invitations')
@Controller('v1/me/invitations')
export class MyInvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  @Get()
  @SignedIn()
  @ApiOperation({ summary: "Pending invitations to the caller's address (403 until the address is verified)" })
  @ApiPage(MyInvitationView)
  @ApiForbiddenResponse({ description: 'E-mail address not verified' })
  list(@CurrentPrincipal() principal: Principal, @Query() page: PageQueryDto) {
    return this.invitations.listMine(principal, page);
  }

  @Post(':id/accept')
  @SignedIn()
  @HttpCode(200)
  @ApiOperation({ summary: "Join the workspace; only when the caller's verified address is the invited one" })
  @ApiOkResponse({ type: AcceptedInvitationView })
  @ApiForbiddenResponse({ description: 'Address not verified, or not the invited one' })
  @ApiNotFoundResponse({ description: 'No such invitation' })
  @ApiConflictResponse({ description: 'Already answered, revoked or expired; or already a member' })
  accept(@CurrentPrincipal() principal: Principal, @UuidParam('id') id: string) {
    return this.invitations.accept(principal, id);
  }

  @Post(':id/decline')
  @SignedIn()
  @HttpCode(204)
  @ApiOperation({ summary: 'Decline the invitation (same rules as accepting)' })
  @ApiNoContentResponse()
  @ApiForbiddenResponse({ description: 'Address not verified, or not the invited one' })
  async decline(@CurrentPrincipal() principal: Principal, @UuidParam('id') id: string): Promise<void> {
    await this.invitations.decline(principal, id);
  }
}
