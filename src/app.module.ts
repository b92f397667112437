import { BullModule } from '@nestjs/bull';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseErrorFilter } from './kernel/database-error.filter';
import { dataSourceOptions, workerDataSourceOptions } from './database/data-source-options';
import { ENTITIES } from './entities';
import { DeliveryModule } from './delivery/delivery.module';
import { REDIS_RETRY_STRATEGY } from './events/events.constants';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { AuthGuard } from './identity/auth.guard';
import { IdentityModule } from './identity/identity.module';
import { PermissionsModule } from './permissions/permissions.module';
import { PoliciesGuard } from './permissions/policies.guard';
import { ResourcesModule } from './resources/resources.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { WorkspacesModule } from './workspaces/workspaces.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        TypeOrmModule.forRoot(dataSourceOptions(config.databaseUrl, ENTITIES)),
        TypeOrmModule.forRoot(workerDataSourceOptions(config.databaseUrl, ENTITIES)),
        BullModule.forRoot({
          url: config.redisUrl,
          prefix: config.queuePrefix,
          // Every queue reconnects within a second of Redis coming back (ioredis' default backs off to 20 s).
          redis: { retryStrategy: REDIS_RETRY_STRATEGY },
        }),
        IdentityModule,
        PermissionsModule,
        WorkspacesModule,
        ResourcesModule,
        EventsModule,
        WebhooksModule,
        DeliveryModule,
        HealthModule,
      ],
      providers: [
        // Order matters: authenticate, then authorise.
        { provide: APP_GUARD, useExisting: AuthGuard },
        { provide: APP_GUARD, useExisting: PoliciesGuard },
        { provide: APP_FILTER, useClass: DatabaseErrorFilter },
      ],
    };
  }
}
