import { CallHandler, ExecutionContext, HttpException, HttpStatus, Inject, Injectable, NestInterceptor, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { catchError, Observable, throwError } from 'rxjs';
import { APP_CONFIG, AppConfig, RateLimit } from '../config/app-config';

export type ThrottledAction = 'test' | 'redeliver' | 'recover';

/** 429 with the seconds to wait; ThrottleRetryAfterInterceptor copies them to Retry-After. */
export class ActionThrottledException extends HttpException {
  constructor(
    readonly retryAfterSeconds: number,
    action: ThrottledAction,
    limit: RateLimit,
  ) {
    super(
      {
        statusCode: HttpStatus.TOO_MANY_REQUESTS,
        message: `Too many ${action} requests for this webhook (at most ${limit.points} per ${Math.round(limit.durationMs / 1000)} s); retry in ${retryAfterSeconds} s`,
        error: 'Too Many Requests',
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/**
 * Per-webhook limits on the manual delivery actions (test, redeliver, recover), counted in Redis so
 * every API process shares them (WEBHOOK_TEST_THROTTLE, WEBHOOK_REDELIVER_THROTTLE,
 * WEBHOOK_RECOVER_THROTTLE). If Redis is unreachable, each process counts in memory with the same limits.
 */
@Injectable()
export class ActionThrottleService implements OnModuleDestroy {
  private readonly redis: Redis | null;
  private readonly limiters = new Map<ThrottledAction, { limiter: RateLimiterAbstract; limit: RateLimit }>();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const limits: [ThrottledAction, RateLimit | null][] = [
      ['test', config.flow.testThrottle],
      ['redeliver', config.flow.redeliverThrottle],
      ['recover', config.flow.recoverThrottle],
    ];
    const enabled = limits.some(([, limit]) => limit !== null);
    // Its own connection, failing fast: a request must not queue behind a dead Redis.
    this.redis = enabled ? new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }) : null;
    this.redis?.on('error', () => undefined);
    for (const [action, limit] of limits) {
      if (!limit) continue;
      const duration = Math.ceil(limit.durationMs / 1000);
      this.limiters.set(action, {
        limit,
        limiter: new RateLimiterRedis({
          storeClient: this.redis,
          keyPrefix: `${config.queuePrefix}:webhook-throttle:${action}`,
          points: limit.points,
          duration,
          rejectIfRedisNotReady: true,
          insuranceLimiter: new RateLimiterMemory({ points: limit.points, duration }),
        }),
      });
    }
  }

  /** Counts one `action` on this webhook; throws 429 when over its limit. */
  async consume(action: ThrottledAction, webhookId: string): Promise<void> {
    const entry = this.limiters.get(action);
    if (!entry) return;
    try {
      await entry.limiter.consume(webhookId);
    } catch (res) {
      if (res instanceof RateLimiterRes) throw new ActionThrottledException(Math.max(1, Math.ceil(res.msBeforeNext / 1000)), action, entry.limit);
      throw res;
    }
  }

  onModuleDestroy(): void {
    this.redis?.disconnect();
  }
}

/** Sets Retry-After on a 429 from ActionThrottleService. */
@Injectable()
export class ThrottleRetryAfterInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const response = context.switchToHttp().getResponse<{ setHeader(name: string, value: string): void }>();
    return next.handle().pipe(
      catchError((err: unknown) => {
        if (err instanceof ActionThrottledException) response.setHeader('Retry-After', String(err.retryAfterSeconds));
        return throwError(() => err);
      }),
    );
  }
}
