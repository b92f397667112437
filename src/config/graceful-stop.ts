import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from './app-config';

/**
 * One clock for a process's graceful stop. The first shutdown hook that asks starts it; every stage
 * after (stop taking jobs, let the jobs and attempts in flight finish, write their rows) shares the
 * same WORKER_SHUTDOWN_GRACE_MS, so the stop as a whole is bounded by it, not each stage.
 */
@Injectable()
export class GracefulStop {
  private deadline: number | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Milliseconds left of the grace period (starting it if this is the first call). */
  remainingMs(): number {
    this.deadline ??= Date.now() + this.config.workerShutdownGraceMs;
    return Math.max(0, this.deadline - Date.now());
  }

  /** Waits for `work` while the grace period lasts: true if it settled in time, false if time ran out first. */
  async within(work: Promise<unknown>): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), this.remainingMs())));
    try {
      return await Promise.race([work.then(() => true, () => true), expired]);
    } finally {
      clearTimeout(timer);
    }
  }
}
