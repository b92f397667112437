/** PostgreSQL's answers to a transaction that lost a race it can simply run again. */
const TRANSIENT_CONFLICTS = new Set(['40001', '40P01']);

/** A serialization failure or a deadlock (the transaction was rolled back and may be run again). */
export function isTransientConflict(err: unknown): boolean {
  return TRANSIENT_CONFLICTS.has((err as { code?: string } | null)?.code ?? '');
}

/**
 * Runs `work` (a whole transaction or statement) again when PostgreSQL rolled it back as a deadlock
 * victim or a serialization failure — or with one of `alsoOn` (SQLSTATEs a fresh snapshot can cure,
 * for this caller) — up to `attempts` times in all. Such a loss says nothing about the request: the
 * caller should not see it while a rerun is likely to succeed.
 */
export async function retryTransientConflicts<T>(work: () => Promise<T>, options: { attempts?: number; alsoOn?: string[] } = {}): Promise<T> {
  const { attempts = 3, alsoOn = [] } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      const retriable = isTransientConflict(err) || alsoOn.includes((err as { code?: string } | null)?.code ?? '');
      if (attempt >= attempts || !retriable) throw err;
    }
  }
}
