import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { EventsModule } from '../events/events.module';
import { PermissionsModule } from '../permissions/permissions.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { DeliveriesProcessor } from './deliveries.processor';
import { DeliveryAttemptsService } from './delivery-attempts.service';
import { DeliveryBacklog } from './delivery-backlog.service';
import { DeliveryReconciler } from './delivery-reconciler.service';
import { MAX_LOGGED_RESPONSE_BYTES, USER_AGENT } from './delivery.constants';
import { DeliveryModule } from './delivery.module';
import { FanOutService } from './fan-out.service';
import { HttpSender } from './http-sender';
import { IdentityModule } from '../identity/identity.module';
import { MailModule } from '../mail/mail.module';
import { WebhookAlertMailListener } from './webhook-alert-mail.listener';
import { WebhookHealthAlerts } from './webhook-health-alerts.service';

/**
 * Delivery's work: permission-scoped fan-out (the event-bus subscriber), signing, sending, retries,
 * the attempt log, the reconciler. Composed into WorkerModule (src/worker.module.ts), which starts
 * the processor and the reconciler.
 */
@Module({
  imports: [DeliveryModule, PermissionsModule, IdentityModule, EventsModule, WebhooksModule, MailModule],
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
    DeliveryAttemptsService,
    FanOutService,
    DeliveriesProcessor,
    DeliveryBacklog,
    DeliveryReconciler,
    WebhookHealthAlerts,
    WebhookAlertMailListener,
  ],
  exports: [DeliveriesProcessor, DeliveryReconciler],
})
export class DeliveryWorkerModule {}
