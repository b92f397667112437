import { Body, Controller, Get, Headers, HttpCode, Post, UseInterceptors } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AuthThrottleInterceptor } from './auth-throttle.interceptor';
import { SignedIn } from '../permissions/policy.decorator';
import { LoginDto, MeView, SessionView, SignupDto } from './auth.dto';
import { AuthService } from './auth.service';
import { CurrentPrincipal, Principal, Public } from './principal';

@ApiTags('identity')
@Controller('v1')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('auth/signup')
  @Public()
  @UseInterceptors(AuthThrottleInterceptor)
  @ApiTooManyRequestsResponse({ description: 'Too many attempts from this address or for this e-mail; see Retry-After' })
  @ApiPayloadTooLargeResponse({ description: 'Body over 16 KB' })
  @ApiOperation({ summary: 'Create an account and a session token' })
  @ApiCreatedResponse({ type: SessionView })
  @ApiConflictResponse({ description: 'Email already registered' })
  signup(@Body() dto: SignupDto) {
    return this.auth.signup(dto);
  }

  @Post('auth/login')
  @Public()
  @UseInterceptors(AuthThrottleInterceptor)
  @ApiTooManyRequestsResponse({ description: 'Too many attempts from this address or for this e-mail; see Retry-After' })
  @ApiPayloadTooLargeResponse({ description: 'Body over 16 KB' })
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange email and password for a session token' })
  @ApiOkResponse({ type: SessionView })
  @ApiUnauthorizedResponse({ description: 'Invalid email or password' })
  login(@Body() dto: LoginDto) {
    return this.auth.login(dto);
  }

  @Post('auth/logout')
  @SignedIn()
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke the session token used for this request' })
  @ApiNoContentResponse()
  async logout(@Headers('authorization') authorization: string): Promise<void> {
    await this.auth.logout(authorization.replace(/^Bearer\s+/i, ''));
  }

  @Get('me')
  @SignedIn({ allowApiKey: true })
  @ApiOperation({ summary: 'The caller and their workspace memberships' })
  @ApiOkResponse({ type: MeView })
  me(@CurrentPrincipal() principal: Principal) {
    return this.auth.me(principal.userId);
  }
}
