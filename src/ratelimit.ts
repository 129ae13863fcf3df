/**
 * Client-side limiter matching a sliding one-second window (Maton counts
 * requests per second per account): a request waits until fewer than `perSecond`
 * requests were started in the last second. Waiters queue in arrival order.
 */
export class RateLimiter {
  private readonly starts: number[] = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly perSecond: number,
    private readonly windowMs = 1_000,
    private readonly marginMs = 5,
  ) {}

  /**
   * Resolves when the caller may send. Rejects with `budgetError()` if the wait
   * would end after `deadline` (epoch ms), or when `signal` aborts.
   */
  acquire(deadline: number, signal?: AbortSignal, budgetError?: () => Error): Promise<void> {
    if (this.perSecond <= 0) return Promise.resolve();
    const turn = this.chain.then(() => this.waitForSlot(deadline, signal, budgetError));
    // The next caller waits for this one's slot, whether or not this one gave up.
    this.chain = turn.catch(() => undefined);
    return turn;
  }

  /** How long a request arriving now would wait, roughly (for logs/errors). */
  get queued(): number {
    return this.starts.length;
  }

  private async waitForSlot(deadline: number, signal?: AbortSignal, budgetError?: () => Error): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = Date.now();
      while (this.starts.length > 0 && now - this.starts[0]! >= this.windowMs + this.marginMs) this.starts.shift();
      if (this.starts.length < this.perSecond) {
        this.starts.push(now);
        return;
      }
      const wait = this.starts[0]! + this.windowMs + this.marginMs - now;
      if (now + wait > deadline) throw budgetError ? budgetError() : new Error('rate limit wait exceeds the time budget');
      await sleep(wait, signal);
    }
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
