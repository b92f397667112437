import { Injectable, Module, OnApplicationBootstrap } from '@nestjs/common';
import { DeliveriesProcessor } from './delivery/deliveries.processor';
import { DeliveryWorkerModule } from './delivery/delivery-worker.module';
import { DeliveryReconciler } from './delivery/delivery-reconciler.service';
import { DomainEventsProcessor } from './events/domain-events.processor';
import { EventsModule } from './events/events.module';
import { OutboxRelay } from './events/outbox-relay.service';
import { IdentityModule } from './identity/identity.module';
import { WorkspacesModule } from './workspaces/workspaces.module';

/** Starts the queue consumers and timers once the application is up. */
@Injectable()
export class Workers implements OnApplicationBootstrap {
  constructor(
    private readonly relay: OutboxRelay,
    private readonly subscribers: DomainEventsProcessor,
    private readonly deliveries: DeliveriesProcessor,
    private readonly reconciler: DeliveryReconciler,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.subscribers.start();
    this.deliveries.start();
    this.reconciler.start();
    await this.relay.start();
  }
}

/**
 * What runs the background work (PROCESS_ROLE worker or all): the outbox relay, the event
 * subscribers (fan-out in delivery, the account and invitation mails in identity and workspaces),
 * delivery attempts and retries, the reconciler. A process without it runs none of them.
 */
@Module({
  imports: [EventsModule, DeliveryWorkerModule, IdentityModule, WorkspacesModule],
  providers: [Workers],
})
export class WorkerModule {}
