import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UsageError } from '../config.js';
import { isWildcardHost, urlHostname } from './policy.js';
import { HttpError, sendError } from './wire.js';

/**
 * The port, opened once and early: from the moment it is open it answers (503 + Retry-After
 * while the process is still starting), so a supervisor or balancer never sees it open and then
 * refused. Also the socket-level limits: how long a request's head and body may take, and that a
 * client that never reads its 408/400 does not keep a descriptor.
 */

export interface ListenOptions {
  host: string;
  port: number;
  /** A request's head must arrive within this (capped at requestTimeoutMs). */
  headersTimeoutMs: number;
  /** A request's head and body must arrive within this. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
}

export interface Listener {
  server: http.Server;
  host: string;
  port: number;
  /** Base URL, e.g. http://127.0.0.1:3333 (a wildcard host is shown as 127.0.0.1). */
  url: string;
  /** From now on requests go to `handler` (until then: 503 + Retry-After). */
  serve(handler: (req: IncomingMessage, res: ServerResponse) => void): void;
}

/** After a 408/400 the client has this long to read it and close; then the socket is destroyed. */
export const LINGER_MS = 2_000;

/** What a failed listen means to the user, or undefined if it is not a listen failure. */
export function listenFailure(e: unknown, host: string, p: number): UsageError | undefined {
  const code = (e as { code?: string } | undefined)?.code;
  if (code === 'EADDRINUSE') return new UsageError(`port ${p} on ${host} is already in use: stop what is using it, or pick another port with --port`);
  if (code === 'EACCES') return new UsageError(`not allowed to listen on port ${p} (ports below 1024 need privileges): pick another port with --port`);
  if (code === 'EADDRNOTAVAIL') return new UsageError(`--host ${host} is not an address of this machine: use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new UsageError(`--host ${host} does not resolve to an address: use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)`);
  return undefined;
}

const starting = new HttpError(503, 'Server is starting: retry in a moment.', -32000, { 'Retry-After': '1' });

/** Listens on host:port (0 = any free port); a failure is a UsageError with one line that says what to do. */
export async function listenHttp(o: ListenOptions): Promise<Listener> {
  const headersTimeout = Math.min(o.headersTimeoutMs, o.requestTimeoutMs);
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => sendError(res, starting);
  const server = http.createServer(
    {
      headersTimeout,
      requestTimeout: o.requestTimeoutMs,
      keepAliveTimeout: o.keepAliveTimeoutMs,
      // How often Node checks the two timeouts above (default 30 s, too coarse for short ones).
      connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(headersTimeout / 4))),
    },
    (req, res) => handler(req, res),
  );
  server.on('clientError', (err, socket) => {
    if (!socket.writable) return void socket.destroy();
    socket.end(`HTTP/1.1 ${(err as { code?: string }).code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request'}\r\nConnection: close\r\n\r\n`);
    // end() only half-closes: a client that neither reads nor closes would hold the descriptor.
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    throw listenFailure(e, o.host, o.port) ?? e;
  }
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    host: o.host,
    port,
    url: `http://${isWildcardHost(o.host) ? '127.0.0.1' : urlHostname(o.host)}:${port}`,
    serve(h) {
      handler = h;
    },
  };
}
