import { INestApplication, INestApplicationContext, Logger, LogLevel, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module';
import type { AppConfig } from './config/app-config';
import { bodyShapeMiddleware, BodyShapePipe, verifyJsonShape } from './kernel/body-shape.pipe';
import { VALIDATION_OPTIONS } from './kernel/validation';
import { applySecurityHeaders, isAuthJsonRequest } from './security-headers';
import { createOpenApiDocument } from './openapi';
import { serveConsole } from './console/serve-console';

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
  logStartupWarnings(config);
  // Behind a proxy, whose X-Forwarded-For / -Proto to believe: the client address (throttling), HTTPS (HSTS).
  app.set('trust proxy', config.trustProxy);
  applySecurityHeaders(app, config);
  // The /v1/auth routes take a few hundred bytes; anything over 16 KB there is a 413, unread.
  app.useBodyParser('json', { limit: config.authBodyLimit, type: isAuthJsonRequest, verify: verifyJsonShape });
  // Elsewhere 1 MB: anything larger is refused with 413 before it is parsed.
  app.useBodyParser('json', { limit: config.bodyLimit, verify: verifyJsonShape });
  // The shape (keys per object, values, depth) is bounded on the raw bytes before JSON.parse
  // (verifyJsonShape), then exactly, string lengths included, on the parsed body: a hostile body
  // is refused before any route, guard or class-transformer spends time on it.
  app.use(bodyShapeMiddleware());
  // BodyShapePipe first: it refuses what class-transformer (inside ValidationPipe) mishandles.
  app.useGlobalPipes(new BodyShapePipe(), new ValidationPipe(VALIDATION_OPTIONS));
  app.enableShutdownHooks();
  app.disable('x-powered-by');
  const document = createOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  // The web console (web/, built into dist/web) at /, after /docs so Swagger keeps its paths.
  serveConsole(app);
  return app;
}

/** Workers only (PROCESS_ROLE=worker): relay, fan-out, delivery, reconciler; no HTTP server. */
export async function createWorkerContext(config: AppConfig): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: loggerLevels(config) });
  logStartupWarnings(config);
  app.enableShutdownHooks();
  return app;
}

/** Settings that must never reach production unnoticed (the development key is reported where it is read). */
function logStartupWarnings(config: AppConfig): void {
  const logger = new Logger('Config');
  if (config.webhookAllowPrivateNetwork) {
    logger.warn('WEBHOOK_ALLOW_PRIVATE_NETWORK is on: webhooks may target loopback and private addresses (SSRF). For local development and tests only.');
  }
}
