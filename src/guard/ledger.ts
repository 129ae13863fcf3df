/**
 * The ledger: the only place that knows whether a confirm token was used and what its first
 * outcome was, plus the per-target confirm lock and notes on attempts whose outcome is unknown.
 * In process by default (MemoryLedger); shared by several instances through Redis (--redis).
 * Both forms pass the same test suite (test/ledger.test.ts).
 */

/** Where a token is in its single use. */
export type TokenState =
  /** A confirm owns the token: approval or the target re-check is under way; nothing sent yet. */
  | 'claimed'
  /** The write request is going out / went out and has not been answered yet. */
  | 'sent'
  /** Sent, no answer (lost response, timeout, cancelled): may or may not have been applied. */
  | 'unknown'
  /** Decided: `outcome` holds the result every later use of the token returns. */
  | 'final';

/** The first outcome of a token, as stored: an MCP CallToolResult (JSON-serialisable). */
export type StoredOutcome = {
  content: Array<{ type: 'text'; text: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
};

export interface TokenRecord {
  state: TokenState;
  /** ms since epoch of the last state change. */
  at: number;
  /** Set when state is 'final'. */
  outcome?: StoredOutcome;
  /** True when the write request left this server at least once (a replay then says "nothing sent again"). */
  sent?: boolean;
}

/** An attempt whose outcome is unknown, remembered per target so the next preview can warn. */
export interface UnknownNote {
  /** ISO time of the attempt. */
  at: string;
  tool: string;
  /** e.g. the idempotency key the attempt went out under, or the connection it may have created. */
  detail?: string;
}

export interface Ledger {
  /** true when several processes share this ledger (then they accept each other's tokens). */
  readonly shared: boolean;
  /**
   * Atomically replaces the record of `nonce` if its current state is `from` (undefined = no
   * record). Returns true when the swap happened. The record lives until `expiresAt` (ms since
   * epoch: the token's expiry — once a token cannot be presented, its record is not needed).
   */
  swap(nonce: string, from: TokenState | undefined, to: TokenRecord, expiresAt: number): Promise<boolean>;
  /** The record of a token, undefined if none (never used, released, or expired). */
  get(nonce: string): Promise<TokenRecord | undefined>;
  /** Forgets a claim: nothing was sent, the token is unused again. */
  release(nonce: string): Promise<void>;
  /**
   * Exclusive lock on a target (connection + resource). Waits up to `waitMs` (then throws
   * LockTimeout); the lock expires by itself after `holdMs` if its holder dies. Returns the release.
   */
  lock(key: string, holdMs: number, waitMs: number, signal?: AbortSignal): Promise<() => Promise<void>>;
  /** Remembers an attempt with unknown outcome on a target for `ttlMs`. */
  noteUnknown(key: string, note: UnknownNote, ttlMs: number): Promise<void>;
  /** The latest unknown-outcome note on a target, if any. */
  unknownFor(key: string): Promise<UnknownNote | undefined>;
  close(): Promise<void>;
}

export class LockTimeout extends Error {}

/** Thrown by a shared ledger that cannot reach its store: writes refuse, reads go on. */
export class LedgerUnavailable extends Error {}

interface Held<T> {
  value: T;
  expires: number;
}

/**
 * Maps whose entries expire. Entries are kept in insertion order and purged from the front, so a
 * purge costs only the entries it removes (no scan of the live ones); get() checks expiry itself.
 */
class ExpiringMap<T> {
  private readonly m = new Map<string, Held<T>>();
  constructor(private readonly now: () => number) {}

  get(k: string): T | undefined {
    const h = this.m.get(k);
    if (!h) return undefined;
    if (h.expires <= this.now()) {
      this.m.delete(k);
      return undefined;
    }
    return h.value;
  }

  set(k: string, value: T, expires: number): void {
    this.purge();
    // Re-insert so that insertion order follows the latest expiry.
    this.m.delete(k);
    this.m.set(k, { value, expires });
  }

  delete(k: string): void {
    this.m.delete(k);
  }

  get size(): number {
    return this.m.size;
  }

  private purge(): void {
    const now = this.now();
    for (const [k, h] of this.m) {
      if (h.expires > now) break;
      this.m.delete(k);
    }
  }
}

/** The in-process ledger: tokens are accepted only by the process that issued them. */
export class MemoryLedger implements Ledger {
  readonly shared = false;
  private readonly tokens: ExpiringMap<TokenRecord>;
  private readonly notes: ExpiringMap<UnknownNote>;
  private readonly locks = new Map<string, Promise<void>>();

  constructor(private readonly now: () => number = Date.now) {
    this.tokens = new ExpiringMap(now);
    this.notes = new ExpiringMap(now);
  }

  /** Records held (for memory checks). */
  get size(): number {
    return this.tokens.size;
  }

  async swap(nonce: string, from: TokenState | undefined, to: TokenRecord, expiresAt: number): Promise<boolean> {
    if (this.tokens.get(nonce)?.state !== from) return false;
    this.tokens.set(nonce, to, expiresAt);
    return true;
  }

  async get(nonce: string): Promise<TokenRecord | undefined> {
    return this.tokens.get(nonce);
  }

  async release(nonce: string): Promise<void> {
    this.tokens.delete(nonce);
  }

  async lock(key: string, holdMs: number, waitMs: number, signal?: AbortSignal): Promise<() => Promise<void>> {
    const deadline = this.now() + waitMs;
    // Queue behind whoever holds or waits for the key: confirms on one target run one at a time.
    for (;;) {
      const held = this.locks.get(key);
      if (!held) break;
      const left = deadline - this.now();
      if (left <= 0) throw new LockTimeout(`target ${key} stayed locked for ${waitMs} ms`);
      signal?.throwIfAborted();
      await Promise.race([held, new Promise((r) => setTimeout(r, Math.min(left, 1000)).unref?.())]);
    }
    let free!: () => void;
    const p = new Promise<void>((r) => (free = r));
    this.locks.set(key, p);
    const timer = setTimeout(() => release(), holdMs);
    timer.unref?.();
    const release = async () => {
      clearTimeout(timer);
      if (this.locks.get(key) === p) this.locks.delete(key);
      free();
    };
    return release;
  }

  async noteUnknown(key: string, note: UnknownNote, ttlMs: number): Promise<void> {
    this.notes.set(key, note, this.now() + ttlMs);
  }

  async unknownFor(key: string): Promise<UnknownNote | undefined> {
    return this.notes.get(key);
  }

  async close(): Promise<void> {}
}
