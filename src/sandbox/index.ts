/**
 * The sandbox: an embedded fake of the Maton API gateway in front of a Chargebee Product Catalog 2.0
 * site, served over real HTTP so the gateway client runs exactly as in production.
 */
import type { AddressInfo } from 'node:net';
import { SANDBOX_CONNECTIONS } from './maton.js';
import { SandboxServer, type SandboxLogger } from './server.js';
import { SandboxState } from './state.js';

export { SANDBOX_CONNECTIONS };
export type { SandboxLogger };

export interface SandboxOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  /** The Maton API key the sandbox accepts. Default 'sandbox'. */
  apiKey?: string;
  /** Requests per second per API key (sliding 1 s window). Default 10; 0 = off. */
  rateLimit?: number;
  /** How long an export job stays in_process. Default 3000 ms. */
  exportCompleteMs?: number;
  /** pino-compatible; default silent. */
  logger?: SandboxLogger;
  /** ms clock, default Date.now: inject one in tests to move time without sleeping. */
  now?: () => number;
}

export interface Sandbox {
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  port: number;
  host: string;
  apiKey: string;
  /** Closes all sockets and clears timers; resolves promptly even with hung requests. */
  close(): Promise<void>;
  /** Same as POST /_sandbox/reset. */
  reset(): void;
}

const silent: SandboxLogger = { info() {}, warn() {}, debug() {} };

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const host = opts.host ?? '127.0.0.1';
  const apiKey = opts.apiKey ?? 'sandbox';
  const logger = opts.logger ?? silent;
  const state = new SandboxState(apiKey, opts.exportCompleteMs ?? 3000, opts.rateLimit ?? 10, opts.now ?? Date.now);
  const server = new SandboxServer(state, logger);

  await new Promise<void>((resolve, reject) => {
    server.http.once('error', reject);
    server.http.listen(opts.port ?? 0, host, () => {
      server.http.off('error', reject);
      resolve();
    });
  });
  const { port } = server.http.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  state.baseUrl = url;
  logger.info({ url, connections: SANDBOX_CONNECTIONS }, 'sandbox gateway listening');

  return {
    url,
    port,
    host,
    apiKey,
    close: () => server.close(),
    reset: () => state.reset(),
  };
}
