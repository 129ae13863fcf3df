import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ToolError } from './errors.js';

/** What a confirm token is bound to. */
export interface Binding {
  /** Tool name. */
  tool: string;
  /** Canonical arguments (without confirm_token). */
  args: string;
  /** Effective Maton connection, or null. */
  connection: string | null;
  /** The caller: HTTP principal, or this process on stdio. */
  caller: string;
  /** Target resource_version(s) at preview time, or null. */
  version: string | null;
  /**
   * Person-bound: the previewing client could ask its user (elicitation or the approval card), so
   * only a person's decision may spend the token, never the token alone.
   */
  person?: boolean;
}

interface Claims {
  t: string;
  a: string;
  c: string | null;
  p: string;
  r: string | null;
  e: number;
  n: string;
  /** The issuing process (see ConfirmTokens.instance). */
  i: string;
  /** 1 when person-bound (see Binding.person). */
  h?: 1;
}

export interface VerifiedToken {
  nonce: string;
  /** Digest of the target's resource_version at preview time, or null. */
  version: string | null;
  /** Expiry, ms since epoch. */
  expires: number;
  /** Only a person's decision may spend it (see Binding.person). */
  person: boolean;
}

/** What a token names, read from its signed claims (for the approval card, which has only the token). */
export interface OpenedToken {
  tool: string;
  connection: string | null;
  nonce: string;
}

const PREFIX = 'cbt1';

function b64(buf: Buffer): string {
  return buf.toString('base64url');
}

export function digest(s: string): string {
  return b64(createHash('sha256').update(s).digest()).slice(0, 22);
}

/** Stable JSON: sorted keys, undefined dropped — equal arguments give equal text. */
export function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonical(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

/**
 * HMAC-signed, stateless confirm tokens. Verification says exactly why a token
 * is refused; the single-use guarantee lives with the caller (see Engine).
 */
export class ConfirmTokens {
  /** This process: without a shared ledger, only tokens it issued are accepted (a restart is another process). */
  readonly instance = b64(randomBytes(9));

  constructor(
    private readonly secret: Buffer,
    private readonly ttlS: number,
    private readonly now: () => number = Date.now,
    /** true when a shared ledger lets instances with the same secret confirm each other's tokens. */
    private readonly acceptOtherInstances = false,
  ) {}

  issue(b: Binding): { token: string; expiresAt: string; nonce: string } {
    const claims: Claims = {
      t: b.tool,
      a: digest(b.args),
      c: b.connection,
      p: digest(`caller:${b.caller}`),
      r: b.version === null ? null : digest(b.version),
      e: this.now() + this.ttlS * 1000,
      n: b64(randomBytes(12)),
      i: this.instance,
      ...(b.person ? { h: 1 as const } : {}),
    };
    const payload = b64(Buffer.from(JSON.stringify(claims)));
    return { token: `${PREFIX}.${payload}.${this.sign(payload)}`, expiresAt: new Date(claims.e).toISOString(), nonce: claims.n };
  }

  /**
   * Checks signature, expiry and every binding except the target version (which
   * needs a fresh fetch: see checkVersion). Returns the token's nonce.
   */
  verify(token: string, b: Omit<Binding, 'version' | 'person'>): VerifiedToken {
    const again = 'Call the tool again without confirm_token to preview and get a new token.';
    const c = this.claims(token, again);
    if (c.t !== b.tool) throw new ToolError(`confirm_token was issued for ${c.t}, not ${b.tool}. ${again}`, { reason: 'wrong_tool' });
    if (c.p !== digest(`caller:${b.caller}`)) throw new ToolError(`confirm_token was issued to another client session. ${again}`, { reason: 'wrong_caller' });
    if (c.c !== b.connection) {
      throw new ToolError(`confirm_token was issued for connection ${c.c ?? '(default)'}, but this call goes to ${b.connection ?? '(default)'}. ${again}`, { reason: 'wrong_connection' });
    }
    if (c.a !== digest(b.args)) {
      throw new ToolError(`The arguments differ from the ones previewed: a token confirms exactly the previewed call. Repeat the previewed arguments, or ${again.toLowerCase()}`, { reason: 'args_changed' });
    }
    return { nonce: c.n, version: c.r, expires: c.e, person: c.h === 1 };
  }

  /**
   * Checks signature, issuer and expiry, and says which tool and connection the token is for; the
   * full binding (arguments, caller) is checked by verify() once the arguments are known.
   */
  open(token: string): OpenedToken {
    const c = this.claims(token, 'Preview the change again to get a new token.');
    return { tool: c.t, connection: c.c, nonce: c.n };
  }

  private claims(token: string, again: string): Claims {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== PREFIX) throw new ToolError(`confirm_token is malformed: it is not a token this server issued. ${again}`, { reason: 'malformed' });
    const [, payload, sig] = parts as [string, string, string];
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new ToolError(`confirm_token has an invalid signature: it was altered, or issued by another server instance or secret. ${again}`, { reason: 'bad_signature' });
    }
    let c: Claims;
    try {
      c = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Claims;
    } catch {
      throw new ToolError(`confirm_token is malformed. ${again}`, { reason: 'malformed' });
    }
    if (c.i !== this.instance && !this.acceptOtherInstances) {
      throw new ToolError(
        `confirm_token was issued by another server process (or before this server restarted), and no shared ledger (--redis) tells this process whether it was already used. Nothing was sent. ${again}`,
        { reason: 'foreign_instance' },
      );
    }
    if (this.now() > c.e) throw new ToolError(`confirm_token expired at ${new Date(c.e).toISOString()} (tokens last ${this.ttlS} s). ${again}`, { reason: 'expired' });
    return c;
  }

  /** A short, non-secret name for a token (audit lines): it cannot be turned back into the token. */
  tokenId(nonce: string): string {
    return b64(createHmac('sha256', this.secret).update(`id:${nonce}`).digest()).slice(0, 12);
  }

  /** Refuses when the target changed since the preview. */
  checkVersion(tokenVersion: string | null, current: string | null, what: string): void {
    if (!this.sameVersion(tokenVersion, current)) {
      throw new ToolError(`${what} changed since the preview (its resource_version is different), so the previewed effect may no longer be right. Nothing was sent. Preview again (call without confirm_token) and confirm the new preview.`, { reason: 'target_changed' });
    }
  }

  sameVersion(tokenVersion: string | null, current: string | null): boolean {
    return tokenVersion === (current === null ? null : digest(current));
  }

  /** The write's chargebee-idempotency-key: the same for every attempt made with this token. */
  idempotencyKey(nonce: string): string {
    return `cbmcp-${b64(createHmac('sha256', this.secret).update(`idem:${nonce}`).digest()).slice(0, 32)}`;
  }

  private sign(payload: string): string {
    return b64(createHmac('sha256', this.secret).update(payload).digest());
  }
}
