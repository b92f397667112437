/** IPC messages between the bench driver (bench/run.ts) and the receiver child (bench/receiver.ts). */

/** Driver → receiver. Every request carries an id; the receiver answers with the same id. */
export type ReceiverRequest =
  | {
      id: number;
      type: 'configure';
      secrets: Record<string, string>;
      failing?: string[];
      failSlowlyMs?: Record<string, number>;
      /** Healthy paths that answer 200 only after this many ms (a slow but healthy endpoint). */
      answerSlowlyMs?: Record<string, number>;
      /** Paths that never answer (the platform's timeout ends each attempt). */
      hanging?: string[];
    }
  /** Starts a phase: counters reset; only deliveries to `paths` count for it (others are "stray"). */
  | { id: number; type: 'phase'; name: string; paths: string[] }
  /** Answers once `target` distinct (event, path) pairs were received on healthy paths, or at the deadline. */
  | { id: number; type: 'await'; target: number; timeoutMs: number }
  | { id: number; type: 'stats'; latencies?: boolean };

export interface PhaseStats {
  name: string;
  /** Every POST on a phase path (retries and duplicates included). */
  requests: number;
  /** Signature checks with the `standardwebhooks` library that failed (must stay 0). */
  badSignatures: number;
  /** Verified payloads whose `id` differs from the `webhook-id` header (must stay 0). */
  idMismatches: number;
  /** Distinct (webhook-id, path) pairs answered 2xx. */
  healthyUnique: number;
  /** 2xx receipts of a pair already received (at-least-once duplicates). */
  duplicates: number;
  /** Requests answered 500 on the paths told to fail. */
  failedRequests: number;
  /** Of those, requests to a failing path that had already been answered 500 for that message: retries. */
  retriedRequests: number;
  /** Wall-clock ms (fractional) of the first and last healthy receipt of the phase. */
  firstAt: number | null;
  lastAt: number | null;
  /** Deliveries to paths of no current phase (late retries of an earlier phase, say). */
  stray: number;
  /** Size of the last healthy body received, bytes (to compare the raw ceiling's body with a real event's). */
  bodyBytes: number;
  /** receipt − payload.createdAt, ms, for every healthy first receipt (only when asked). */
  latencies?: number[];
}

export type ReceiverReply =
  | { id: 0; type: 'ready'; port: number }
  | { id: number; type: 'ok' }
  | { id: number; type: 'awaited'; reached: boolean; stats: PhaseStats }
  | { id: number; type: 'stats'; stats: PhaseStats };

/** Receiver paths look like /h/<key>; keys are chosen by the driver. */
export function receiverPath(key: string): string {
  return `/h/${key}`;
}
