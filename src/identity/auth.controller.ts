import { UserAgent } from './user-agent.decorator';
import { Body, Controller, Get, HttpCode, Post, UseInterceptors } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AuthThrottleInterceptor } from './auth-throttle.interceptor';
import { SignedIn } from '../kernel/route-decorators';
import {
  ChangePasswordDto,
  LoginDto,
  MeView,
  PasswordResetConfirmDto,
  PasswordResetDto,
  SessionView,
  SignupDto,
  UserResponseView,
  VerifyEmailDto,
} from './auth.dto';
import { AuthService } from './auth.service';
import { CurrentPrincipal, Principal, Public } from '../kernel/principal';
import { SessionsService } from './sessions.service';

@ApiTags('identity')
@Controller('v1')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
  ) {}

  @Post('auth/signup')
  @Public()
  @UseInterceptors(AuthThrottleInterceptor)
  @ApiTooManyRequestsResponse({ description: 'Too many attempts from this address or for this e-mail; see Retry-After' })
  @ApiPayloadTooLargeResponse({ description: 'Body over 16 KB' })
  @ApiOperation({ summary: 'Create an account (e-mail not yet verified) and a session token; mails a verification link' })
  @ApiCreatedResponse({ type: SessionView })
  @ApiConflictResponse({ description: 'Email already registered' })
  signup(@Body() dto: SignupDto, @UserAgent() userAgent?: string) {
    return this.auth.signup(dto, userAgent);
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
  login(@Body() dto: LoginDto, @UserAgent() userAgent?: string) {
    return this.auth.login(dto, userAgent);
  }

  @Post('auth/logout')
  @SignedIn()
  @HttpCode(204)
  @ApiOperation({ summary: 'End the session used for this request' })
  @ApiNoContentResponse()
  async logout(@CurrentPrincipal() principal: Principal): Promise<void> {
    await this.sessions.revoke(principal, principal.sessionId!);
  }

  @Post('auth/verify-email')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Prove the address with the mailed token (single use, 24 h)' })
  @ApiOkResponse({ type: UserResponseView })
  @ApiBadRequestResponse({ description: 'Unknown, already used or expired token' })
  verifyEmail(@Body() dto: VerifyEmailDto) {
    return this.auth.verifyEmail(dto.token);
  }

  @Post('auth/resend-verification')
  @SignedIn()
  @HttpCode(202)
  @ApiOperation({ summary: 'Mail a new verification link to the caller' })
  @ApiAcceptedResponse({ description: 'The mail is queued' })
  @ApiConflictResponse({ description: 'Already verified' })
  async resendVerification(@CurrentPrincipal() principal: Principal): Promise<void> {
    await this.auth.resendVerification(principal);
  }

  @Post('auth/password-reset')
  @Public()
  @HttpCode(202)
  @ApiOperation({ summary: 'Mail a password reset link (single use, 1 h) if an account has this address; the answer never tells' })
  @ApiAcceptedResponse({ description: 'Always, whether or not the address has an account' })
  async requestPasswordReset(@Body() dto: PasswordResetDto): Promise<void> {
    await this.auth.requestPasswordReset(dto);
  }

  @Post('auth/password-reset/confirm')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Set a new password with the mailed token; verifies the address and ends every session' })
  @ApiOkResponse({ type: UserResponseView })
  @ApiBadRequestResponse({ description: 'Unknown, already used or expired token, or a refused password' })
  confirmPasswordReset(@Body() dto: PasswordResetConfirmDto) {
    return this.auth.confirmPasswordReset(dto);
  }

  @Get('me')
  @SignedIn({ allowApiKey: true })
  @ApiOperation({ summary: 'The caller and their workspace memberships' })
  @ApiOkResponse({ type: MeView })
  me(@CurrentPrincipal() principal: Principal) {
    return this.auth.me(principal.userId);
  }

  @Post('me/password')
  @SignedIn()
  @HttpCode(200)
  @ApiOperation({ summary: 'Change the password (needs the current one); ends every other session' })
  @ApiOkResponse({ type: UserResponseView })
  @ApiForbiddenResponse({ description: 'The current password is not correct' })
  changePassword(@CurrentPrincipal() principal: Principal, @Body() dto: ChangePasswordDto) {
    return this.auth.changePassword(principal, dto);
  }
}
