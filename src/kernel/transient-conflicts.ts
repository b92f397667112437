/** PostgreSQL's answers to a transaction that lost a race it can simply run again. */
const TRANSIENT_CONFLICTS = new Set(['40001', '40P01']);

/** A serialization failure or a deadlock (the transaction was rolled back and may be run again). */
export function isTransientConflict(err: unknown): boolean {
  return TRANSIENT_CONFLICTS.has((err as { code?: string } | null)?.code ?? '');
}

/**
 * Runs `work` (a whole transaction or statement) again when PostgreSQL rolled it back as a deadlock
 * victim or a serialization failure, up to `attempts` times in all. Such a loss says nothing about
 * the request: the caller should not see it while a rerun is likely to succeed.
 */
export async function retryTransientConflicts<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (attempt >= attempts || !isTransientConflict(err)) throw err;
    }
  }
}
