/** The Maton gateway: connection management routes, and routing Chargebee calls to a connection's site. */
import { randomBytes, randomUUID } from 'node:crypto';
import { handleChargebee, type ChargebeeRequest } from './chargebee.js';
import { chargebeeErrorResponse, matonError, plainJson, type HttpResponse } from './http.js';
import { seedSite } from './seed.js';
import { runDueCancellations } from './billing.js';
import type { Env, Site } from './store.js';

export const SANDBOX_CONNECTIONS = ['sandbox-acme', 'sandbox-globex'] as const;
export const DEFAULT_CONNECTION = SANDBOX_CONNECTIONS[0];

const CREATED: Record<(typeof SANDBOX_CONNECTIONS)[number], string> = {
  'sandbox-acme': '2026-10-01T09:00:00.000000Z',
  'sandbox-globex': '2026-10-02T14:30:00.000000Z',
};

interface Connection {
  connection_id: string;
  status: 'ACTIVE' | 'PENDING';
  creation_time: string;
  last_updated_time: string;
  url: string;
  app: 'chargebee';
  metadata: Record<string, never>;
}

const safeDecode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** Maton's time format: ISO 8601 with microseconds. */
const isoMicros = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
const connectUrl = (token = randomBytes(16).toString('hex')) => `https://connect.maton.ai/?session_token=${token}`;

export class Connections {
  private readonly byId = new Map<string, { connection: Connection; site?: Site }>();

  /** `today`: the sandbox clock (Unix seconds) the seed is anchored to. */
  constructor(today: number) {
    for (const id of SANDBOX_CONNECTIONS) {
      this.byId.set(id, {
        connection: {
          connection_id: id, status: 'ACTIVE', creation_time: CREATED[id], last_updated_time: CREATED[id],
          url: connectUrl(id), app: 'chargebee', metadata: {},
        },
        site: seedSite(id, today),
      });
    }
  }

  /** The site behind an ACTIVE connection. */
  site(id: string): Site | undefined {
    const entry = this.byId.get(id);
    return entry?.connection.status === 'ACTIVE' ? entry.site : undefined;
  }

  /** `/connections[/{id}]` routes; `segments` are the path segments after `/connections`. */
  handle(method: string, segments: string[], query: string, body: string, env: Env): HttpResponse {
    const [rawId, ...rest] = segments;
    if (rest.length) throw matonError(404, 'Not found');
    if (rawId === undefined || rawId === '') {
      if (method === 'GET') return this.list(new URLSearchParams(query));
      if (method === 'POST') return this.create(body, env);
      throw matonError(405, `Method ${method} not allowed on /connections`);
    }
    const id = safeDecode(rawId);
    const entry = this.byId.get(id);
    if (!entry) throw matonError(404, `Connection '${id}' not found`);
    if (method === 'GET') return plainJson({ connection: entry.connection });
    if (method === 'DELETE') {
      this.byId.delete(id);
      return plainJson({});
    }
    throw matonError(405, `Method ${method} not allowed on /connections/{connection_id}`);
  }

  private list(query: URLSearchParams): HttpResponse {
    const app = query.get('app');
    const status = query.get('status');
    const connections = [...this.byId.values()]
      .map((e) => e.connection)
      .filter((c) => (app === null || c.app === app) && (status === null || c.status === status));
    return plainJson({ connections });
  }

  private create(body: string, env: Env): HttpResponse {
    let request: unknown;
    try {
      request = JSON.parse(body);
    } catch {
      throw matonError(400, 'Request body must be JSON like {"app":"chargebee"}');
    }
    const app = (request as { app?: unknown } | null)?.app;
    if (app === undefined) throw matonError(400, 'Missing required field: app');
    if (app !== 'chargebee') throw matonError(400, `Unsupported app '${String(app)}': this sandbox gateway only serves chargebee`);
    const now = isoMicros(env.clock.now());
    const connection: Connection = {
      connection_id: randomUUID(), status: 'PENDING', creation_time: now, last_updated_time: now,
      url: connectUrl(), app: 'chargebee', metadata: {},
    };
    this.byId.set(connection.connection_id, { connection });
    return plainJson({ connection });
  }
}

export interface GatewayRequest {
  method: string;
  rawPath: string;
  query: string;
  body: string;
  headers: Record<string, string | undefined>;
  exportFails: boolean;
  /** Filled with the Chargebee parameters the route does not know (see ChargebeeRequest). */
  unknownParams?: string[];
}

const CHARGEBEE_PREFIX = '/chargebee/api/v2/';

/** Routes an authenticated, admitted request by app: `/connections…` or `/chargebee/…` (the connection's site). */
export function handleGateway(connections: Connections, env: Env, req: GatewayRequest): HttpResponse {
  const [, app = '', ...segments] = req.rawPath.split('/');
  if (app === 'connections') return connections.handle(req.method, segments, req.query, req.body, env);
  if (app !== 'chargebee') throw matonError(400, `Invalid app name '${app}': Chargebee calls go to /chargebee/api/v2/...`);

  const id = req.headers['maton-connection'] || DEFAULT_CONNECTION;
  const site = connections.site(id);
  if (!site) {
    throw matonError(400, `No active Chargebee connection '${id}'. List connections with GET /connections?app=chargebee&status=ACTIVE.`);
  }
  if (!req.rawPath.startsWith(CHARGEBEE_PREFIX)) return chargebeeErrorResponse(404);
  const chargebeeRequest: ChargebeeRequest = { ...req, subPath: req.rawPath.slice(CHARGEBEE_PREFIX.length) };
  // Time has passed since the last request (or the clock was moved): scheduled cancellations fall due.
  runDueCancellations(site, env);
  return handleChargebee(site, env, chargebeeRequest);
}
