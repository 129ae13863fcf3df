import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, isInitializeRequest, isJSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../log.js';
import type { Runtime } from '../runtime.js';
import { createServer, dropQuestionsWhenGone } from '../server.js';
import { principalOf, type AuthSetup } from './auth.js';
import type { HostPolicy } from './policy.js';
import { SessionCapError, type Session, type Sessions } from './sessions.js';
import { HttpError, readJson, sendError, sendJson } from './wire.js';

/**
 * The endpoints: Streamable HTTP at /mcp (stateful sessions), the legacy HTTP+SSE transport at
 * /sse + /messages, /healthz, and the OAuth metadata. The SDK transports speak the protocol; this
 * file checks each request in order (Host, Origin, drain, bearer) and binds it to its session.
 */

export interface Routes {
  rt: Runtime;
  log: Logger;
  sessions: Sessions;
  policy: HostPolicy;
  auth: Pick<AuthSetup, 'metadata' | 'bearer'>;
  maxBodyBytes: number;
  /** Keep-alive comment interval on SSE streams. */
  keepAliveMs: number;
  /** True once close() began: new requests get 503, /healthz says draining. */
  draining(): boolean;
}

/** The request handler for a listener. */
export function router(c: Routes): (req: IncomingMessage, res: ServerResponse) => void {
  const { sessions, log } = c;

  /** A fresh server + session for one transport; registered under its id by the caller. */
  const openSession = async (kind: Session['kind'], transport: Transport, principal: string): Promise<Session> => {
    const server = createServer(c.rt, principal);
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

  const reserve = (principal: string) => {
    try {
      return sessions.reserve(principal);
    } catch (e) {
      if (e instanceof SessionCapError) throw new HttpError(503, e.message, -32000, { 'Retry-After': '5' });
      throw e;
    }
  };

  const initialize = async (req: IncomingMessage, res: ServerResponse, body: unknown, principal: string): Promise<string | undefined> => {
    const release = reserve(principal);
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
        keepAliveMs: c.keepAliveMs,
      });
      s = await openSession('streamable', transport, principal);
      hold(s, res);
      await transport.handleRequest(req, res, body);
      if (!s.id) await sessions.close(s, 'initialize failed');
      return s.id;
    } finally {
      release();
    }
  };

  const handleMcp = async (req: IncomingMessage, res: ServerResponse): Promise<string | undefined> => {
    const sid = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(sid) ? sid[0] : sid;
    const principal = principalOf(req);
    if (req.method === 'POST') {
      const body = await readJson(req, c.maxBodyBytes);
      if (!sessionId) {
        if (Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body)) return initialize(req, res, body, principal);
        // A 2026-07-28 client probes with server/discover before falling back to initialize: answer
        // as a 2025 server answers a method it does not know, so the client falls back quietly.
        if (isJSONRPCRequest(body) && body.method === 'server/discover') {
          sendJson(res, 200, { jsonrpc: '2.0', id: body.id, error: { code: ErrorCode.MethodNotFound, message: 'Method not found: server/discover. This server speaks MCP 2025-11-25 and earlier: start a session with initialize.' } });
          return undefined;
        }
        throw new HttpError(400, 'Bad Request: no Mcp-Session-Id header; the first request of a session must be initialize.');
      }
      const s = sessionFor(sessionId, 'streamable', principal);
      hold(s, res);
      // A client gone without DELETE: its POST stream closing drops any question asked on it.
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
    const principal = principalOf(req);
    const release = reserve(principal);
    try {
      const transport = new SSEServerTransport('/messages', res);
      // The session id as a header too, so a load balancer can stick /messages?sessionId= to this instance.
      res.setHeader('Mcp-Session-Id', transport.sessionId);
      req.socket.setTimeout(0);
      req.socket.setNoDelay(true);
      const s = await openSession('sse', transport, principal);
      sessions.add(s, transport.sessionId);
      hold(s, res);
      const keepAlive = setInterval(() => {
        if (!res.writableEnded) res.write(': keepalive\n\n');
      }, c.keepAliveMs);
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
    const body = await readJson(req, c.maxBodyBytes);
    hold(s, res);
    await (s.transport as SSEServerTransport).handlePostMessage(req, res, body);
    return s.id!;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
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
      if (url.pathname === '/healthz') return sendHealth(res, c.draining());
      c.policy.checkHost(req);
      // Public: the OAuth protected resource metadata (CORS open: browser-based clients read it).
      if (c.auth.metadata && url.pathname.startsWith('/.well-known/')) return c.auth.metadata(req, res);
      c.policy.checkOrigin(req);
      if (c.draining()) throw new HttpError(503, 'Server is shutting down.', -32000, { Connection: 'close' });
      if (c.auth.bearer && !(await c.auth.bearer(req, res))) return;
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
  return (req, res) => void handle(req, res);
}

/** GET /healthz: 200 while serving, 503 while draining (the balancer then stops sending new sessions). */
function sendHealth(res: ServerResponse, draining: boolean): void {
  res.writeHead(draining ? 503 : 200, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
  res.end(draining ? 'draining\n' : 'ok\n');
}
