import { Controller, Get, Inject, Logger, OnModuleDestroy, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Public } from '../kernel/principal';

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

  private readonly logger = new Logger(HealthController.name);

  /**
   * Public, so it says only up or down: which dependency failed and why (driver messages, addresses)
   * goes to the log, never to whoever asks.
   */
  @Get()
  @Public()
  @ApiOperation({ summary: '200 {status:"ok"} when PostgreSQL and Redis answer, 503 {status:"error"} otherwise' })
  @ApiOkResponse({ schema: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } } }, example: { status: 'ok' } })
  @ApiServiceUnavailableResponse({
    description: 'PostgreSQL or Redis is down (details in the server log)',
    schema: { type: 'object', properties: { status: { type: 'string', enum: ['error'] } } },
    example: { status: 'error' },
  })
  async check(): Promise<{ status: 'ok' }> {
    try {
      await this.health.check([() => this.database.pingCheck('postgres', { timeout: 2_000 }), () => this.pingRedis()]);
      return { status: 'ok' };
    } catch (err) {
      const details = (err as { response?: unknown }).response ?? (err as Error).message;
      this.logger.warn(`Health check failed: ${JSON.stringify(details)}`);
      throw new ServiceUnavailableException({ status: 'error' });
    }
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
