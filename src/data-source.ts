import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './config/app-config';
import { ENTITIES } from './entities';
import { dataSourceOptions } from './database/data-source-options';

/** The TypeORM CLI's entry point (`npm run migration:generate -- migrations/Name`). */
export default new DataSource(dataSourceOptions(loadConfig().databaseUrl, ENTITIES));
