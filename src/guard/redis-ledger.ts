/**
 * The ledger in Redis (--redis): used tokens and first outcomes, per-target confirm locks and
 * unknown-outcome notes shared by every instance pointed at the same Redis, so a token used on one
 * instance is used on all of them. Same contract as MemoryLedger (test/helpers/ledger-suite.ts).
 *
 * Keys (prefix `chargebee-mcp:`): `tok:<nonce>` a hash {state, rec, owner, lease} expiring with the
 * token (lease: when the holder's claim runs out unless renewed, in Redis's clock);
 * `lock:<target>` the lock holder's random owner id (SET NX PX); `unk:<target>` the latest note.
 * Every change that reads before it writes is one Lua script, so it is atomic in Redis.
 *
 * Redis unreachable (down, hung, or still connecting): every method throws LedgerUnavailable
 * within the command timeout; the client reconnects by itself. A command that timed out may still
 * be applied when a hung Redis wakes up: a claim then stays claimed until its lease runs out (the
 * token is refused as in use meanwhile), then the next confirm takes it over; never a second write.
 * A record of the wrong shape, or a Redis error reply (e.g. WRONGTYPE), is LedgerCorrupt, not
 * "unreachable".
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../log.js';
import { answerWithin, closeRedis, DEFAULT_COMMAND_TIMEOUT_MS, openRedis, redisLabel, type Redis, type RedisOptions } from '../redis.js';
import { isErrorReply } from '../redis.js';
import { checkNote, checkRecord, LedgerCorrupt, LedgerUnavailable, LockTimeout, type Ledger, type LockHandle, type TokenRecord, type TokenState, type UnknownNote } from './ledger.js';

const PREFIX = 'chargebee-mcp:';

/** Redis's own clock in ms: leases are kept and compared in it, so instances' clocks may differ. */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * KEYS[1] token hash; ARGV: expected state ('' = no record), new state, record JSON, ttl ms,
 * expected owner ('' = any), new owner ('' = none), lease ms from now ('' = none). The owner and
 * the lease live in their own fields (the lease end in Redis time, renewed by RENEW).
 */
const SWAP = `${NOW}
local cur = redis.call('HGET', KEYS[1], 'state')
if (cur or '') ~= ARGV[1] then return 0 end
if ARGV[5] ~= '' and redis.call('HGET', KEYS[1], 'owner') ~= ARGV[5] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'rec', ARGV[3], 'owner', ARGV[6])
if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'lease', now + tonumber(ARGV[7])) end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`;

/** KEYS[1] token hash; ARGV[1] owner, ARGV[2] lease ms from now: extends a live holder's lease. */
const RENEW = `${NOW}
local st = redis.call('HGET', KEYS[1], 'state')
if st ~= 'claimed' and st ~= 'sent' then return 0 end
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'lease', now + tonumber(ARGV[2]))
return 1
`;

/** KEYS[1] token hash: the record, its lease end and Redis's time (the lease as ms left). */
const GET = `${NOW}
local v = redis.call('HMGET', KEYS[1], 'rec', 'lease')
if not v[1] then return {} end
if not v[2] then return {v[1]} end
return {v[1], tostring(tonumber(v[2]) - now)}
`;

/** KEYS[1] lock; ARGV[1] owner, ARGV[2] hold ms: extends the lock only if this owner still holds it. */
const RELOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/** KEYS[1] token hash; ARGV[1] owner: deletes the record only if this owner still holds it. */
const RELEASE = `
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** KEYS[1] lock; ARGV[1] owner: deletes the lock only if this owner still holds it. */
const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export class RedisLedger implements Ledger {
  readonly shared = true;
  private readonly label: string;

  constructor(
    private readonly redis: Redis,
    url: string,
    private readonly logger: Logger,
    private readonly commandTimeoutMs = DEFAULT_COMMAND_TIMEOUT_MS,
  ) {
    this.label = redisLabel(url);
  }

  /** Connects (waiting at most about a second; without Redis it starts anyway and reconnects). */
  static async open(url: string, logger: Logger, o: RedisOptions = {}): Promise<RedisLedger> {
    return new RedisLedger(await openRedis(url, logger, 'ledger', o), url, logger, o.commandTimeoutMs);
  }

  /** Runs one Redis operation; any failure to get an answer becomes LedgerUnavailable. */
  private async run<T>(what: string, op: (r: Redis) => Promise<T>): Promise<T> {
    if (!this.redis.isReady) throw this.unavailable(what, 'not connected');
    try {
      return await answerWithin(op(this.redis), this.commandTimeoutMs);
    } catch (e) {
      if (e instanceof LockTimeout || e instanceof LedgerUnavailable || e instanceof LedgerCorrupt) throw e;
      // Redis answered, with an error (e.g. WRONGTYPE: a key of ours holds something else): reachable, but not ours to trust.
      if (isErrorReply(e)) throw new LedgerCorrupt(`Redis at ${this.label} answered with an error while ${what}: ${e.message}`);
      throw this.unavailable(what, e instanceof Error ? e.message : String(e));
    }
  }

  private unavailable(what: string, why: string): LedgerUnavailable {
    // Short: the write guard wraps it in the full refusal (nothing sent, reads go on, try again later).
    return new LedgerUnavailable(`Redis at ${this.label} did not answer while ${what}: ${why}; the server reconnects by itself`);
  }

  async swap(nonce: string, from: TokenState | undefined, to: TokenRecord, expiresAt: number, owner?: string): Promise<boolean> {
    const ttl = Math.max(1, Math.ceil(expiresAt - Date.now()));
    // The lease travels as a duration and is kept in Redis time (see NOW).
    const lease = to.lease === undefined ? '' : String(Math.round(to.lease - Date.now()));
    const rec = JSON.stringify({ ...to, lease: undefined });
    const n = await this.run('recording the token', (r) =>
      r.sendCommand<number>(['EVAL', SWAP, '1', `${PREFIX}tok:${nonce}`, from ?? '', to.state, rec, String(ttl), owner ?? '', to.owner ?? '', lease]),
    );
    return Number(n) === 1;
  }

  async renew(nonce: string, owner: string, until: number): Promise<boolean> {
    const n = await this.run('renewing the token claim', (r) => r.sendCommand<number>(['EVAL', RENEW, '1', `${PREFIX}tok:${nonce}`, owner, String(Math.round(until - Date.now()))]));
    return Number(n) === 1;
  }

  async get(nonce: string): Promise<TokenRecord | undefined> {
    const [raw, left] = (await this.run('reading the token', (r) => r.sendCommand<unknown[]>(['EVAL', GET, '1', `${PREFIX}tok:${nonce}`]))) as Array<string | undefined>;
    if (raw === null || raw === undefined) return undefined;
    const rec = checkRecord(String(raw), `Redis at ${this.label}, key ${PREFIX}tok:<token>`);
    if (left !== null && left !== undefined) {
      const ms = Number(left);
      if (!Number.isFinite(ms)) throw new LedgerCorrupt(`Redis at ${this.label}, key ${PREFIX}tok:<token>: the lease is not a number`);
      // In this process's clock: Redis said how much of the lease is left.
      rec.lease = Date.now() + ms;
    }
    return rec;
  }

  async release(nonce: string, owner?: string): Promise<void> {
    const k = `${PREFIX}tok:${nonce}`;
    await this.run('releasing the token', async (r) => {
      if (owner === undefined) await r.del(k);
      else await r.sendCommand(['EVAL', RELEASE, '1', k, owner]);
    });
  }

  async lock(key: string, holdMs: number, waitMs: number, signal?: AbortSignal): Promise<LockHandle> {
    const k = `${PREFIX}lock:${key}`;
    const owner = randomBytes(12).toString('base64url');
    const deadline = Date.now() + waitMs;
    // Poll with a small growing backoff: a lock is held for one confirm (a few hundred ms).
    for (let delay = 10; ; delay = Math.min(delay * 2, 100)) {
      signal?.throwIfAborted();
      const got = await this.run('taking the target lock', (r) => r.set(k, owner, { condition: 'NX', expiration: { type: 'PX', value: Math.max(1, Math.ceil(holdMs)) } }));
      if (got === 'OK') break;
      const left = deadline - Date.now();
      if (left <= 0) throw new LockTimeout(`target ${key} stayed locked for ${waitMs} ms`);
      await new Promise((r) => setTimeout(r, Math.min(left, delay + Math.floor(Math.random() * delay))));
    }
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      try {
        await this.run('releasing the target lock', (r) => r.sendCommand(['EVAL', UNLOCK, '1', k, owner]));
      } catch (e) {
        // The lock expires by itself after holdMs: others wait at most that long.
        this.logger.warn({ err: e instanceof Error ? e.message : String(e), holdMs }, 'could not release a target lock in Redis: it expires by itself');
      }
    };
    const renew = async () => {
      if (released) return false;
      const n = await this.run('renewing the target lock', (r) => r.sendCommand<number>(['EVAL', RELOCK, '1', k, owner, String(Math.max(1, Math.ceil(holdMs)))]));
      return Number(n) === 1;
    };
    return Object.assign(release, { renew });
  }

  async noteUnknown(key: string, note: UnknownNote, ttlMs: number): Promise<void> {
    await this.run('noting an unknown outcome', (r) => r.set(`${PREFIX}unk:${key}`, JSON.stringify(note), { expiration: { type: 'PX', value: Math.max(1, Math.ceil(ttlMs)) } }));
  }

  async unknownFor(key: string): Promise<UnknownNote | undefined> {
    const raw = await this.run('reading unknown-outcome notes', (r) => r.get(`${PREFIX}unk:${key}`));
    return raw === null || raw === undefined ? undefined : checkNote(String(raw), `Redis at ${this.label}, key ${PREFIX}unk:<target>`);
  }

  /**
   * Whether Redis keeps its data across a restart (AOF or RDB snapshots). undefined when it cannot
   * be told: not connected, or CONFIG disabled/renamed (managed Redis often does this).
   */
  async persistent(): Promise<boolean | undefined> {
    if (!this.redis.isReady) return undefined;
    try {
      const get = async (k: string) => {
        // [name, value] (RESP2) or { name: value } (as this client maps it); empty when CONFIG hides it.
        const reply = (await answerWithin(this.redis.sendCommand<unknown>(['CONFIG', 'GET', k]), this.commandTimeoutMs)) as unknown;
        const v = Array.isArray(reply) ? reply[1] : reply instanceof Map ? reply.get(k) : (reply as Record<string, unknown> | null)?.[k];
        return v === undefined || v === null ? undefined : String(v);
      };
      const [aof, save] = [await get('appendonly'), await get('save')];
      if (aof === undefined || save === undefined) return undefined;
      return aof === 'yes' || save.trim() !== '';
    } catch (e) {
      this.logger.debug({ err: e instanceof Error ? e.message : String(e) }, 'could not read the Redis persistence settings (CONFIG GET)');
      return undefined;
    }
  }

  async close(): Promise<void> {
    await closeRedis(this.redis);
  }
}

/** The ledger with --redis (REDIS_URL); src/runtime.ts picks it (MemoryLedger without). */
export async function createRedisLedger(url: string, logger: Logger): Promise<Ledger> {
  const ledger = await RedisLedger.open(url, logger);
  logger.info({ redis: redisLabel(url) }, 'used tokens, target locks and unknown-outcome notes are shared through Redis');
  if ((await ledger.persistent()) === false) {
    logger.warn(
      { redis: redisLabel(url), appendonly: 'no', save: '' },
      'Redis keeps no data across a restart (no AOF, no RDB snapshots): if it restarts while a write is in flight, the token records are lost and a Maton connection write (create_connection, which has no idempotency key) can go out twice. Enable appendonly yes (or RDB save) on this Redis.',
    );
  }
  return ledger;
}
