import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { concatMap, from, Observable, switchMap } from 'rxjs';
import { AuthThrottleService, TooManyAttemptsException } from './auth-throttle.service';

interface ThrottledRequest {
  ip?: string;
  socket?: { remoteAddress?: string };
  body?: unknown;
}

/**
 * On login and signup: counts the attempt (429 + Retry-After when over a limit); a success clears
 * the account's count. Runs before the validation pipe: it reads the raw body's email only as a
 * counter key.
 */
@Injectable()
export class AuthThrottleInterceptor implements NestInterceptor {
  constructor(private readonly throttle: AuthThrottleService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<ThrottledRequest>();
    const response = http.getResponse<{ setHeader(name: string, value: string): void }>();
    const raw = (request.body as { email?: unknown } | undefined)?.email;
    const email = typeof raw === 'string' && raw.length <= 320 ? raw : null;
    const address = request.ip ?? request.socket?.remoteAddress ?? 'unknown';
    return from(
      this.throttle.admit(address, email).catch((err: unknown) => {
        if (err instanceof TooManyAttemptsException) response.setHeader('Retry-After', String(err.retryAfterSeconds));
        throw err;
      }),
    ).pipe(
      switchMap(() => next.handle()),
      // Awaited: the next attempt must see the cleared count.
      concatMap(async (value) => {
        await this.throttle.succeeded(email);
        return value;
      }),
    );
  }
}
