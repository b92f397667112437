import { Inject, Injectable, Optional } from '@nestjs/common';
import type { DomainEvent } from './domain-event';

/** A subscriber as declared at the composition root (src/event-subscribers.ts): its stored name and its types. */
export interface SubscriberDeclaration {
  name: string;
  types: readonly string[];
}

/** The injection token of the declared subscribers (EventsModule.forRoot). */
export const DECLARED_SUBSCRIBERS = Symbol('DECLARED_SUBSCRIBERS');

export type DomainEventHandler = (event: DomainEvent) => Promise<void>;
/** Handles several events at once (those relayed together); must be idempotent like the others. */
export type DomainEventBatchHandler = (events: DomainEvent[]) => Promise<void>;

interface Subscription {
  types: ReadonlySet<string>;
  handler: DomainEventBatchHandler;
}

/**
 * Subscriptions to domain events. WHO subscribes to WHAT is declared statically (src/event-subscribers.ts),
 * so every process (api, worker) stores the same subscriber list on each event, whichever modules
 * it runs; the handlers are attached by the modules that own them (subscribe), in the processes
 * that run them. Each subscriber gets its own queue jobs (each carrying the events relayed
 * together), so a failing subscriber is retried alone and never blocks the relay or the others.
 * Handlers must be idempotent: delivery is at-least-once.
 */
@Injectable()
export class EventSubscriptions {
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly declared = new Map<string, ReadonlySet<string>>();

  constructor(@Optional() @Inject(DECLARED_SUBSCRIBERS) declarations: SubscriberDeclaration[] | null) {
    for (const d of declarations ?? []) this.declared.set(d.name, new Set(d.types));
  }

  /**
   * Attaches the handler of a declared subscriber (call from a module's onModuleInit); `name` is
   * stable across deployments (it is stored), and `types` must be those declared. An undeclared
   * name subscribes in this process only (tests, the bench): production subscribers are declared.
   */
  subscribe(name: string, types: readonly string[], handler: DomainEventHandler): void {
    this.subscribeBatch(name, types, async (events) => {
      await Promise.all(events.map(handler));
    });
  }

  /** Like subscribe(), for a subscriber that does better with the events of one relay batch at once. */
  subscribeBatch(name: string, types: readonly string[], handler: DomainEventBatchHandler): void {
    if (this.subscriptions.has(name)) throw new Error(`Event subscriber ${name} is already registered`);
    const declared = this.declared.get(name);
    if (declared && (declared.size !== new Set(types).size || types.some((t) => !declared.has(t)))) {
      throw new Error(`Event subscriber ${name} subscribes to other types than declared in src/event-subscribers.ts`);
    }
    this.subscriptions.set(name, { types: new Set(types), handler });
  }

  /** The subscribers stored on a new event of this type: every declared one, plus this process's undeclared ones. */
  subscribersOf(type: string): string[] {
    const names: string[] = [];
    for (const [name, types] of this.declared) if (types.has(type)) names.push(name);
    for (const [name, subscription] of this.subscriptions) if (!this.declared.has(name) && subscription.types.has(type)) names.push(name);
    return names;
  }

  handlerOf(name: string): DomainEventBatchHandler | undefined {
    return this.subscriptions.get(name)?.handler;
  }
}
