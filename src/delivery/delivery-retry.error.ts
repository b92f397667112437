/**
 * Thrown by the deliver processor when an attempt failed and another is scheduled: the queue's
 * retry applies, after exactly the delay the retry policy stored on the delivery.
 */
export class DeliveryRetryError extends Error {
  constructor(
    readonly delayMs: number,
    reason: string,
  ) {
    super(`attempt failed (${reason}); next attempt in ${delayMs} ms`);
    this.name = 'DeliveryRetryError';
  }
}
