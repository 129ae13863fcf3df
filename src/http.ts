import { checkHttpAuth, UsageError, type Config } from './config.js';
import { setupAuth, type AuthSetup, type OAuthOptions } from './http/auth.js';
import { listenHttp, type Listener } from './http/listener.js';
import { hostPolicy } from './http/policy.js';
import { router } from './http/routes.js';
import { Sessions } from './http/sessions.js';
import type { Runtime } from './runtime.js';

/**
 * MCP over HTTP on plain node:http, put together from src/http/: the port opened once
 * (listener.ts), the Host/Origin policy (policy.ts), bearer tokens and OAuth (auth.ts, on the
 * SDK's helpers), the endpoints (routes.ts) and the session table (sessions.ts: caps, eviction,
 * idle expiry, principal binding). This file wires them and drains them on close.
 */

export interface HttpOptions {
  host: string;
  port: number;
  /** Bearer token every request must carry; null = no static token (--no-auth, or OAuth only). The CLI's comes from config (MCP_HTTP_TOKEN or generated there). */
  token: string | null;
  /** OAuth 2.1 resource server mode: JWT access tokens from this issuer for this audience. */
  oauth?: OAuthOptions;
  /** This server's /mcp URL as clients see it (advertised in the OAuth metadata). Default: the audience when it is an http(s) URL, else {url}/mcp. */
  resourceUrl?: string;
  /** Open sessions (both transports together); at the cap the least recently active idle session is closed. Default 100. */
  maxSessions?: number;
  /** Open sessions of one principal; at it, that principal's own least recently active idle session is closed. Default 20. */
  maxSessionsPerPrincipal?: number;
  /** A session with no request in flight and no open stream for this long is closed. Default 30 min. */
  idleMs?: number;
  /** Largest accepted request body. Default 1 MiB. */
  maxBodyBytes?: number;
  /** A request's head must arrive within this. Default 10 s (at most requestTimeoutMs). */
  headersTimeoutMs?: number;
  /** A request's head and body must arrive within this (a slow or stalled upload is cut). Default 30 s. */
  requestTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this. Default 5 s. */
  keepAliveTimeoutMs?: number;
  /** Extra accepted Host/Origin host names ("name" = any port, "name:port" = that port), e.g. behind a reverse proxy. */
  allowedHosts?: string[];
  /** Keep-alive comment interval on SSE streams. Default 15 s. */
  keepAliveMs?: number;
  /** How long close() waits for in-flight calls before closing sessions anyway. Default 10 s. */
  drainMs?: number;
  /** A port opened already (listenHttp; it answers 503 until now); default: listen on host:port here. */
  listener?: Listener;
}

export interface HttpServerHandle {
  /** Base URL, e.g. http://127.0.0.1:3333 (endpoints: /mcp, /sse, /messages). */
  url: string;
  host: string;
  port: number;
  /** The static bearer token in force (null with none). */
  token: string | null;
  /** How clients authenticate (for the start-up log). */
  authMode: string;
  /** With OAuth: where the protected resource metadata is served. */
  resourceMetadataUrl?: string;
  /** Number of open sessions. */
  sessionCount(): number;
  /** Graceful: stop accepting, let in-flight calls finish (up to drainMs), close every session, close the listener. */
  close(): Promise<void>;
}

const DEFAULTS = {
  maxSessions: 100,
  maxSessionsPerPrincipal: 20,
  idleMs: 30 * 60_000,
  maxBodyBytes: 1024 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  keepAliveMs: 15_000,
  drainMs: 10_000,
};

/** Opens the CLI's port early (before the runtime starts), with the config's timeouts. */
export function listenEarly(config: Config): Promise<Listener> {
  return listenHttp({ ...DEFAULTS, host: config.host, port: config.port, requestTimeoutMs: config.httpRequestTimeoutS * 1000 });
}

/** Serves MCP on host:port (port 0 = any free port) or on opts.listener. Throws UsageError for --no-auth off loopback or a bad OAuth set-up. */
export async function startHttpServer(rt: Runtime, opts: HttpOptions): Promise<HttpServerHandle> {
  const o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as typeof DEFAULTS & HttpOptions;
  if (!o.oauth || o.token) checkHttpAuth(o.host, o.token);
  const listener = o.listener ?? (await listenHttp(o));
  const server = listener.server;
  let auth: AuthSetup;
  try {
    // The OAuth metadata names this server's URL, which needs the port.
    const resource = new URL(o.resourceUrl ?? (o.oauth && /^https?:\/\//.test(o.oauth.audience) ? o.oauth.audience : `${listener.url}/mcp`));
    auth = await setupAuth({ token: o.token, oauth: o.oauth, resource });
  } catch (e) {
    server.close();
    server.closeAllConnections();
    throw e;
  }
  const log = rt.logger.child({ component: 'http' });
  const sessions = new Sessions(o.maxSessions, o.idleMs, log, o.maxSessionsPerPrincipal);
  let draining = false;
  const policy = hostPolicy(listener.host, listener.port, o.allowedHosts ?? []);
  listener.serve(router({ rt, log, sessions, policy, auth, maxBodyBytes: o.maxBodyBytes, keepAliveMs: o.keepAliveMs, draining: () => draining }));

  let closed: Promise<void> | undefined;
  return {
    url: listener.url,
    host: listener.host,
    port: listener.port,
    token: o.token,
    authMode: auth.mode,
    resourceMetadataUrl: auth.resourceMetadataUrl,
    sessionCount: () => sessions.size,
    close() {
      closed ??= (async () => {
        draining = true;
        const listenerClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        if (sessions.callsInFlight) log.info({ calls: sessions.callsInFlight }, 'waiting for in-flight calls');
        await sessions.idle(o.drainMs);
        await sessions.closeAll('shutdown');
        // Let the last responses flush before cutting what is left.
        setTimeout(() => server.closeAllConnections(), 200).unref();
        await listenerClosed;
      })();
      return closed;
    },
  };
}

/**
 * `chargebee-mcp --transport http`: serves until SIGINT/SIGTERM. Takes host, port, token and
 * --no-auth from rt.config; a token config generated is printed once to stderr.
 */
export async function serveHttp(rt: Runtime, opts: { onListening?(url: string): void; signals?: boolean; listener?: Listener } = {}): Promise<HttpServerHandle> {
  const { config } = rt;
  const oauth = config.authIssuer && config.authAudience ? { issuer: config.authIssuer, audience: config.authAudience, jwksUrl: config.authJwksUrl } : undefined;
  const token = config.noAuth ? null : (config.httpToken ?? null);
  if (!token && !oauth && !config.noAuth) throw new UsageError('the HTTP transport needs MCP_HTTP_TOKEN, MCP_AUTH_ISSUER or --no-auth (load the config with transport "http")');
  const handle = await startHttpServer(rt, {
    host: config.host,
    port: config.port,
    token,
    oauth,
    allowedHosts: config.httpAllowedHosts,
    maxSessions: config.httpMaxSessions,
    maxSessionsPerPrincipal: config.httpMaxSessionsPerPrincipal,
    idleMs: config.httpSessionIdleS * 1000,
    requestTimeoutMs: config.httpRequestTimeoutS * 1000,
    listener: opts.listener,
  });
  if (config.httpTokenGenerated && token) {
    process.stderr.write(
      [
        '',
        'chargebee-mcp: MCP_HTTP_TOKEN is not set, so this run generated a bearer token (shown only once):',
        '',
        `MCP_HTTP_TOKEN=${token}`,
        '',
        `Clients must send "Authorization: Bearer <token>" to ${handle.url}/mcp (or ${handle.url}/sse).`,
        'Set MCP_HTTP_TOKEN yourself to keep the same token across restarts.',
        '',
      ].join('\n') + '\n',
    );
  }
  rt.logger.info(
    { url: handle.url, mcp: `${handle.url}/mcp`, sse: `${handle.url}/sse`, auth: handle.authMode, resourceMetadata: handle.resourceMetadataUrl, maxSessions: config.httpMaxSessions, maxSessionsPerPrincipal: config.httpMaxSessionsPerPrincipal, tools: rt.engine.listTools().length, sandbox: config.sandbox, readOnly: config.readOnly },
    'chargebee-mcp ready on HTTP',
  );
  opts.onListening?.(handle.url);
  if (opts.signals !== false) {
    let stopping = false;
    const shutdown = (why: string) => {
      if (stopping) {
        process.exit(1);
      }
      stopping = true;
      rt.logger.info({ why }, 'shutting down: finishing in-flight calls');
      const force = setTimeout(() => process.exit(1), 15_000);
      force.unref();
      void handle
        .close()
        .then(() => rt.close())
        .catch((e: unknown) => rt.logger.error({ err: e instanceof Error ? e.message : String(e) }, 'error during shutdown'))
        .finally(() => process.exit(0));
    };
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));
  }
  return handle;
}
