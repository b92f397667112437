import { Controller, Get, Header, HttpCode, Inject, NotFoundException, Req, UnauthorizedException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { createHash, timingSafeEqual } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Public } from '../kernel/principal';
import { METRICS_REGISTRY } from './metrics.registry';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** `Authorization: Bearer <token>` holds METRICS_TOKEN; compared as digests (constant time, any length). */
export function metricsTokenMatches(authorization: string | undefined, token: string): boolean {
  const presented = /^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? '';
  return timingSafeEqual(digest(presented), digest(token));
}

/**
 * Prometheus text at GET /metrics, for a scraper holding METRICS_TOKEN (`Authorization: Bearer
 * <token>`): 404 when METRICS_TOKEN is not set (the route does not exist), 401 without the right
 * token. Not part of the public API (not in the OpenAPI document).
 */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get()
  @Public()
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  async metrics(@Req() req: { headers: Record<string, string | undefined>; res: { type(t: string): void } }): Promise<string> {
    const token = this.config.metricsToken;
    if (!token) throw new NotFoundException('Cannot GET /metrics');
    if (!metricsTokenMatches(req.headers.authorization, token)) throw new UnauthorizedException('A valid METRICS_TOKEN bearer token is required');
    req.res.type(METRICS_REGISTRY.contentType);
    return METRICS_REGISTRY.metrics();
  }
}
