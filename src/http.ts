import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname as osHostname, networkInterfaces } from 'node:os';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { isInitializeRequest, isJSONRPCErrorResponse, isJSONRPCRequest, isJSONRPCResultResponse, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { checkHttpAuth, isLoopbackHost } from './config.js';
import type { Runtime } from './runtime.js';
import { createServer } from './server.js';

/**
 * MCP over HTTP on plain node:http: Streamable HTTP at /mcp (stateful sessions) and the
 * legacy HTTP+SSE transport at /sse + /messages. The SDK transports speak the protocol;
 * this file does the guards around them (Host/Origin, bearer token, body cap, session cap,
 * idle expiry) and the session bookkeeping.
 */

export interface HttpOptions {
  host: string;
  port: number;
  /** Bearer token every request must carry; null = no auth (loopback only); undefined = generate one (see handle.token). */
  token?: string | null;
  /** Open sessions (both transports together). Default 100. */
  maxSessions?: number;
  /** A session with no request in flight and no open stream for this long is closed. Default 30 min. */
  idleMs?: number;
  /** Largest accepted request body. Default 1 MiB. */
  maxBodyBytes?: number;
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
  /** The bearer token in force (null with no auth). */
  token: string | null;
  /** Number of open sessions. */
  sessionCount(): number;
  /** Graceful: stop accepting, let in-flight calls finish (up to drainMs), close every session, close the listener. */
  close(): Promise<void>;
}

interface Session {
  id?: string;
  kind: 'streamable' | 'sse';
  principal: string;
  server: Server;
  transport: Transport;
  /** HTTP requests of this session still open (POST streams, GET streams, the legacy SSE stream). */
  open: number;
  lastActive: number;
  closed: boolean;
}

const DEFAULTS = { maxSessions: 100, idleMs: 30 * 60_000, maxBodyBytes: 1024 * 1024, keepAliveMs: 15_000, drainMs: 10_000 };

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

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time comparison: both sides hashed to 32 bytes first, so neither length nor content leaks. */
function tokenMatches(given: string, expected: Buffer): boolean {
  return timingSafeEqual(sha256(given), expected);
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

/** Counts JSON-RPC requests the server has received and not yet answered, across all sessions. */
class InFlight {
  private count = 0;
  private waiters: Array<() => void> = [];
  get size(): number {
    return this.count;
  }
  track(transport: Transport): void {
    const pending = new Set<string | number>();
    const onmessage = transport.onmessage;
    transport.onmessage = (msg: JSONRPCMessage, extra?: Parameters<NonNullable<Transport['onmessage']>>[1]) => {
      if (isJSONRPCRequest(msg) && !pending.has(msg.id)) {
        pending.add(msg.id);
        this.count++;
      }
      onmessage?.call(transport, msg, extra);
    };
    const send = transport.send.bind(transport);
    const settle = (id: string | number) => {
      if (pending.delete(id)) this.done();
    };
    transport.send = async (msg, opts) => {
      try {
        return await send(msg, opts);
      } finally {
        if (isJSONRPCResultResponse(msg) || isJSONRPCErrorResponse(msg)) settle(msg.id as string | number);
      }
    };
    const onclose = transport.onclose;
    transport.onclose = () => {
      for (const id of [...pending]) settle(id);
      onclose?.call(transport);
    };
  }
  private done(): void {
    this.count--;
    if (this.count === 0) for (const w of this.waiters.splice(0)) w();
  }
  idle(timeoutMs: number): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      t.unref();
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

/** Starts the HTTP server on host:port (port 0 = any free port). Throws UsageError for --no-auth on a non-loopback host. */
export async function startHttpServer(rt: Runtime, opts: HttpOptions): Promise<HttpServerHandle> {
  const o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as Required<Omit<HttpOptions, 'token'>> & { token?: string | null };
  const token = opts.token === undefined ? randomBytes(32).toString('base64url') : opts.token;
  checkHttpAuth(o.host, token);
  const expected = token === null ? null : sha256(token);
  const principal = token === null ? 'http:anonymous' : `http:${sha256(token).toString('hex').slice(0, 32)}`;
  const log = rt.logger.child({ component: 'http' });
  const sessions = new Map<string, Session>();
  let pendingSessions = 0;
  const inflight = new InFlight();
  let closing = false;
  let hostAllowed: (hostname: string, port: string) => boolean = () => false;

  const closeSession = async (s: Session, why: string) => {
    if (s.closed) return;
    s.closed = true;
    if (s.id) sessions.delete(s.id);
    log.info({ session: s.id, kind: s.kind, why }, 'session closed');
    try {
      await s.server.close();
    } catch (e) {
      log.debug({ err: e, session: s.id }, 'error closing session');
    }
  };

  const newSession = async (kind: Session['kind'], transport: Transport): Promise<Session> => {
    const server = createServer(rt, principal);
    const s: Session = { kind, principal, server, transport, open: 0, lastActive: Date.now(), closed: false };
    transport.onclose = () => {
      if (!s.closed) {
        s.closed = true;
        if (s.id) sessions.delete(s.id);
        log.info({ session: s.id, kind }, 'session ended');
      }
    };
    transport.onerror = (e) => log.debug({ err: e.message, session: s.id }, 'transport error');
    await server.connect(transport);
    inflight.track(transport);
    return s;
  };

  const reserveSession = () => {
    if (sessions.size + pendingSessions >= o.maxSessions) {
      throw new HttpError(503, `Too many open MCP sessions (limit ${o.maxSessions}). Close unused sessions (DELETE /mcp) or retry later.`, -32000, { 'Retry-After': '30' });
    }
    pendingSessions++;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        pendingSessions--;
      }
    };
  };

  /** Marks a session busy for the life of this HTTP request. */
  const hold = (s: Session, res: ServerResponse) => {
    s.open++;
    s.lastActive = Date.now();
    res.on('close', () => {
      s.open--;
      s.lastActive = Date.now();
    });
  };

  const sessionFor = (id: string | undefined, kind: Session['kind']): Session => {
    const s = id ? sessions.get(id) : undefined;
    // A session belongs to the principal that opened it: anyone else is told it does not exist.
    if (!s || s.closed || s.kind !== kind || s.principal !== principal) throw new HttpError(404, 'Session not found: it never existed, expired or was closed. Start a new session (initialize).', -32001);
    return s;
  };

  const handleMcp = async (req: IncomingMessage, res: ServerResponse): Promise<string | undefined> => {
    const sid = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(sid) ? sid[0] : sid;
    if (req.method === 'POST') {
      const body = await readJson(req, o.maxBodyBytes);
      if (!sessionId) {
        const isInit = Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body);
        if (!isInit) throw new HttpError(400, 'Bad Request: no Mcp-Session-Id header; the first request of a session must be initialize.');
        const release = reserveSession();
        try {
          let s: Session | undefined;
          const transport = new StreamableHTTPServerTransport({
            sessionIdGenerator: () => randomUUID(),
            onsessioninitialized: (id) => {
              if (!s) return;
              s.id = id;
              sessions.set(id, s);
              release();
              log.info({ session: id, kind: 'streamable' }, 'session opened');
            },
            onsessionclosed: (id) => {
              const cur = sessions.get(id);
              if (cur) void closeSession(cur, 'DELETE');
            },
            keepAliveMs: o.keepAliveMs,
          });
          s = await newSession('streamable', transport);
          hold(s, res);
          await transport.handleRequest(req, res, body);
          if (!s.id) await closeSession(s, 'initialize failed');
          return s.id;
        } finally {
          release();
        }
      }
      const s = sessionFor(sessionId, 'streamable');
      hold(s, res);
      await (s.transport as StreamableHTTPServerTransport).handleRequest(req, res, body);
      return s.id;
    }
    if (req.method === 'GET' || req.method === 'DELETE') {
      if (!sessionId) throw new HttpError(400, 'Bad Request: Mcp-Session-Id header is required.');
      const s = sessionFor(sessionId, 'streamable');
      if (req.method === 'GET') req.socket.setTimeout(0);
      hold(s, res);
      await (s.transport as StreamableHTTPServerTransport).handleRequest(req, res);
      return s.id;
    }
    throw new HttpError(405, 'Method not allowed: /mcp takes GET, POST and DELETE.', -32000, { Allow: 'GET, POST, DELETE' });
  };

  const handleSse = async (req: IncomingMessage, res: ServerResponse): Promise<string> => {
    if (req.method !== 'GET') throw new HttpError(405, 'Method not allowed: /sse takes GET.', -32000, { Allow: 'GET' });
    const release = reserveSession();
    try {
      const transport = new SSEServerTransport('/messages', res);
      req.socket.setTimeout(0);
      req.socket.setNoDelay(true);
      const s = await newSession('sse', transport);
      s.id = transport.sessionId;
      sessions.set(s.id, s);
      hold(s, res);
      const keepAlive = setInterval(() => {
        if (!res.writableEnded) res.write(': keepalive\n\n');
      }, o.keepAliveMs);
      keepAlive.unref();
      res.on('close', () => {
        clearInterval(keepAlive);
        void closeSession(s, 'client disconnected');
      });
      log.info({ session: s.id, kind: 'sse' }, 'session opened');
      return s.id;
    } finally {
      release();
    }
  };

  const handleMessages = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<string> => {
    if (req.method !== 'POST') throw new HttpError(405, 'Method not allowed: /messages takes POST.', -32000, { Allow: 'POST' });
    const s = sessionFor(url.searchParams.get('sessionId') ?? undefined, 'sse');
    const body = await readJson(req, o.maxBodyBytes);
    hold(s, res);
    await (s.transport as SSEServerTransport).handlePostMessage(req, res, body);
    return s.id!;
  };

  const checkHostAndOrigin = (req: IncomingMessage) => {
    const host = req.headers.host;
    const h = host ? parseHostHeader(host) : undefined;
    if (!h || !hostAllowed(h.hostname, h.port)) throw new HttpError(403, `Forbidden: Host header ${JSON.stringify(host ?? '')} is not one this server answers to. To serve a host name, start the server with it in MCP_HTTP_ALLOWED_HOSTS (comma-separated, e.g. MCP_HTTP_ALLOWED_HOSTS=${h?.hostname || 'billing.example.com'}).`);
    const origin = req.headers.origin;
    if (origin !== undefined) {
      const oh = parseOrigin(origin);
      if (!oh || !hostAllowed(oh.hostname, oh.port)) throw new HttpError(403, `Forbidden: Origin ${JSON.stringify(origin)} is not allowed.`);
    }
  };

  const checkAuth = (req: IncomingMessage) => {
    if (!expected) return;
    const auth = req.headers.authorization;
    const m = auth ? /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(auth) : null;
    if (!m?.[1]) throw new HttpError(401, 'Unauthorized: send "Authorization: Bearer <MCP_HTTP_TOKEN>".', -32001, { 'WWW-Authenticate': 'Bearer realm="chargebee-mcp"' });
    if (!tokenMatches(m[1], expected)) {
      throw new HttpError(401, 'Unauthorized: the bearer token is not valid for this server.', -32001, { 'WWW-Authenticate': 'Bearer realm="chargebee-mcp", error="invalid_token"' });
    }
  };

  const onRequest = async (req: IncomingMessage, res: ServerResponse) => {
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
      checkHostAndOrigin(req);
      checkAuth(req);
      if (closing) throw new HttpError(503, 'Server is shutting down.', -32000, { Connection: 'close' });
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

  const httpServer = http.createServer((req, res) => void onRequest(req, res));
  httpServer.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
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

  const sweeper = setInterval(
    () => {
      const now = Date.now();
      for (const s of sessions.values()) if (s.open === 0 && now - s.lastActive > o.idleMs) void closeSession(s, 'idle');
    },
    Math.max(50, Math.min(60_000, Math.floor(o.idleMs / 4))),
  );
  sweeper.unref();

  let closed: Promise<void> | undefined;
  return {
    url,
    host: o.host,
    port,
    token,
    sessionCount: () => sessions.size,
    close() {
      closed ??= (async () => {
        closing = true;
        clearInterval(sweeper);
        const listenerClosed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        httpServer.closeIdleConnections();
        if (inflight.size) log.info({ calls: inflight.size }, 'waiting for in-flight calls');
        await inflight.idle(o.drainMs);
        await Promise.all([...sessions.values()].map((s) => closeSession(s, 'shutdown')));
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
  if (!config.noAuth) {
    if (config.httpToken) token = config.httpToken;
    else {
      token = randomBytes(32).toString('base64url');
      generated = true;
      // The logger scrubs config.httpToken from every line: register the generated one there too.
      config.httpToken = token;
    }
  }
  const allowedHosts = (process.env.MCP_HTTP_ALLOWED_HOSTS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const handle = await startHttpServer(rt, { host: config.host, port: config.port, token, allowedHosts });
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
    { url: handle.url, mcp: `${handle.url}/mcp`, sse: `${handle.url}/sse`, auth: token === null ? 'none (--no-auth)' : 'bearer', tools: rt.engine.listTools().length, sandbox: config.sandbox, readOnly: config.readOnly },
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
