import { Module } from '@nestjs/common';
import { AbilityService } from './ability.service';
import { MemberRemovalHooks } from './member-removal-hooks';
import { PoliciesGuard } from './policies.guard';

/** The CASL ability factory and cache, the policies guard, and rules→SQL scoping. */
@Module({
  providers: [AbilityService, PoliciesGuard, MemberRemovalHooks],
  exports: [AbilityService, PoliciesGuard, MemberRemovalHooks],
})
export class PermissionsModule {}
