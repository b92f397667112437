import { Injectable } from '@nestjs/common';
import type { DomainEvent } from './domain-event';

export type DomainEventHandler = (event: DomainEvent) => Promise<void>;
/** Handles several events at once (those relayed together); must be idempotent like the others. */
export type DomainEventBatchHandler = (events: DomainEvent[]) => Promise<void>;

interface Subscription {
  types: ReadonlySet<string>;
  handler: DomainEventBatchHandler;
}

/**
 * In-process subscriptions to domain events. Each subscriber gets its own queue jobs (each carrying
 * the events relayed together), so a failing subscriber is retried alone and never blocks the relay
 * or the others. Handlers must be idempotent: delivery is at-least-once.
 */
@Injectable()
export class EventSubscriptions {
  private readonly subscriptions = new Map<string, Subscription>();

  /** Call from a module's onModuleInit; `name` is stable across deployments (it is stored). */
  subscribe(name: string, types: readonly string[], handler: DomainEventHandler): void {
    this.subscribeBatch(name, types, async (events) => {
      await Promise.all(events.map(handler));
    });
  }

  /** Like subscribe(), for a subscriber that does better with the events of one relay batch at once. */
  subscribeBatch(name: string, types: readonly string[], handler: DomainEventBatchHandler): void {
    if (this.subscriptions.has(name)) throw new Error(`Event subscriber ${name} is already registered`);
    this.subscriptions.set(name, { types: new Set(types), handler });
  }

  subscribersOf(type: string): string[] {
    const names: string[] = [];
    for (const [name, subscription] of this.subscriptions) if (subscription.types.has(type)) names.push(name);
    return names;
  }

  handlerOf(name: string): DomainEventBatchHandler | undefined {
    return this.subscriptions.get(name)?.handler;
  }
}
