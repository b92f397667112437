import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { QUEUE_LOCK_SETTINGS, RETRY_PROCESS_DELAY_MS } from '../events/events.constants';
import { EventsModule } from '../events/events.module';
import { PermissionsModule } from '../permissions/permissions.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { ActionThrottleService } from './action-throttle.service';
import { DeliveriesController } from './deliveries.controller';
import { DeliveriesProcessor } from './deliveries.processor';
import { DeliveriesService } from './deliveries.service';
import { DeliveryAttemptsService } from './delivery-attempts.service';
import { DeliveryReconciler } from './delivery-reconciler.service';
import { DeliveryRetryError } from './delivery-retry.error';
import { DELIVERIES_QUEUE, MAX_LOGGED_RESPONSE_BYTES, SCHEDULED_BACKOFF, USER_AGENT } from './delivery.constants';
import { FanOutService } from './fan-out.service';
import { HttpSender } from './http-sender';

/**
 * Delivery: permission-scoped fan-out, signing, sending, retries, the attempt log, the
 * reconciler, and the logs/redeliver/recover/test routes. Nothing imports this module.
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
  providers: [
    {
      provide: HttpSender,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new HttpSender({
          timeoutMs: config.webhookTimeoutMs,
          allowPrivateNetwork: config.webhookAllowPrivateNetwork,
          maxResponseBytes: MAX_LOGGED_RESPONSE_BYTES,
          userAgent: USER_AGENT,
          connectionsPerOrigin: config.flow.connectionsPerOrigin,
        }),
    },
    ActionThrottleService,
    DeliveryAttemptsService,
    FanOutService,
    DeliveriesProcessor,
    DeliveryReconciler,
    DeliveriesService,
  ],
})
export class DeliveryModule {}
