/**
 * The gateway rate limit shared by every instance pointed at one Redis (--redis): Maton allows
 * `perSecond` requests per second per account, not per process.
 *
 * It counts the way the in-process RateLimiter counts: a request holds a slot from the moment it
 * may be sent until one window after the latest moment the gateway can have counted it — its
 * answer (or `maxSkewMs` after the send while no answer has come). In Redis that is one sorted set
 * per account (the key is a hash of the API key and gateway URL, never the key itself): members are
 * slots, scores are "counted by" times. A Lua script reserves a slot atomically if fewer than
 * `perSecond` slots lie within the window, scored send + maxSkew; the release lowers the score to
 * the answer time. All times are Redis's own clock (TIME), so instances' clocks do not matter.
 *
 * Waiting callers queue in arrival order within the process; only the head asks Redis, sleeping
 * for the lower bound the script returns (at most 200 ms). Between instances, a freed slot goes to
 * the head that has waited longest, so no instance's callers starve behind another's. The
 * concurrency cap (`maxConcurrent`) stays per process.
 * Redis unreachable or not answering: calls go through the in-process limiter instead (reads go
 * on; the instances together may then exceed the account's limit), with one warning per outage.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from './log.js';
import { RateLimiter, type Limiter, type Release, type ThrottleOptions } from './ratelimit.js';
import { answerWithin, closeRedis, DEFAULT_COMMAND_TIMEOUT_MS, openRedis, redisLabel, type Redis, type RedisOptions } from './redis.js';

/**
 * KEYS[1] the account's slots, KEYS[2] its waiting instances (id -> when it started waiting),
 * KEYS[3] when each waiter last asked. ARGV: limit, window + margin (ms), maxSkew (ms), slot id,
 * waiter id, waiter liveness (ms). Returns 0 (reserved) or the ms to wait at least.
 * Free slots go to the instances that have waited longest (a waiter that stopped asking is
 * forgotten after the liveness time), so no instance's callers starve behind the others'.
 */
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local w = tonumber(ARGV[2])
local live = tonumber(ARGV[6])
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now - live)) do redis.call('ZREM', KEYS[2], m) end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - live)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - w)
local free = tonumber(ARGV[1]) - redis.call('ZCARD', KEYS[1])
local rank = redis.call('ZRANK', KEYS[2], ARGV[5])
if not rank then rank = redis.call('ZCARD', KEYS[2]) end
if rank < free then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[4])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) + w + 1000)
  redis.call('ZREM', KEYS[2], ARGV[5])
  redis.call('ZREM', KEYS[3], ARGV[5])
  return 0
end
redis.call('ZADD', KEYS[2], 'NX', now, ARGV[5])
redis.call('ZADD', KEYS[3], now, ARGV[5])
redis.call('PEXPIRE', KEYS[2], live + 1000)
redis.call('PEXPIRE', KEYS[3], live + 1000)
-- a slot is free but an instance that has waited longer gets it: ask again shortly
if free > 0 then return 20 end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, math.min(tonumber(first[2]), now) + w - now)
`;

/** KEYS[1] waiters, KEYS[2] their last-asked times; ARGV[1] waiter id: it stopped waiting. */
const UNWAIT = `
redis.call('ZREM', KEYS[1], ARGV[1])
return redis.call('ZREM', KEYS[2], ARGV[1])
`;

/** KEYS[1] the account's set; ARGV[1] slot id: the slot now counts from the answer (never later than it did). */
const DONE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZADD', KEYS[1], 'XX', 'LT', now, ARGV[1])
`;

/** How often a waiting head asks again at most, and when a waiter that stopped asking is forgotten. */
const POLL_MS = 200;
const LIVENESS_MS = 1_000;
/** How long the limiter counts in process after Redis failed to answer, before it asks again. */
const AVOID_MS = 3_000;

export interface RedisLimiterOptions extends Omit<ThrottleOptions, 'now'> {
  url: string;
  perSecond: number;
  /** Identifies the Maton account: the API key and gateway URL, hashed before use. */
  apiKey: string;
  baseUrl: string;
  logger: Logger;
  redis?: RedisOptions;
}

interface Waiter {
  /** Names this caller among the account's waiters in Redis while it is at the head of this process's queue. */
  id: string;
  /** Listed among the waiters in Redis (it was told to wait at least once). */
  registered?: boolean;
  deadline: number;
  signal?: AbortSignal;
  tooLate(): Error;
  grant(release: Release): void;
  fail(e: unknown): void;
}

export class RedisRateLimiter implements Limiter {
  private client: Redis | undefined;
  private readonly opening: Promise<Redis | undefined>;
  /** Concurrency only: the rate is counted in Redis. */
  private readonly local: RateLimiter;
  /** The whole limit in process, while Redis is unreachable. */
  private readonly fallback: RateLimiter;
  private readonly key: string;
  private readonly windowMs: number;
  private readonly maxSkewMs: number;
  private readonly queue: Waiter[] = [];
  private pumping = false;
  private degraded = false;
  /** After a failed or unanswered command: count in process until then, without asking Redis. */
  private avoidUntil = 0;
  private closed = false;
  private readonly label: string;

  constructor(private readonly o: RedisLimiterOptions) {
    this.local = new RateLimiter(0, { maxConcurrent: o.maxConcurrent ?? 16 });
    this.fallback = new RateLimiter(o.perSecond, { ...o, maxConcurrent: 0 });
    this.windowMs = (o.windowMs ?? 1_000) + (o.marginMs ?? 10);
    this.maxSkewMs = o.maxSkewMs ?? 1_000;
    this.key = `chargebee-mcp:rate:${createHash('sha256').update(`${o.baseUrl}\n${o.apiKey}`).digest('hex').slice(0, 32)}`;
    this.label = redisLabel(o.url);
    this.opening = openRedis(o.url, o.logger, 'rate limit', o.redis).then(
      (c) => {
        if (this.closed) void closeRedis(c);
        else this.client = c;
        return c;
      },
      (e: unknown) => {
        o.logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not set up the shared rate limit: counting in process');
        return undefined;
      },
    );
  }

  stats(): { queued: number; inFlight: number } {
    const l = this.local.stats();
    return { queued: l.queued + this.queue.length + this.fallback.stats().queued, inFlight: l.inFlight };
  }

  async acquire(deadline: number, signal?: AbortSignal, budgetError?: () => Error): Promise<Release> {
    const slot = await this.local.acquire(deadline, signal, budgetError);
    try {
      const rate = await this.rateSlot(deadline, signal, budgetError);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        slot();
        rate();
      };
    } catch (e) {
      slot();
      throw e;
    }
  }

  async close(reason: Error): Promise<void> {
    this.closed = true;
    for (const w of [...this.queue]) w.fail(reason);
    this.local.close(reason);
    this.fallback.close(reason);
    if (this.client) await closeRedis(this.client);
  }

  private rateSlot(deadline: number, signal: AbortSignal | undefined, budgetError: (() => Error) | undefined): Promise<Release> {
    if (!this.client?.isReady || Date.now() < this.avoidUntil) {
      this.degrade('not connected');
      return this.fallback.acquire(deadline, signal, budgetError);
    }
    const tooLate = () => (budgetError ? budgetError() : new Error('rate limit wait exceeds the time budget'));
    return new Promise<Release>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const leave = () => {
        clearTimeout(timer);
        if (waiter.registered) this.unwait(waiter.id);
        signal?.removeEventListener('abort', onAbort);
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
      };
      const onAbort = () => {
        leave();
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        id: randomUUID(),
        deadline,
        signal,
        tooLate,
        grant: (r) => {
          leave();
          resolve(r);
        },
        fail: (e) => {
          leave();
          reject(e);
        },
      };
      const timer = setTimeout(() => waiter.fail(tooLate()), Math.max(0, deadline - Date.now()));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
      void this.pump();
    });
  }

  /** Serves the queue head by head; the only loop that asks Redis for slots. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const head = this.queue[0]!;
        let wait: number;
        try {
          if (!this.client?.isReady) throw new Error('not connected');
          const id = randomUUID();
          wait = Number(
            await answerWithin(this.client.sendCommand(['EVAL', RESERVE, '3', this.key, `${this.key}:waiting`, `${this.key}:asked`, String(this.o.perSecond), String(this.windowMs), String(this.maxSkewMs), id, head.id, String(LIVENESS_MS)]), this.o.redis?.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS),
          );
          head.registered = wait !== 0; // a reservation takes the waiter off the list
          if (wait === 0) {
            this.recovered();
            if (this.queue[0] === head) head.grant(() => this.done(id));
            else this.client.zRem(this.key, id).catch(() => undefined); // the head left (abort, deadline) while we asked: nothing will be sent
            continue;
          }
        } catch (e) {
          // Redis went away or hangs: everyone waiting goes through the in-process limiter, and so
          // does everyone for the next seconds (a hung Redis would otherwise cost each call a timeout).
          this.degrade(e instanceof Error ? e.message : String(e));
          this.avoidUntil = Date.now() + AVOID_MS;
          for (const w of [...this.queue]) this.fallback.acquire(w.deadline, w.signal, w.tooLate).then(w.grant, w.fail);
          this.queue.length = 0;
          break;
        }
        if (Date.now() + wait > head.deadline) {
          // Certain not to get a slot in time: say so now rather than at the deadline.
          head.fail(head.tooLate());
          continue;
        }
        await new Promise((r) => setTimeout(r, Math.min(wait, POLL_MS) + Math.floor(Math.random() * 3)));
      }
    } finally {
      this.pumping = false;
    }
  }

  /** The head left the queue (granted elsewhere, aborted, out of time): others need not wait for it. */
  private unwait(waiterId: string): void {
    if (!this.client?.isReady) return;
    this.client.sendCommand(['EVAL', UNWAIT, '2', `${this.key}:waiting`, `${this.key}:asked`, waiterId]).catch(() => undefined);
  }

  private done(id: string): void {
    if (!this.client?.isReady) return; // the slot's score stays at send + maxSkew: it frees a little later
    this.client.sendCommand(['EVAL', DONE, '1', this.key, id]).catch(() => undefined);
  }

  private degrade(why: string): void {
    if (this.degraded || this.closed) return;
    this.degraded = true;
    this.o.logger.warn(
      { redis: this.label, err: why, perSecond: this.o.perSecond },
      'Redis unreachable: the gateway rate limit is counted in this process only until Redis is back (several instances may together exceed the account limit)',
    );
  }

  private recovered(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.o.logger.info({ redis: this.label }, 'gateway rate limit shared through Redis again');
  }

  /** For tests: resolves once the first connection attempt is over. */
  ready(): Promise<boolean> {
    return this.opening.then((c) => !!c?.isReady);
  }
}
