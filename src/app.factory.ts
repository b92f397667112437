import { INestApplication, INestApplicationContext, LogLevel, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module';
import type { AppConfig } from './config/app-config';
import { BodyShapePipe } from './common/body-shape.pipe';
import { VALIDATION_OPTIONS } from './common/validation';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

function loggerLevels(config: AppConfig): LogLevel[] {
  return LEVELS.slice(0, LEVELS.indexOf(config.logLevel as LogLevel) + 1);
}

/** The HTTP application (PROCESS_ROLE api or all): REST routes, Swagger at /docs, /health. */
export async function createHttpApp(config: AppConfig): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger: loggerLevels(config),
  });
  // 1 MB: anything larger is refused with 413 before it is parsed.
  app.useBodyParser('json', { limit: config.bodyLimit });
  // BodyShapePipe first: it refuses what class-transformer (inside ValidationPipe) mishandles.
  app.useGlobalPipes(new BodyShapePipe(), new ValidationPipe(VALIDATION_OPTIONS));
  app.enableShutdownHooks();
  app.disable('x-powered-by');
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Countercyclical Webhooks API')
      .setDescription(
        'Workspaces, permission-scoped resources, and signed webhooks (Standard Webhooks) for their 18 event types. ' +
          'Authenticate with `Authorization: Bearer <token>` from /v1/auth/login or a workspace API key.',
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}

/** Workers only (PROCESS_ROLE=worker): relay, fan-out, delivery, reconciler; no HTTP server. */
export async function createWorkerContext(config: AppConfig): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: loggerLevels(config) });
  app.enableShutdownHooks();
  return app;
}
