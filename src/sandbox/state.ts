/** Everything the running sandbox remembers, and how POST /_sandbox/reset restores it. */
import { PublicFiles } from './downloads.js';
import { FaultQueue } from './faults.js';
import { Connections } from './maton.js';
import { RateLimiter } from './ratelimit.js';
import { Clock, type Env } from './store.js';

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
  connections = new Connections();
  baseUrl = '';

  constructor(readonly apiKey: string, readonly exportCompleteMs: number, rateLimit: number, now: () => number) {
    this.clock = new Clock(now);
    this.limiter = new RateLimiter(rateLimit, now);
  }

  record(entry: LoggedRequest): void {
    this.requests.push(entry);
    if (this.requests.length > MAX_LOGGED_REQUESTS) this.requests.shift();
  }

  /** Seed data and connections restored; log, faults, idempotency keys, exports, downloads and rate window cleared. */
  reset(): void {
    this.connections = new Connections();
    this.files.clear();
    this.faults.clear();
    this.limiter.clear();
    this.requests.length = 0;
  }
}
