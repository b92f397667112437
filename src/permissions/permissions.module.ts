import { Global, Module } from '@nestjs/common';
import { UserMemberships } from '../identity/user-memberships';
import { AccessReader } from './access-reader';
import { AbilityService } from './ability.service';
import { MemberRemovalHooks } from './member-removal-hooks';
import { PoliciesGuard } from './policies.guard';

/**
 * The CASL ability factory and cache, the access reader, the policies guard, and rules→SQL scoping.
 * Global only so that identity (which imports no other module) gets UserMemberships.
 */
@Global()
@Module({
  providers: [AbilityService, AccessReader, PoliciesGuard, MemberRemovalHooks, { provide: UserMemberships, useExisting: AccessReader }],
  exports: [AbilityService, AccessReader, PoliciesGuard, MemberRemovalHooks, UserMemberships],
})
export class PermissionsModule {}
