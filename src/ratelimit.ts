/**
 * Client-side throttle in front of the gateway: at most `perSecond` requests in
 * any sliding one-second window (Maton counts requests per second per account)
 * and at most `maxConcurrent` in flight. Callers that cannot go yet queue in
 * arrival order instead of failing; a caller gives up (with the budget error)
 * as soon as its place in the queue cannot be reached before its deadline, or
 * when its signal aborts.
 *
 * The server counts a request when it arrives, which is some time after we send
 * it. So a slot is not freed one window after the send, but one window after the
 * latest moment the server can have counted it: when the response came back
 * (or `maxSkewMs` after the send, for a request still in flight). Concurrent
 * bursts therefore never overrun the server's window because of latency jitter.
 */
export interface ThrottleOptions {
  /** Max requests in flight at once; 0 = unbounded. Default 16. */
  maxConcurrent?: number;
  windowMs?: number;
  /** Extra safety margin added to the window. */
  marginMs?: number;
  /** Upper bound on send → arrival at the server, for requests still in flight. */
  maxSkewMs?: number;
  now?: () => number;
}

/** Call when the request is over (response read or failed): frees the concurrency slot. */
export type Release = () => void;

/**
 * What the gateway needs from a throttle: the in-process RateLimiter, or the Redis-backed one
 * (src/ratelimit-redis.ts) that counts one window per Maton account across all instances.
 */
export interface Limiter {
  acquire(deadline: number, signal?: AbortSignal, budgetError?: () => Error): Promise<Release>;
  stats(): { queued: number; inFlight: number };
  close(reason: Error): void | Promise<void>;
}

interface Slot {
  sentAt: number;
  doneAt?: number;
}

interface Waiter {
  deadline: number;
  grant: (release: Release) => void;
  fail: (e: unknown) => void;
}

export class RateLimiter implements Limiter {
  private readonly slots: Slot[] = [];
  private readonly queue: Waiter[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private readonly maxConcurrent: number;
  private readonly windowMs: number;
  private readonly marginMs: number;
  private readonly maxSkewMs: number;
  private readonly now: () => number;

  constructor(
    readonly perSecond: number,
    o: ThrottleOptions = {},
  ) {
    this.maxConcurrent = o.maxConcurrent ?? 16;
    this.windowMs = o.windowMs ?? 1_000;
    this.marginMs = o.marginMs ?? 10;
    this.maxSkewMs = o.maxSkewMs ?? 1_000;
    this.now = o.now ?? Date.now;
  }

  /** Requests waiting for a slot, and requests in flight (for tests and logs). */
  stats(): { queued: number; inFlight: number } {
    return { queued: this.queue.length, inFlight: this.inFlight };
  }

  /**
   * Resolves with a release function when the caller may send. Rejects with
   * `budgetError()` if the slot cannot be had before `deadline` (epoch ms), at
   * once when that is already certain; rejects with the signal's reason on abort.
   */
  acquire(deadline: number, signal?: AbortSignal, budgetError?: () => Error): Promise<Release> {
    const tooLate = () => (budgetError ? budgetError() : new Error('rate limit wait exceeds the time budget'));
    return new Promise<Release>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      this.prune();
      if (this.queue.length === 0 && this.free()) return resolve(this.take());
      if (this.earliestStart(this.queue.length) > deadline) return reject(tooLate());
      let timeout: NodeJS.Timeout | undefined;
      const leave = () => {
        clearTimeout(timeout);
        signal?.removeEventListener('abort', onAbort);
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
      };
      const onAbort = () => {
        leave();
        reject(signal!.reason);
        this.pump();
      };
      const waiter: Waiter = {
        deadline,
        grant: (release) => {
          leave();
          resolve(release);
        },
        fail: (e) => {
          leave();
          reject(e);
        },
      };
      timeout = setTimeout(() => {
        leave();
        reject(tooLate());
        this.pump();
      }, Math.max(0, deadline - this.now()));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
      this.pump();
    });
  }

  /** Rejects every waiter (on shutdown). */
  close(reason: Error): void {
    for (const w of [...this.queue]) w.fail(reason);
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private free(): boolean {
    if (this.maxConcurrent > 0 && this.inFlight >= this.maxConcurrent) return false;
    return this.perSecond <= 0 || this.slots.length < this.perSecond;
  }

  private take(): Release {
    const slot: Slot = { sentAt: this.now() };
    if (this.perSecond > 0) this.slots.push(slot);
    this.inFlight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      slot.doneAt = this.now();
      this.inFlight--;
      this.pump();
    };
  }

  /** Latest moment the server can have counted this request: the window runs from there. */
  private expiry(s: Slot): number {
    return Math.min(s.doneAt ?? Infinity, s.sentAt + this.maxSkewMs) + this.windowMs + this.marginMs;
  }

  /** Earliest the expiry can become (if the request completed right now). */
  private bestExpiry(s: Slot, now: number): number {
    return Math.min(s.doneAt ?? now, s.sentAt + this.maxSkewMs) + this.windowMs + this.marginMs;
  }

  private prune(): void {
    const now = this.now();
    for (let i = this.slots.length - 1; i >= 0; i--) if (this.expiry(this.slots[i]!) <= now) this.slots.splice(i, 1);
  }

  /**
   * A lower bound on when the caller behind `ahead` queued callers can start:
   * every group of `perSecond` callers needs one more window.
   */
  private earliestStart(ahead: number): number {
    const now = this.now();
    if (this.perSecond <= 0) return now;
    const best = this.slots.map((s) => this.bestExpiry(s, now)).sort((a, b) => a - b);
    const k = ahead + this.slots.length - this.perSecond; // index of the slot release this caller needs
    if (k < 0) return now;
    const windows = Math.floor(k / this.perSecond);
    const base = best[k % this.perSecond] ?? now;
    return Math.max(now, base) + windows * (this.windowMs + this.marginMs);
  }

  /** Grants slots to queued callers in order; arms one timer for the next window expiry. */
  private pump(): void {
    this.prune();
    while (this.queue.length > 0 && this.free()) this.queue[0]!.grant(this.take());
    if (this.queue.length === 0 || this.perSecond <= 0 || this.slots.length < this.perSecond) {
      // Nothing to wait for, or only the concurrency limit blocks: a release pumps again.
      this.disarm();
      return;
    }
    const next = Math.min(...this.slots.map((s) => this.expiry(s)));
    if (!Number.isFinite(next)) return this.disarm();
    if (this.timer && this.timerAt <= next) return;
    this.disarm();
    this.timerAt = next;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.pump();
    }, Math.max(0, next - this.now()));
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
