import { randomBytes } from 'node:crypto';

export const DEFAULT_BASE_URL = 'https://api.maton.ai';
/** The sandbox connection `--sandbox` pins unless --connection (or MATON_CONNECTION_ID) names another. */
export const SANDBOX_DEFAULT_CONNECTION = 'sandbox-acme';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** LOG_LEVEL, default info; anything but a pino level is a usage error. */
export function logLevelOf(env: NodeJS.ProcessEnv): string {
  const level = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(level.toLowerCase())) throw new UsageError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${level}")`);
  return level;
}

export interface Config {
  transport: 'stdio' | 'http';
  host: string;
  port: number;
  sandbox: boolean;
  readOnly: boolean;
  /** Tool or toolset names; undefined = all. */
  tools?: string[];
  /** Pinned Maton connection (flag or env). */
  connectionId?: string;
  noAuth: boolean;
  apiKey?: string;
  baseUrl: string;
  httpToken?: string;
  /** Open MCP sessions at most (MCP_HTTP_MAX_SESSIONS); at the cap the least recently active idle one is closed. */
  httpMaxSessions: number;
  /** A session with nothing open and no activity for this long is closed (MCP_HTTP_SESSION_IDLE_S). */
  httpSessionIdleS: number;
  /** A request's head and body must arrive within this (MCP_HTTP_REQUEST_TIMEOUT_S); its head within min(this, 10 s). */
  httpRequestTimeoutS: number;
  /** OAuth 2.1 resource server mode (MCP_AUTH_ISSUER, MCP_AUTH_AUDIENCE, MCP_AUTH_JWKS_URL). */
  authIssuer?: string;
  authAudience?: string;
  authJwksUrl?: string;
  confirmSecret: Buffer;
  confirmTtlS: number;
  timeoutMs: number;
  /** Total time one gateway call may take, retries and waits included (CHARGEBEE_MCP_RETRY_BUDGET_MS); undefined = the gateway's default. */
  retryBudgetMs?: number;
  rateLimit: number;
  logLevel: string;
  /** Poll interval for wait_for_export: 10 s against the real gateway, 1 s against the sandbox. */
  exportPollMs: number;
  /** How writes are approved: see SPEC "Human approval". */
  approval: Approval;
  /** Append-only JSON-lines audit log of write decisions, or undefined. */
  auditLog?: string;
  /** Shared state (used tokens, target locks, rate limit) for several instances; undefined = in process. */
  redisUrl?: string;
  /** Lease of a confirm's token claim and target lock, renewed every third of it (CHARGEBEE_MCP_LEASE_MS; see guard/lease.ts). */
  leaseMs: number;
}

export const APPROVALS = ['auto', 'human', 'token'] as const;
export type Approval = (typeof APPROVALS)[number];
/** The longest confirm-token lifetime accepted: a used token's record is kept as long as the token lives. */
export const MAX_CONFIRM_TTL_S = 3600;

/**
 * CHARGEBEE_MCP_LEASE_MS bounds. A live confirm renews its claim and lock every third of the lease,
 * and one renewal may wait up to the Redis command timeout (2 s) before it counts as failed: below
 * 3 × 2 s a renewal that hangs once could let the lease lapse under a live holder. Above 25 s a dead
 * holder's claim or lock would not be taken over within 30 s (SPEC "Exactly once").
 */
export const MIN_LEASE_MS = 6_000;
export const MAX_LEASE_MS = 25_000;

/** CHARGEBEE_MCP_LEASE_MS, refused (with why) where a live holder could lose its lease or a dead one would hold it over 30 s. */
function leaseOf(env: NodeJS.ProcessEnv): number {
  const raw = env.CHARGEBEE_MCP_LEASE_MS;
  if (raw === undefined || raw === '') return 15_000;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < MIN_LEASE_MS || n > MAX_LEASE_MS) {
    throw new UsageError(
      `CHARGEBEE_MCP_LEASE_MS must be an integer from ${MIN_LEASE_MS} to ${MAX_LEASE_MS} (got "${raw}"): a confirm renews its lease every third of it and one renewal may wait 2 s for Redis, and a dead instance's lease must run out within 30 s.`,
    );
  }
  return n;
}

export class UsageError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
  }
}

function intEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${name} must be an integer ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`} (got "${raw}").`);
  }
  return n;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}

/** The HTTP transport's auth rules: no token (--no-auth) only on loopback, and no short tokens. token undefined = to be generated. */
export function checkHttpAuth(host: string, token: string | null | undefined): void {
  if (token === null && !isLoopbackHost(host)) {
    throw new UsageError(`--no-auth is only allowed on a loopback host (127.0.0.1, ::1, localhost), not ${host}. Set MCP_HTTP_TOKEN and drop --no-auth to serve other hosts.`);
  }
  if (token && token.length < 16) throw new UsageError('MCP_HTTP_TOKEN must be at least 16 characters.');
}

/** --redis / REDIS_URL: a redis:// or rediss:// URL, checked before anything starts. */
function redisUrlOf(v: string | undefined): string | undefined {
  if (v === undefined || v === '') return undefined;
  let u: URL | undefined;
  try {
    u = new URL(v);
  } catch {}
  if (!u || (u.protocol !== 'redis:' && u.protocol !== 'rediss:') || !u.hostname) {
    throw new UsageError('--redis (REDIS_URL) must be a URL like redis://127.0.0.1:6379/0 (or rediss:// for TLS; credentials as redis://user:password@host:port).');
  }
  return v;
}

function approvalOf(v: string | undefined): Approval {
  if (v === undefined) return 'auto';
  if ((APPROVALS as readonly string[]).includes(v)) return v as Approval;
  throw new UsageError(`--approval (CHARGEBEE_MCP_APPROVAL) must be auto, human or token (got "${v}").`);
}

function urlEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(`${name} must be an absolute URL (got "${raw}").`);
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && isLoopbackHost(u.hostname))) {
    throw new UsageError(`${name} must be an https:// URL (http:// only on a loopback host), got "${raw}".`);
  }
  return raw;
}

/** OAuth settings go together: an issuer needs an audience, and neither mixes with --no-auth. */
function checkOAuth(cfg: Config): void {
  if (!cfg.authIssuer && (cfg.authAudience || cfg.authJwksUrl)) {
    throw new UsageError('MCP_AUTH_AUDIENCE and MCP_AUTH_JWKS_URL only apply with MCP_AUTH_ISSUER: set the issuer (the "iss" of the access tokens) too.');
  }
  if (cfg.authIssuer && !cfg.authAudience) {
    throw new UsageError('MCP_AUTH_ISSUER is set but MCP_AUTH_AUDIENCE is not: set it to the audience ("aud") your authorization server puts in access tokens for this server, usually its public /mcp URL.');
  }
  if (cfg.authIssuer && cfg.noAuth) throw new UsageError('--no-auth cannot be combined with MCP_AUTH_ISSUER: drop one of them.');
}

/** Everything the server needs from flags and environment; throws UsageError with what to fix. */
export function loadConfig(flags: Partial<Config>, env: NodeJS.ProcessEnv = process.env): Config {
  const sandbox = flags.sandbox ?? false;
  const secret = env.CHARGEBEE_MCP_CONFIRM_SECRET;
  const cfg: Config = {
    transport: flags.transport ?? 'stdio',
    host: flags.host ?? '127.0.0.1',
    port: flags.port ?? 3333,
    sandbox,
    readOnly: flags.readOnly ?? false,
    tools: flags.tools,
    connectionId: flags.connectionId ?? (env.MATON_CONNECTION_ID || undefined) ?? (sandbox ? SANDBOX_DEFAULT_CONNECTION : undefined),
    noAuth: flags.noAuth ?? false,
    apiKey: env.MATON_API_KEY || undefined,
    baseUrl: (env.MATON_BASE_URL || DEFAULT_BASE_URL).replace(/\/+$/, ''),
    httpToken: env.MCP_HTTP_TOKEN || undefined,
    httpMaxSessions: intEnv(env, 'MCP_HTTP_MAX_SESSIONS', 100, 1),
    httpSessionIdleS: intEnv(env, 'MCP_HTTP_SESSION_IDLE_S', 1800, 1),
    httpRequestTimeoutS: intEnv(env, 'MCP_HTTP_REQUEST_TIMEOUT_S', 30, 1),
    authIssuer: urlEnv(env, 'MCP_AUTH_ISSUER'),
    authAudience: env.MCP_AUTH_AUDIENCE || undefined,
    authJwksUrl: urlEnv(env, 'MCP_AUTH_JWKS_URL'),
    confirmSecret: secret ? Buffer.from(secret, 'utf8') : randomBytes(32),
    confirmTtlS: intEnv(env, 'CHARGEBEE_MCP_CONFIRM_TTL_S', 300, 1, MAX_CONFIRM_TTL_S),
    timeoutMs: intEnv(env, 'CHARGEBEE_MCP_TIMEOUT_MS', 30_000, 1),
    retryBudgetMs: env.CHARGEBEE_MCP_RETRY_BUDGET_MS ? intEnv(env, 'CHARGEBEE_MCP_RETRY_BUDGET_MS', 0, 1) : undefined,
    rateLimit: intEnv(env, 'CHARGEBEE_MCP_RATE_LIMIT', 10, 0),
    logLevel: logLevelOf(env),
    exportPollMs: sandbox ? 1_000 : 10_000,
    approval: approvalOf(flags.approval ?? (env.CHARGEBEE_MCP_APPROVAL || undefined)),
    auditLog: flags.auditLog ?? (env.CHARGEBEE_MCP_AUDIT_LOG || undefined),
    redisUrl: redisUrlOf(flags.redisUrl ?? (env.REDIS_URL || undefined)),
    // Tests may pass a shorter lease as a flag; operators set it within the bounds.
    leaseMs: flags.leaseMs ?? leaseOf(env),
  };
  if (!sandbox && !cfg.apiKey) {
    throw new UsageError(
      [
        'MATON_API_KEY is not set.',
        'chargebee-mcp reaches Chargebee through the Maton API gateway and needs your Maton API key:',
        '  1. sign in at https://maton.ai and open https://maton.ai/settings',
        '  2. copy your API key and export MATON_API_KEY=<key> (or put it in your MCP client config "env")',
        'To try the server without a key, run it against the built-in sandbox: chargebee-mcp --sandbox',
      ].join('\n'),
    );
  }
  if (!/^https?:\/\/[^/]/i.test(cfg.baseUrl) || !URL.canParse(cfg.baseUrl)) {
    throw new UsageError(`MATON_BASE_URL must be an http(s) URL such as ${DEFAULT_BASE_URL} (got "${env.MATON_BASE_URL}")`);
  }
  // Refuse a bad HTTP set-up before anything starts.
  checkOAuth(cfg);
  if (cfg.transport === 'http') checkHttpAuth(cfg.host, cfg.noAuth ? null : cfg.httpToken);
  if (secret !== undefined && secret.length < 16) {
    throw new UsageError('CHARGEBEE_MCP_CONFIRM_SECRET must be at least 16 characters.');
  }
  return cfg;
}
