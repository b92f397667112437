import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { MetricsListener } from './metrics-listener.service';

/** GET /metrics (Prometheus), behind METRICS_TOKEN. A leaf: imports only config and the registry. */
@Module({ controllers: [MetricsController], providers: [MetricsListener] })
export class MetricsModule {}
