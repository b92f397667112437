import { Module } from '@nestjs/common';
import { AbilityService } from './ability.service';
import { PoliciesGuard } from './policies.guard';

/** The CASL ability factory and cache, the policies guard, and rules→SQL scoping. */
@Module({
  providers: [AbilityService, PoliciesGuard],
  exports: [AbilityService, PoliciesGuard],
})
export class PermissionsModule {}
