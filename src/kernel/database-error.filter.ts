import { ArgumentsHost, Catch, HttpException, HttpStatus } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { QueryFailedError, QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';

const STATUS_BY_SQLSTATE: Record<string, [HttpStatus, string]> = {
  '23505': [HttpStatus.CONFLICT, 'Conflicts with an existing record'],
  '23503': [HttpStatus.CONFLICT, 'Still referenced by, or referencing, another record'],
  '22P02': [HttpStatus.BAD_REQUEST, 'Malformed value'],
  // PostgreSQL text cannot hold U+0000, which JSON strings can.
  '22021': [HttpStatus.BAD_REQUEST, 'Text must not contain NUL characters'],
  '23502': [HttpStatus.BAD_REQUEST, 'A required value is missing'],
  '22001': [HttpStatus.BAD_REQUEST, 'Value too long'],
  '22003': [HttpStatus.BAD_REQUEST, 'Number out of range'],
  '40001': [HttpStatus.SERVICE_UNAVAILABLE, 'Concurrent update; retry'],
  '40P01': [HttpStatus.SERVICE_UNAVAILABLE, 'Concurrent update; retry'],
  '57P01': [HttpStatus.SERVICE_UNAVAILABLE, 'Database restarting; retry'],
};

const CONNECTION_ERRORS = /Connection terminated|ECONNREFUSED|ECONNRESET|timeout exceeded when trying to connect|terminating connection/i;

/**
 * Database failures the caller can act on become clear 4xx/503 answers, never a bare 500.
 * The database's own message is not echoed: it can name tables and values.
 */
@Catch()
export class DatabaseErrorFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    const mapped = this.map(exception);
    if (!mapped) return super.catch(exception, host);
    const [statusCode, message] = mapped;
    const response = host.switchToHttp().getResponse();
    if (statusCode === HttpStatus.SERVICE_UNAVAILABLE) response.setHeader('Retry-After', '1');
    response.status(statusCode).json({ statusCode, message, error: statusText(statusCode) });
  }

  private map(exception: unknown): [HttpStatus, string] | null {
    // An HttpException made from a bare message (e.g. body-parser's 413 "request entity too large")
    // answers {statusCode, message} only: give it the `error` field every other error has.
    if (exception instanceof HttpException) {
      return typeof exception.getResponse() === 'string' && exception.getStatus() < 500 ? [exception.getStatus(), exception.message] : null;
    }
    if (exception instanceof QueryFailedError) {
      const code = (exception.driverError as { code?: string } | undefined)?.code;
      if (code && STATUS_BY_SQLSTATE[code]) return STATUS_BY_SQLSTATE[code];
    }
    // TypeORM releases a transaction's query runner when its connection dies (terminated backend,
    // restart): the transaction's next query throws these instead of a driver error.
    const lostConnection = exception instanceof QueryRunnerAlreadyReleasedError || exception instanceof QueryRunnerProviderAlreadyReleasedError;
    if (lostConnection || (exception instanceof Error && !('getStatus' in exception) && CONNECTION_ERRORS.test(exception.message))) {
      return [HttpStatus.SERVICE_UNAVAILABLE, 'Database unavailable; retry'];
    }
    return null;
  }
}

function statusText(statusCode: number): string {
  return (HttpStatus[statusCode] ?? 'Error').replace(/_/g, ' ').toLowerCase().replace(/\b\w/g, (c) => c.toUpperCase());
}
