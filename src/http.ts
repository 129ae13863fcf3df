import { randomBytes, randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname as osHostname, networkInterfaces } from 'node:os';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, isInitializeRequest, isJSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import { checkHttpAuth, isLoopbackHost } from './config.js';
import { principalOf, setupAuth, type OAuthOptions } from './http/auth.js';
import { SessionCapError, Sessions, type Session } from './http/sessions.js';
import type { Runtime } from './runtime.js';
import { createServer, dropQuestionsWhenGone } from './server.js';

/**
 * MCP over HTTP on plain node:http: Streamable HTTP at /mcp (stateful sessions) and the legacy
 * HTTP+SSE transport at /sse + /messages. The SDK transports speak the protocol and the SDK's auth
 * helpers check bearer tokens and serve the OAuth metadata (src/http/auth.ts); this file does the
 * guards around them (Host/Origin, body cap, slow-client timeouts) and routes requests to sessions
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

/** Reads a body up to `max` bytes: the declared Content-Length is checked first, then the bytes as they arrive. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const tooLarge = () => new HttpError(413, `Request body too large: the limit is ${max} bytes.`, -32000, { Connection: 'close' });
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > max) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > max) {
        done = true;
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (done) return;
      done = true;
      reject(e);
    });
  });
}

async function readJson(req: IncomingMessage, max: number): Promise<unknown> {
  const buf = await readBody(req, max);
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch {
    throw new HttpError(400, 'Parse error: the body is not valid JSON.', -32700);
  }
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

  const hold = (s: Session, res: ServerResponse) => sessions.hold(s, (l) => res.on('close', l));

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

  const handleMcp = async (req: IncomingMessage, res: ServerResponse): Promise<string | undefined> => {
    const sid = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(sid) ? sid[0] : sid;
    const principal = principalOf(req);
    if (req.method === 'POST') {
      const body = await readJson(req, o.maxBodyBytes);
      if (!sessionId) {
        const isInit = Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body);
        if (!isInit) {
          // A 2026-07-28 client probes with server/discover before falling back to initialize: answer
          // as a 2025 server answers a method it does not know, so the client falls back quietly.
          if (isJSONRPCRequest(body) && body.method === 'server/discover') {
            sendJson(res, 200, { jsonrpc: '2.0', id: body.id, error: { code: ErrorCode.MethodNotFound, message: 'Method not found: server/discover. This server speaks MCP 2025-11-25 and earlier: start a session with initialize.' } });
            return undefined;
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
          return s.id;
        } finally {
          release();
        }
      }
      const s = sessionFor(sessionId, 'streamable', principal);
      hold(s, res);
      dropQuestionsWhenGone(s.server, body, res);
      await (s.transport as StreamableHTTPServerTransport).handleRequest(req, res, body);
      return s.id;
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
      return s.id;
    }
    throw new HttpError(405, 'Method not allowed: /mcp takes GET, POST and DELETE.', -32000, { Allow: 'GET, POST, DELETE' });
  };

  const handleSse = async (req: IncomingMessage, res: ServerResponse): Promise<string> => {
    if (req.method !== 'GET') throw new HttpError(405, 'Method not allowed: /sse takes GET.', -32000, { Allow: 'GET' });
    const release = reserve();
    try {
      const transport = new SSEServerTransport('/messages', res);
      // The session id as a header too, so a load balancer can stick /messages?sessionId= to this instance.
      res.setHeader('Mcp-Session-Id', transport.sessionId);
      req.socket.setTimeout(0);
      req.socket.setNoDelay(true);
      const s = await openSession('sse', transport, principalOf(req));
      sessions.add(s, transport.sessionId);
      hold(s, res);
      const keepAlive = setInterval(() => {
        if (!res.writableEnded) res.write(': keepalive\n\n');
      }, o.keepAliveMs);
      keepAlive.unref();
      res.on('close', () => {
        clearInterval(keepAlive);
        void sessions.close(s, 'client disconnected');
      });
      return transport.sessionId;
    } finally {
      release();
    }
  };

  const handleMessages = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<string> => {
    if (req.method !== 'POST') throw new HttpError(405, 'Method not allowed: /messages takes POST.', -32000, { Allow: 'POST' });
    const s = sessionFor(url.searchParams.get('sessionId') ?? undefined, 'sse', principalOf(req));
    const body = await readJson(req, o.maxBodyBytes);
    hold(s, res);
    await (s.transport as SSEServerTransport).handlePostMessage(req, res, body);
    return s.id!;
  };

  const checkHost = (req: IncomingMessage) => {
    const host = req.headers.host;
    const h = host ? parseHostHeader(host) : undefined;
    if (!h || !hostAllowed(h.hostname, h.port)) throw new HttpError(403, `Forbidden: Host header ${JSON.stringify(host ?? '')} is not one this server answers to. To serve a host name, start the server with it in MCP_HTTP_ALLOWED_HOSTS (comma-separated, e.g. MCP_HTTP_ALLOWED_HOSTS=${h?.hostname || 'billing.example.com'}).`);
  };

  const checkOrigin = (req: IncomingMessage) => {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      const oh = parseOrigin(origin);
      if (!oh || !hostAllowed(oh.hostname, oh.port)) throw new HttpError(403, `Forbidden: Origin ${JSON.stringify(origin)} is not allowed (a web page on another site, or a name missing from MCP_HTTP_ALLOWED_HOSTS: add ${oh?.hostname || 'its host name'} there if this origin is yours).`);
    }
  };

  // Listen first (the OAuth metadata names this server's URL, which needs the port); requests
  // that arrive before the app is ready are told to retry.
  let onRequest: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined;
  const httpServer = http.createServer(
    {
      headersTimeout: Math.min(o.headersTimeoutMs, o.requestTimeoutMs),
      requestTimeout: o.requestTimeoutMs,
      keepAliveTimeout: o.keepAliveTimeoutMs,
      // How often Node checks the two timeouts above (default 30 s, too coarse for short ones).
      connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(Math.min(o.headersTimeoutMs, o.requestTimeoutMs) / 4))),
    },
    (req, res) => {
      if (onRequest) void onRequest(req, res);
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

  const { metadata, bearer } = auth;
  onRequest = async (req, res) => {
    const started = Date.now();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      url = new URL('http://localhost/');
    }
    let session: string | undefined;
    res.on('close', () => {
      log.info({ method: req.method, path: url.pathname, status: res.statusCode, ms: Date.now() - started, session }, 'http request');
    });
    try {
      // For load balancers (deploy/haproxy.cfg): no secret, no data, so before the Host and token checks.
      if (url.pathname === '/healthz') return sendHealth(res, closing);
      checkHost(req);
      // Public: the OAuth protected resource metadata (CORS open: browser-based clients read it).
      if (metadata && url.pathname.startsWith('/.well-known/')) return metadata(req, res);
      checkOrigin(req);
      if (closing) throw new HttpError(503, 'Server is shutting down.', -32000, { Connection: 'close' });
      if (bearer && !(await bearer(req, res))) return;
      switch (url.pathname) {
        case '/mcp':
          session = (req.headers['mcp-session-id'] as string | undefined) ?? undefined;
          session = await handleMcp(req, res);
          break;
        case '/sse':
          session = await handleSse(req, res);
          break;
        case '/messages':
          session = url.searchParams.get('sessionId') ?? undefined;
          session = await handleMessages(req, res, url);
          break;
        default:
          throw new HttpError(404, `Not found: ${url.pathname}. Endpoints: /mcp (Streamable HTTP), /sse + /messages (legacy HTTP+SSE).`);
      }
    } catch (e) {
      if (e instanceof HttpError) {
        sendError(res, e);
        if (e.status === 413) res.on('finish', () => req.socket.destroySoon?.());
      } else {
        log.error({ err: e instanceof Error ? e.message : String(e), path: url.pathname }, 'http handler failed');
        sendError(res, new HttpError(500, 'Internal server error.', -32603));
      }
    }
  };

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

/** GET /healthz: 200 while serving, 503 while draining (the balancer then stops sending new sessions). */
function sendHealth(res: ServerResponse, draining: boolean): void {
  res.writeHead(draining ? 503 : 200, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
  res.end(draining ? 'draining\n' : 'ok\n');
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
