/**
 * The Redis ledger and the Redis rate limit against a real redis-server (started here on a free
 * loopback port): the shared ledger contract, Redis going away and coming back without a restart,
 * and one sliding window per account across several limiters (= several instances).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, UsageError } from '../src/config.js';
import { createClient } from 'redis';
import { LedgerCorrupt, LedgerUnavailable } from '../src/guard/ledger.js';
import { createRedisLedger, RedisLedger } from '../src/guard/redis-ledger.js';
import { silentLogger } from '../src/log.js';
import { RateLimiter } from '../src/ratelimit.js';
import { RedisRateLimiter } from '../src/ratelimit-redis.js';
import { ledgerSuite } from './helpers/ledger-suite.js';
import { redisOrSkip, startRedis, type TestRedis } from './helpers/redis.js';

const run = redisOrSkip();
let redis: TestRedis;
const ledgers: RedisLedger[] = [];

beforeAll(async () => {
  if (run) redis = await startRedis();
});
afterAll(async () => {
  await Promise.allSettled(ledgers.map((l) => l.close()));
  await redis?.stop();
});

async function open(): Promise<RedisLedger> {
  const l = await RedisLedger.open(redis.url, silentLogger(), { connectTimeoutMs: 300, commandTimeoutMs: 500 });
  ledgers.push(l);
  return l;
}

describe('--redis / REDIS_URL', () => {
  it('takes redis:// and rediss:// URLs and refuses anything else before starting, saying what to fix', () => {
    expect(loadConfig({ sandbox: true, redisUrl: 'redis://:pw@127.0.0.1:6379/0' }, {}).redisUrl).toBe('redis://:pw@127.0.0.1:6379/0');
    expect(loadConfig({ sandbox: true }, { REDIS_URL: 'rediss://cache.internal:6380' }).redisUrl).toBe('rediss://cache.internal:6380');
    expect(loadConfig({ sandbox: true }, {}).redisUrl).toBeUndefined();
    for (const bad of ['localhost:6379', 'http://127.0.0.1:6379', 'redis://']) {
      expect(() => loadConfig({ sandbox: true, redisUrl: bad }, {})).toThrow(UsageError);
      expect(() => loadConfig({ sandbox: true, redisUrl: bad }, {})).toThrow(/must be a URL like redis:\/\/127\.0\.0\.1:6379\/0/);
    }
  });
});

/** Raw writes to the ledger's keys (another program, or a person at redis-cli). */
async function raw<T>(f: (c: ReturnType<typeof createClient>) => Promise<T>): Promise<T> {
  const c = createClient({ url: redis.url });
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.close();
  }
}

describe.runIf(run)('RedisLedger', () => {
  ledgerSuite('redis', open, (_l, kind, key, text) =>
    raw(async (c) => {
      if (kind === 'token') await c.hSet(`chargebee-mcp:tok:${key}`, { state: 'final', rec: text });
      else await c.set(`chargebee-mcp:unk:${key}`, text);
    }),
  );

  it('a key of the wrong type is LedgerCorrupt naming Redis and WRONGTYPE, not "unreachable"', async () => {
    const l = await open();
    await raw(async (c) => {
      await c.set('chargebee-mcp:tok:wrongtype', 'x');
      await c.hSet('chargebee-mcp:unk:wrongtype', { a: '1' });
    });
    for (const call of [() => l.get('wrongtype'), () => l.swap('wrongtype', undefined, { state: 'claimed', at: 1 }, Date.now() + 1000), () => l.unknownFor('wrongtype')]) {
      const err = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(LedgerCorrupt);
      expect((err as Error).message).toMatch(/^Redis at redis:\/\/127\.0\.0\.1:\d+ answered with an error while .*WRONGTYPE/);
    }
  });

  it('says whether Redis keeps its data (CONFIG GET appendonly / save), and warns once at start when it does not', async () => {
    const l = await open();
    expect(await l.persistent()).toBe(false);
    const lines: Array<{ level: string; msg: string }> = [];
    const logger = { ...silentLogger(), warn: (_o: unknown, msg: string) => lines.push({ level: 'warn', msg }), info: () => undefined, debug: () => undefined } as any;
    const shared = await createRedisLedger(redis.url, logger);
    await shared.close();
    expect(lines.filter((x) => /no AOF, no RDB/.test(x.msg))).toHaveLength(1);
    expect(lines[0]!.msg).toMatch(/Maton connection write .* can go out twice/);
    // RDB snapshots configured (not AOF: turning that on writes files in redis-server's directory).
    await raw((c) => c.configSet('save', '3600 1'));
    try {
      expect(await l.persistent()).toBe(true);
    } finally {
      await raw((c) => c.configSet('save', ''));
    }
  });

  it('is shared: a token claimed through one connection is claimed for every other', async () => {
    const [a, b] = [await open(), await open()];
    const n = `n-${Math.random()}`;
    const claims = await Promise.all([a, b, a, b].map((l) => l.swap(n, undefined, { state: 'claimed', at: Date.now() }, Date.now() + 60_000)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect((await b.get(n))?.state).toBe('claimed');
    expect(a.shared).toBe(true);
  });

  it('a lock taken by one instance holds the other off until released', async () => {
    const [a, b] = [await open(), await open()];
    const release = await a.lock('cust_1', 5_000, 1_000);
    const t0 = Date.now();
    const waiting = b.lock('cust_1', 5_000, 3_000);
    await new Promise((r) => setTimeout(r, 200));
    await release();
    const releaseB = await waiting;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(Date.now() - t0).toBeLessThan(1_000);
    await releaseB();
  });

  it('a holder whose lock expired cannot release the next holder\'s lock (compare-and-delete)', async () => {
    const [a, b] = [await open(), await open()];
    const stale = await a.lock('cust_2', 150, 1_000);
    await new Promise((r) => setTimeout(r, 300));
    const current = await b.lock('cust_2', 5_000, 100);
    await stale();
    await expect(a.lock('cust_2', 5_000, 150)).rejects.toThrow(/stayed locked/);
    await current();
    await (await a.lock('cust_2', 5_000, 100))();
  });

  it('createRedisLedger (what --redis picks) gives a shared ledger', async () => {
    const l = await createRedisLedger(redis.url, silentLogger());
    expect(l).toBeInstanceOf(RedisLedger);
    expect(l.shared).toBe(true);
    await l.close();
  });

  it('Redis stopped: calls fail fast with LedgerUnavailable; Redis back on the same port: works again without a restart', async () => {
    const l = await open();
    const n = `n-${Math.random()}`;
    expect(await l.swap(n, undefined, { state: 'claimed', at: Date.now() }, Date.now() + 60_000)).toBe(true);
    await redis.stop();
    for (const call of [() => l.get(n), () => l.swap('x', undefined, { state: 'claimed', at: Date.now() }, Date.now() + 1000), () => l.lock('t', 1000, 5000), () => l.unknownFor('t')]) {
      const t0 = Date.now();
      const err = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(LedgerUnavailable);
      expect((err as Error).message).toMatch(/^Redis at redis:\/\/127\.0\.0\.1:\d+ did not answer while /);
      expect(Date.now() - t0).toBeLessThan(1_000);
    }
    await redis.start();
    // Reconnects by itself (backoff capped at 1 s); the new server is empty.
    const deadline = Date.now() + 5_000;
    let back = false;
    while (!back && Date.now() < deadline) {
      back = await l.swap(n, undefined, { state: 'claimed', at: Date.now() }, Date.now() + 60_000).catch(() => false);
      if (!back) await new Promise((r) => setTimeout(r, 100));
    }
    expect(back).toBe(true);
    expect((await l.get(n))?.state).toBe('claimed');
  });

  it('Redis hung (accepts, never answers): calls fail with LedgerUnavailable after the command timeout, and work once it answers again', async () => {
    const l = await open();
    expect(await l.get('warm')).toBeUndefined();
    redis.pause();
    try {
      const t0 = Date.now();
      await expect(l.get('x')).rejects.toBeInstanceOf(LedgerUnavailable);
      expect(Date.now() - t0).toBeLessThan(1_500);
    } finally {
      redis.resume();
    }
    const deadline = Date.now() + 5_000;
    let back = false;
    while (!back && Date.now() < deadline) {
      back = await l.get('x').then(() => true, () => false);
      if (!back) await new Promise((r) => setTimeout(r, 100));
    }
    expect(back).toBe(true);
  });

  it('starts without waiting long while Redis is unreachable, and refuses', async () => {
    const port = redis.port + 1 === 65536 ? redis.port - 1 : redis.port + 1;
    const t0 = Date.now();
    const l = await RedisLedger.open(`redis://127.0.0.1:${port}`, silentLogger(), { connectTimeoutMs: 300, commandTimeoutMs: 500 });
    ledgers.push(l);
    expect(Date.now() - t0).toBeLessThan(2_000);
    await expect(l.get('x')).rejects.toBeInstanceOf(LedgerUnavailable);
  });
});

/** Sends `n` requests through `limiters` (round-robin), each answered after `answerMs`; returns the send times. */
async function load(limiters: Array<{ acquire: RateLimiter['acquire'] }>, n: number, answerMs: number): Promise<number[]> {
  const sent: number[] = [];
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const release = await limiters[i % limiters.length]!.acquire(Date.now() + 30_000);
      sent.push(Date.now());
      await new Promise((r) => setTimeout(r, answerMs));
      release();
    }),
  );
  return sent.sort((a, b) => a - b);
}

function busiestSecond(times: number[]): number {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= 1000) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe.runIf(run)('RedisRateLimiter', () => {
  const limiters: RedisRateLimiter[] = [];
  const make = async (apiKey = 'key-1') => {
    const l = new RedisRateLimiter({ url: redis.url, perSecond: 10, apiKey, baseUrl: 'http://gw', logger: silentLogger(), redis: { connectTimeoutMs: 300, commandTimeoutMs: 500 } });
    limiters.push(l);
    expect(await l.ready()).toBe(true);
    return l;
  };
  afterAll(async () => {
    await Promise.allSettled(limiters.map((l) => l.close(new Error('done'))));
  });

  it('three instances together stay within 10 requests in any second (in process they would send 30)', async () => {
    const three = [await make(), await make(), await make()];
    const times = await load(three, 40, 20);
    expect(busiestSecond(times)).toBeLessThanOrEqual(10);
    // 40 requests at 10/s take about 3 windows, not one.
    expect(times.at(-1)! - times[0]!).toBeGreaterThan(2_500);
    // The in-process limiters, for contrast, let 30 go in the first second.
    const local = [new RateLimiter(10), new RateLimiter(10), new RateLimiter(10)];
    expect(busiestSecond(await load(local, 30, 20))).toBe(30);
  }, 30_000);

  it('a slot frees one window after the answer, not after the send', async () => {
    const [a, b] = [await make('key-2'), await make('key-2')];
    // 10 slow requests (answered after 600 ms) fill the window; the 11th may go only ~1 s after those answers.
    const t0 = Date.now();
    const slow = await Promise.all(Array.from({ length: 10 }, () => a.acquire(Date.now() + 10_000)));
    const answered = new Promise<number>((r) =>
      setTimeout(() => {
        slow.forEach((rel) => rel());
        r(Date.now());
      }, 600),
    );
    const release = await b.acquire(Date.now() + 10_000);
    const went = Date.now();
    release();
    expect(went - (await answered)).toBeGreaterThanOrEqual(900);
    expect(went - t0).toBeGreaterThanOrEqual(1_500);
  }, 15_000);

  it('gives up at once with the budget error when no slot can come before the deadline', async () => {
    const l = await make('key-3');
    const held = await Promise.all(Array.from({ length: 10 }, () => l.acquire(Date.now() + 10_000)));
    const t0 = Date.now();
    await expect(l.acquire(Date.now() + 200, undefined, () => new Error('over budget'))).rejects.toThrow('over budget');
    expect(Date.now() - t0).toBeLessThan(150);
    held.forEach((r) => r());
  });

  it('Redis hung: requests still go after at most one command timeout, the next ones at once', async () => {
    const l = await make('key-5');
    (await l.acquire(Date.now() + 5_000))();
    redis.pause();
    try {
      let t0 = Date.now();
      (await l.acquire(Date.now() + 10_000))();
      expect(Date.now() - t0).toBeLessThan(1_500); // commandTimeoutMs 500
      t0 = Date.now();
      const more = await Promise.all(Array.from({ length: 5 }, () => l.acquire(Date.now() + 10_000)));
      expect(Date.now() - t0).toBeLessThan(200);
      more.forEach((r) => r());
    } finally {
      redis.resume();
    }
  });

  it('Redis unreachable: requests still go (counted in process), and the shared window is used again when Redis is back', async () => {
    const l = await make('key-4');
    await redis.stop();
    const t0 = Date.now();
    const times = await load([l], 12, 5);
    // In process: 10 at once, the rest a window later; nothing hangs on the dead Redis.
    expect(busiestSecond(times)).toBeLessThanOrEqual(10);
    expect(Date.now() - t0).toBeLessThan(3_000);
    await redis.start();
    const deadline = Date.now() + 5_000;
    let shared = false;
    const other = new RedisRateLimiter({ url: redis.url, perSecond: 10, apiKey: 'key-4', baseUrl: 'http://gw', logger: silentLogger() });
    limiters.push(other);
    await other.ready();
    while (!shared && Date.now() < deadline) {
      // Fill the shared window from the other instance; once l counts in Redis again it must wait.
      const held = await Promise.all(Array.from({ length: 10 }, () => other.acquire(Date.now() + 10_000)));
      held.forEach((r) => r());
      const s0 = Date.now();
      (await l.acquire(Date.now() + 10_000))();
      shared = Date.now() - s0 > 500;
    }
    expect(shared).toBe(true);
  }, 30_000);
});
