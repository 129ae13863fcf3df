/**
 * Several instances sharing one Redis, as behind a load balancer: three in-process servers (each
 * its own runtime: gateway, rate limiter, ledger), the same confirm secret and HTTP token, one
 * sandbox gateway (its own rate limit off, so that what reaches it is what the instances send),
 * driven over HTTP by the official SDK client. What is counted is what reached the gateway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { loadConfig } from '../src/config.js';
import { startHttpServer, type HttpServerHandle } from '../src/http.js';
import { silentLogger } from '../src/log.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { redisOrSkip, startRedis, type TestRedis } from './helpers/redis.js';

const run = redisOrSkip();
const TOKEN = 'cluster-test-token-0123456789abcdef';
let redis: TestRedis;
let sandbox: Sandbox;
const runtimes: Runtime[] = [];
const servers: HttpServerHandle[] = [];
const clients: Client[] = [];

type Result = CallToolResult & { structuredContent?: any };
interface Logged {
  method: string;
  path: string;
  at: number;
}

beforeAll(async () => {
  if (!run) return;
  redis = await startRedis();
  sandbox = await startSandbox({ rateLimit: 0 });
  const env = {
    MATON_BASE_URL: sandbox.url,
    MATON_API_KEY: sandbox.apiKey,
    MATON_CONNECTION_ID: 'sandbox-acme',
    CHARGEBEE_MCP_CONFIRM_SECRET: 'one-secret-for-all-instances-0123',
    MCP_HTTP_TOKEN: TOKEN,
    CHARGEBEE_MCP_RATE_LIMIT: '10',
  };
  for (let i = 0; i < 3; i++) {
    const rt = await createRuntime(loadConfig({ transport: 'http', redisUrl: redis.url }, env), silentLogger());
    runtimes.push(rt);
    servers.push(await startHttpServer(rt, { host: '127.0.0.1', port: 0, token: TOKEN }));
  }
}, 30_000);

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await Promise.allSettled(servers.map((s) => s.close()));
  await Promise.allSettled(runtimes.map((r) => r.close()));
  await sandbox?.close();
  await redis?.stop();
});

async function connect(i: number): Promise<Client> {
  const client = new Client({ name: `instance-${i}`, version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${servers[i]!.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
  clients.push(client);
  return client;
}

const call = (c: Client, name: string, args: Record<string, unknown>) => c.callTool({ name, arguments: args }, undefined, { timeout: 60_000 }) as Promise<Result>;
const textOf = (r: Result) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

async function gatewayLog(): Promise<Logged[]> {
  const res = await fetch(`${sandbox.url}/_sandbox/requests`, { headers: { authorization: `Bearer ${sandbox.apiKey}` } });
  return ((await res.json()) as { requests: Logged[] }).requests;
}

const writesTo = async (customer: string, since: number) => (await gatewayLog()).filter((r) => r.at >= since && r.method === 'POST' && r.path.includes(customer));

function busiestSecond(times: number[]): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i]! - t[j]! >= 1000) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe.runIf(run)('what a load balancer needs (deploy/haproxy.cfg)', () => {
  it('GET /healthz answers 200 without a token or a matching Host', async () => {
    const res = await fetch(`${servers[0]!.url}/healthz`, { headers: { host: 'balancer.internal:8080' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok\n');
    // Everything else still wants the token.
    expect((await fetch(`${servers[0]!.url}/mcp`, { method: 'POST' })).status).toBe(401);
  });

  it('GET /sse carries the new session id in an Mcp-Session-Id header, the id /messages is then posted to', async () => {
    const ac = new AbortController();
    const res = await fetch(`${servers[1]!.url}/sse`, { headers: { authorization: `Bearer ${TOKEN}`, accept: 'text/event-stream' }, signal: ac.signal });
    expect(res.status).toBe(200);
    const id = res.headers.get('mcp-session-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain(`/messages?sessionId=${id}`);
    ac.abort();
  });
});

describe.runIf(run)('three instances sharing Redis', () => {
  it('preview on one instance, confirm on another, replay on a third: one write', async () => {
    const [a, b, c] = [await connect(0), await connect(1), await connect(2)];
    const args = { customer_id: 'cust_acme_03', company: 'Across Instances Ltd' };
    const t0 = Date.now();
    const preview = await call(a, 'update_customer', args);
    const token = preview.structuredContent?.confirm_token;
    expect(token, textOf(preview)).toEqual(expect.any(String));
    const first = await call(b, 'update_customer', { ...args, confirm_token: token });
    expect(first.isError, textOf(first)).toBeFalsy();
    expect(first.structuredContent?.status).toBe('done');
    const replay = await call(c, 'update_customer', { ...args, confirm_token: token });
    expect(replay.structuredContent?.replay, textOf(replay)).toBe(true);
    expect(await writesTo('cust_acme_03', t0)).toHaveLength(1);
  });

  it('one token confirmed nine times at once on three instances: one write', async () => {
    const cs = [await connect(0), await connect(1), await connect(2)];
    const args = { customer_id: 'cust_acme_04', company: 'Race Condition GmbH' };
    const t0 = Date.now();
    const preview = await call(cs[0]!, 'update_customer', args);
    const token = preview.structuredContent?.confirm_token;
    expect(token, textOf(preview)).toEqual(expect.any(String));
    const results = await Promise.all(Array.from({ length: 9 }, (_, i) => call(cs[i % 3]!, 'update_customer', { ...args, confirm_token: token })));
    expect(await writesTo('cust_acme_04', t0)).toHaveLength(1);
    expect(results.filter((r) => r.structuredContent?.status === 'done' && !r.structuredContent?.replay)).toHaveLength(1);
  });

  it('60 concurrent reads across the instances: never more than 10 requests in a second at the gateway', async () => {
    const cs = [await connect(0), await connect(1), await connect(2)];
    const t0 = Date.now();
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => call(cs[i % 3]!, 'get_customer', { customer_id: `cust_acme_0${(i % 5) + 1}` })));
    const t1 = Date.now();
    expect(results.filter((r) => r.isError).map(textOf)).toEqual([]);
    const times = (await gatewayLog()).filter((r) => r.at >= t0 && r.at <= t1).map((r) => r.at);
    expect(times.length).toBeGreaterThanOrEqual(60);
    expect(busiestSecond(times)).toBeLessThanOrEqual(10);
    // Three in-process windows would have let 30 through in the first second; one shared window spreads 60 over ~6 s.
    expect(t1 - t0).toBeGreaterThan(4_500);
  }, 30_000);

  it('Redis stopped: reads work, writes are refused clearly and nothing is sent; Redis back: writes work again without a restart', async () => {
    const [a, b] = [await connect(0), await connect(1)];
    const args = { customer_id: 'cust_acme_05', company: 'While Redis Was Down' };
    const preview = await call(a, 'update_customer', args);
    const token = preview.structuredContent?.confirm_token;
    expect(token, textOf(preview)).toEqual(expect.any(String));
    await redis.stop();
    try {
      const t0 = Date.now();
      const read = await call(b, 'get_customer', { customer_id: 'cust_acme_01' });
      expect(read.isError, textOf(read)).toBeFalsy();
      expect(read.structuredContent?.customer?.id).toBe('cust_acme_01');
      const confirm = await call(b, 'update_customer', { ...args, confirm_token: token });
      expect(confirm.isError).toBe(true);
      expect(textOf(confirm)).toMatch(/Writes are refused .*Redis at redis:\/\/127\.0\.0\.1:\d+ did not answer/);
      expect(textOf(confirm)).toMatch(/nothing was sent/i);
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(await writesTo('cust_acme_05', t0)).toHaveLength(0);
    } finally {
      await redis.start();
    }
    // The instances reconnect by themselves; the token was not spent.
    let done: Result | undefined;
    const deadline = Date.now() + 8_000;
    while (Date.now() < deadline) {
      done = await call(b, 'update_customer', { ...args, confirm_token: token });
      if (done.structuredContent?.status === 'done') break;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(done?.structuredContent?.status, done && textOf(done)).toBe('done');
  }, 30_000);
});
