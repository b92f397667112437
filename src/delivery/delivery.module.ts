import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { QUEUE_LOCK_SETTINGS, RETRY_PROCESS_DELAY_MS } from '../events/events.constants';
import { EventsModule } from '../events/events.module';
import { PermissionsModule } from '../permissions/permissions.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { ActionThrottleService } from './action-throttle.service';
import { DeliveriesController } from './deliveries.controller';
import { DeliveriesService } from './deliveries.service';
import { DeliveryRetryError } from './delivery-retry.error';
import { DELIVERIES_QUEUE, SCHEDULED_BACKOFF } from './delivery.constants';
import { DeliveryQueue } from './delivery-queue';
import { DeliveryRepository } from './delivery.repository';

/**
 * Delivery as the API serves it: the logs/redeliver/recover/test routes, the deliveries queue and
 * its gateway (DeliveryQueue), the deliveries repository. The work itself (fan-out, attempts,
 * retries, the reconciler) is DeliveryWorkerModule's. Only the composition root imports these
 * modules (ApiModule, WorkerModule).
 */
@Module({
  imports: [
    PermissionsModule,
    EventsModule,
    WebhooksModule,
    BullModule.registerQueue({
      name: DELIVERIES_QUEUE,
      settings: {
        ...QUEUE_LOCK_SETTINGS,
        retryProcessDelay: RETRY_PROCESS_DELAY_MS,
        backoffStrategies: {
          [SCHEDULED_BACKOFF]: (_attempts: number, err: Error) => (err instanceof DeliveryRetryError ? err.delayMs : 5_000),
        },
      },
    }),
  ],
  controllers: [DeliveriesController],
  providers: [DeliveryRepository, DeliveryQueue, DeliveriesService, ActionThrottleService],
  exports: [BullModule, DeliveryRepository, DeliveryQueue],
})
export class DeliveryModule {}
