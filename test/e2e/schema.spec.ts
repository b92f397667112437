import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTITIES } from '../../src/entities';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { createTestDatabase } from '../support/test-database';

/**
 * "CI fails if generating a migration from the current entities yields a file": after every
 * migration has run, TypeORM's schema builder must find nothing to change, i.e. exactly what
 * `npm run migration:generate` would put in a new file is empty.
 */
describe('entities and migrations agree', () => {
  let dataSource: DataSource;
  beforeAll(async () => {
    // The template every test database is cloned from was migrated by the global setup.
    dataSource = new DataSource({ ...dataSourceOptions(await createTestDatabase(), ENTITIES), extra: { max: 2 } });
    await dataSource.initialize();
  });
  afterAll(() => dataSource?.destroy());

  it('every migration has run', async () => {
    expect(await dataSource.showMigrations()).toBe(false);
    const applied: { name: string }[] = await dataSource.query('SELECT name FROM migrations ORDER BY id');
    expect(applied.map((m) => m.name)).toEqual(dataSource.migrations.map((m) => m.name ?? m.constructor.name));
  });

  it('generating a migration now would yield nothing', async () => {
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    expect(pending.downQueries.map((q) => q.query)).toEqual([]);
  });

  it('every migration can be reverted and re-applied to the same schema', async () => {
    for (let i = 0; i < dataSource.migrations.length; i++) await dataSource.undoLastMigration({ transaction: 'each' });
    const tables: { tablename: string }[] = await dataSource.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations'`);
    expect(tables).toEqual([]);
    await dataSource.runMigrations({ transaction: 'each' });
    expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
  });
});
