import { randomBytes, randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname as osHostname, networkInterfaces } from 'node:os';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, isInitializeRequest, isJSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import express, { type NextFunction, type Request, type Response } from 'express';
import { checkHttpAuth, isLoopbackHost } from './config.js';
import { principalOf, setupAuth, type OAuthOptions } from './http/auth.js';
import { SessionCapError, Sessions, type Session } from './http/sessions.js';
import type { Runtime } from './runtime.js';
import { createServer } from './server.js';

/**
 * MCP over HTTP: Streamable HTTP at /mcp (stateful sessions) and the legacy HTTP+SSE transport
 * at /sse + /messages, on an express app. The SDK transports speak the protocol and the SDK's
 * auth helpers check bearer tokens (src/http/auth.ts); this file does the guards around them
 * (Host/Origin, body cap, slow-client timeouts) and routes requests to sessions
 * (src/http/sessions.ts: cap, eviction, idle expiry, principal binding).
 */

export interface HttpOptions {
  host: string;
  port: number;
  /** Bearer token every request must carry; null = no static token (--no-auth, or OAuth only); undefined = generate one (see handle.token), unless oauth is set. */
  token?: string | null;
  /** OAuth 2.1 resource server mode: JWT access tokens from this issuer for this audience. */
  oauth?: OAuthOptions;
  /** This server's /mcp URL as clients see it (advertised in the OAuth metadata). Default: the audience when it is an http(s) URL, else {url}/mcp. */
  resourceUrl?: string;
  /** Open sessions (both transports together); at the cap the least recently active idle session is closed. Default 100. */
  maxSessions?: number;
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
  idleMs: 30 * 60_000,
  maxBodyBytes: 1024 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  keepAliveMs: 15_000,
  drainMs: 10_000,
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code = -32000,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function isWildcardHost(host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** Host name as it appears in a URL / Host header: IPv6 in brackets, lower case. */
function urlHostname(host: string): string {
  const h = host.toLowerCase();
  return h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, e: HttpError): void {
  sendJson(res, e.status, { jsonrpc: '2.0', error: { code: e.code, message: e.message }, id: null }, e.headers);
}

/** The Host/Origin policy: which host[:port] values a request may name. */
function hostPolicy(boundHost: string, port: number, extra: string[]): (hostname: string, port: string) => boolean {
  const withPort = new Set<string>();
  const anyPort = new Set<string>();
  const p = String(port);
  const add = (h: string) => withPort.add(`${urlHostname(h)}:${p}`);
  if (isWildcardHost(boundHost)) {
    for (const h of ['localhost', '127.0.0.1', '::1', osHostname()]) add(h);
    for (const list of Object.values(networkInterfaces())) for (const ni of list ?? []) add(ni.address.replace(/%.*$/, ''));
  } else {
    add(boundHost);
    if (isLoopbackHost(boundHost)) for (const h of ['localhost', '127.0.0.1', '::1']) add(h);
  }
  for (const e of extra) {
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(e.trim().toLowerCase());
    if (!m?.[1]) continue;
    if (m[2]) withPort.add(`${urlHostname(m[1])}:${m[2]}`);
    else anyPort.add(urlHostname(m[1]));
  }
  return (hostname, reqPort) => withPort.has(`${hostname}:${reqPort}`) || anyPort.has(hostname);
}

function parseHostHeader(value: string): { hostname: string; port: string } | undefined {
  if (!/^[a-z0-9.\-_]+(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/i.test(value)) return undefined;
  try {
    const u = new URL(`http://${value}`);
    return { hostname: u.hostname, port: u.port || '80' };
  } catch {
    return undefined;
  }
}

function parseOrigin(value: string): { hostname: string; port: string } | undefined {
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    return { hostname: u.hostname, port: u.port || (u.protocol === 'https:' ? '443' : '80') };
  } catch {
    return undefined;
  }
}

type Handler = (req: Request, res: Response) => Promise<unknown>;

/** Starts the HTTP server on host:port (port 0 = any free port). Throws UsageError for --no-auth on a non-loopback host or a bad OAuth set-up. */
export async function startHttpServer(rt: Runtime, opts: HttpOptions): Promise<HttpServerHandle> {
  const o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as typeof DEFAULTS & HttpOptions;
  const token = opts.token === undefined ? (opts.oauth ? null : randomBytes(32).toString('base64url')) : opts.token;
  if (!opts.oauth || token) checkHttpAuth(o.host, token);
  const log = rt.logger.child({ component: 'http' });
  const sessions = new Sessions(o.maxSessions, o.idleMs, log);
  let closing = false;
  let hostAllowed: (hostname: string, port: string) => boolean = () => false;

  /** A fresh server + session for one transport; registered under its id by the caller. */
  const openSession = async (kind: Session['kind'], transport: Transport, principal: string): Promise<Session> => {
    const server = createServer(rt, principal);
    transport.onerror = (e) => log.debug({ err: e.message }, 'transport error');
    await server.connect(transport);
    return sessions.track(kind, principal, server, transport);
  };

  const hold = (s: Session, res: Response) => sessions.hold(s, (l) => res.on('close', l));

  /** Sessions are looked up per principal: to anyone else a session id does not exist. */
  const sessionFor = (id: string | undefined, kind: Session['kind'], principal: string): Session => {
    const s = sessions.get(id);
    if (!s || s.kind !== kind || s.principal !== principal) throw new HttpError(404, 'Session not found: it never existed, expired or was closed. Start a new session (initialize).', -32001);
    return s;
  };

  const reserve = () => {
    try {
      return sessions.reserve();
    } catch (e) {
      if (e instanceof SessionCapError) throw new HttpError(503, e.message, -32000, { 'Retry-After': '5' });
      throw e;
    }
  };

  const handleMcp: Handler = async (req, res) => {
    const sid = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(sid) ? sid[0] : sid;
    const principal = principalOf(req);
    if (req.method === 'POST') {
      const body: unknown = req.body;
      if (!sessionId) {
        const isInit = Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body);
        if (!isInit) {
          // A 2026-07-28 client probes with server/discover before falling back to initialize: answer
          // as a 2025 server answers a method it does not know, so the client falls back quietly.
          if (isJSONRPCRequest(body) && body.method === 'server/discover') {
            res.status(200).json({ jsonrpc: '2.0', id: body.id, error: { code: ErrorCode.MethodNotFound, message: 'Method not found: server/discover. This server speaks MCP 2025-11-25 and earlier: start a session with initialize.' } });
            return;
          }
          throw new HttpError(400, 'Bad Request: no Mcp-Session-Id header; the first request of a session must be initialize.');
        }
        const release = reserve();
        try {
          let s: Session | undefined;
          const transport = new StreamableHTTPServerTransport({
            sessionIdGenerator: () => randomUUID(),
            onsessioninitialized: (id) => {
              if (!s) return;
              sessions.add(s, id);
              release();
            },
            onsessionclosed: (id) => {
              const cur = sessions.get(id);
              if (cur) void sessions.close(cur, 'DELETE');
            },
            keepAliveMs: o.keepAliveMs,
          });
          s = await openSession('streamable', transport, principal);
          hold(s, res);
          await transport.handleRequest(req, res, body);
          if (!s.id) await sessions.close(s, 'initialize failed');
          res.locals.session = s.id;
        } finally {
          release();
        }
        return;
      }
      const s = sessionFor(sessionId, 'streamable', principal);
      hold(s, res);
      await (s.transport as StreamableHTTPServerTransport).handleRequest(req, res, body);
      return;
    }
    if (req.method === 'GET' || req.method === 'DELETE') {
      if (!sessionId) {
        // No stream without a session (clients that open one early take 405 as "none here").
        if (req.method === 'GET') throw new HttpError(405, 'Method not allowed: GET /mcp needs an Mcp-Session-Id (start a session with POST initialize first).', -32000, { Allow: 'POST' });
        throw new HttpError(400, 'Bad Request: Mcp-Session-Id header is required.');
      }
      const s = sessionFor(sessionId, 'streamable', principal);
      if (req.method === 'GET') req.socket.setTimeout(0);
      hold(s, res);
      await (s.transport as StreamableHTTPServerTransport).handleRequest(req, res);
      return;
    }
    throw new HttpError(405, 'Method not allowed: /mcp takes GET, POST and DELETE.', -32000, { Allow: 'GET, POST, DELETE' });
  };

  const handleSse: Handler = async (req, res) => {
    if (req.method !== 'GET') throw new HttpError(405, 'Method not allowed: /sse takes GET.', -32000, { Allow: 'GET' });
    const release = reserve();
    try {
      const transport = new SSEServerTransport('/messages', res);
      req.socket.setTimeout(0);
      req.socket.setNoDelay(true);
      const s = await openSession('sse', transport, principalOf(req));
      sessions.add(s, transport.sessionId);
      res.locals.session = s.id;
      hold(s, res);
      const keepAlive = setInterval(() => {
        if (!res.writableEnded) res.write(': keepalive\n\n');
      }, o.keepAliveMs);
      keepAlive.unref();
      res.on('close', () => {
        clearInterval(keepAlive);
        void sessions.close(s, 'client disconnected');
      });
    } finally {
      release();
    }
  };

  const handleMessages: Handler = async (req, res) => {
    if (req.method !== 'POST') throw new HttpError(405, 'Method not allowed: /messages takes POST.', -32000, { Allow: 'POST' });
    const s = sessionFor(typeof req.query.sessionId === 'string' ? req.query.sessionId : undefined, 'sse', principalOf(req));
    hold(s, res);
    await (s.transport as SSEServerTransport).handlePostMessage(req, res, req.body);
  };

  const checkHost = (req: IncomingMessage) => {
    const host = req.headers.host;
    const h = host ? parseHostHeader(host) : undefined;
    if (!h || !hostAllowed(h.hostname, h.port)) throw new HttpError(403, `Forbidden: Host header ${JSON.stringify(host ?? '')} is not one this server answers to.`);
  };

  const checkOrigin = (req: IncomingMessage) => {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      const oh = parseOrigin(origin);
      if (!oh || !hostAllowed(oh.hostname, oh.port)) throw new HttpError(403, `Forbidden: Origin ${JSON.stringify(origin)} is not allowed.`);
    }
  };

  const guard = (check: (req: IncomingMessage) => void) => (req: Request, _res: Response, next: NextFunction) => {
    check(req);
    next();
  };

  // Listen first (the OAuth metadata names this server's URL, which needs the port); requests
  // that arrive before the app is ready are told to retry.
  let app: express.Express | undefined;
  const httpServer = http.createServer(
    {
      headersTimeout: Math.min(o.headersTimeoutMs, o.requestTimeoutMs),
      requestTimeout: o.requestTimeoutMs,
      keepAliveTimeout: o.keepAliveTimeoutMs,
      // How often Node checks the two timeouts above (default 30 s, too coarse for short ones).
      connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(Math.min(o.headersTimeoutMs, o.requestTimeoutMs) / 4))),
    },
    (req, res) => {
      if (app) app(req, res);
      else sendError(res, new HttpError(503, 'Server is starting.', -32000, { 'Retry-After': '1' }));
    },
  );
  httpServer.on('clientError', (err, socket) => {
    if (socket.writable) socket.end(`HTTP/1.1 ${(err as { code?: string }).code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request'}\r\nConnection: close\r\n\r\n`);
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(o.port, o.host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const port = (httpServer.address() as AddressInfo).port;
  hostAllowed = hostPolicy(o.host, port, o.allowedHosts ?? []);
  const shownHost = isWildcardHost(o.host) ? '127.0.0.1' : urlHostname(o.host);
  const url = `http://${shownHost}:${port}`;

  let auth;
  try {
    const resource = new URL(o.resourceUrl ?? (opts.oauth && /^https?:\/\//.test(opts.oauth.audience) ? opts.oauth.audience : `${url}/mcp`));
    auth = await setupAuth({ token, oauth: opts.oauth, resource });
  } catch (e) {
    httpServer.close();
    httpServer.closeAllConnections();
    throw e;
  }

  const a = express();
  a.disable('x-powered-by');
  a.set('etag', false);
  a.use((req, res, next) => {
    const started = Date.now();
    res.on('close', () => {
      log.info({ method: req.method, path: req.path, status: res.statusCode, ms: Date.now() - started, session: res.locals.session ?? req.headers['mcp-session-id'] ?? req.query.sessionId }, 'http request');
    });
    next();
  });
  a.use(guard(checkHost));
  // Public: the protected resource metadata (CORS open, as browser-based clients read it).
  if (auth.metadata) a.use(auth.metadata);
  a.use(guard(checkOrigin));
  a.use((_req, _res, next) => {
    if (closing) throw new HttpError(503, 'Server is shutting down.', -32000, { Connection: 'close' });
    next();
  });
  if (auth.bearer) a.use(auth.bearer);
  // Any content type is read as JSON (the transports check Content-Type themselves).
  const json = express.json({ limit: o.maxBodyBytes, type: () => true });
  a.all('/mcp', (req, res, next) => (req.method === 'POST' ? json(req, res, next) : next()), handleMcp);
  a.all('/sse', handleSse);
  a.all('/messages', (req, res, next) => (req.method === 'POST' ? json(req, res, next) : next()), handleMessages);
  a.use((req) => {
    throw new HttpError(404, `Not found: ${req.path}. Endpoints: /mcp (Streamable HTTP), /sse + /messages (legacy HTTP+SSE).`);
  });
  a.use((e: unknown, req: Request, res: Response, _next: NextFunction) => {
    const type = (e as { type?: string }).type;
    if (type === 'entity.too.large') {
      sendError(res, new HttpError(413, `Request body too large: the limit is ${o.maxBodyBytes} bytes.`, -32000, { Connection: 'close' }));
      res.on('finish', () => req.socket.destroySoon?.());
    } else if (type === 'entity.parse.failed') sendError(res, new HttpError(400, 'Parse error: the body is not valid JSON.', -32700));
    else if (type === 'request.aborted') res.destroy();
    else if (e instanceof HttpError) sendError(res, e);
    else {
      log.error({ err: e instanceof Error ? e.message : String(e), path: req.path }, 'http handler failed');
      sendError(res, new HttpError(500, 'Internal server error.', -32603));
    }
  });
  app = a;

  let closed: Promise<void> | undefined;
  return {
    url,
    host: o.host,
    port,
    token,
    authMode: auth.mode,
    resourceMetadataUrl: auth.resourceMetadataUrl,
    sessionCount: () => sessions.size,
    close() {
      closed ??= (async () => {
        closing = true;
        const listenerClosed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        httpServer.closeIdleConnections();
        if (sessions.callsInFlight) log.info({ calls: sessions.callsInFlight }, 'waiting for in-flight calls');
        await sessions.idle(o.drainMs);
        await sessions.closeAll('shutdown');
        // Let the last responses flush before cutting what is left.
        setTimeout(() => httpServer.closeAllConnections(), 200).unref();
        await listenerClosed;
      })();
      return closed;
    },
  };
}

/**
 * `chargebee-mcp --transport http`: serves until SIGINT/SIGTERM. Takes host, port, token and
 * --no-auth from rt.config; with no MCP_HTTP_TOKEN, generates one and prints it once to stderr.
 */
export async function serveHttp(rt: Runtime, opts: { onListening?(url: string): void; signals?: boolean } = {}): Promise<HttpServerHandle> {
  const { config } = rt;
  let token: string | null = null;
  let generated = false;
  const oauth = config.authIssuer && config.authAudience ? { issuer: config.authIssuer, audience: config.authAudience, jwksUrl: config.authJwksUrl } : undefined;
  if (!config.noAuth) {
    if (config.httpToken) token = config.httpToken;
    else if (!oauth) {
      token = randomBytes(32).toString('base64url');
      generated = true;
      // The logger scrubs config.httpToken from every line: register the generated one there too.
      config.httpToken = token;
    }
  }
  const allowedHosts = (process.env.MCP_HTTP_ALLOWED_HOSTS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const handle = await startHttpServer(rt, {
    host: config.host,
    port: config.port,
    token,
    oauth,
    allowedHosts,
    maxSessions: config.httpMaxSessions,
    idleMs: config.httpSessionIdleS * 1000,
    requestTimeoutMs: config.httpRequestTimeoutS * 1000,
  });
  if (generated) {
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
    { url: handle.url, mcp: `${handle.url}/mcp`, sse: `${handle.url}/sse`, auth: handle.authMode, resourceMetadata: handle.resourceMetadataUrl, maxSessions: config.httpMaxSessions, tools: rt.engine.listTools().length, sandbox: config.sandbox, readOnly: config.readOnly },
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
