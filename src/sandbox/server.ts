/**
 * HTTP plumbing: reads each request, serves the /_sandbox test-support routes, and runs gateway
 * requests through log → API key → rate limit → fault → handling.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { faultResponse } from './faults.js';
import { ApiError, chargebeeErrorResponse, matonError, plainJson, type HttpResponse } from './http.js';
import { handleGateway } from './maton.js';
import type { LoggedRequest, SandboxState } from './state.js';

export interface SandboxLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

interface Incoming {
  method: string;
  rawPath: string;
  query: string;
  headers: Record<string, string>;
  body: string;
}

const MAX_BODY_BYTES = 1 << 20;
const PUBLIC_PREFIXES = ['downloads/', 'hosted/', 'portal/'];

export class SandboxServer {
  readonly http: Server;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly state: SandboxState, private readonly logger: SandboxLogger) {
    this.http = createServer((req, res) => {
      this.onRequest(req, res).catch((error: unknown) => {
        this.logger.warn({ err: error }, 'sandbox: request failed');
        if (!res.headersSent && !res.destroyed) send(res, chargebeeErrorResponse(500));
      });
    });
  }

  /** Stops accepting, drops every open socket (also hung or delayed requests) and clears timers. */
  close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    return new Promise((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const incoming = await readRequest(req);
    if (incoming === undefined) {
      send(res, matonError(413, 'Request body too large').response);
      return;
    }
    const { method, rawPath } = incoming;
    if (rawPath === '/_sandbox' || rawPath.startsWith('/_sandbox/')) {
      send(res, this.testSupport(incoming));
      return;
    }
    const { state } = this;
    const entry: LoggedRequest = {
      method, path: rawPath, query: incoming.query, body: incoming.body, at: state.clock.now(),
      headers: { ...incoming.headers, ...(incoming.headers.authorization !== undefined && { authorization: '[redacted]' }) },
      unknown_params: [],
    };
    state.record(entry);

    const response = await this.gateway(incoming, req, entry.unknown_params);
    if (response === 'dropped' || this.closed) {
      req.socket.destroy();
      return;
    }
    this.logger.debug({ method, path: rawPath, status: response.status }, 'sandbox request');
    send(res, response);
  }

  private async gateway(incoming: Incoming, req: IncomingMessage, unknownParams: string[]): Promise<HttpResponse | 'dropped'> {
    const { state } = this;
    try {
      if (!this.authorized(incoming)) throw matonError(401, 'Invalid or missing Maton API key');
      if (!state.limiter.admit(state.apiKey)) {
        throw matonError(429, `Rate limit exceeded: ${state.limiter.limit} requests per second`, { 'retry-after': '1' });
      }
      const fault = state.faults.take(incoming.method, incoming.rawPath);
      if (fault?.kind === 'reset') return 'dropped';
      if (fault?.kind === 'status') return faultResponse(fault);
      if (fault?.kind === 'delay') await this.sleep(fault.ms);
      if (this.closed || req.socket.destroyed) return 'dropped';
      const response = handleGateway(state.connections, state, { ...incoming, exportFails: fault?.kind === 'export_fails', unknownParams });
      return fault?.kind === 'drop_response' ? 'dropped' : response;
    } catch (error) {
      if (error instanceof ApiError) return error.response;
      throw error;
    }
  }

  private testSupport(incoming: Incoming): HttpResponse {
    const { state } = this;
    const route = incoming.rawPath.slice('/_sandbox/'.length);
    if (incoming.method === 'GET' && PUBLIC_PREFIXES.some((p) => route.startsWith(p))) {
      return state.files.serve(route, state.clock.now());
    }
    try {
      if (!this.authorized(incoming)) throw matonError(401, 'Invalid or missing Maton API key');
      const key = `${incoming.method} ${route}`;
      switch (key) {
        case 'GET requests':
          return plainJson({ requests: state.requests });
        case 'POST reset':
          state.reset();
          return plainJson({ ok: true });
        case 'POST settings':
          try {
            return plainJson({ settings: state.setSettings(parseJson(incoming.body, 'settings')) });
          } catch (error) {
            if (error instanceof ApiError) throw error;
            throw matonError(400, `Invalid settings: ${(error as Error).message}`);
          }
        case 'GET settings':
          return plainJson({ settings: state.settings });
        case 'POST clock': {
          const { now } = (parseJson(incoming.body, 'clock') ?? {}) as { now?: unknown };
          const ms = typeof now === 'string' ? Date.parse(now) : now;
          if (ms !== null && ms !== undefined && (typeof ms !== 'number' || !Number.isFinite(ms))) {
            throw matonError(400, 'Invalid clock: {"now": <ms since the epoch or an ISO date>} or {"now": null} to unpin');
          }
          state.clock.pin(ms ?? undefined);
          return plainJson({ now: new Date(state.clock.now()).toISOString(), pinned: ms !== null && ms !== undefined });
        }
        case 'POST faults':
          state.faults.add(parseJson(incoming.body, 'fault'));
          return plainJson({ ok: true });
        case 'DELETE faults':
          state.faults.clear();
          return plainJson({ ok: true });
        default:
          throw matonError(404, `No test-support route ${key}`);
      }
    } catch (error) {
      if (error instanceof ApiError) return error.response;
      throw error;
    }
  }

  private authorized(incoming: Incoming): boolean {
    const match = /^Bearer\s+(.+)$/i.exec(incoming.headers.authorization ?? '');
    const given = Buffer.from(match?.[1]?.trim() ?? '');
    const expected = Buffer.from(this.state.apiKey);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}

function parseJson(body: string, what: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw matonError(400, `Invalid ${what}: body must be JSON`);
  }
}

async function readRequest(req: IncomingMessage): Promise<Incoming | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return {
    method: req.method ?? 'GET',
    rawPath: q < 0 ? url : url.slice(0, q),
    query: q < 0 ? '' : url.slice(q + 1),
    headers,
    body: Buffer.concat(chunks).toString('utf8'),
  };
}

function send(res: ServerResponse, response: HttpResponse): void {
  res.writeHead(response.status, response.headers);
  res.end(response.body);
}
