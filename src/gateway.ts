import { randomUUID } from 'node:crypto';
import type { Agent } from 'undici';

type Undici = typeof import('undici');
let undiciModule: Promise<Undici> | undefined;
/** undici is CommonJS: bundled, its namespace may carry the exports under `default`. */
const loadUndici = () => (undiciModule ??= import('undici').then((m) => ('Agent' in m ? m : (m as { default: Undici }).default)));
import type { Logger } from './log.js';
import { GatewayError, hintFor } from './errors.js';
import { RateLimiter, sleep, type Release } from './ratelimit.js';

export const CHARGEBEE_PREFIX = '/chargebee/api/v2';

export interface GatewayOptions {
  baseUrl: string;
  apiKey: string;
  /** Per-attempt timeout (CHARGEBEE_MCP_TIMEOUT_MS). */
  timeoutMs: number;
  /** Requests per second; 0 = no client-side limit. */
  rateLimit: number;
  logger: Logger;
  /** Total time one call may take, queueing, retries and waits included. Default max(60 s, 2 × timeoutMs). */
  budgetMs?: number;
  /** Attempts per call, the first included. Default 4. */
  maxAttempts?: number;
  /** Backoff: base × 2^(n-1), capped at maxDelayMs, plus up to base of jitter. Default 200 ms. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Largest Retry-After we are willing to wait, in seconds (the SDK waits forever: we cap). Default 60. */
  maxRetryAfterS?: number;
  /** Requests in flight at once (and pooled keep-alive connections). Default 16. */
  maxConcurrent?: number;
}

export interface GatewayCall {
  api: 'chargebee' | 'maton';
  method: 'GET' | 'POST' | 'DELETE';
  /** Route template for logs, e.g. GET /customers/{customer_id}. */
  route: string;
  /** Concrete path, ids already encoded; Chargebee paths are relative to /chargebee/api/v2. */
  path: string;
  query?: string;
  form?: string;
  json?: unknown;
  connection?: string | null;
  /** Sent as chargebee-idempotency-key on every attempt; makes a POST retryable. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export interface GatewayResult {
  status: number;
  body: unknown;
  /** Chargebee answered an idempotent replay of an earlier identical request. */
  replayed: boolean;
  attempts: number;
}

type Attempt =
  | { kind: 'response'; status: number; headers: Record<string, string | string[] | undefined>; text: string }
  | { kind: 'error'; error: Error; code: string | undefined; sent: boolean; timedOut: boolean };

/** Why and how long to wait before the next attempt. */
interface Retry {
  ms: number;
  /** The server asked for this wait (Retry-After), in ms. */
  retryAfterMs?: number;
}

const RETRY_STATUS = new Set([500, 502, 503, 504]);
/** Failures to connect at all: the request certainly did not reach the server. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
const TIMEOUT_CODES = new Set(['TimeoutError', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const CODE_WORDS: Record<string, string> = {
  UND_ERR_SOCKET: 'the connection was closed before a response arrived',
  ECONNRESET: 'the connection was reset',
  ECONNREFUSED: 'the connection was refused',
  ENOTFOUND: 'the host was not found',
  EAI_AGAIN: 'DNS lookup failed',
  UND_ERR_CONNECT_TIMEOUT: 'connecting timed out',
  EPIPE: 'the connection broke while sending',
};

/**
 * The one path from any tool to the Maton gateway: injects the key and the
 * connection, throttles (requests/s and concurrency), retries what is safe to
 * retry within a total time budget, honours cancellation, maps errors, and logs
 * one line per attempt.
 *
 * Retry policy. Reads (GET) and POSTs carrying a chargebee-idempotency-key are
 * retried on 500/502/503/504, connection failures and per-attempt timeouts, with
 * capped exponential backoff plus jitter; any request is retried on 429 (it was
 * not processed) after its Retry-After, and on a failure to connect (never
 * sent). Other 4xx are never retried. A POST without a key (Maton connection
 * writes) is not retried once it may have reached the server.
 */
export class Gateway {
  private agent?: Promise<Agent>;
  private readonly limiter: RateLimiter;
  private readonly o: Required<Omit<GatewayOptions, 'logger'>> & { logger: Logger };

  constructor(opts: GatewayOptions) {
    const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as unknown as GatewayOptions;
    this.o = {
      budgetMs: Math.max(60_000, 2 * opts.timeoutMs),
      maxAttempts: 4,
      baseDelayMs: 200,
      maxDelayMs: 5_000,
      maxRetryAfterS: 60,
      maxConcurrent: 16,
      ...defined,
      baseUrl: opts.baseUrl.replace(/\/+$/, ''),
    };
    this.limiter = new RateLimiter(this.o.rateLimit, { maxConcurrent: this.o.maxConcurrent });
  }

  get baseUrl(): string {
    return this.o.baseUrl;
  }

  private limits(): string {
    const parts = [this.o.rateLimit > 0 ? `${this.o.rateLimit} requests/s` : '', this.o.maxConcurrent > 0 ? `${this.o.maxConcurrent} at once` : ''];
    return parts.filter(Boolean).join(', ');
  }

  /** Requests queued for a rate/concurrency slot and requests in flight. */
  stats(): { queued: number; inFlight: number } {
    return this.limiter.stats();
  }

  async close(): Promise<void> {
    this.limiter.close(new GatewayError('The server is shutting down.', { source: 'client', hint: 'Call again once the server is back.' }));
    if (this.agent) await (await this.agent).close();
  }

  /**
   * undici is about half of the JavaScript a stdio start would load; it is needed only when the
   * first request goes out, so it is imported then (a lazy chunk in the bundle).
   */
  private undici(): Promise<{ agent: Agent; request: Undici['request'] }> {
    this.agent ??= loadUndici().then(
      (u) =>
        new u.Agent({
          connections: this.o.maxConcurrent > 0 ? this.o.maxConcurrent : null,
          keepAliveTimeout: 10_000,
          pipelining: 1,
          connect: { timeout: Math.min(this.o.timeoutMs, 10_000) },
        }),
    );
    return Promise.all([this.agent, loadUndici()]).then(([agent, u]) => ({ agent, request: u.request }));
  }

  async call(c: GatewayCall): Promise<GatewayResult> {
    const started = Date.now();
    const deadline = started + this.o.budgetMs;
    const retrySafe = c.method === 'GET' || c.idempotencyKey !== undefined;
    const url = this.o.baseUrl + (c.api === 'chargebee' ? CHARGEBEE_PREFIX : '') + c.path + (c.query ? `?${c.query}` : '');
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.o.apiKey}`,
      accept: 'application/json',
      'user-agent': 'chargebee-mcp',
    };
    let body: string | undefined;
    if (c.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded; charset=utf-8';
      body = c.form;
    } else if (c.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(c.json);
    }
    if (c.api === 'chargebee' && c.connection) headers['maton-connection'] = c.connection;
    if (c.idempotencyKey) headers['chargebee-idempotency-key'] = c.idempotencyKey;

    for (let attempt = 1; ; attempt++) {
      const release = await this.limiter.acquire(deadline, c.signal, () =>
        this.fail(
          c,
          `${c.route}: not sent — waiting for a slot under the client rate limit (${this.limits()}) would exceed the ${fmtS(this.o.budgetMs)} time budget${attempt > 1 ? ` (after ${attempt - 1} attempts)` : ''}.`,
          {
            source: 'client',
            hint: 'Too many calls at once: wait a few seconds and try again, or make fewer parallel calls.',
            attempts: attempt - 1,
            retryable: true,
          },
        ),
      );
      const t0 = Date.now();
      const res = await this.attempt(c, url, headers, body, Math.min(this.o.timeoutMs, Math.max(1, deadline - t0)), release);
      const ms = Date.now() - t0;

      if (res.kind === 'response' && res.status < 300) {
        const parsed = parseBody(res.text);
        const replayed = header(res.headers, 'chargebee-idempotency-replayed') === 'true';
        this.log(c, attempt, ms, res, { replayed: replayed || undefined });
        if (parsed === undefined) throw this.toError(c, res, attempt, started);
        return { status: res.status, body: parsed, replayed, attempts: attempt };
      }
      if (c.signal?.aborted) {
        this.log(c, attempt, ms, res, { cancelled: true });
        throw c.signal.reason;
      }

      const retry = this.retryWait(res, retrySafe, attempt);
      const remaining = deadline - Date.now();
      this.log(c, attempt, ms, res, retry && attempt < this.o.maxAttempts && retry.ms < remaining ? { retry_in_ms: retry.ms } : {});
      if (retry === undefined) throw this.toError(c, res, attempt, started);
      if (attempt >= this.o.maxAttempts) throw this.toError(c, res, attempt, started, '');
      if (retry.retryAfterMs !== undefined && retry.retryAfterMs > this.o.maxRetryAfterS * 1000) {
        throw this.toError(c, res, attempt, started, `; asked to retry after ${fmtS(retry.retryAfterMs)}, longer than the ${fmtS(this.o.maxRetryAfterS * 1000)} this server waits`);
      }
      if (retry.ms >= remaining) {
        throw this.toError(
          c, res, attempt, started,
          retry.retryAfterMs !== undefined
            ? `; asked to retry after ${fmtS(retry.retryAfterMs)}, beyond the ${fmtS(this.o.budgetMs)} time budget (${fmtS(Math.max(0, remaining))} left)`
            : `; the next retry would exceed the ${fmtS(this.o.budgetMs)} time budget`,
        );
      }
      await sleep(retry.ms, c.signal);
    }
  }

  /** Wait before the next attempt, or undefined if this outcome must not be retried. */
  private retryWait(res: Attempt, retrySafe: boolean, attempt: number): Retry | undefined {
    const jitter = () => Math.floor(Math.random() * this.o.baseDelayMs);
    const backoff = () => Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** (attempt - 1)) + jitter();
    if (res.kind === 'error') return !res.sent || retrySafe ? { ms: backoff() } : undefined;
    if (res.status === 429) {
      // A 429 (Maton's per-account limit or Chargebee's) was not processed: safe to retry whatever the method.
      const ra = retryAfterMs(res.headers['retry-after']);
      if (ra !== undefined) return { ms: ra + Math.floor(Math.random() * 100), retryAfterMs: ra };
      // Chargebee's own limits without a Retry-After (the site's per-minute quota, the 5 running
      // export jobs) do not clear within a retry budget: say so at once.
      const body = parseBody(res.text) as { api_error_code?: string } | undefined;
      if (body?.api_error_code === 'api_request_limit_exceeded') return undefined;
      // Otherwise (Maton's per-second window, a lock timeout): do not come back within the second.
      return { ms: Math.max(1_000, backoff()) };
    }
    if (RETRY_STATUS.has(res.status) && retrySafe) return { ms: backoff() };
    return undefined;
  }

  private async attempt(c: GatewayCall, url: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number, release: Release): Promise<Attempt> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = c.signal ? AbortSignal.any([c.signal, timeout]) : timeout;
    let sent = false;
    try {
      const { agent, request } = await this.undici();
      const res = await request(url, {
        method: c.method,
        headers,
        body,
        dispatcher: agent,
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      sent = true;
      const text = await res.body.text();
      return { kind: 'response', status: res.statusCode, headers: res.headers, text };
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      const code = errCode(e);
      const timedOut = !c.signal?.aborted && (timeout.aborted || TIMEOUT_CODES.has(code ?? ''));
      // Without a response we cannot know whether the request reached the server,
      // except for failures to connect at all.
      return { kind: 'error', error: e, code, sent: sent || !NOT_SENT_CODES.has(code ?? ''), timedOut };
    } finally {
      release();
    }
  }

  /** One line per attempt: method, route template (never ids, query or body), status, attempt, ms. */
  private log(c: GatewayCall, attempt: number, ms: number, res: Attempt, extra: Record<string, unknown>): void {
    const status = res.kind === 'response' ? res.status : undefined;
    const error = res.kind === 'error' ? (res.timedOut ? 'timeout' : (res.code ?? 'network')) : undefined;
    const failed = res.kind === 'error' || res.status === 429 || res.status >= 500;
    const line = { gw: { method: c.method, route: c.route, status, attempt, ms, connection: c.connection ?? undefined, error, ...extra } };
    if (failed && !extra.cancelled) this.o.logger.warn(line, 'gateway call');
    else this.o.logger.info(line, 'gateway call');
  }

  private fail(c: GatewayCall, message: string, info: GatewayError['info']): GatewayError {
    this.o.logger.warn({ gw: { method: c.method, route: c.route, source: info.source, status: info.status } }, message);
    return new GatewayError(message, info);
  }

  /** `why`: undefined when the outcome is not retryable; otherwise why we stopped retrying ('' = attempts used up). */
  private toError(c: GatewayCall, res: Attempt, attempts: number, started: number, why?: string): GatewayError {
    const tried = attempts > 1 || why ? ` (${attempts} attempt${attempts > 1 ? 's' : ''} in ${fmtS(Date.now() - started)}${why ?? ''})` : '';
    const write = c.method !== 'GET';
    if (res.kind === 'error') {
      const what = res.timedOut
        ? `timed out: no answer within ${fmtS(this.o.timeoutMs)} (CHARGEBEE_MCP_TIMEOUT_MS)`
        : `failed: ${CODE_WORDS[res.code ?? ''] ?? res.code ?? res.error.message}`;
      const unsure = write && res.sent;
      return new GatewayError(`${c.route} ${what}${tried}.`, {
        source: 'network',
        hint: !unsure
          ? 'The gateway could not be reached or did not answer in time: try again shortly.'
          : c.idempotencyKey
            ? 'The request may or may not have been applied. Calling again with the same arguments (and the same confirm_token) is safe: it is resent under the same idempotency key and applied at most once.'
            : 'The request may or may not have been applied: check the resource before trying again.',
        attempts,
        retryable: true,
        sent: res.sent,
      });
    }
    const parsed = parseBody(res.text);
    const ctype = String(header(res.headers, 'content-type') ?? '');
    if (parsed === undefined || typeof parsed !== 'object' || parsed === null || (!ctype.includes('json') && !res.text.trimStart().startsWith('{'))) {
      const kind = ctype.split(';')[0]?.trim() || 'unknown type';
      return new GatewayError(`${c.route}: upstream failure, HTTP ${res.status} with a non-JSON body (${kind}, ${res.text.length} bytes) — not a Chargebee answer${tried}.`, {
        source: 'upstream',
        status: res.status,
        hint: hintFor(undefined, res.status >= 300 ? res.status : 502, 'upstream'),
        attempts,
        retryable: res.status >= 500 || res.status === 429,
      });
    }
    const b = parsed as Record<string, unknown>;
    const code = str(b.api_error_code) ?? str(b.error_code);
    if (code !== undefined) {
      const param = str(b.param);
      const msg = clip(str(b.message) ?? str(b.error_msg) ?? 'request failed');
      return new GatewayError(`Chargebee ${res.status} ${code}${param ? ` (param ${param})` : ''}: ${msg}${tried}`, {
        source: 'chargebee',
        status: res.status,
        api_error_code: code,
        param,
        type: str(b.type),
        hint: hintFor(code, res.status, 'chargebee'),
        attempts,
        retryable: res.status === 429 || res.status >= 500,
      });
    }
    const err = b.error;
    const msg = clip(typeof err === 'string' ? err : ((err && typeof err === 'object' ? str((err as Record<string, unknown>).message) : undefined) ?? str(b.message) ?? `HTTP ${res.status}`));
    return new GatewayError(`Maton gateway ${res.status}: ${msg}${tried}`, {
      source: 'maton',
      status: res.status,
      hint: hintFor(undefined, res.status, 'maton'),
      attempts,
      retryable: res.status === 429 || res.status >= 500,
    });
  }
}

export function newIdempotencyKey(): string {
  return `cbmcp-${randomUUID()}`;
}

function parseBody(text: string): unknown {
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function header(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Retry-After in ms: delta-seconds or an HTTP date. */
function retryAfterMs(v: string | string[] | undefined): number | undefined {
  const s = (Array.isArray(v) ? v[0] : v)?.trim();
  if (!s) return undefined;
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const d = Date.parse(s);
  return Number.isNaN(d) ? undefined : Math.max(0, d - Date.now());
}

function errCode(e: Error): string | undefined {
  const anyE = e as Error & { code?: unknown; cause?: { code?: unknown } };
  if (typeof anyE.code === 'string') return anyE.code;
  if (typeof anyE.cause?.code === 'string') return anyE.cause.code;
  return e.name === 'TimeoutError' || e.name === 'AbortError' ? e.name : undefined;
}

function fmtS(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** Upstream messages go to agents verbatim: keep them to a readable length. */
function clip(s: string, max = 500): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
