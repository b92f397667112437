import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { MailModule } from '../mail/mail.module';
import { ApiKeyRepository } from './api-key.repository';
import { UserDirectory } from './user-directory';
import { AccountMailListener } from './account-mail.listener';
import { AccountTokensService } from './account-tokens.service';
import { AuthThrottleInterceptor } from './auth-throttle.interceptor';
import { AuthThrottleService } from './auth-throttle.service';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { SessionsController } from './sessions.controller';
import { SessionsService } from './sessions.service';

/**
 * Users and their lifecycle (signup, verified e-mail, password change and reset), sessions,
 * workspace API keys, the global AuthGuard. Account mails are requested through the event bus.
 */
@Module({
  imports: [EventsModule, MailModule],
  controllers: [AuthController, SessionsController],
  providers: [AuthService, SessionsService, AccountTokensService, AccountMailListener, AuthGuard, AuthThrottleService, AuthThrottleInterceptor, ApiKeyRepository, UserDirectory],
  exports: [AuthGuard, ApiKeyRepository, UserDirectory],
})
export class IdentityModule {}
