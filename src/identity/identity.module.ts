import { Module } from '@nestjs/common';
import { PermissionsModule } from '../permissions/permissions.module';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';

/** Users, session tokens and workspace API keys; the global AuthGuard. */
@Module({
  imports: [PermissionsModule],
  controllers: [AuthController, ApiKeysController],
  providers: [AuthService, ApiKeysService, AuthGuard],
  exports: [AuthGuard],
})
export class IdentityModule {}
