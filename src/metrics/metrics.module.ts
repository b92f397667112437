import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';

/** GET /metrics (Prometheus), behind METRICS_TOKEN. A leaf: imports only config and the registry. */
@Module({ controllers: [MetricsController] })
export class MetricsModule {}
