import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema, type CallToolResult, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { loadConfig, type Config } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { createServer } from '../../src/server.js';
import type { SandboxOptions } from '../../src/sandbox/index.js';

export type ElicitHandler = (req: ElicitRequest['params']) => Promise<ElicitResult> | ElicitResult;

export interface Harness {
  rt: Runtime;
  client: Client;
  /** Call a tool; returns the raw MCP result. */
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult & { structuredContent?: any }>;
  /** Requests the sandbox received since the last reset, excluding Maton connection listings. */
  requests(): Promise<Array<{ method: string; path: string; query: string; headers: Record<string, string>; body: string }>>;
  reset(): Promise<void>;
  fault(spec: unknown): Promise<void>;
  sandboxFetch(path: string, init?: RequestInit): Promise<Response>;
  /** A client for `caller`; with `onElicit` it declares the elicitation capability and answers with it. */
  connectAs(caller: string, onElicit?: ElicitHandler): Promise<Client>;
  close(): Promise<void>;
}

/**
 * Fails when the sandbox logged a request carrying parameters Chargebee does not know for its route
 * (`unknown_params`: Chargebee would ignore them silently, so a write would report success and
 * change nothing). Every harness checks this when a test resets it and when it closes, so no
 * integration test can send one unnoticed.
 */
export async function noUnknownParams(sandboxFetch: (path: string) => Promise<Response>, clear?: () => Promise<unknown>): Promise<void> {
  const { requests } = (await (await sandboxFetch('/_sandbox/requests')).json()) as { requests: Array<{ method: string; path: string; unknown_params?: string[] }> };
  await clear?.();
  const sent = requests.filter((r) => r.unknown_params?.length);
  if (sent.length) {
    throw new Error(`Parameters Chargebee does not know were sent (it would ignore them): ${sent.map((r) => `${r.method} ${r.path}: ${r.unknown_params!.join(', ')}`).join('; ')}`);
  }
}

/**
 * The whole server, in-process, against the embedded sandbox over real HTTP on
 * loopback, driven by the official SDK Client.
 */
export async function startHarness(
  opts: { config?: Partial<Config>; env?: Record<string, string>; sandbox?: SandboxOptions; caller?: string; onElicit?: ElicitHandler; unpinned?: boolean } = {},
): Promise<Harness> {
  const config = loadConfig({ sandbox: true, ...opts.config }, { CHARGEBEE_MCP_RATE_LIMIT: '0', ...opts.env });
  // --sandbox pins sandbox-acme; `unpinned` tests the engine with no connection pinned.
  if (opts.unpinned) config.connectionId = undefined;
  const rt = await createRuntime(config, silentLogger(), { rateLimit: 0, exportCompleteMs: 300, ...opts.sandbox });
  const sb = rt.sandbox!;
  const clients: Client[] = [];
  const connectAs = async (caller: string, onElicit?: ElicitHandler) => {
    const [ct, st] = InMemoryTransport.createLinkedPair();
    await createServer(rt, caller).connect(st);
    const client = new Client({ name: 'test', version: '1.0.0' }, onElicit ? { capabilities: { elicitation: { form: {} } } } : {});
    if (onElicit) client.setRequestHandler(ElicitRequestSchema, async (req) => onElicit(req.params));
    await client.connect(ct);
    clients.push(client);
    return client;
  };
  const client = await connectAs(opts.caller ?? 'test-caller', opts.onElicit);
  const sandboxFetch = (path: string, init: RequestInit = {}) =>
    fetch(sb.url + path, { ...init, headers: { authorization: `Bearer ${sb.apiKey}`, ...(init.headers as Record<string, string>) } });
  return {
    rt,
    client,
    connectAs,
    call: (name, args = {}) => client.callTool({ name, arguments: args }) as Promise<CallToolResult & { structuredContent?: any }>,
    async requests() {
      const res = await sandboxFetch('/_sandbox/requests');
      const body = (await res.json()) as { requests: Array<{ method: string; path: string; query: string; headers: Record<string, string>; body: string }> };
      return body.requests.filter((r) => r.path !== '/connections');
    },
    async reset() {
      await noUnknownParams(sandboxFetch, () => sandboxFetch('/_sandbox/reset', { method: 'POST' }));
    },
    async fault(spec) {
      const res = await sandboxFetch('/_sandbox/faults', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });
      if (!res.ok) throw new Error(`fault refused: ${res.status} ${await res.text()}`);
    },
    sandboxFetch,
    async close() {
      try {
        await noUnknownParams(sandboxFetch);
      } finally {
        for (const c of clients) await c.close();
        await rt.close();
      }
    },
  };
}

/** Chargebee's estimate routes: POSTs that change nothing (previews call them). */
export function isEstimate(path: string): boolean {
  return /\/[a-z_]+_estimate$/.test(path) || path.startsWith('/chargebee/api/v2/estimates/');
}

/** The requests that may change something: POSTs and DELETEs other than estimates. */
export const writesOf = <T extends { method: string; path: string }>(requests: T[]): T[] =>
  requests.filter((r) => r.method !== 'GET' && !isEstimate(r.path));

export function text(r: CallToolResult): string {
  return r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}
