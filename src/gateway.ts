import { randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';
import type { Logger } from './log.js';
import { GatewayError, hintFor } from './errors.js';
import { RateLimiter, sleep } from './ratelimit.js';

export const CHARGEBEE_PREFIX = '/chargebee/api/v2';

export interface GatewayOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  /** Requests per second; 0 = no client-side limit. */
  rateLimit: number;
  logger: Logger;
  /** Total time one call may take, retries and waits included. */
  budgetMs?: number;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Largest Retry-After we are willing to wait, in seconds (the SDK waits forever: we cap). */
  maxRetryAfterS?: number;
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
  | { kind: 'error'; error: Error; sent: boolean; timedOut: boolean };

const RETRY_STATUS = new Set([500, 502, 503, 504]);
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * The one path from any tool to the Maton gateway: injects the key and the
 * connection, rate-limits, retries what is safe to retry, maps errors.
 */
export class Gateway {
  private readonly agent: Agent;
  private readonly limiter: RateLimiter;
  private readonly o: Required<Omit<GatewayOptions, 'logger'>> & { logger: Logger };

  constructor(opts: GatewayOptions) {
    this.o = {
      budgetMs: Math.max(60_000, opts.timeoutMs),
      maxAttempts: 4,
      baseDelayMs: 200,
      maxDelayMs: 5_000,
      maxRetryAfterS: 60,
      ...opts,
      baseUrl: opts.baseUrl.replace(/\/+$/, ''),
    };
    this.agent = new Agent({ connections: 16, keepAliveTimeout: 10_000, pipelining: 1 });
    this.limiter = new RateLimiter(opts.rateLimit);
  }

  get baseUrl(): string {
    return this.o.baseUrl;
  }

  async close(): Promise<void> {
    await this.agent.close();
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
      await this.limiter.acquire(deadline, c.signal, () =>
        this.fail(c, `Rate-limit queue: waiting for a slot under ${this.o.rateLimit} requests/s would exceed the ${this.o.budgetMs / 1000}s budget for ${c.route}.`, {
          source: 'client',
          hint: 'Too many calls at once: wait a few seconds and try again, or make fewer parallel calls.',
          attempts: attempt - 1,
          retryable: true,
        }),
      );
      const t0 = Date.now();
      const res = await this.attempt(c, url, headers, body, Math.min(this.o.timeoutMs, Math.max(1, deadline - t0)));
      const ms = Date.now() - t0;
      const status = res.kind === 'response' ? res.status : undefined;
      this.o.logger.info(
        { gw: { method: c.method, route: c.route, status, attempt, ms, connection: c.connection ?? undefined, error: res.kind === 'error' ? errCode(res.error) : undefined } },
        'gateway call',
      );

      if (res.kind === 'response' && res.status < 400) {
        return {
          status: res.status,
          body: parseBody(res.text),
          replayed: String(res.headers['chargebee-idempotency-replayed'] ?? '') === 'true',
          attempts: attempt,
        };
      }
      if (res.kind === 'error' && c.signal?.aborted) throw c.signal.reason;

      const wait = this.retryWait(res, retrySafe, attempt);
      const remaining = deadline - Date.now();
      if (wait === undefined || attempt >= this.o.maxAttempts || wait >= remaining) {
        throw this.toError(c, res, attempt, wait !== undefined && wait >= remaining && attempt < this.o.maxAttempts);
      }
      await sleep(wait, c.signal);
    }
  }

  /** Milliseconds to wait before the next attempt, or undefined if this outcome must not be retried. */
  private retryWait(res: Attempt, retrySafe: boolean, attempt: number): number | undefined {
    const backoff = () => {
      const exp = Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** (attempt - 1));
      return exp + Math.floor(Math.random() * this.o.baseDelayMs);
    };
    if (res.kind === 'error') {
      const notSent = !res.sent || NOT_SENT_CODES.has(errCode(res.error) ?? '');
      return notSent || retrySafe ? backoff() : undefined;
    }
    if (res.status === 429) {
      // A 429 was not processed: safe to retry whatever the method.
      const ra = retryAfterMs(res.headers['retry-after']);
      if (ra !== undefined) return Math.min(ra, this.o.maxRetryAfterS * 1000) + Math.floor(Math.random() * 50);
      return backoff();
    }
    if (RETRY_STATUS.has(res.status) && retrySafe) return backoff();
    return undefined;
  }

  private async attempt(c: GatewayCall, url: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number): Promise<Attempt> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = c.signal ? AbortSignal.any([c.signal, timeout]) : timeout;
    let sent = false;
    try {
      const res = await request(url, {
        method: c.method,
        headers,
        body,
        dispatcher: this.agent,
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      sent = true;
      const text = await res.body.text();
      return { kind: 'response', status: res.statusCode, headers: res.headers, text };
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      const timedOut = timeout.aborted && !c.signal?.aborted;
      // Without a response we cannot know whether the request reached the server,
      // except for failures to connect at all.
      return { kind: 'error', error: e, sent: sent || !NOT_SENT_CODES.has(errCode(e) ?? ''), timedOut };
    }
  }

  private fail(c: GatewayCall, message: string, info: GatewayError['info']): GatewayError {
    this.o.logger.warn({ gw: { method: c.method, route: c.route, source: info.source, status: info.status } }, message);
    return new GatewayError(message, info);
  }

  private toError(c: GatewayCall, res: Attempt, attempts: number, budgetHit: boolean): GatewayError {
    const tried = attempts > 1 ? ` (after ${attempts} attempts${budgetHit ? ', retry budget exhausted' : ''})` : budgetHit ? ' (retry budget exhausted)' : '';
    if (res.kind === 'error') {
      const what = res.timedOut ? `timed out after ${this.o.timeoutMs} ms` : `failed: ${errCode(res.error) ?? res.error.message}`;
      const unknownOutcome = c.method !== 'GET' && res.sent && !c.idempotencyKey;
      return new GatewayError(`${c.route} ${what}${tried}.`, {
        source: 'network',
        hint: unknownOutcome
          ? 'The request may or may not have been applied: check the resource before trying again.'
          : 'The gateway could not be reached or did not answer in time: try again shortly.',
        attempts,
        retryable: true,
      });
    }
    const parsed = parseBody(res.text);
    const ctype = String(res.headers['content-type'] ?? '');
    if (parsed === undefined || typeof parsed !== 'object' || parsed === null || (!ctype.includes('json') && !res.text.trimStart().startsWith('{'))) {
      return new GatewayError(`${c.route}: upstream failure, HTTP ${res.status} with a non-JSON body${tried}.`, {
        source: 'upstream',
        status: res.status,
        hint: hintFor(undefined, res.status, 'upstream'),
        attempts,
        retryable: res.status >= 500 || res.status === 429,
      });
    }
    const b = parsed as Record<string, unknown>;
    const code = str(b.api_error_code) ?? str(b.error_code);
    if (code !== undefined) {
      const param = str(b.param);
      const msg = str(b.message) ?? str(b.error_msg) ?? 'request failed';
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
    const msg = typeof err === 'string' ? err : (err && typeof err === 'object' ? str((err as Record<string, unknown>).message) : undefined) ?? str(b.message) ?? `HTTP ${res.status}`;
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

function retryAfterMs(v: string | string[] | undefined): number | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (!s) return undefined;
  const n = Number(s);
  if (Number.isFinite(n) && n >= 0) return n * 1000;
  const d = Date.parse(s);
  return Number.isNaN(d) ? undefined : Math.max(0, d - Date.now());
}

function errCode(e: Error): string | undefined {
  const anyE = e as Error & { code?: string; cause?: { code?: string } };
  return anyE.code ?? anyE.cause?.code ?? (e.name === 'TimeoutError' || e.name === 'AbortError' ? e.name : undefined);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
