/**
 * The ledger: the only place that knows whether a confirm token was used and what its first
 * outcome was, plus the per-target confirm lock and notes on attempts whose outcome is unknown.
 * In process by default (MemoryLedger); shared by several instances through Redis (--redis).
 * Both forms pass the same test suite (test/helpers/ledger-suite.ts). Every record is checked when
 * read (checkRecord, checkNote): one of the wrong shape is LedgerCorrupt, never a TypeError.
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
  /** claimed/sent: the live holder (a random id per confirm call); only it moves the record on. */
  owner?: string;
  /** claimed/sent: ms since epoch until which the holder is known alive (renewed while it works; see lease.ts). */
  lease?: number;
  /** final: the outcome could not be written to the audit log (the next preview of the target says so too). */
  unaudited?: boolean;
}

/** An attempt whose outcome is unknown, remembered per target so the next preview can warn. */
export interface UnknownNote {
  /** ISO time of the attempt. */
  at: string;
  tool: string;
  /** e.g. the idempotency key the attempt went out under, or the connection it may have created. */
  detail?: string;
  /** Set when the outcome is known but the audit log could not record it: what happened ("was applied"). */
  outcome?: string;
}

export interface Ledger {
  /** true when several processes share this ledger (then they accept each other's tokens). */
  readonly shared: boolean;
  /**
   * Atomically replaces the record of `nonce` if its current state is `from` (undefined = no
   * record) and, when `owner` is given, its owner is `owner`. Returns true when the swap happened.
   * The record lives until `expiresAt` (ms since epoch: the token's expiry — once a token cannot be
   * presented, its record is not needed).
   */
  swap(nonce: string, from: TokenState | undefined, to: TokenRecord, expiresAt: number, owner?: string): Promise<boolean>;
  /**
   * Extends the lease of a claimed/sent record held by `owner` to `until`. false when the record is
   * gone, decided, or held by someone else (the holder lost it: it must not send).
   */
  renew(nonce: string, owner: string, until: number): Promise<boolean>;
  /** The record of a token, undefined if none (never used, released, or expired). Throws LedgerCorrupt for a record of the wrong shape. */
  get(nonce: string): Promise<TokenRecord | undefined>;
  /** Forgets a claim: nothing was sent, the token is unused again. With `owner`, only if the record is still that owner's. */
  release(nonce: string, owner?: string): Promise<void>;
  /**
   * Exclusive lock on a target (connection + resource). Waits up to `waitMs` (then throws
   * LockTimeout); the lock expires by itself `holdMs` after it was taken or last renewed (a dead
   * holder's lock is taken over then). Returns the release, which also renews.
   */
  lock(key: string, holdMs: number, waitMs: number, signal?: AbortSignal): Promise<LockHandle>;
  /** Remembers an attempt with unknown outcome on a target for `ttlMs`. */
  noteUnknown(key: string, note: UnknownNote, ttlMs: number): Promise<void>;
  /** The latest unknown-outcome note on a target, if any. */
  unknownFor(key: string): Promise<UnknownNote | undefined>;
  close(): Promise<void>;
}

/** A held target lock: call it to release; `renew` extends it by its hold time (false: it was lost). */
export type LockHandle = (() => Promise<void>) & { renew(): Promise<boolean> };

export class LockTimeout extends Error {}

/** Thrown by a shared ledger that cannot reach its store: writes refuse, reads go on. */
export class LedgerUnavailable extends Error {}

/** The store answered with something this server never writes (a record of the wrong shape, a key of the wrong type). */
export class LedgerCorrupt extends Error {}

const STATES: readonly string[] = ['claimed', 'sent', 'unknown', 'final'];
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why a stored outcome cannot be returned as a tool result, or undefined when it can. */
function badOutcome(o: unknown): string | undefined {
  if (!isObj(o)) return 'the outcome is missing';
  const c = o.content;
  if (!Array.isArray(c) || c.length === 0) return 'the outcome has no content';
  if (!c.every((x) => isObj(x) && x.type === 'text' && typeof x.text === 'string')) return 'the outcome content is not text';
  if (o.isError !== undefined && typeof o.isError !== 'boolean') return 'isError is not a boolean';
  if (o.structuredContent !== undefined) return isObj(o.structuredContent) ? undefined : 'structuredContent is not an object';
  // Without structuredContent the text is the structured content's own JSON (see storable in guard/outcome.ts).
  try {
    return isObj(JSON.parse((c[0] as { text: string }).text)) ? undefined : 'the outcome text is not a JSON object';
  } catch {
    return 'the outcome text is not JSON';
  }
}

/** A stored value as it was written: a JSON string (Redis) is parsed, an object (in process) taken as it is. */
function fromStore(raw: unknown, where: string, what: string): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch {
    throw new LedgerCorrupt(`${where}: ${what} is not JSON`);
  }
}

/** A token record as read from the store: checked field by field; `raw` is a JSON string or an object. */
export function checkRecord(raw: unknown, where: string): TokenRecord {
  const r = fromStore(raw, where, 'the token record');
  const why = !isObj(r)
    ? 'the token record is not an object'
    : typeof r.state !== 'string' || !STATES.includes(r.state)
      ? `unknown state ${JSON.stringify(r.state)}`
      : typeof r.at !== 'number'
        ? '"at" is not a number'
        : r.state === 'final'
          ? badOutcome(r.outcome)
          : (r.owner !== undefined && typeof r.owner !== 'string') || (r.lease !== undefined && typeof r.lease !== 'number')
            ? 'owner or lease has the wrong type'
            : undefined;
  if (why) throw new LedgerCorrupt(`${where}: ${why}`);
  return r as unknown as TokenRecord;
}

/** An unknown-outcome note as read from the store. */
export function checkNote(raw: unknown, where: string): UnknownNote {
  const n = fromStore(raw, where, 'the unknown-outcome note');
  const optional = (k: string) => (n as Record<string, unknown>)[k] === undefined || typeof (n as Record<string, unknown>)[k] === 'string';
  if (!isObj(n) || typeof n.at !== 'string' || typeof n.tool !== 'string' || !optional('detail') || !optional('outcome')) {
    throw new LedgerCorrupt(`${where}: the unknown-outcome note does not have the fields at, tool (and optional detail, outcome) as strings`);
  }
  return n as unknown as UnknownNote;
}

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

  async swap(nonce: string, from: TokenState | undefined, to: TokenRecord, expiresAt: number, owner?: string): Promise<boolean> {
    const cur = this.tokens.get(nonce);
    if (cur?.state !== from || (owner !== undefined && cur?.owner !== owner)) return false;
    // A copy: the caller's object is not the stored record.
    this.tokens.set(nonce, { ...to }, expiresAt);
    return true;
  }

  async renew(nonce: string, owner: string, until: number): Promise<boolean> {
    const cur = this.tokens.get(nonce);
    if (!cur || cur.owner !== owner || (cur.state !== 'claimed' && cur.state !== 'sent')) return false;
    cur.lease = until;
    return true;
  }

  async get(nonce: string): Promise<TokenRecord | undefined> {
    const rec = this.tokens.get(nonce);
    return rec === undefined ? undefined : { ...checkRecord(rec, 'the in-process ledger') };
  }

  async release(nonce: string, owner?: string): Promise<void> {
    if (owner !== undefined && this.tokens.get(nonce)?.owner !== owner) return;
    this.tokens.delete(nonce);
  }

  async lock(key: string, holdMs: number, waitMs: number, signal?: AbortSignal): Promise<LockHandle> {
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
    let timer = setTimeout(() => release(), holdMs);
    timer.unref?.();
    const release = async () => {
      clearTimeout(timer);
      if (this.locks.get(key) === p) this.locks.delete(key);
      free();
    };
    const renew = async () => {
      if (this.locks.get(key) !== p) return false;
      clearTimeout(timer);
      timer = setTimeout(() => release(), holdMs);
      timer.unref?.();
      return true;
    };
    return Object.assign(release, { renew });
  }

  async noteUnknown(key: string, note: UnknownNote, ttlMs: number): Promise<void> {
    this.notes.set(key, note, this.now() + ttlMs);
  }

  async unknownFor(key: string): Promise<UnknownNote | undefined> {
    const note = this.notes.get(key);
    return note === undefined ? undefined : checkNote(note, 'the in-process ledger');
  }

  async close(): Promise<void> {}
}
