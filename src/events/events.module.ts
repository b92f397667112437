import { BullModule } from '@nestjs/bull';
import { DynamicModule, Global, Module } from '@nestjs/common';
import { DomainEventsProcessor } from './domain-events.processor';
import { EventPublisher } from './event-publisher.service';
import { EventReader } from './event-reader';
import { DECLARED_SUBSCRIBERS, EventSubscriptions, SubscriberDeclaration } from './event-subscriptions';
import { DOMAIN_EVENTS_QUEUE, QUEUE_LOCK_SETTINGS, RETRY_PROCESS_DELAY_MS } from './events.constants';
import { OutboxRelay } from './outbox-relay.service';
import { OutboxSignal } from './outbox-signal.service';

/**
 * The event bus: the transactional outbox (EventPublisher), the relay to Bull, in-process
 * subscriptions, the event catalog and retention. Imports no feature module. The relay and the
 * subscribers' processor run where WorkerModule starts them (src/worker.module.ts).
 */
@Module({
  imports: [
    BullModule.registerQueue({
      name: DOMAIN_EVENTS_QUEUE,
      settings: { ...QUEUE_LOCK_SETTINGS, retryProcessDelay: RETRY_PROCESS_DELAY_MS },
    }),
  ],
  providers: [EventPublisher, EventReader, EventSubscriptions, OutboxSignal, OutboxRelay, DomainEventsProcessor],
  exports: [EventPublisher, EventReader, EventSubscriptions, OutboxRelay, DomainEventsProcessor],
})
export class EventsModule {}

/** The statically declared subscribers (src/event-subscribers.ts), given once at the composition root. */
@Global()
@Module({})
export class EventSubscribersModule {
  static forRoot(subscribers: SubscriberDeclaration[]): DynamicModule {
    return { module: EventSubscribersModule, providers: [{ provide: DECLARED_SUBSCRIBERS, useValue: subscribers }], exports: [DECLARED_SUBSCRIBERS] };
  }
}
