/**
 * The HTTP transports end to end: the official SDK clients (Streamable HTTP and legacy SSE)
 * over real loopback HTTP against the in-process server and the embedded sandbox, and every
 * guard (token, Host/Origin, body cap, sessions) probed with raw HTTP requests.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import { loadConfig, UsageError } from '../src/config.js';
import { serveHttp, startHttpServer, type HttpServerHandle } from '../src/http.js';
import { silentLogger } from '../src/log.js';
import { createRuntime, type Runtime } from '../src/runtime.js';

const TOKEN_A = 'test-token-aaaaaaaaaaaaaaaaaaaaaaaa';
const TOKEN_B = 'test-token-bbbbbbbbbbbbbbbbbbbbbbbb';
const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

let rt: Runtime;
let a: HttpServerHandle;
let b: HttpServerHandle;
const clients: Client[] = [];

beforeAll(async () => {
  const config = loadConfig({ sandbox: true, transport: 'http' }, { CHARGEBEE_MCP_RATE_LIMIT: '0' });
  rt = await createRuntime(config, silentLogger(), { rateLimit: 0, exportCompleteMs: 1200 });
  // Two servers, two tokens (two principals), one runtime: confirm tokens must not cross between them.
  a = await startHttpServer(rt, { host: '127.0.0.1', port: 0, token: TOKEN_A });
  b = await startHttpServer(rt, { host: '127.0.0.1', port: 0, token: TOKEN_B });
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await a?.close();
  await b?.close();
  await rt?.close();
});

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

async function streamable(h: HttpServerHandle, token: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(`${h.url}/mcp`), { requestInit: { headers: auth(token) } });
  const client = new Client({ name: 'http-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

async function sse(h: HttpServerHandle, token: string): Promise<Client> {
  const transport = new SSEClientTransport(new URL(`${h.url}/sse`), {
    requestInit: { headers: auth(token) },
    eventSourceInit: { fetch: (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...auth(token) } }) },
  });
  const client = new Client({ name: 'sse-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw HTTP/1.1 request (node:http, so Host can be forged); reads at most a few KiB of the response. */
function raw(h: HttpServerHandle, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: h.port, method, path, headers: { Host: `127.0.0.1:${h.port}`, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        if (text.length > 4096) res.destroy();
      });
      const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text });
      res.on('end', done);
      res.on('close', done);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const jsonHeaders = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };

describe('HTTP transports with the official SDK clients', () => {
  it('Streamable HTTP and legacy SSE list the same tools and both run a read', async () => {
    const { client: s } = await streamable(a, TOKEN_A);
    const l = await sse(a, TOKEN_A);
    const [st, lt] = await Promise.all([s.listTools(), l.listTools()]);
    expect(st.tools).toHaveLength(36);
    expect(lt.tools.map((t) => t.name)).toEqual(st.tools.map((t) => t.name));
    for (const c of [s, l]) {
      const r = (await c.callTool({ name: 'list_customers', arguments: { limit: 2 } })) as any;
      expect(r.isError).toBeFalsy();
      expect(JSON.stringify(r.structuredContent)).toMatch(/"object":"customer"/);
    }
    expect(a.sessionCount()).toBe(2);
  });

  it('a full preview → confirm write over HTTP; the token is refused to another principal', async () => {
    const { client } = await streamable(a, TOKEN_A);
    const { client: other } = await streamable(b, TOKEN_B);
    const args = { subscription_id: 'sub_acme_01', cancel_option: 'end_of_term', connection_id: 'sandbox-acme' };
    const preview = (await client.callTool({ name: 'cancel_subscription_for_items', arguments: args })) as any;
    expect(preview.isError).toBeFalsy();
    expect(preview.structuredContent.status).toBe('confirmation_required');
    const token = preview.structuredContent.confirm_token as string;
    expect(token).toEqual(expect.any(String));

    const foreign = (await other.callTool({ name: 'cancel_subscription_for_items', arguments: { ...args, confirm_token: token } })) as any;
    expect(foreign.isError).toBe(true);
    expect(foreign.content[0].text).toMatch(/confirm_token/);

    const done = (await client.callTool({ name: 'cancel_subscription_for_items', arguments: { ...args, confirm_token: token } })) as any;
    expect(done.isError).toBeFalsy();
    expect(done.structuredContent.status).toBe('done');
  });

  it('progress notifications arrive on the request stream (both transports)', async () => {
    const { client: s } = await streamable(a, TOKEN_A);
    const l = await sse(a, TOKEN_A);
    await Promise.all(
      [s, l].map(async (c) => {
        const started = (await c.callTool({ name: 'export_customers', arguments: {} })) as any;
        const progress: Progress[] = [];
        const r = (await c.callTool({ name: 'wait_for_export', arguments: { export_id: started.structuredContent.export.id } }, undefined, { onprogress: (p) => progress.push(p) })) as any;
        expect(r.isError).toBeFalsy();
        expect(r.structuredContent.export.status).toBe('completed');
        expect(progress.length).toBeGreaterThanOrEqual(1);
      }),
    );
  });

  it('close() lets an in-flight call finish, then closes the sessions', async () => {
    const c = await startHttpServer(rt, { host: '127.0.0.1', port: 0, token: TOKEN_A });
    const { client } = await streamable(c, TOKEN_A);
    const started = (await client.callTool({ name: 'export_customers', arguments: {} })) as any;
    let closing: Promise<void> | undefined;
    const call = client.callTool({ name: 'wait_for_export', arguments: { export_id: started.structuredContent.export.id } }, undefined, {
      onprogress: () => {
        closing ??= c.close();
      },
    });
    const r = (await call) as any;
    expect(closing).toBeDefined();
    expect(r.structuredContent.export.status).toBe('completed');
    await closing;
    expect(c.sessionCount()).toBe(0);
    const after = await fetch(`${c.url}/mcp`, { method: 'POST' }).then(
      () => 'answered',
      () => 'refused',
    );
    expect(after).toBe('refused');
  });
});

describe('guards', () => {
  it('401 without a token and with a wrong one, with WWW-Authenticate: Bearer', async () => {
    for (const headers of [{}, auth('wrong-token-xxxxxxxxxxxxxxxxxxxx'), { Authorization: `Basic ${Buffer.from('u:p').toString('base64')}` }]) {
      for (const [method, path] of [['POST', '/mcp'], ['GET', '/sse'], ['POST', '/messages?sessionId=x']] as const) {
        const r = await raw(a, method, path, { ...jsonHeaders, ...headers }, method === 'POST' ? JSON.stringify(INIT) : undefined);
        expect(r.status, `${method} ${path}`).toBe(401);
        expect(r.headers['www-authenticate']).toMatch(/^Bearer\b/);
        expect(JSON.parse(r.body).error_description).toMatch(/Authorization header|MCP_HTTP_TOKEN/);
      }
    }
    // The other server's token is not this server's.
    expect((await raw(a, 'POST', '/mcp', { ...jsonHeaders, ...auth(TOKEN_B) }, JSON.stringify(INIT))).status).toBe(401);
  });

  it('403 for a foreign Host or Origin, on every route; local ones pass', async () => {
    for (const path of ['/mcp', '/sse', '/messages?sessionId=x']) {
      const host = await raw(a, 'POST', path, { ...jsonHeaders, ...auth(TOKEN_A), Host: `evil.example.com:${a.port}` }, JSON.stringify(INIT));
      expect(host.status, path).toBe(403);
      expect(JSON.parse(host.body).error.message).toMatch(/Host/);
      const origin = await raw(a, 'POST', path, { ...jsonHeaders, ...auth(TOKEN_A), Origin: 'http://evil.example.com' }, JSON.stringify(INIT));
      expect(origin.status, path).toBe(403);
      expect(JSON.parse(origin.body).error.message).toMatch(/Origin/);
    }
    // Checked before the token: a rebinding page learns nothing about auth.
    expect((await raw(a, 'POST', '/mcp', { ...jsonHeaders, Host: 'evil.example.com' }, '{}')).status).toBe(403);
    expect((await raw(a, 'POST', '/mcp', { ...jsonHeaders, ...auth(TOKEN_A), Host: `127.0.0.1:${a.port + 1}` }, '{}')).status).toBe(403);
    expect((await raw(a, 'POST', '/mcp', { ...jsonHeaders, ...auth(TOKEN_A), Origin: 'null' }, '{}')).status).toBe(403);
    for (const ok of [`localhost:${a.port}`, `127.0.0.1:${a.port}`, `[::1]:${a.port}`]) {
      const r = await raw(a, 'POST', '/mcp', { ...jsonHeaders, ...auth(TOKEN_A), Host: ok, Origin: `http://${ok}` }, JSON.stringify(INIT));
      expect(r.status, ok).toBe(200);
      const sid = r.headers['mcp-session-id'] as string;
      await raw(a, 'DELETE', '/mcp', { ...auth(TOKEN_A), 'Mcp-Session-Id': sid });
    }
  });

  it('413 for a body over the cap (declared or streamed)', async () => {
    const big = JSON.stringify({ ...INIT, params: { ...INIT.params, pad: 'x'.repeat(1024 * 1024 + 10) } });
    const declared = await raw(a, 'POST', '/mcp', { ...jsonHeaders, ...auth(TOKEN_A), 'Content-Length': String(Buffer.byteLength(big)) }, big);
    expect(declared.status).toBe(413);
    const chunked = await raw(a, 'POST', '/mcp', { ...jsonHeaders, ...auth(TOKEN_A), 'Transfer-Encoding': 'chunked' }, big);
    expect(chunked.status).toBe(413);
    const small = await startHttpServer(rt, { host: '127.0.0.1', port: 0, token: TOKEN_A, maxBodyBytes: 100 });
    try {
      expect((await raw(small, 'POST', '/mcp', { ...jsonHeaders, ...auth(TOKEN_A) }, JSON.stringify(INIT))).status).toBe(413);
    } finally {
      await small.close();
    }
  });

  it('404 for an unknown session and after DELETE; 400 without a session id', async () => {
    const unknown = await raw(a, 'POST', '/mcp', { ...jsonHeaders, ...auth(TOKEN_A), 'Mcp-Session-Id': 'no-such-session' }, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }));
    expect(unknown.status).toBe(404);
    expect((await raw(a, 'POST', '/messages?sessionId=no-such-session', { ...jsonHeaders, ...auth(TOKEN_A) }, '{}')).status).toBe(404);
    expect((await raw(a, 'POST', '/mcp', { ...jsonHeaders, ...auth(TOKEN_A) }, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }))).status).toBe(400);

    const { client, transport } = await streamable(a, TOKEN_A);
    const sid = transport.sessionId!;
    expect((await client.listTools()).tools.length).toBe(36);
    await transport.terminateSession();
    const list = { jsonrpc: '2.0', id: 3, method: 'tools/list' };
    const after = await raw(a, 'POST', '/mcp', { ...jsonHeaders, ...auth(TOKEN_A), 'Mcp-Session-Id': sid, 'Mcp-Protocol-Version': '2025-11-25' }, JSON.stringify(list));
    expect(after.status).toBe(404);
    expect((await raw(a, 'GET', '/mcp', { Accept: 'text/event-stream', ...auth(TOKEN_A), 'Mcp-Session-Id': sid })).status).toBe(404);
    expect((await raw(a, 'DELETE', '/mcp', { ...auth(TOKEN_A), 'Mcp-Session-Id': sid })).status).toBe(404);
    // A session is not reachable through another server's principal either.
    expect((await raw(b, 'POST', '/mcp', { ...jsonHeaders, ...auth(TOKEN_B), 'Mcp-Session-Id': sid }, JSON.stringify(list))).status).toBe(404);
  });

  it('at the cap an idle session makes room; idle sessions expire', async () => {
    const c = await startHttpServer(rt, { host: '127.0.0.1', port: 0, token: TOKEN_A, maxSessions: 1, idleMs: 300 });
    try {
      const first = await raw(c, 'POST', '/mcp', { ...jsonHeaders, ...auth(TOKEN_A) }, JSON.stringify(INIT));
      expect(first.status).toBe(200);
      // The first client went away without DELETE: the next one is served and the first session is closed.
      const second = await raw(c, 'POST', '/mcp', { ...jsonHeaders, ...auth(TOKEN_A) }, JSON.stringify(INIT));
      expect(second.status).toBe(200);
      expect(c.sessionCount()).toBe(1);
      const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
      const evicted = await raw(c, 'POST', '/mcp', { ...jsonHeaders, ...auth(TOKEN_A), 'Mcp-Session-Id': first.headers['mcp-session-id'] as string }, list);
      expect(evicted.status).toBe(404);
      await new Promise((r) => setTimeout(r, 700));
      expect(c.sessionCount()).toBe(0);
      const sid = second.headers['mcp-session-id'] as string;
      const gone = await raw(c, 'POST', '/mcp', { ...jsonHeaders, ...auth(TOKEN_A), 'Mcp-Session-Id': sid }, list);
      expect(gone.status).toBe(404);
      expect((await raw(c, 'POST', '/mcp', { ...jsonHeaders, ...auth(TOKEN_A) }, JSON.stringify(INIT))).status).toBe(200);
    } finally {
      await c.close();
    }
  });

  it('legacy SSE: endpoint event, keep-alive comments, cleanup on disconnect', async () => {
    const c = await startHttpServer(rt, { host: '127.0.0.1', port: 0, token: TOKEN_A, keepAliveMs: 50 });
    try {
      const text = await new Promise<string>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: c.port, path: '/sse', headers: { Host: `127.0.0.1:${c.port}`, ...auth(TOKEN_A) } }, (res) => {
          let t = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (t += d));
          setTimeout(() => {
            req.destroy();
            resolve(t);
          }, 250);
        });
        req.on('error', reject);
      });
      expect(text).toMatch(/^event: endpoint\ndata: \/messages\?sessionId=[0-9a-f-]{36}\n\n/);
      expect(text).toContain(': keepalive\n\n');
      await new Promise((r) => setTimeout(r, 100));
      expect(c.sessionCount()).toBe(0);
    } finally {
      await c.close();
    }
  });

  it('--no-auth is refused off loopback, allowed on it', async () => {
    await expect(startHttpServer(rt, { host: '0.0.0.0', port: 0, token: null })).rejects.toBeInstanceOf(UsageError);
    const offLoopback = { ...rt, config: { ...rt.config, host: '0.0.0.0', port: 0, noAuth: true } };
    await expect(serveHttp(offLoopback, { signals: false })).rejects.toBeInstanceOf(UsageError);
    const open = await serveHttp({ ...rt, config: { ...rt.config, host: '127.0.0.1', port: 0, noAuth: true } }, { signals: false });
    try {
      expect(open.token).toBeNull();
      const transport = new StreamableHTTPClientTransport(new URL(`${open.url}/mcp`));
      const client = new Client({ name: 'anon', version: '1.0.0' });
      await client.connect(transport);
      expect((await client.listTools()).tools).toHaveLength(36);
      await client.close();
    } finally {
      await open.close();
    }
  });

  it('an unknown path is 404, a wrong method 405', async () => {
    expect((await raw(a, 'GET', '/nope', auth(TOKEN_A))).status).toBe(404);
    const put = await raw(a, 'PUT', '/mcp', auth(TOKEN_A), '{}');
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, POST, DELETE');
  });
});
