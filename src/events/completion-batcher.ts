type Flush = (subscriber: string, eventIds: string[]) => Promise<unknown>;

interface Waiter {
  eventId: string;
  subscriber: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Groups "subscriber X finished event E" writes that arrive in the same tick into one UPDATE per
 * subscriber. Each caller still waits for its own write, so a job completes only once PostgreSQL
 * knows; under load one statement serves dozens of jobs instead of one each.
 */
export class CompletionBatcher {
  private waiting: Waiter[] = [];
  private scheduled = false;

  constructor(private readonly flush: Flush) {}

  done(eventId: string, subscriber: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ eventId, subscriber, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.run());
      }
    });
  }

  private async run(): Promise<void> {
    const batch = this.waiting;
    this.waiting = [];
    this.scheduled = false;
    const bySubscriber = new Map<string, Waiter[]>();
    for (const w of batch) bySubscriber.set(w.subscriber, [...(bySubscriber.get(w.subscriber) ?? []), w]);
    await Promise.all(
      [...bySubscriber].map(async ([subscriber, waiters]) => {
        try {
          await this.flush(subscriber, [...new Set(waiters.map((w) => w.eventId))]);
          waiters.forEach((w) => w.resolve());
        } catch (err) {
          waiters.forEach((w) => w.reject(err));
        }
      }),
    );
  }
}
