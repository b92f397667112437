import { Injectable } from '@nestjs/common';
import type { DomainEvent } from './domain-event';

export type DomainEventHandler = (event: DomainEvent) => Promise<void>;

interface Subscription {
  types: ReadonlySet<string>;
  handler: DomainEventHandler;
}

/**
 * In-process subscriptions to domain events. Each subscriber gets its own queue job per event, so a
 * failing subscriber is retried alone and never blocks the relay or the others. Handlers must be
 * idempotent: delivery is at-least-once.
 */
@Injectable()
export class EventSubscriptions {
  private readonly subscriptions = new Map<string, Subscription>();

  /** Call from a module's onModuleInit; `name` is stable across deployments (it is stored). */
  subscribe(name: string, types: readonly string[], handler: DomainEventHandler): void {
    if (this.subscriptions.has(name)) throw new Error(`Event subscriber ${name} is already registered`);
    this.subscriptions.set(name, { types: new Set(types), handler });
  }

  subscribersOf(type: string): string[] {
    const names: string[] = [];
    for (const [name, subscription] of this.subscriptions) if (subscription.types.has(type)) names.push(name);
    return names;
  }

  handlerOf(name: string): DomainEventHandler | undefined {
    return this.subscriptions.get(name)?.handler;
  }
}
