/**
 * Sessions and slow clients over real loopback HTTP: clients that exit without DELETE never lock
 * anyone out (the least recently active idle session makes room), 503 only when every session has
 * a call in flight, legacy SSE streams in the same scheme, and sockets that send part of a request
 * and then nothing are closed within the configured timeouts.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { loadConfig } from '../src/config.js';
import { startHttpServer, type HttpServerHandle } from '../src/http.js';
import { silentLogger } from '../src/log.js';
import { createRuntime, type Runtime } from '../src/runtime.js';

const TOKEN = 'sessions-token-aaaaaaaaaaaaaaaaaaaa';
const auth = { Authorization: `Bearer ${TOKEN}` };
const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
const jsonHeaders = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...auth };

let rt: Runtime;

beforeAll(async () => {
  const config = loadConfig({ sandbox: true, transport: 'http' }, { CHARGEBEE_MCP_RATE_LIMIT: '0' });
  rt = await createRuntime(config, silentLogger(), { rateLimit: 0 });
});

afterAll(async () => {
  await rt?.close();
});

async function sandbox(method: string, path: string, body?: unknown): Promise<any> {
  const r = await fetch(`${rt.sandbox!.url}${path}`, { method, headers: { Authorization: 'Bearer sandbox', 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return r.json();
}

async function connect(h: HttpServerHandle): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(`${h.url}/mcp`), { requestInit: { headers: auth } });
  const client = new Client({ name: 'sessions-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

async function post(h: HttpServerHandle, body: unknown, sid?: string): Promise<Response> {
  return fetch(`${h.url}/mcp`, { method: 'POST', headers: { ...jsonHeaders, ...(sid ? { 'Mcp-Session-Id': sid, 'Mcp-Protocol-Version': '2025-11-25' } : {}) }, body: JSON.stringify(body) });
}

describe('session cap', () => {
  it('150 SDK clients that exit without DELETE are all served with a cap of 20', async () => {
    const h = await startHttpServer(rt, { host: '127.0.0.1', port: 0, token: TOKEN, maxSessions: 20 });
    try {
      let peak = 0;
      const watch = setInterval(() => (peak = Math.max(peak, h.sessionCount())), 5);
      const served: string[] = [];
      const failed: string[] = [];
      let next = 0;
      const started = performance.now();
      // Ten at a time, each a full client life: connect, one read, close() — which sends no DELETE.
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          while (next < 150) {
            const n = next++;
            try {
              const { client } = await connect(h);
              const r = (await client.callTool({ name: 'get_customer', arguments: { customer_id: 'cust_acme_01' } })) as any;
              if (r.isError) throw new Error(r.content?.[0]?.text);
              served.push(r.structuredContent.customer.id);
              await client.close();
            } catch (e) {
              failed.push(`client ${n}: ${e instanceof Error ? e.message : String(e)}`);
            }
          }
        }),
      );
      clearInterval(watch);
      const ms = performance.now() - started;
      expect(failed).toEqual([]);
      expect(served).toHaveLength(150);
      expect(served.every((id) => id === 'cust_acme_01')).toBe(true);
      expect(peak).toBeLessThanOrEqual(20);
      expect(h.sessionCount()).toBe(20);
      console.info(`150 clients through a cap of 20: ${Math.round(ms)} ms (${((ms / 150) * 10).toFixed(1)} ms per client life at 10 concurrent)`);
    } finally {
      await h.close();
    }
  }, 60_000);

  it('503 only while every session has a call in flight; the busy sessions keep working', async () => {
    const h = await startHttpServer(rt, { host: '127.0.0.1', port: 0, token: TOKEN, maxSessions: 2 });
    try {
      const a = await connect(h);
      const b = await connect(h);
      await sandbox('POST', '/_sandbox/faults', { match: { method: 'GET', path: '/chargebee/api/v2/customers/cust_acme_02' }, times: 2, fault: { delay_ms: 1500 } });
      const slow = [a, b].map(({ client }) => client.callTool({ name: 'get_customer', arguments: { customer_id: 'cust_acme_02' } }) as Promise<any>);
      await new Promise((r) => setTimeout(r, 300));
      const refused = await post(h, INIT);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBeTruthy();
      expect((await refused.json()).error.message).toMatch(/Too many open MCP sessions \(limit 2\), and every one has a call in progress/);
      // Both calls finish on their sessions: nothing was evicted under them.
      for (const r of await Promise.all(slow)) expect(r.structuredContent.customer.id).toBe('cust_acme_02');
      // Now both are idle: a newcomer is served, and the least recently active (a, whose call ended first or together) makes room.
      const c = await post(h, INIT);
      expect(c.status).toBe(200);
      expect(h.sessionCount()).toBe(2);
      await Promise.all([a.client.close(), b.client.close()]);
    } finally {
      await sandbox('DELETE', '/_sandbox/faults');
      await h.close();
    }
  }, 20_000);

  it('the least recently active idle session is the one closed', async () => {
    const h = await startHttpServer(rt, { host: '127.0.0.1', port: 0, token: TOKEN, maxSessions: 3 });
    try {
      const sids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await post(h, INIT);
        sids.push(r.headers.get('mcp-session-id')!);
        await r.text();
        await new Promise((r) => setTimeout(r, 10));
      }
      // Session 0 is used again, so session 1 is now the least recently active.
      const list = { jsonrpc: '2.0', id: 2, method: 'tools/list' };
      expect((await post(h, list, sids[0])).status).toBe(200);
      const evictor = await post(h, INIT);
      expect(evictor.status).toBe(200);
      const status = async (sid: string) => (await post(h, list, sid)).status;
      expect(await status(sids[1]!)).toBe(404);
      expect(await status(sids[0]!)).toBe(200);
      expect(await status(sids[2]!)).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('legacy SSE streams count in the same scheme: 30 held streams through a cap of 20, each served', async () => {
    const h = await startHttpServer(rt, { host: '127.0.0.1', port: 0, token: TOKEN, maxSessions: 20 });
    const clients: Client[] = [];
    try {
      const sids: string[] = [];
      for (let i = 0; i < 30; i++) {
        const transport = new SSEClientTransport(new URL(`${h.url}/sse`), {
          requestInit: { headers: auth },
          eventSourceInit: { fetch: (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...auth } }) },
        });
        const client = new Client({ name: `sse-${i}`, version: '1.0.0' });
        await client.connect(transport);
        sids.push(new URL((transport as any)._endpoint).searchParams.get('sessionId')!);
        const r = (await client.callTool({ name: 'get_customer', arguments: { customer_id: 'cust_acme_03' } })) as any;
        expect(r.structuredContent.customer.id).toBe('cust_acme_03');
        clients.push(client);
        expect(h.sessionCount()).toBeLessThanOrEqual(20);
      }
      await new Promise((r) => setTimeout(r, 200));
      // The 10 oldest streams were closed by the server to make room; the 20 newest still work.
      expect(h.sessionCount()).toBe(20);
      const ping = JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' });
      const statuses = await Promise.all(sids.map((sid) => fetch(`${h.url}/messages?sessionId=${sid}`, { method: 'POST', headers: jsonHeaders, body: ping }).then((r) => r.status)));
      expect(statuses).toEqual([...Array(10).fill(404), ...Array(20).fill(202)]);
      const last = (await clients[29]!.callTool({ name: 'get_customer', arguments: { customer_id: 'cust_acme_04' } })) as any;
      expect(last.structuredContent.customer.id).toBe('cust_acme_04');
    } finally {
      await Promise.allSettled(clients.map((c) => c.close()));
      await h.close();
    }
  }, 30_000);
});

/** Opens a raw socket, writes `data`, then says nothing; resolves with how long until the server closed it. */
function stall(port: number, data: string): Promise<{ ms: number; reply: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let reply = '';
    const s = net.connect(port, '127.0.0.1', () => s.write(data));
    s.setEncoding('utf8');
    s.on('data', (d: string) => (reply += d));
    s.on('error', () => {});
    s.on('close', () => resolve({ ms: performance.now() - t0, reply }));
    setTimeout(() => {
      s.destroy();
      reject(new Error(`socket still open after 10 s (sent ${JSON.stringify(data.slice(0, 40))})`));
    }, 10_000).unref();
  });
}

describe('slow clients', () => {
  let h: HttpServerHandle;
  beforeAll(async () => {
    h = await startHttpServer(rt, { host: '127.0.0.1', port: 0, token: TOKEN, headersTimeoutMs: 500, requestTimeoutMs: 1000, keepAliveTimeoutMs: 500 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('partial heads, partial bodies and silent connections are closed within the configured timeouts', async () => {
    const host = `Host: 127.0.0.1:${h.port}\r\n`;
    const body = JSON.stringify(INIT);
    const partialHead = `POST /mcp HTTP/1.1\r\n${host}Content-Type: application/json\r\n`;
    const partialBody = `POST /mcp HTTP/1.1\r\n${host}Authorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 20)}`;
    const stalls = [...Array.from({ length: 20 }, () => stall(h.port, partialHead)), ...Array.from({ length: 20 }, () => stall(h.port, partialBody)), ...Array.from({ length: 5 }, () => stall(h.port, ''))];
    // Meanwhile an ordinary client is served.
    const ok = await post(h, INIT);
    expect(ok.status).toBe(200);
    const results = await Promise.all(stalls);
    const heads = results.slice(0, 20).map((r) => r.ms);
    const bodies = results.slice(20, 40).map((r) => r.ms);
    const silent = results.slice(40).map((r) => r.ms);
    // headersTimeout 500 ms / requestTimeout 1000 ms, checked every 125 ms: generous upper bounds for a loaded machine.
    expect(Math.max(...heads)).toBeLessThan(2500);
    expect(Math.max(...bodies)).toBeLessThan(3000);
    expect(Math.min(...bodies)).toBeGreaterThanOrEqual(900);
    expect(Math.max(...silent)).toBeLessThan(3000);
    expect(results[20]!.reply).toMatch(/^HTTP\/1\.1 408/);
    console.info(`slow sockets closed after: partial head ${Math.round(Math.min(...heads))}-${Math.round(Math.max(...heads))} ms, partial body ${Math.round(Math.min(...bodies))}-${Math.round(Math.max(...bodies))} ms, silent ${Math.round(Math.min(...silent))}-${Math.round(Math.max(...silent))} ms`);
  }, 20_000);

  it('an idle keep-alive connection is closed after keepAliveTimeout; a call longer than requestTimeout still completes', async () => {
    const done = stall(h.port, `GET /nope HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`);
    const r = await done;
    expect(r.reply).toMatch(/^HTTP\/1\.1 404/);
    expect(r.ms).toBeLessThan(2500);

    const { client } = await connect(h);
    await sandbox('POST', '/_sandbox/faults', { match: { method: 'GET', path: '/chargebee/api/v2/customers/cust_acme_05' }, times: 1, fault: { delay_ms: 1600 } });
    try {
      const t0 = performance.now();
      const call = (await client.callTool({ name: 'get_customer', arguments: { customer_id: 'cust_acme_05' } })) as any;
      expect(performance.now() - t0).toBeGreaterThan(1500);
      expect(call.structuredContent.customer.id).toBe('cust_acme_05');
    } finally {
      await sandbox('DELETE', '/_sandbox/faults');
      await client.close();
    }
  }, 20_000);
});
