import type { LoggerService, LogLevel } from '@nestjs/common';
import pino, { Logger as Pino } from 'pino';
import { pinoHttp } from 'pino-http';
import { currentLogContext, currentRequest } from './request-context';

/** LOG_LEVEL (Nest's names) to pino's. */
const LEVELS: Record<string, pino.LevelWithSilent> = { error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };

/**
 * Structured logs: one JSON object per line (pino), with the request id inside a request and the
 * event/delivery ids inside a worker job (withLogContext). In development (NODE_ENV=development,
 * pino-pretty installed) lines are pretty-printed instead. Written to process.stdout.
 *
 * Never a secret: request lines carry the method, the path without its query string (links in
 * mails carry tokens there), the status and the duration — no headers, no bodies.
 */
export function createRootLogger(options: { level: string; nodeEnv: string }): Pino {
  const base: pino.LoggerOptions = {
    level: LEVELS[options.level] ?? 'info',
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    // "level":"ERROR" rather than 50: readable, and a log scan for ERROR (the fault suite's) still works.
    formatters: { level: (label) => ({ level: label.toUpperCase() }) },
    mixin: () => ({ ...(currentRequest() ? { requestId: currentRequest()!.requestId } : {}), ...currentLogContext() }),
    redact: { paths: ['authorization', '*.authorization', 'headers', '*.headers', 'secret', '*.secret', 'token', '*.token'], remove: true },
  };
  if (options.nodeEnv === 'development') {
    try {
      // In process (not a transport thread), onto process.stdout like the JSON lines.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const pretty = require('pino-pretty') as (options: object) => NodeJS.WritableStream;
      return pino(base, pretty({ translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', destination: process.stdout, sync: true }));
    } catch {
      // Not installed (a production install): JSON.
    }
  }
  return pino(base, process.stdout);
}

/** Nest's logger interface over pino: `context` (the class name) becomes a field. */
export class PinoLoggerService implements LoggerService {
  constructor(private readonly root: Pino) {}

  log(message: unknown, ...rest: unknown[]) {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]) {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]) {
    this.write('fatal', message, rest);
  }
  setLogLevels(levels: LogLevel[]) {
    const order: LogLevel[] = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'];
    const lowest = order.find((l) => levels.includes(l));
    if (lowest) this.root.level = LEVELS[lowest] ?? 'fatal';
  }

  private write(level: pino.Level, message: unknown, rest: unknown[]) {
    if (!this.root.isLevelEnabled(level)) return;
    // Nest passes (message, context) or (message, stack, context) for errors.
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    const stack = level === 'error' && rest.length > 1 && typeof rest[0] === 'string' ? (rest[0] as string) : undefined;
    if (message instanceof Error) this.root[level]({ context, err: message }, message.message);
    else if (typeof message === 'object' && message !== null) this.root[level]({ context, ...(message as object) });
    else this.root[level]({ context, ...(stack ? { stack } : {}) }, String(message));
  }
}

/** One line per answered request: method, path (no query), status, duration, request id. */
export function httpLogMiddleware(root: Pino) {
  return pinoHttp({
    logger: root,
    genReqId: (req) => (req as { id?: string }).id ?? '',
    quietReqLogger: true,
    customAttributeKeys: { responseTime: 'durationMs' },
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, path: String(req.url).split('?')[0] }),
      res: (res: { statusCode: number }) => ({ status: res.statusCode }),
    },
    // A 5xx is logged by whatever raised it (the exception filter); the request line only warns.
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'warn' : res.statusCode >= 400 ? 'info' : 'debug'),
  });
}
