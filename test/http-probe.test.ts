/**
 * A 2026-07-28 client first probes with `server/discover` (no session, no initialize). This
 * server speaks the 2025 handshake, so it must answer the probe the way a 2025 server answers
 * an unknown method — JSON-RPC Method not found — so the client falls back to initialize without
 * reporting errors. Checked with the MCP SDK v2 client in version-negotiation 'auto' mode.
 */
import { Client as V2Client, StreamableHTTPClientTransport as V2Transport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startHttpServer, type HttpServerHandle } from '../src/http.js';
import { silentLogger } from '../src/log.js';
import { createRuntime, type Runtime } from '../src/runtime.js';

const TOKEN = 'probe-token-eeeeeeeeeeeeeeeeeeeeeeee';
const headers = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };

let rt: Runtime;
let h: HttpServerHandle;

beforeAll(async () => {
  const config = loadConfig({ sandbox: true, transport: 'http' }, { CHARGEBEE_MCP_RATE_LIMIT: '0' });
  rt = await createRuntime(config, silentLogger(), { rateLimit: 0 });
  h = await startHttpServer(rt, { host: '127.0.0.1', port: 0, token: TOKEN });
});

afterAll(async () => {
  await h?.close();
  await rt?.close();
});

describe('modern-era probes', () => {
  it('a pre-initialize server/discover gets JSON-RPC Method not found (HTTP 200, same id) and opens no session', async () => {
    const probe = { jsonrpc: '2.0', id: 'probe-1', method: 'server/discover', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } } };
    const r = await fetch(`${h.url}/mcp`, { method: 'POST', headers: { ...headers, 'MCP-Protocol-Version': '2026-07-28' }, body: JSON.stringify(probe) });
    expect(r.status).toBe(200);
    expect(r.headers.get('mcp-session-id')).toBeNull();
    const body = (await r.json()) as { id: string; error: { code: number; message: string } };
    expect(body.id).toBe('probe-1');
    expect(body.error.code).toBe(-32601);
    expect(body.error.message).toMatch(/initialize/);
    expect(h.sessionCount()).toBe(0);
    // A GET for a server stream before any session: 405 (no stream here), which clients take as "none".
    const get = await fetch(`${h.url}/mcp`, { headers: { Authorization: headers.Authorization, Accept: 'text/event-stream' } });
    expect(get.status).toBe(405);
    await get.body?.cancel();
    // Any other request without a session is still a 400.
    const other = await fetch(`${h.url}/mcp`, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }) });
    expect(other.status).toBe(400);
  });

  it('the MCP SDK v2 client (versionNegotiation auto) falls back to 2025-11-25 and reports no error', async () => {
    const errors: string[] = [];
    const wire: string[] = [];
    const transport = new V2Transport(new URL(`${h.url}/mcp`), {
      requestInit: { headers: { Authorization: headers.Authorization } },
      fetch: async (url, init) => {
        const res = await fetch(url, init);
        const method = typeof init?.body === 'string' ? (JSON.parse(init.body) as { method?: string }).method : undefined;
        wire.push(`${init?.method ?? 'GET'} ${method ?? '-'} ${res.status}`);
        return res;
      },
    });
    transport.onerror = (e) => errors.push(`transport: ${e.message}`);
    const client = new V2Client({ name: 'v2-probe', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    client.onerror = (e) => errors.push(`client: ${e.message}`);
    try {
      await client.connect(transport);
      const tools = await client.listTools();
      expect(tools.tools).toHaveLength(36);
      const r = (await client.callTool({ name: 'get_customer', arguments: { customer_id: 'cust_acme_01' } })) as any;
      expect(r.isError).toBeFalsy();
      expect(r.structuredContent.customer.id).toBe('cust_acme_01');
    } finally {
      await client.close();
    }
    expect(wire.slice(0, 2)).toEqual(['POST server/discover 200', 'POST initialize 200']);
    expect(errors).toEqual([]);
  });
});
