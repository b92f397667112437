/**
 * A counting semaphore with a FIFO of waiters. `acquire` resolves with a release function that
 * must be called exactly once (later calls do nothing).
 */
export class Semaphore {
  private used = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error(`capacity must be at least 1 (got ${capacity})`);
  }

  get inUse(): number {
    return this.used;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  async acquire(): Promise<() => void> {
    if (this.used < this.capacity) this.used += 1;
    // The releaser hands its unit straight to the first waiter: `used` stays counted.
    else await new Promise<void>((resolve) => this.waiters.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.used -= 1;
    };
  }
}

/** One semaphore per key (e.g. per origin), dropped when idle. */
export class KeyedSemaphore {
  private readonly byKey = new Map<string, Semaphore>();

  constructor(readonly capacity: number) {}

  async acquire(key: string): Promise<() => void> {
    let sem = this.byKey.get(key);
    if (!sem) this.byKey.set(key, (sem = new Semaphore(this.capacity)));
    const release = await sem.acquire();
    return () => {
      release();
      if (sem.inUse === 0 && sem.waiting === 0 && this.byKey.get(key) === sem) this.byKey.delete(key);
    };
  }

  inUse(key: string): number {
    return this.byKey.get(key)?.inUse ?? 0;
  }
}
