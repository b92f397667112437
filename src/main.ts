import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createHttpApp, createWorkerContext } from './app.factory';
import { ConfigError, loadConfig } from './config/app-config';
import { prepareDatabase } from './database/prepare-database';

async function main(): Promise<void> {
  const config = loadConfig();
  const db = await prepareDatabase(config.databaseUrl);
  if (db.created) Logger.log(`Created the database ${db.database}`, 'Database');
  Logger.log(
    db.migrations.length ? `Applied ${db.migrations.length} migration(s) to ${db.database}: ${db.migrations.join(', ')}` : `Database ${db.database} is up to date (no pending migrations)`,
    'Database',
  );
  if (config.processRole === 'worker') {
    await createWorkerContext(config);
    Logger.log(`Worker started (PROCESS_ROLE=worker)`, 'Main');
    return;
  }
  const app = await createHttpApp(config);
  await app.listen(config.port);
  Logger.log(`API on http://localhost:${config.port} — docs at /docs (PROCESS_ROLE=${config.processRole})`, 'Main');
}

main().catch((err: unknown) => {
  // A bad configuration names the variable; anything else prints its stack.
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
