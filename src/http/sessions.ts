import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { isJSONRPCErrorResponse, isJSONRPCRequest, isJSONRPCResultResponse, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../log.js';

/**
 * The open MCP sessions of one HTTP server (Streamable HTTP and legacy SSE together): their
 * principal, the calls each has in flight, and their lifetime. A client that goes away without
 * DELETE must not lock anyone out, so a full table makes room by closing the least recently
 * active session that has no call in flight; only when every session is busy is a new one refused.
 * One principal cannot push out another's sessions: at its own cap (maxPerPrincipal) a principal's
 * new session takes the place of its own least recently active idle one, never someone else's.
 */

export interface Session {
  id?: string;
  kind: 'streamable' | 'sse';
  /** Who opened it: every later request for this session must come from the same principal. */
  principal: string;
  server: Server;
  transport: Transport;
  /** JSON-RPC requests from the client not yet answered. */
  calls: number;
  /** HTTP requests of this session still open (POST and GET streams, the legacy SSE stream). */
  open: number;
  lastActive: number;
  closed: boolean;
}

export class SessionCapError extends Error {
  constructor(
    readonly limit: number,
    readonly own = false,
  ) {
    super(
      own
        ? `Too many open MCP sessions for this caller (limit ${limit} each, MCP_HTTP_MAX_SESSIONS_PER_PRINCIPAL), and every one has a call in progress. Close a session or retry in a few seconds.`
        : `Too many open MCP sessions (limit ${limit}), and every one has a call in progress. Retry in a few seconds.`,
    );
  }
}

export class Sessions {
  private readonly byId = new Map<string, Session>();
  private pending = 0;
  /** Reserved but not yet registered, per principal. */
  private readonly pendingOf = new Map<string, number>();
  private inflight = 0;
  private waiters: Array<() => void> = [];
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    readonly max: number,
    readonly idleMs: number,
    private readonly log: Logger,
    readonly maxPerPrincipal = max,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.max(50, Math.min(60_000, Math.floor(idleMs / 4))));
    this.sweeper.unref();
  }

  get size(): number {
    return this.byId.size;
  }

  /** JSON-RPC requests in flight across all sessions. */
  get callsInFlight(): number {
    return this.inflight;
  }

  get(id: string | undefined): Session | undefined {
    const s = id ? this.byId.get(id) : undefined;
    return s && !s.closed ? s : undefined;
  }

  /**
   * Reserves room for one new session of `principal` (released by the returned function once the
   * session is registered or has failed). At the principal's own cap, closes that principal's
   * least recently active session with no call in flight; at the global cap, the least recently
   * active idle session of anyone. Throws SessionCapError when there is none to close.
   */
  reserve(principal: string): () => void {
    const own = (p: Session) => p.principal === principal;
    if (this.countOf(principal) >= this.maxPerPrincipal) {
      const victim = this.evictable(own);
      if (!victim) throw new SessionCapError(this.maxPerPrincipal, true);
      void this.close(victim, 'evicted: per-principal session cap reached, its least recently active idle session');
    } else if (this.byId.size + this.pending >= this.max) {
      const victim = this.evictable();
      if (!victim) throw new SessionCapError(this.max);
      void this.close(victim, 'evicted: session cap reached, least recently active idle session');
    }
    this.pending++;
    this.pendingOf.set(principal, (this.pendingOf.get(principal) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.pending--;
      const n = (this.pendingOf.get(principal) ?? 1) - 1;
      if (n > 0) this.pendingOf.set(principal, n);
      else this.pendingOf.delete(principal);
    };
  }

  /** Open and reserved sessions of one principal. */
  countOf(principal: string): number {
    let n = this.pendingOf.get(principal) ?? 0;
    for (const s of this.byId.values()) if (s.principal === principal) n++;
    return n;
  }

  private evictable(filter: (s: Session) => boolean = () => true): Session | undefined {
    let best: Session | undefined;
    for (const s of this.byId.values()) if (s.calls === 0 && !s.closed && filter(s) && (!best || s.lastActive < best.lastActive)) best = s;
    return best;
  }

  /** Builds the bookkeeping for a transport: counts its calls, notices when it closes. Register it with add() once it has an id. */
  track(kind: Session['kind'], principal: string, server: Server, transport: Transport): Session {
    const s: Session = { kind, principal, server, transport, calls: 0, open: 0, lastActive: Date.now(), closed: false };
    const pending = new Set<string | number>();
    const settle = (id: string | number) => {
      if (!pending.delete(id)) return;
      s.calls--;
      s.lastActive = Date.now();
      if (--this.inflight === 0) for (const w of this.waiters.splice(0)) w();
    };
    const onmessage = transport.onmessage;
    transport.onmessage = (msg: JSONRPCMessage, extra?: Parameters<NonNullable<Transport['onmessage']>>[1]) => {
      if (isJSONRPCRequest(msg) && !pending.has(msg.id)) {
        pending.add(msg.id);
        s.calls++;
        this.inflight++;
      }
      s.lastActive = Date.now();
      onmessage?.call(transport, msg, extra);
    };
    const send = transport.send.bind(transport);
    transport.send = async (msg, opts) => {
      try {
        return await send(msg, opts);
      } finally {
        if (isJSONRPCResultResponse(msg) || isJSONRPCErrorResponse(msg)) settle(msg.id as string | number);
      }
    };
    const onclose = transport.onclose;
    transport.onclose = () => {
      for (const id of [...pending]) settle(id);
      if (!s.closed) {
        s.closed = true;
        if (s.id) this.byId.delete(s.id);
        this.log.info({ session: s.id, kind }, 'session ended');
      }
      onclose?.call(transport);
    };
    return s;
  }

  add(s: Session, id: string): void {
    s.id = id;
    this.byId.set(id, s);
    this.log.info({ session: id, kind: s.kind, principal: s.principal }, 'session opened');
  }

  /** Marks a session busy for the life of one HTTP request (its response closing ends it). */
  hold(s: Session, onClose: (listener: () => void) => void): void {
    s.open++;
    s.lastActive = Date.now();
    onClose(() => {
      s.open--;
      s.lastActive = Date.now();
    });
  }

  async close(s: Session, why: string): Promise<void> {
    if (s.closed) return;
    s.closed = true;
    if (s.id) this.byId.delete(s.id);
    this.log.info({ session: s.id, kind: s.kind, why }, 'session closed');
    try {
      await s.server.close();
    } catch (e) {
      this.log.debug({ err: e instanceof Error ? e.message : String(e), session: s.id }, 'error closing session');
    }
  }

  /** Closes sessions with no open request and no activity for idleMs. */
  private sweep(): void {
    const now = Date.now();
    for (const s of this.byId.values()) if (s.open === 0 && s.calls === 0 && now - s.lastActive > this.idleMs) void this.close(s, 'idle');
  }

  /** Resolves when no call is in flight, or after timeoutMs. */
  idle(timeoutMs: number): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      t.unref();
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  async closeAll(why: string): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.byId.values()].map((s) => this.close(s, why)));
  }
}
