import { Client } from 'pg';
import type { TestProject } from 'vitest/node';
import { prepareDatabase } from '../../src/database/prepare-database';

const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
    adminDatabaseUrl: string;
  }
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Migrates one template database per run; each test file clones it (CREATE DATABASE … TEMPLATE),
 * so suites never share rows, relays or queues, and development data is never touched.
 */
export default async function setup(project: TestProject) {
  const template = `cc_test_${Date.now().toString(36)}_${process.pid}_tpl`;
  const url = new URL(ADMIN_URL);
  url.pathname = `/${template}`;
  await prepareDatabase(url.toString());
  project.provide('templateDatabase', template);
  project.provide('adminDatabaseUrl', ADMIN_URL);
  return async () => {
    await admin(async (client) => {
      const { rows } = await client.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
        `${template.replace(/_tpl$/, '')}%`,
      ]);
      for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    });
  };
}
