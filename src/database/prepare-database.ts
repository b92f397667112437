import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';

/**
 * Creates the database named by the URL when it is missing (a fresh machine needs no setup);
 * true when this call created it.
 */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) throw new Error('DATABASE_URL names no database');
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return false;
    return await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`).then(
      () => true,
      (err: { code?: string }) => {
        // Another process created it first.
        if (err.code !== '42P04' && err.code !== '23505') throw err;
        return false;
      },
    );
  } finally {
    await admin.end();
  }
}

export interface PreparedDatabase {
  /** The database, as host/name (never the credentials). */
  database: string;
  created: boolean;
  /** Names of the migrations this call applied, oldest first. */
  migrations: string[];
}

/** Creates the database if needed and applies pending migrations; several processes may race safely. */
export async function prepareDatabase(databaseUrl: string): Promise<PreparedDatabase> {
  const created = await ensureDatabase(databaseUrl);
  const url = new URL(databaseUrl);
  const dataSource = new DataSource({ ...dataSourceOptions(databaseUrl, []), extra: { max: 1 } });
  await dataSource.initialize();
  try {
    // One migrator at a time across processes (api and workers start together).
    await dataSource.query('SELECT pg_advisory_lock(7274001)');
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return { database: `${url.host}${url.pathname}`, created, migrations: applied.map((m) => m.name) };
  } finally {
    await dataSource.query('SELECT pg_advisory_unlock(7274001)').catch(() => undefined);
    await dataSource.destroy();
  }
}
