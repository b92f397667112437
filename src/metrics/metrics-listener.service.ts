import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { metricsTokenMatches } from './metrics.controller';
import { METRICS_REGISTRY } from './metrics.registry';

/**
 * A separate listener for GET /metrics on METRICS_PORT, for processes without an HTTP server
 * (PROCESS_ROLE=worker, where the delivery figures live) or to keep scrapes off the API port. The
 * same METRICS_TOKEN bearer is required. Off unless both are set.
 */
@Injectable()
export class MetricsListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsListener.name);
  private server: Server | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** The bound port (METRICS_PORT=0 picks a free one). */
  get port(): number | null {
    return this.server ? (this.server.address() as AddressInfo).port : null;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.metricsPort === null || !this.config.metricsToken) return;
    this.server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') return void res.writeHead(404).end();
      if (!metricsTokenMatches(req.headers.authorization, this.config.metricsToken)) return void res.writeHead(401).end();
      METRICS_REGISTRY.metrics().then(
        (text) => res.writeHead(200, { 'content-type': METRICS_REGISTRY.contentType, 'cache-control': 'no-store' }).end(text),
        () => res.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(this.config.metricsPort!, resolve));
    this.logger.log(`metrics on :${this.port}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}
