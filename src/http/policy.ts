import type { IncomingMessage } from 'node:http';
import { hostname as osHostname, networkInterfaces } from 'node:os';
import { isLoopbackHost } from '../config.js';
import { HttpError } from './wire.js';

/**
 * Which Host and Origin values a request may name (DNS rebinding, cross-site pages). The SDK's
 * hostHeaderValidation (behind createMcpExpressApp) compares host names only, ignores Origin and
 * is express middleware (express costs a quarter of a call's CPU, see auth.ts); this policy also
 * binds the port and checks Origin, on plain node:http.
 */

export function isWildcardHost(host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** Host name as it appears in a URL / Host header: IPv6 in brackets, lower case. */
export function urlHostname(host: string): string {
  const h = host.toLowerCase();
  return h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
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

export interface HostPolicy {
  /** 403 unless the Host header names this server. */
  checkHost(req: IncomingMessage): void;
  /** 403 when an Origin header names another site. */
  checkOrigin(req: IncomingMessage): void;
}

/** The names a server bound to boundHost:port answers to, plus `extra` ("name" = any port, "name:port"). */
export function hostPolicy(boundHost: string, port: number, extra: string[]): HostPolicy {
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
  const allowed = (hostname: string, reqPort: string) => withPort.has(`${hostname}:${reqPort}`) || anyPort.has(hostname);
  return {
    checkHost(req) {
      const host = req.headers.host;
      const h = host ? parseHostHeader(host) : undefined;
      if (!h || !allowed(h.hostname, h.port)) {
        throw new HttpError(403, `Forbidden: Host header ${JSON.stringify(host ?? '')} is not one this server answers to. To serve a host name, start the server with it in MCP_HTTP_ALLOWED_HOSTS (comma-separated, e.g. MCP_HTTP_ALLOWED_HOSTS=${h?.hostname || 'billing.example.com'}).`);
      }
    },
    checkOrigin(req) {
      const origin = req.headers.origin;
      if (origin === undefined) return;
      const oh = parseOrigin(origin);
      if (!oh || !allowed(oh.hostname, oh.port)) {
        throw new HttpError(403, `Forbidden: Origin ${JSON.stringify(origin)} is not allowed (a web page on another site, or a name missing from MCP_HTTP_ALLOWED_HOSTS: add ${oh?.hostname || 'its host name'} there if this origin is yours).`);
      }
    },
  };
}
