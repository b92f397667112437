import { Controller, Delete, Get, HttpCode, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiPage } from '../kernel/api-page.decorator';
import { PageQueryDto } from '../kernel/pagination';
import { UuidParam } from '../kernel/uuid-param.decorator';
import { SignedIn } from '../kernel/route-decorators';
import { SessionInfoView } from './auth.dto';
import { CurrentPrincipal, Principal } from '../kernel/principal';
import { SessionsService } from './sessions.service';

@ApiTags('identity')
@Controller('v1/me/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @SignedIn()
  @ApiOperation({ summary: "The caller's sessions: created, last used, user agent, and which one is this one" })
  @ApiPage(SessionInfoView)
  list(@CurrentPrincipal() principal: Principal, @Query() page: PageQueryDto) {
    return this.sessions.list(principal, page);
  }

  @Delete()
  @SignedIn()
  @HttpCode(204)
  @ApiOperation({ summary: 'End every session of the caller except this one' })
  @ApiNoContentResponse()
  async revokeOthers(@CurrentPrincipal() principal: Principal): Promise<void> {
    await this.sessions.revokeAllBut(principal.userId, principal.sessionId);
  }

  @Delete(':id')
  @SignedIn()
  @HttpCode(204)
  @ApiOperation({ summary: 'End one of the caller’s sessions (this one too: that is a logout)' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'No such session of the caller' })
  async revoke(@CurrentPrincipal() principal: Principal, @UuidParam('id') id: string): Promise<void> {
    await this.sessions.revoke(principal, id);
  }
}
