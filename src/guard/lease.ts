/**
 * Leases on shared state while a confirm works: the token claim and the target lock are held for a
 * short time (`leaseMs`, CHARGEBEE_MCP_LEASE_MS) and renewed every leaseMs / 3 while their holder is
 * alive, so a live holder never loses them however long the person or the gateway takes, and a dead
 * holder's are taken over within one lease. When a renewal says the lease was lost (someone took it
 * over), or renewals kept failing until the lease may have lapsed, `signal` aborts: the holder sends
 * nothing more (the gateway call under that signal stops, retries included).
 */
import type { Logger } from '../log.js';

export const DEFAULT_LEASE_MS = 15_000;

/** One thing held under the lease: `renew` resolves false when it was lost, throws when the store did not answer. */
export interface Leased {
  what: string;
  renew(until: number): Promise<boolean>;
}

export class Heartbeat {
  private readonly ctl = new AbortController();
  private readonly parts: Array<Leased & { ok: number }> = [];
  private readonly timer: NodeJS.Timeout;
  private running = false;
  private stopped = false;

  constructor(
    private readonly leaseMs: number,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => void this.tick(), Math.max(1, Math.floor(leaseMs / 3)));
    this.timer.unref?.();
  }

  /** Aborts when a lease is lost: pass it to whatever must stop then (the send). */
  get signal(): AbortSignal {
    return this.ctl.signal;
  }

  /** Why the lease is lost, or undefined while it is held. */
  get lost(): string | undefined {
    return this.ctl.signal.aborted ? String((this.ctl.signal.reason as Error).message) : undefined;
  }

  /** The lease end for a record or lock taken now. */
  until(): number {
    return this.now() + this.leaseMs;
  }

  /** Starts renewing `part` (held as of now). */
  add(part: Leased): void {
    this.parts.push({ ...part, ok: this.now() });
  }

  remove(what: string): void {
    const i = this.parts.findIndex((p) => p.what === what);
    if (i >= 0) this.parts.splice(i, 1);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.running || this.stopped || this.ctl.signal.aborted) return;
    this.running = true;
    try {
      for (const p of [...this.parts]) {
        const started = this.now();
        try {
          if (await p.renew(started + this.leaseMs)) {
            p.ok = started;
            continue;
          }
          this.lose(`${p.what} was taken over by another call (its lease of ${this.leaseMs} ms ran out)`);
          return;
        } catch (e) {
          const why = e instanceof Error ? e.message : String(e);
          // Not renewed since p.ok: if the next renewal could come after the lease ran out, another holder may take it then.
          if (this.now() - p.ok + this.leaseMs / 3 >= this.leaseMs) {
            this.lose(`${p.what} could not be renewed for ${this.leaseMs} ms (${why})`);
            return;
          }
          this.logger.warn({ err: why, what: p.what, lease_ms: this.leaseMs }, 'could not renew a lease: trying again');
        }
      }
    } finally {
      this.running = false;
    }
  }

  private lose(why: string): void {
    if (this.stopped) return;
    this.logger.error({ why }, 'lease lost: this confirm sends nothing more');
    this.ctl.abort(new Error(why));
    this.stop();
  }
}
