export interface CircuitSettings {
  /** Consecutive failed attempts that open the circuit; 0 disables the breaker. */
  failures: number;
  /** Pause after opening, before the first half-open probe. */
  cooldownMs: number;
  /** Longest pause: each failed probe doubles the pause up to this. */
  maxCooldownMs: number;
  /** Told of each change of state (for the metrics): opened, a probe let through, closed again. */
  onTransition?: (to: CircuitState) => void;
}

export type CircuitState = 'closed' | 'open' | 'half_open';

/**
 * One webhook's circuit breaker. Closed: attempts flow at the webhook's own limits. After
 * `failures` consecutive failed attempts it opens: no attempt starts until the cooldown has passed;
 * then one attempt at a time is let through as a probe (half-open). A probe that succeeds closes the
 * circuit; one that fails opens it again for twice as long (at most `maxCooldownMs`). Attempts held
 * back meanwhile wait: they are not failed and not counted.
 */
export class CircuitBreaker {
  private consecutiveFailures = 0;
  private openUntil = 0;
  private cooldownMs: number;
  private probing = false;

  constructor(private readonly settings: CircuitSettings) {
    this.cooldownMs = settings.cooldownMs;
  }

  get enabled(): boolean {
    return this.settings.failures > 0;
  }

  state(now: number): CircuitState {
    if (!this.enabled || this.consecutiveFailures < this.settings.failures) return 'closed';
    return now < this.openUntil ? 'open' : 'half_open';
  }

  /** True when an attempt may start now. */
  allows(now: number): boolean {
    const state = this.state(now);
    return state === 'closed' || (state === 'half_open' && !this.probing);
  }

  /** When an attempt refused now may be allowed, or null when only a running probe's end can change that. */
  retryAt(now: number): number | null {
    const state = this.state(now);
    if (state === 'open') return this.openUntil;
    return null;
  }

  /** An attempt starts (after `allows` said yes). */
  started(now: number): void {
    if (this.state(now) !== 'half_open') return;
    this.probing = true;
    // The cooldown passed on its own; the probe starting is when the change is seen.
    this.settings.onTransition?.('half_open');
  }

  /** A started attempt ended. `ok: null`: it ended without a verdict on the endpoint (e.g. cancelled). */
  ended(ok: boolean | null, now: number): void {
    const before = this.state(now);
    this.settle(ok, now);
    const after = this.state(now);
    if (after !== before) this.settings.onTransition?.(after);
  }

  private settle(ok: boolean | null, now: number): void {
    const wasProbe = this.probing;
    this.probing = false;
    if (ok === null) return;
    if (ok) {
      this.consecutiveFailures = 0;
      this.cooldownMs = this.settings.cooldownMs;
      this.openUntil = 0;
      return;
    }
    this.consecutiveFailures += 1;
    if (!this.enabled || this.consecutiveFailures < this.settings.failures) return;
    if (wasProbe) this.cooldownMs = Math.min(this.settings.maxCooldownMs, this.cooldownMs * 2);
    // Opening (or a failure of an attempt started before it opened) restarts the pause.
    if (wasProbe || this.consecutiveFailures === this.settings.failures || now >= this.openUntil) this.openUntil = now + this.cooldownMs;
  }

  /** Nothing to remember: a fresh breaker would behave the same. */
  get pristine(): boolean {
    return this.consecutiveFailures === 0 && !this.probing;
  }
}
