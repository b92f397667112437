import { CircuitBreaker, CircuitSettings, CircuitState } from './circuit-breaker';

/** What the scheduler needs to know about one attempt to start. */
export interface FlowTicket {
  workspaceId: string;
  webhookId: string;
  /** scheme://host:port of the webhook's URL. */
  origin: string;
  /** The webhook's concurrency limit now. */
  maxConcurrency: number;
  /** Attempts per second, or null for no rate limit. */
  rateLimitPerSecond: number | null;
  /** Goes to the front of its webhook's queue (a test event someone is waiting for). */
  priority?: boolean;
}

export interface FlowSettings {
  /** Attempts in flight in this process, all workspaces together. */
  workerMaxInFlight: number;
  /** Attempts in flight per workspace. */
  workspaceMaxInFlight: number;
  /** Connections per origin: attempts in flight per origin, all workspaces together. */
  originMaxInFlight: number;
  circuit: CircuitSettings;
  now?: () => number;
}

/** Held by a started attempt; `end` frees its place (once). */
export interface FlowPermit {
  end(ok: boolean | null): void;
}

export class FlowClosedError extends Error {
  constructor() {
    super('The delivery scheduler is shutting down');
    this.name = 'FlowClosedError';
  }
}

interface Waiter {
  ticket: FlowTicket;
  resolve(permit: FlowPermit): void;
  reject(err: Error): void;
}

interface HookState {
  id: string;
  ws: WorkspaceState;
  origin: string;
  queue: Waiter[];
  running: number;
  maxConcurrency: number;
  rate: number | null;
  tokens: number;
  refilledAt: number;
  circuit: CircuitBreaker;
  /** When it was last served (a sequence number): the longest unserved goes first. */
  served: number;
}

interface WorkspaceState {
  id: string;
  running: number;
  queued: number;
  hooks: Map<string, HookState>;
  /** Webhooks with waiting attempts, longest unserved first. */
  ready: HookState[];
  served: number;
}

interface OriginState {
  running: number;
  byWorkspace: Map<string, number>;
}

/**
 * Decides when each attempt may start, in one worker process. An attempt waits (in memory, not
 * failed, not counted as an attempt) until all of these hold:
 * - its webhook has fewer than `maxConcurrency` attempts in flight, a token of its
 *   `rateLimitPerSecond` bucket (burst: one second's worth) and a closed or half-open circuit;
 * - its workspace has fewer than `workspaceMaxInFlight` in flight;
 * - its origin has a free connection, and the workspace holds fewer than the origin's connections
 *   minus a reserve of one eighth (so another workspace sharing the origin always finds some);
 * - the process has fewer than `workerMaxInFlight` in flight.
 * Among the attempts that may start, workspaces are served in turn (round-robin), and within a
 * workspace its webhooks in turn: a workspace with thousands waiting gets one turn like a workspace
 * with one, so no tenant's backlog, hanging endpoints, retries or test spam delay another's.
 */
export class FlowScheduler {
  private readonly workspaces = new Map<string, WorkspaceState>();
  private readonly origins = new Map<string, OriginState>();
  /** Workspaces with waiting attempts, longest unserved first. */
  private ready: WorkspaceState[] = [];
  private sequence = 0;
  private running = 0;
  private queued = 0;
  private dispatchScheduled = false;
  private wakeTimer: NodeJS.Timeout | null = null;
  private wakeAt = Infinity;
  private closed = false;
  private readonly now: () => number;
  private readonly originWorkspaceCap: number;

  constructor(private readonly settings: FlowSettings) {
    this.now = settings.now ?? Date.now;
    const reserve = Math.floor(settings.originMaxInFlight / 8);
    this.originWorkspaceCap = Math.max(1, settings.originMaxInFlight - reserve);
  }

  get inFlight(): number {
    return this.running;
  }

  get waiting(): number {
    return this.queued;
  }

  /** Attempts of this workspace waiting or in flight in this process. */
  held(workspaceId: string): number {
    const ws = this.workspaces.get(workspaceId);
    return ws ? ws.running + ws.queued : 0;
  }

  /** Attempts of this webhook waiting or in flight in this process. */
  heldBy(workspaceId: string, webhookId: string): number {
    const hook = this.workspaces.get(workspaceId)?.hooks.get(webhookId);
    return hook ? hook.running + hook.queue.length : 0;
  }

  circuitState(webhookId: string, workspaceId: string): CircuitState {
    return this.workspaces.get(workspaceId)?.hooks.get(webhookId)?.circuit.state(this.now()) ?? 'closed';
  }

  /**
   * The webhooks this process keeps a circuit for (attempts waiting or in flight, or failures
   * remembered), by state now. A webhook it has not seen lately is closed and not counted.
   */
  circuitCounts(): Record<CircuitState, number> {
    const counts: Record<CircuitState, number> = { closed: 0, open: 0, half_open: 0 };
    const now = this.now();
    for (const ws of this.workspaces.values()) for (const hook of ws.hooks.values()) counts[hook.circuit.state(now)] += 1;
    return counts;
  }

  /** Resolves when the attempt may start; call `end` on the permit when it has ended. */
  acquire(ticket: FlowTicket): Promise<FlowPermit> {
    if (this.closed) return Promise.reject(new FlowClosedError());
    return new Promise<FlowPermit>((resolve, reject) => {
      const hook = this.hook(ticket);
      const waiter: Waiter = { ticket, resolve, reject };
      if (ticket.priority) hook.queue.unshift(waiter);
      else hook.queue.push(waiter);
      hook.ws.queued += 1;
      this.queued += 1;
      if (hook.queue.length === 1) insertByServed(hook.ws.ready, hook);
      if (hook.ws.queued === 1) insertByServed(this.ready, hook.ws);
      this.scheduleDispatch();
    });
  }

  /** Refuses every waiting attempt (shutdown); attempts in flight end normally. */
  close(): void {
    this.closed = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    for (const ws of this.workspaces.values()) {
      for (const hook of ws.ready) {
        for (const waiter of hook.queue.splice(0)) waiter.reject(new FlowClosedError());
      }
      ws.ready = [];
      ws.queued = 0;
    }
    this.ready = [];
    this.queued = 0;
  }

  private hook(ticket: FlowTicket): HookState {
    let ws = this.workspaces.get(ticket.workspaceId);
    if (!ws) {
      ws = { id: ticket.workspaceId, running: 0, queued: 0, hooks: new Map(), ready: [], served: 0 };
      this.workspaces.set(ws.id, ws);
    }
    let hook = ws.hooks.get(ticket.webhookId);
    if (!hook) {
      hook = {
        id: ticket.webhookId,
        ws,
        origin: ticket.origin,
        queue: [],
        running: 0,
        maxConcurrency: ticket.maxConcurrency,
        rate: ticket.rateLimitPerSecond,
        tokens: ticket.rateLimitPerSecond ?? 0,
        refilledAt: this.now(),
        circuit: new CircuitBreaker(this.settings.circuit),
        served: 0,
      };
      ws.hooks.set(hook.id, hook);
    }
    // The newest ticket carries the webhook's current settings (a PATCH takes effect at once).
    hook.maxConcurrency = Math.max(1, ticket.maxConcurrency);
    if (hook.rate !== ticket.rateLimitPerSecond) {
      hook.rate = ticket.rateLimitPerSecond;
      hook.tokens = Math.min(hook.tokens, hook.rate ?? 0);
    }
    if (hook.origin !== ticket.origin && hook.running === 0) hook.origin = ticket.origin;
    return hook;
  }

  private scheduleDispatch(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    // Coalesced: a burst of acquires and ends costs one pass.
    queueMicrotask(() => {
      this.dispatchScheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    if (this.closed) return;
    const now = this.now();
    let wake = Infinity;
    while (this.running < this.settings.workerMaxInFlight && this.ready.length > 0) {
      let started = false;
      // The workspace served longest ago that may start something goes next.
      for (const ws of this.ready) {
        if (ws.running >= this.settings.workspaceMaxInFlight) continue;
        const pick = this.pickHook(ws, now);
        if (pick.wake < wake) wake = pick.wake;
        if (!pick.hook) continue;
        this.start(pick.hook, now);
        started = true;
        break;
      }
      if (!started) break;
    }
    this.armWake(wake);
  }

  /** The workspace's webhook served longest ago whose next attempt may start now. */
  private pickHook(ws: WorkspaceState, now: number): { hook: HookState | null; wake: number } {
    let wake = Infinity;
    for (const hook of ws.ready) {
      if (hook.running >= hook.maxConcurrency) continue;
      if (!hook.circuit.allows(now)) {
        const at = hook.circuit.retryAt(now);
        if (at !== null && at < wake) wake = at;
        continue;
      }
      const origin = this.origins.get(hook.origin);
      if (origin) {
        if (origin.running >= this.settings.originMaxInFlight) continue;
        if ((origin.byWorkspace.get(ws.id) ?? 0) >= this.originWorkspaceCap) continue;
      }
      if (hook.rate !== null) {
        hook.tokens = Math.min(hook.rate, hook.tokens + ((now - hook.refilledAt) / 1000) * hook.rate);
        hook.refilledAt = now;
        if (hook.tokens < 1) {
          const at = now + Math.ceil(((1 - hook.tokens) / hook.rate) * 1000);
          if (at < wake) wake = at;
          continue;
        }
      }
      return { hook, wake };
    }
    return { hook: null, wake };
  }

  private start(hook: HookState, now: number): void {
    const waiter = hook.queue.shift()!;
    const ws = hook.ws;
    ws.queued -= 1;
    this.queued -= 1;
    // Served now: to the back of both lines (or out of them when nothing else waits).
    hook.served = ws.served = ++this.sequence;
    ws.ready.splice(ws.ready.indexOf(hook), 1);
    if (hook.queue.length > 0) ws.ready.push(hook);
    this.ready.splice(this.ready.indexOf(ws), 1);
    if (ws.queued > 0) this.ready.push(ws);
    if (hook.rate !== null) hook.tokens -= 1;
    hook.circuit.started(now);
    hook.running += 1;
    ws.running += 1;
    this.running += 1;
    const originKey = hook.origin;
    let origin = this.origins.get(originKey);
    if (!origin) this.origins.set(originKey, (origin = { running: 0, byWorkspace: new Map() }));
    origin.running += 1;
    origin.byWorkspace.set(ws.id, (origin.byWorkspace.get(ws.id) ?? 0) + 1);

    let ended = false;
    waiter.resolve({
      end: (ok) => {
        if (ended) return;
        ended = true;
        hook.circuit.ended(ok, this.now());
        hook.running -= 1;
        ws.running -= 1;
        this.running -= 1;
        origin.running -= 1;
        const mine = (origin.byWorkspace.get(ws.id) ?? 1) - 1;
        if (mine > 0) origin.byWorkspace.set(ws.id, mine);
        else origin.byWorkspace.delete(ws.id);
        if (origin.running === 0 && this.origins.get(originKey) === origin) this.origins.delete(originKey);
        this.forgetIdle(hook);
        this.scheduleDispatch();
      },
    });
  }

  /** Keeps state only for webhooks with work or a circuit to remember. */
  private forgetIdle(hook: HookState): void {
    const ws = hook.ws;
    if (hook.running === 0 && hook.queue.length === 0 && hook.circuit.pristine && hook.rate === null) ws.hooks.delete(hook.id);
    if (ws.hooks.size === 0 && ws.running === 0 && ws.queued === 0) this.workspaces.delete(ws.id);
  }

  private armWake(at: number): void {
    if (at === Infinity || this.closed) return;
    if (this.wakeTimer && this.wakeAt <= at) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      this.wakeAt = Infinity;
      this.dispatch();
    }, Math.max(1, at - this.now()));
    this.wakeTimer.unref();
  }
}

/** Inserts into a list kept in order of `served` (oldest first). */
function insertByServed<T extends { served: number }>(list: T[], item: T): void {
  let i = list.length;
  while (i > 0 && list[i - 1].served > item.served) i -= 1;
  list.splice(i, 0, item);
}
