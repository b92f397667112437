import { HttpException, HttpStatus, Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import ipaddr from 'ipaddr.js';
import { createHash } from 'node:crypto';
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { APP_CONFIG, AppConfig, RateLimit } from '../config/app-config';

/** 429 with the standard body and the seconds to wait (the interceptor copies it to Retry-After). */
export class TooManyAttemptsException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super(
      { statusCode: HttpStatus.TOO_MANY_REQUESTS, message: `Too many attempts; retry in ${retryAfterSeconds} s`, error: 'Too Many Requests' },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/**
 * Login and signup throttling, counted in Redis so every API process shares the counts:
 * - per client address: every attempt (AUTH_THROTTLE_PER_ADDRESS);
 * - per account (e-mail): every attempt (AUTH_THROTTLE_PER_ACCOUNT), cleared by a successful
 *   login, so guessing one person's password is slow from any number of addresses. Counted
 *   before the password is checked (one atomic increment), so parallel attempts cannot slip through.
 * If Redis is unreachable, each process falls back to counting in memory with the same limits.
 */
@Injectable()
export class AuthThrottleService implements OnModuleDestroy {
  private readonly redis: Redis | null;
  private readonly byAddress: RateLimiterAbstract | null;
  private readonly byAccount: RateLimiterAbstract | null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const enabled = config.authThrottlePerAddress !== null || config.authThrottlePerAccount !== null;
    // Its own connection, failing fast: a login must not queue behind a dead Redis.
    this.redis = enabled ? new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }) : null;
    this.redis?.on('error', () => undefined);
    const limiter = (name: string, limit: RateLimit | null) => {
      if (!limit) return null;
      const duration = Math.ceil(limit.durationMs / 1000);
      return new RateLimiterRedis({
        storeClient: this.redis,
        // Per deployment: every process of one deployment shares QUEUE_PREFIX.
        keyPrefix: `${config.queuePrefix}:auth-throttle:${name}`,
        points: limit.points,
        duration,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ points: limit.points, duration }),
      });
    };
    this.byAddress = limiter('address', config.authThrottlePerAddress);
    this.byAccount = limiter('account', config.authThrottlePerAccount);
  }

  /** Counts one attempt from `address` for `email`; throws 429 when either is over its limit. */
  async admit(address: string, email: string | null): Promise<void> {
    // Address first: a request refused for its address does not use up the account's attempts.
    await consume(this.byAddress, addressKey(address));
    if (email) await consume(this.byAccount, accountKey(email));
  }

  /** A successful login clears the account's failures. */
  async succeeded(email: string | null): Promise<void> {
    if (!this.byAccount || !email) return;
    await this.byAccount.delete(accountKey(email)).catch(() => undefined);
  }

  onModuleDestroy(): void {
    this.redis?.disconnect();
  }
}

async function consume(limiter: RateLimiterAbstract | null, key: string): Promise<void> {
  if (!limiter) return;
  try {
    await limiter.consume(key);
  } catch (res) {
    if (res instanceof RateLimiterRes) throw new TooManyAttemptsException(seconds(res));
    throw res;
  }
}

function seconds(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}

/**
 * One counter per IPv4 address, and per /64 for IPv6: one subscriber usually holds a whole /64,
 * so counting single IPv6 addresses would let them rotate past the limit.
 */
export function addressKey(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const ip = ipaddr.process(address);
  if (ip.kind() === 'ipv4') return ip.toString();
  const parts = (ip as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `${parts.join(':')}::/64`;
}

/** Hashed: Redis holds no e-mail addresses. */
function accountKey(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 32);
}
