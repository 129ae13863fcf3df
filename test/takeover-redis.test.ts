/**
 * An instance killed while holding a target lock and a token claim (SIGKILL of a real server
 * process, the shipped dist/cli.js), sharing Redis and a sandbox gateway with another instance:
 * the other instance takes the claim and the lock over within 30 s (one lease, 15 s by default),
 * and the target is written once. What is counted is what reached the gateway.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { loadConfig } from '../src/config.js';
import { startHttpServer, type HttpServerHandle } from '../src/http.js';
import { silentLogger } from '../src/log.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { freePort, redisOrSkip, startRedis, type TestRedis } from './helpers/redis.js';

const run = redisOrSkip();
const TOKEN = 'takeover-test-token-0123456789abcdef';
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
type Result = CallToolResult & { structuredContent?: any };

let redis: TestRedis;
let sandbox: Sandbox;
let env: Record<string, string>;
let child: ChildProcess | undefined;
let rt: Runtime | undefined;
let server: HttpServerHandle | undefined;
const clients: Client[] = [];

beforeAll(async () => {
  if (!run) return;
  redis = await startRedis();
  sandbox = await startSandbox({ rateLimit: 0 });
  env = {
    MATON_BASE_URL: sandbox.url,
    MATON_API_KEY: sandbox.apiKey,
    MATON_CONNECTION_ID: 'sandbox-acme',
    CHARGEBEE_MCP_CONFIRM_SECRET: 'one-secret-for-both-instances-0123',
    MCP_HTTP_TOKEN: TOKEN,
    CHARGEBEE_MCP_RATE_LIMIT: '0',
  };
}, 30_000);

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await Promise.allSettled(clients.map((c) => c.close()));
  await server?.close();
  await rt?.close();
  await sandbox?.close();
  await redis?.stop();
});

/** Instance B: in this process, same Redis, secret, token and gateway. */
async function instanceB(): Promise<Client> {
  if (!server) {
    rt = await createRuntime(loadConfig({ transport: 'http', redisUrl: redis.url }, env), silentLogger());
    server = await startHttpServer(rt, { host: '127.0.0.1', port: 0, token: TOKEN });
  }
  return connect(server.url);
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'takeover', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
  clients.push(client);
  return client;
}

const call = (c: Client, name: string, args: Record<string, unknown>) => c.callTool({ name, arguments: args }, undefined, { timeout: 120_000 }) as Promise<Result>;
const textOf = (r: Result) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

async function fault(spec: unknown): Promise<void> {
  const res = await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'POST', headers: { authorization: `Bearer ${sandbox.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(spec) });
  expect(res.ok).toBe(true);
}

async function postsTo(path: string): Promise<number> {
  const res = await fetch(`${sandbox.url}/_sandbox/requests`, { headers: { authorization: `Bearer ${sandbox.apiKey}` } });
  return ((await res.json()) as { requests: Array<{ method: string; path: string }> }).requests.filter((r) => r.method === 'POST' && r.path === path).length;
}

async function until(what: string, ok: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.runIf(run)('a killed holder', () => {
  it('SIGKILL of an instance holding a target lock and a token claim: the other instance takes both over within 30 s, and the target is written once', async () => {
    // Instance A: the shipped server, in its own process.
    const port = await freePort();
    child = spawn(process.execPath, [CLI, '--transport', 'http', '--port', String(port), '--redis', redis.url], { env: { ...env, PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += String(d)));
    const urlA = `http://127.0.0.1:${port}`;
    await until('instance A to serve', () => fetch(`${urlA}/healthz`).then((r) => r.ok, () => false), 15_000);
    const [a, b] = [await connect(urlA), await instanceB()];

    const path = '/chargebee/api/v2/customers/cust_acme_05';
    const argsA = { customer_id: 'cust_acme_05', company: 'Held By A' };
    const argsB = { customer_id: 'cust_acme_05', company: 'Written By B' };
    const ta = (await call(a, 'update_customer', argsA)).structuredContent.confirm_token as string;
    const tb = (await call(b, 'update_customer', argsB)).structuredContent.confirm_token as string;
    // A's re-check read under the target lock hangs: A holds the lock and the token claim when it dies.
    await fault({ match: { method: 'GET', path }, times: 1, fault: { delay_ms: 120_000 } });
    void call(a, 'update_customer', { ...argsA, confirm_token: ta }).catch(() => undefined);
    const keys = await (async () => {
      const c = createClient({ url: redis.url });
      await c.connect();
      return c;
    })();
    try {
      await until('A to hold the target lock', async () => (await keys.keys('chargebee-mcp:lock:*')).length === 1, 10_000);
      expect(await keys.hGet(`chargebee-mcp:tok:${JSON.parse(Buffer.from(ta.split('.')[1]!, 'base64url').toString()).n}`, 'state')).toBe('claimed');
    } finally {
      await keys.close();
    }
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    const killed = Date.now();

    // B confirms both: A's token (its claim is A's until the lease runs out) and its own (the lock is A's).
    const timed = async (p: Promise<Result>) => {
      const r = await p;
      return { r, s: (Date.now() - killed) / 1000 };
    };
    const [byA, byB] = await Promise.all([timed(call(b, 'update_customer', { ...argsA, confirm_token: ta })), timed(call(b, 'update_customer', { ...argsB, confirm_token: tb }))]);
    process.stderr.write(`takeover after SIGKILL: A's token answered in ${byA.s.toFixed(1)} s, B's token in ${byB.s.toFixed(1)} s\n`);
    expect(byA.s).toBeLessThanOrEqual(30);
    expect(byB.s).toBeLessThanOrEqual(30);
    const results = [byA.r, byB.r];
    expect(results.filter((r) => r.structuredContent?.status === 'done'), results.map(textOf).join('\n---\n')).toHaveLength(1);
    const refused = results.find((r) => r.isError);
    expect(textOf(refused!)).toMatch(/changed since the preview/);
    expect(await postsTo(path)).toBe(1);
    expect(stderr).not.toMatch(/MATON_API_KEY=|Bearer [A-Za-z0-9]/);
  }, 90_000);
});

describe.runIf(run)('bad shared state in Redis, through the tools', () => {
  const nonceOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).n as string;
  async function redisDo(f: (c: ReturnType<typeof createClient>) => Promise<unknown>): Promise<void> {
    const c = createClient({ url: redis.url });
    await c.connect();
    try {
      await f(c);
    } finally {
      await c.close();
    }
  }
  const cases: Array<[string, (key: string) => (c: ReturnType<typeof createClient>) => Promise<unknown>]> = [
    ['garbage', (k) => (c) => c.hSet(k, { state: 'final', rec: 'not json {' })],
    ['no outcome', (k) => (c) => c.hSet(k, { state: 'final', rec: JSON.stringify({ state: 'final', at: 1 }) })],
    ['content: []', (k) => (c) => c.hSet(k, { state: 'final', rec: JSON.stringify({ state: 'final', at: 1, outcome: { content: [] } }) })],
    ['a key of the wrong type', (k) => (c) => c.set(k, 'x')],
  ];
  for (const [what, plant] of cases) {
    it(`a token record in Redis with ${what}: a tool error naming the shared state (never -32603, never "unreachable"), nothing sent`, async () => {
      const b = await instanceB();
      const args = { customer_id: 'cust_acme_06', company: `Bad ${what}` };
      const token = (await call(b, 'update_customer', args)).structuredContent.confirm_token as string;
      await redisDo(plant(`chargebee-mcp:tok:${nonceOf(token)}`));
      const before = await postsTo('/chargebee/api/v2/customers/cust_acme_06');
      const r = await call(b, 'update_customer', { ...args, confirm_token: token });
      expect(r.isError).toBe(true);
      expect(r.structuredContent.error.reason).toBe('ledger_corrupt');
      expect(textOf(r)).toMatch(/the shared state of this server \(Redis at redis:\/\/127\.0\.0\.1:\d+.*\) holds a record of the wrong shape/);
      expect(textOf(r)).not.toMatch(/unreachable/);
      expect(await postsTo('/chargebee/api/v2/customers/cust_acme_06')).toBe(before);
    });
  }

  it('a bad unknown-outcome note in Redis: that target\'s preview is a tool error, others preview', async () => {
    const b = await instanceB();
    await redisDo((c) => c.set('chargebee-mcp:unk:chargebee|sandbox-acme|/customers/cust_acme_07', JSON.stringify({ at: 1 })));
    const r = await call(b, 'update_customer', { customer_id: 'cust_acme_07', company: 'Noted' });
    expect(r.structuredContent.error.reason).toBe('ledger_corrupt');
    const ok = await call(b, 'update_customer', { customer_id: 'cust_acme_08', company: 'Fine' });
    expect(ok.structuredContent.status).toBe('confirmation_required');
  });
});
