import { Module } from '@nestjs/common';
import { PermissionsModule } from '../permissions/permissions.module';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
import { AuthThrottleInterceptor } from './auth-throttle.interceptor';
import { AuthThrottleService } from './auth-throttle.service';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';

/** Users, session tokens and workspace API keys; the global AuthGuard. */
@Module({
  imports: [PermissionsModule],
  controllers: [AuthController, ApiKeysController],
  providers: [AuthService, ApiKeysService, AuthGuard, AuthThrottleService, AuthThrottleInterceptor],
  exports: [AuthGuard],
})
export class IdentityModule {}
