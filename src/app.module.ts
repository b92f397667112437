import { BullModule } from '@nestjs/bull';
import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { dataSourceOptions, workerDataSourceOptions } from './database/data-source-options';
import { ENTITIES } from './entities';
import { ApiModule } from './api.module';
import { EVENT_SUBSCRIBERS } from './event-subscribers';
import { REDIS_RETRY_STRATEGY } from './events/events.constants';
import { EventSubscribersModule } from './events/events.module';
import { WorkerModule } from './worker.module';

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
        EventSubscribersModule.forRoot(EVENT_SUBSCRIBERS),
        // Composition, not flags: PROCESS_ROLE picks the modules a process runs.
        ...(config.processRole !== 'worker' ? [ApiModule] : []),
        ...(config.processRole !== 'api' ? [WorkerModule] : []),
      ],
    };
  }
}
