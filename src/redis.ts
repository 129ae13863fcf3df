/**
 * One Redis connection for the shared state of several instances (--redis): the ledger
 * (src/guard/redis-ledger.ts) and the gateway rate limit (src/ratelimit-redis.ts) each open one.
 *
 * Failure policy: nothing waits for an unreachable Redis. Commands are not queued while the
 * connection is down (they fail at once), each command has a timeout (a Redis that accepts the
 * connection and then hangs), and the client reconnects by itself in the background with a small
 * capped backoff, so Redis coming back needs no restart. The `redis` module is imported on first
 * use: a run without --redis never loads it (a lazy chunk in the bundle).
 */
import type { Logger } from './log.js';

type RedisModule = typeof import('redis');
/** The client as this project uses it: default modules, RESP2. */
export type Redis = ReturnType<RedisModule['createClient']>;

let redisModule: Promise<RedisModule> | undefined;
let loaded: RedisModule | undefined;
/** `redis` is CommonJS: bundled, its namespace may carry the exports under `default`. */
const loadRedis = () => (redisModule ??= import('redis').then((m) => (loaded = 'createClient' in m ? m : (m as { default: RedisModule }).default)));

/** Redis answered with an error reply (WRONGTYPE, NOSCRIPT, ...): it is reachable, the command or the data is wrong. */
export function isErrorReply(e: unknown): e is Error {
  return loaded !== undefined && e instanceof loaded.ErrorReply;
}

export interface RedisOptions {
  /** Longest a connection attempt may take. Default 1000 ms. */
  connectTimeoutMs?: number;
  /** Longest one command may take (see answerWithin). Default 2000 ms. */
  commandTimeoutMs?: number;
  /** How long open() waits for the first connection before returning a client still connecting. Default connectTimeoutMs. */
  startWaitMs?: number;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 2000;

/**
 * A command's answer, or an error after `ms`. node-redis bounds only the wait before a command is
 * written; a Redis that takes the command and then hangs (stopped, swapping, partitioned) would
 * leave the caller waiting for ever. The command itself stays queued and is answered, or fails,
 * with the connection.
 */
export function answerWithin<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** The URL without credentials, for logs and messages: redis://host:port/db. */
export function redisLabel(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
  } catch {
    return 'redis (unparsable URL)';
  }
}

/**
 * Opens a client. Resolves once connected, or after `startWaitMs` with a client that keeps
 * trying in the background (an instance starts even while Redis is down; writes then refuse).
 * Logs one warning when the connection is lost and one line when it is back.
 */
export async function openRedis(url: string, logger: Logger, purpose: string, o: RedisOptions = {}): Promise<Redis> {
  const { createClient } = await loadRedis();
  const connectTimeout = o.connectTimeoutMs ?? 1000;
  const label = redisLabel(url);
  const client = createClient({
    url,
    disableOfflineQueue: true,
    commandOptions: { timeout: o.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS },
    socket: {
      connectTimeout,
      // Keep trying for ever, 50 ms → 1 s apart: Redis coming back is picked up within a second.
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 5), 1000),
    },
  });
  let down = false;
  client.on('error', (e: Error) => {
    if (down) return;
    down = true;
    logger.warn({ redis: label, purpose, err: e.message }, 'Redis unreachable: shared state unavailable until it is back (reconnecting in the background)');
  });
  client.on('ready', () => {
    if (down) logger.info({ redis: label, purpose }, 'Redis reachable again');
    down = false;
  });
  const connected = client.connect().then(
    () => true,
    () => false,
  );
  const waited = await Promise.race([connected, new Promise<false>((r) => setTimeout(() => r(false), o.startWaitMs ?? connectTimeout).unref())]);
  if (!waited && !down) logger.warn({ redis: label, purpose }, 'Redis not reachable at start: going on, reconnecting in the background');
  return client as Redis;
}

/** Closes a client whatever its state (connected, reconnecting). */
export async function closeRedis(client: Redis): Promise<void> {
  if (!client.isOpen) return;
  if (client.isReady) {
    // close() waits for the answers still due: not for ever from a hung Redis.
    await answerWithin(client.close(), 1000).catch(() => client.destroy());
  } else {
    client.destroy();
  }
}
