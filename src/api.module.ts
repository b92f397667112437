import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { DeliveryModule } from './delivery/delivery.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { AuthGuard } from './identity/auth.guard';
import { IdentityModule } from './identity/identity.module';
import { DatabaseErrorFilter } from './kernel/database-error.filter';
import { PermissionsModule } from './permissions/permissions.module';
import { PoliciesGuard } from './permissions/policies.guard';
import { ResourcesModule } from './resources/resources.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { WorkspacesModule } from './workspaces/workspaces.module';

/** What serves HTTP (PROCESS_ROLE api or all): every module's routes, the guards, the error filter. */
@Module({
  imports: [IdentityModule, PermissionsModule, WorkspacesModule, ResourcesModule, EventsModule, WebhooksModule, DeliveryModule, HealthModule],
  providers: [
    // Order matters: authenticate, then authorise.
    { provide: APP_GUARD, useExisting: AuthGuard },
    { provide: APP_GUARD, useExisting: PoliciesGuard },
    { provide: APP_FILTER, useClass: DatabaseErrorFilter },
  ],
})
export class ApiModule {}
