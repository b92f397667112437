import type { TypeOrmModuleOptions } from '@nestjs/typeorm';
import { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { SnakeNamingStrategy } from './snake-naming.strategy';

/**
 * The entity list is the composition root's (src/entities.ts): this module knows no feature module.
 * Running migrations needs none (prepare-database passes []).
 */
export function dataSourceOptions(databaseUrl: string, entities: NonNullable<DataSourceOptions['entities']>): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities,
    migrations: MIGRATIONS,
    namingStrategy: new SnakeNamingStrategy(),
    // Schema changes go through migrations only.
    // gen_random_uuid() is built into PostgreSQL 13+: no extension to install.
    uuidExtension: 'pgcrypto',
    synchronize: false,
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    extra: { max: 20, connectionTimeoutMillis: 5_000 },
  };
}

/**
 * The connection pool of the delivery machinery (relay, subscribers, fan-out, attempts,
 * reconciler). Its commits do not wait for the WAL flush: if PostgreSQL itself crashed, the last
 * few hundred milliseconds of these writes could be lost — which only means a delivery is sent
 * again (at-least-once), never that an event is lost: the outbox row is written by the API's
 * own, fully durable transaction. It takes the WAL flush off the hot path of every attempt.
 */
export const WORKER_DATA_SOURCE = 'worker';

export function workerDataSourceOptions(databaseUrl: string, entities: NonNullable<DataSourceOptions['entities']>): TypeOrmModuleOptions {
  const options = dataSourceOptions(databaseUrl, entities);
  return { ...options, name: WORKER_DATA_SOURCE, extra: { ...options.extra, options: '-c synchronous_commit=off' } };
}
