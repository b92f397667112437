import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { loadConfig } from './config/app-config';
import { createOpenApiDocument } from './openapi';

/**
 * Writes the OpenAPI document to a file (default openapi.json) without a server, a database or
 * Redis: preview mode scans modules and controllers without instantiating any provider.
 */
async function main(): Promise<void> {
  const out = process.argv[2] ?? 'openapi.json';
  const app = await NestFactory.create(AppModule.forRoot(loadConfig()), { preview: true, logger: ['error'] });
  writeFileSync(out, `${JSON.stringify(createOpenApiDocument(app), null, 2)}\n`);
  await app.close();
  console.log(`OpenAPI document written to ${out}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
