/** Everything the running sandbox remembers, and how POST /_sandbox/reset restores it. */
import { PublicFiles } from './downloads.js';
import { FaultQueue } from './faults.js';
import { Connections } from './maton.js';
import { RateLimiter } from './ratelimit.js';
import { Clock, DEFAULT_SETTINGS, type Env, type SiteSettings } from './store.js';

export interface LoggedRequest {
  method: string;
  path: string;
  /** Raw query string without `?`; '' when none. */
  query: string;
  /** Lower-cased names; the authorization value is redacted. */
  headers: Record<string, string>;
  body: string;
  at: number;
  /** Parameters Chargebee does not know for the route: ignored, as Chargebee ignores them. */
  unknown_params: string[];
}

/** Oldest entries are dropped beyond this, so a long-running sandbox does not grow without bound. */
const MAX_LOGGED_REQUESTS = 10_000;

export class SandboxState implements Env {
  readonly clock: Clock;
  readonly files = new PublicFiles();
  readonly faults = new FaultQueue();
  readonly limiter: RateLimiter;
  readonly requests: LoggedRequest[] = [];
  connections: Connections;
  settings: SiteSettings = { ...DEFAULT_SETTINGS };
  baseUrl = '';

  constructor(readonly apiKey: string, readonly exportCompleteMs: number, rateLimit: number, now: () => number) {
    this.clock = new Clock(now);
    this.limiter = new RateLimiter(rateLimit, now);
    this.connections = new Connections(this.clock.seconds());
  }

  /** POST /_sandbox/settings: only the known settings, each of its type. */
  setSettings(input: unknown): SiteSettings {
    const given = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
    const next = { ...this.settings };
    for (const [key, value] of Object.entries(given)) {
      if (key === 'credit_option_default' && (value === 'none' || value === 'prorate' || value === 'full')) next.credit_option_default = value;
      else if (key === 'invoice_immediately' && typeof value === 'boolean') next.invoice_immediately = value;
      else throw new Error(`unknown setting or bad value: ${key}=${JSON.stringify(value)} (credit_option_default: none|prorate|full; invoice_immediately: true|false)`);
    }
    this.settings = next;
    return next;
  }

  record(entry: LoggedRequest): void {
    this.requests.push(entry);
    if (this.requests.length > MAX_LOGGED_REQUESTS) this.requests.shift();
  }

  /**
   * Seed data (anchored to the clock's today) and connections restored, site settings back to their
   * defaults; log, faults, idempotency keys, exports, downloads and rate window cleared. A pinned clock
   * stays pinned (POST /_sandbox/clock with `{"now":null}` unpins it).
   */
  reset(): void {
    this.connections = new Connections(this.clock.seconds());
    this.settings = { ...DEFAULT_SETTINGS };
    this.files.clear();
    this.faults.clear();
    this.limiter.clear();
    this.requests.length = 0;
  }
}
