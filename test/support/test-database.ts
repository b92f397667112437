import { Client } from 'pg';
import { inject } from 'vitest';

let sequence = 0;

/** A fresh, migrated database for one suite, cloned from the run's template. */
export async function createTestDatabase(): Promise<string> {
  const template = inject('templateDatabase');
  const adminUrl = inject('adminDatabaseUrl');
  const name = `${template.replace(/_tpl$/, '')}_${process.pid}_${++sequence}`;
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    // CREATE DATABASE … TEMPLATE needs the template to have no other sessions: retry briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
        break;
      } catch (err) {
        if (attempt > 50 || !/being accessed by other users/.test((err as Error).message)) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 100));
      }
    }
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
