import { Controller, Get, Inject, OnModuleDestroy } from '@nestjs/common';
import { ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Public } from '../identity/principal';

@ApiTags('health')
@Controller('health')
export class HealthController implements OnModuleDestroy {
  // Its own connection, failing fast: a health check must not queue behind a dead Redis.
  private readonly redis: Redis;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
  ) {
    this.redis = new Redis(config.redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    this.redis.on('error', () => undefined);
  }

  @Get()
  @Public()
  @HealthCheck()
  @ApiOperation({ summary: '200 when PostgreSQL and Redis answer, 503 otherwise' })
  @ApiServiceUnavailableResponse({ description: 'PostgreSQL or Redis is down' })
  check() {
    return this.health.check([() => this.database.pingCheck('postgres', { timeout: 2_000 }), () => this.pingRedis()]);
  }

  private async pingRedis() {
    const indicator = this.indicators.check('redis');
    try {
      if (this.redis.status === 'wait' || this.redis.status === 'end') await this.redis.connect();
      await this.redis.ping();
      return indicator.up();
    } catch (err) {
      return indicator.down({ message: (err as Error).message });
    }
  }

  onModuleDestroy(): void {
    this.redis.disconnect();
  }
}
