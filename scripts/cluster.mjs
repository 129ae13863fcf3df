#!/usr/bin/env node
// npm run cluster: several chargebee-mcp instances behind HAProxy, sharing Redis, on loopback.
//
// Starts redis-server, one sandbox gateway (`chargebee-mcp sandbox`, its own rate limit off so that
// what reaches it is what the instances send), three instances of the built server
// (dist/cli.js --transport http --redis ..., same token and confirm secret) and HAProxy with
// deploy/haproxy.cfg. Then runs, with the official MCP SDK client:
//   1. reads: many clients for a few seconds, first against one instance directly, then through
//      HAProxy with three instances (plus a few preview/confirm writers): calls/s, p50/p99, errors,
//      and the gateway's busiest one-second window (from the sandbox's request log);
//   2. replays: a write previewed on one instance, confirmed on another, the same token replayed
//      on the third, and one token confirmed on all three at once: extra writes at the gateway;
//   3. a kill: clients through HAProxy while one instance is killed (SIGKILL): their sessions die,
//      they start new ones and carry on.
// Needs redis-server and haproxy (apt-get install -y redis-server haproxy). Runs in about a minute.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const READERS = arg('readers', 24);
const SECONDS = arg('seconds', 8);
const WRITERS = arg('writers', 2);

for (const bin of ['redis-server', 'haproxy']) {
  if (spawnSync(bin, ['-v'], { stdio: 'ignore' }).error) {
    console.error(`npm run cluster needs ${bin}: apt-get install -y redis-server haproxy`);
    process.exit(2);
  }
}
if (!existsSync(cli)) {
  console.error('dist/cli.js is missing: building (npm run build)...');
  if (spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' }).status !== 0) process.exit(1);
}

const children = [];
const stopAll = () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
};
process.on('exit', stopAll);
process.on('SIGINT', () => process.exit(130));

async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

function start(name, cmd, args, env = {}) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => {
    err = (err + d).slice(-4000);
  });
  child.on('exit', (code, sig) => {
    if (!child.expectedExit && !stopping) console.error(`${name} exited (${code ?? sig}): ${err.slice(-1500)}`);
  });
  child.label = name;
  child.lastErr = () => err;
  children.push(child);
  return child;
}
let stopping = false;

async function waitFor(what, check, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const healthy = (url) => fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok);

// ---- start everything ----
const token = randomBytes(24).toString('base64url');
const secret = randomBytes(24).toString('base64url');
const [redisPort, sandboxPort, lbPort, ...ports] = await Promise.all([1, 2, 3, 4, 5, 6].map(() => freePort()));
const redisUrl = `redis://127.0.0.1:${redisPort}/0`;
const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
const lbUrl = `http://127.0.0.1:${lbPort}`;

start('redis-server', 'redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
start('sandbox', process.execPath, [cli, 'sandbox', '--port', String(sandboxPort), '--rate-limit', '0'], { LOG_LEVEL: 'warn' });
const instanceEnv = {
  MATON_BASE_URL: sandboxUrl,
  MATON_API_KEY: 'sandbox',
  MCP_HTTP_TOKEN: token,
  CHARGEBEE_MCP_CONFIRM_SECRET: secret,
  MCP_HTTP_ALLOWED_HOSTS: `127.0.0.1:${lbPort}`,
  MATON_CONNECTION_ID: 'sandbox-acme',
  LOG_LEVEL: 'warn',
};
const instances = ports.map((port, i) => ({
  url: `http://127.0.0.1:${port}`,
  proc: start(`instance ${i + 1}`, process.execPath, [cli, '--transport', 'http', '--host', '127.0.0.1', '--port', String(port), '--redis', redisUrl], instanceEnv),
}));
await waitFor('the sandbox', () => fetch(`${sandboxUrl}/_sandbox/requests`, { headers: { authorization: 'Bearer sandbox' } }).then((r) => r.ok));
await Promise.all(instances.map((s) => waitFor(`instance ${s.url}`, () => healthy(s.url))));
start('haproxy', 'haproxy', ['-f', join(root, 'deploy', 'haproxy.cfg'), '-db'], {
  MCP_LB_BIND: `127.0.0.1:${lbPort}`,
  MCP_SERVER_1: `127.0.0.1:${ports[0]}`,
  MCP_SERVER_2: `127.0.0.1:${ports[1]}`,
  MCP_SERVER_3: `127.0.0.1:${ports[2]}`,
});
await waitFor('HAProxy', () => healthy(lbUrl));

// ---- clients ----
/**
 * An SDK client. When the stream carrying a call's answer breaks (its instance died), the SDK only
 * reports it through onerror and the call would wait for its timeout: `broken` aborts such calls.
 */
async function connect(url) {
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  const client = new Client({ name: 'cluster-load', version: '1.0.0' });
  client.calls = new Set();
  client.onerror = (e) => {
    if (/SSE stream disconnected|fetch failed|terminated/i.test(String(e?.message))) for (const ac of client.calls) ac.abort(e);
  };
  await client.connect(transport);
  return client;
}

async function sandboxRequests() {
  const r = await fetch(`${sandboxUrl}/_sandbox/requests`, { headers: { authorization: 'Bearer sandbox' } });
  return (await r.json()).requests;
}

function busiestSecond(times) {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i] - t[j] >= 1000) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

const pct = (xs, p) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/** A client that keeps one session and starts a new one when its session or instance is gone. */
class Worker {
  constructor(url, stats) {
    this.url = url;
    this.stats = stats;
  }
  async session() {
    if (!this.client) {
      this.client = await connect(this.url);
      this.stats.sessions++;
    }
    return this.client;
  }
  async drop() {
    const c = this.client;
    this.client = undefined;
    await c?.close().catch(() => {});
  }
  /** One tool call; on a failure of the session (404, connection refused/reset), one retry on a new session. */
  async call(name, args) {
    const t0 = performance.now();
    for (let attempt = 1; ; attempt++) {
      try {
        const client = await this.session();
        const ac = new AbortController();
        client.calls.add(ac);
        const res = await (name === 'tools/list'
          ? client.listTools(undefined, { signal: ac.signal })
          : client.callTool({ name, arguments: args }, undefined, { timeout: 90_000, signal: ac.signal })
        ).finally(() => client.calls.delete(ac));
        (name === 'update_customer' ? this.stats.writeLatencies : this.stats.latencies).push(performance.now() - t0);
        if (res.isError) this.stats.toolErrors.push(`${name}: ${res.content?.[0]?.text?.slice(0, 200)}`);
        return res;
      } catch (e) {
        await this.drop();
        if (attempt === 1) {
          this.stats.restarts++;
          continue;
        }
        this.stats.errors.push(`${name}: ${e.message}`);
        return undefined;
      }
    }
  }
}

const newStats = () => ({ latencies: [], writeLatencies: [], errors: [], toolErrors: [], sessions: 0, restarts: 0, writes: 0 });

const READS = [
  ['get_customer', (i) => ({ customer_id: `cust_acme_0${(i % 5) + 1}` })],
  ['list_customers', () => ({ limit: 5 })],
  ['list_subscriptions', () => ({ limit: 5 })],
];

async function readLoop(w, until, seed, list) {
  for (let i = seed; Date.now() < until; i++) {
    if (list) {
      await w.call('tools/list');
      continue;
    }
    const [name, args] = READS[i % READS.length];
    await w.call(name, args(i));
  }
}

async function writeLoop(w, until, n) {
  const customer = `cust_acme_0${(n % 5) + 1}`;
  for (let i = 0; Date.now() < until; i++) {
    const args = { customer_id: customer, company: `Cluster load ${n}.${i}` };
    const preview = await w.call('update_customer', args);
    const tok = preview?.structuredContent?.confirm_token;
    if (!tok) continue;
    const done = await w.call('update_customer', { ...args, confirm_token: tok });
    if (done?.structuredContent?.status === 'done') w.stats.writes++;
  }
}

async function phase(label, url, { readers = READERS, writers = 0, seconds = SECONDS, during, list = false } = {}) {
  const stats = newStats();
  const ws = Array.from({ length: readers + writers }, () => new Worker(url, stats));
  // Sessions first: the timed part is calls (a client that cannot start one retries in its loop).
  await Promise.all(ws.map((w) => w.session().catch((e) => stats.errors.push(`initialize: ${e.message}`))));
  const t0 = Date.now();
  const until = t0 + seconds * 1000;
  const duringP = during?.(t0);
  await Promise.all(ws.map((w, i) => (i < readers ? readLoop(w, until, i, list) : writeLoop(w, until, i))));
  const t1 = Date.now();
  await duringP;
  await Promise.all(ws.map((w) => w.drop()));
  const gw = (await sandboxRequests()).filter((r) => r.at >= t0 && r.at <= t1 + 100);
  const calls = stats.latencies.length + stats.writeLatencies.length;
  return {
    label,
    calls,
    callsPerS: calls / ((t1 - t0) / 1000),
    p50: pct(stats.latencies, 50),
    p99: pct(stats.latencies, 99),
    errors: stats.errors.length,
    toolErrors: stats.toolErrors.length,
    gatewayRequests: gw.length,
    gatewayPerS: gw.length / ((t1 + 100 - t0) / 1000),
    busiest: busiestSecond(gw.map((r) => r.at)),
    writes: stats.writes,
    writeP99: pct(stats.writeLatencies, 99),
    restarts: stats.restarts,
    sessions: stats.sessions,
    stats,
  };
}

const fmt = (r) =>
  `${r.label.padEnd(34)} ${String(r.calls).padStart(5)} calls  ${r.callsPerS.toFixed(1).padStart(6)} calls/s  p50 ${r.p50.toFixed(0).padStart(5)} ms  p99 ${r.p99.toFixed(0).padStart(5)} ms  errors ${r.errors}  tool errors ${r.toolErrors}  new sessions ${r.restarts}  gateway ${r.gatewayPerS.toFixed(1)} req/s, busiest 1 s: ${r.busiest}${r.writes ? `\n${''.padEnd(34)} (p50/p99 of reads; ${r.writes} preview+confirm writes, write calls p99 ${r.writeP99.toFixed(0)} ms)` : ''}`;

const results = [];
const report = (r) => {
  results.push(r);
  console.log(fmt(r));
  for (const e of [...r.stats.errors, ...r.stats.toolErrors].slice(0, 3)) console.log(`    e.g. ${e}`);
};

console.log(`cluster: redis ${redisUrl}, sandbox ${sandboxUrl}, HAProxy ${lbUrl} -> ${instances.map((s) => s.url).join(', ')}`);
console.log(`load: ${READERS} reading clients${WRITERS ? ` (+${WRITERS} writing through HAProxy)` : ''}, ${SECONDS} s per run; each instance limits itself to 10 gateway requests/s, shared through Redis\n`);

// Warm-up: the first calls load lazy chunks and resolve the connection on each instance.
for (const s of instances) {
  const c = await connect(s.url);
  await c.callTool({ name: 'get_customer', arguments: { customer_id: 'cust_acme_01' } });
  await c.close();
}
await new Promise((r) => setTimeout(r, 1100));

report(await phase('reads: 1 instance, direct', instances[0].url));
await new Promise((r) => setTimeout(r, 1100));
report(await phase('reads: 3 instances via HAProxy', lbUrl, { writers: WRITERS }));
await new Promise((r) => setTimeout(r, 1100));
// tools/list needs no gateway request: what the instances themselves serve.
report(await phase('tools/list: 1 instance, direct', instances[0].url, { list: true, seconds: 4 }));
report(await phase('tools/list: 3 instances via HAProxy', lbUrl, { list: true, seconds: 4 }));
console.log('');

// ---- legacy HTTP+SSE through HAProxy: GET /sse lands anywhere, POST /messages must follow it ----
async function sseCheck(n = 6, calls = 3) {
  let ok = 0;
  let failed = 0;
  const auth = { authorization: `Bearer ${token}` };
  await Promise.all(
    Array.from({ length: n }, async () => {
      const client = new Client({ name: 'cluster-sse', version: '1.0.0' });
      try {
        await client.connect(
          new SSEClientTransport(new URL(`${lbUrl}/sse`), {
            requestInit: { headers: auth },
            eventSourceInit: { fetch: (url, init) => fetch(url, { ...init, headers: { ...init?.headers, ...auth } }) },
          }),
        );
        for (let i = 0; i < calls; i++) {
          const r = await client.listTools();
          if (r.tools.length) ok++;
        }
      } catch (e) {
        failed++;
        console.log(`    legacy SSE client failed: ${e.message}`);
      } finally {
        await client.close().catch(() => {});
      }
    }),
  );
  return { ok, failed, n, calls };
}
const sse = await sseCheck();
console.log(`legacy SSE via HAProxy: ${sse.n} sessions x ${sse.calls} calls -> ${sse.ok} answered, ${sse.failed} sessions failed\n`);

// ---- replays across instances ----
async function replayCheck() {
  const [a, b, c] = await Promise.all(instances.map((s) => connect(s.url)));
  const out = [];
  // Sequential: preview on 1, confirm on 2, replay on 3.
  {
    const args = { customer_id: 'cust_acme_03', company: `Replay ${Date.now()}` };
    const t0 = Date.now();
    const p = await a.callTool({ name: 'update_customer', arguments: args });
    const tok = p.structuredContent?.confirm_token;
    if (!tok) throw new Error(`preview gave no confirm token: ${p.content?.[0]?.text}`);
    const first = await b.callTool({ name: 'update_customer', arguments: { ...args, confirm_token: tok } });
    const again = await c.callTool({ name: 'update_customer', arguments: { ...args, confirm_token: tok } });
    const posts = (await sandboxRequests()).filter((r) => r.at >= t0 && r.method === 'POST' && r.path.includes('cust_acme_03'));
    out.push({ label: 'preview on 1, confirm on 2, replay on 3', confirms: 2, done: [first, again].filter((r) => r.structuredContent?.status === 'done' && !r.structuredContent?.replay).length, replays: [first, again].filter((r) => r.structuredContent?.replay).length, posts: posts.length });
  }
  // Concurrent: one token confirmed 9 times at once, 3 per instance.
  {
    const args = { customer_id: 'cust_acme_04', company: `Race ${Date.now()}` };
    const t0 = Date.now();
    const p = await a.callTool({ name: 'update_customer', arguments: args });
    const tok = p.structuredContent?.confirm_token;
    if (!tok) throw new Error(`preview gave no confirm token: ${p.content?.[0]?.text}`);
    const rs = await Promise.all([a, b, c, a, b, c, a, b, c].map((cl) => cl.callTool({ name: 'update_customer', arguments: { ...args, confirm_token: tok } })));
    const posts = (await sandboxRequests()).filter((r) => r.at >= t0 && r.method === 'POST' && r.path.includes('cust_acme_04'));
    out.push({ label: 'one token confirmed 9× at once on 3 instances', confirms: 9, done: rs.filter((r) => r.structuredContent?.status === 'done' && !r.structuredContent?.replay).length, replays: rs.filter((r) => r.structuredContent?.replay).length, posts: posts.length });
  }
  await Promise.all([a, b, c].map((cl) => cl.close()));
  return out;
}
const replays = await replayCheck();
for (const r of replays) console.log(`${r.label.padEnd(48)} ${r.confirms} confirms -> ${r.done} done, ${r.replays} replays; write POSTs at the gateway ${r.posts} -> extra writes ${Math.max(0, r.posts - 1)}`);
console.log('');
await new Promise((r) => setTimeout(r, 1100));

// ---- kill one instance mid-load ----
let killedAt;
const kill = report(
  await phase('3 instances via HAProxy, kill 1', lbUrl, {
    seconds: Math.max(SECONDS, 8),
    during: async (t0) => {
      await new Promise((r) => setTimeout(r, 3000));
      killedAt = Date.now() - t0;
      instances[1].proc.expectedExit = true;
      instances[1].proc.kill('SIGKILL');
    },
  }),
);
const k = results.at(-1);
console.log(`    instance 2 killed (SIGKILL) at ${(killedAt / 1000).toFixed(1)} s: ${k.restarts} calls hit a dead session and were retried on a new session; ${k.sessions} sessions opened for ${READERS} clients; calls that failed after that retry: ${k.errors}`);

const one = results[0];
const three = results[1];
console.log('\nsummary');
console.log(`  reads        1 instance ${one.callsPerS.toFixed(1)} calls/s, 3 instances via HAProxy ${three.callsPerS.toFixed(1)} calls/s incl. ${three.writes} writes (gateway-bound: ${one.gatewayPerS.toFixed(1)} vs ${three.gatewayPerS.toFixed(1)} gateway requests/s; Maton allows 10/s per account however many instances)`);
console.log(`  read p99     1 instance ${one.p99.toFixed(0)} ms, 3 instances ${three.p99.toFixed(0)} ms (queueing for the account's 10 requests/s: ${READERS} clients)`);
console.log(`  tools/list   1 instance ${results[2].callsPerS.toFixed(0)} calls/s (p99 ${results[2].p99.toFixed(0)} ms), 3 instances via HAProxy ${results[3].callsPerS.toFixed(0)} calls/s (p99 ${results[3].p99.toFixed(0)} ms)`);
console.log(`  errors       ${results.reduce((n, r) => n + r.errors, 0)} (tool errors ${results.reduce((n, r) => n + r.toolErrors, 0)})`);
console.log(`  gateway busiest second: ${Math.max(...results.map((r) => r.busiest))} requests (limit 10)`);
console.log(`  cross-instance replays: extra writes ${replays.reduce((n, r) => n + Math.max(0, r.posts - 1), 0)}`);
console.log(`  kill run: ${k.calls} calls, ${k.errors} errors, ${k.restarts} sessions restarted`);
console.log(`  legacy SSE via HAProxy: ${sse.ok}/${sse.n * sse.calls} calls answered`);
void kill;

stopping = true;
stopAll();
process.exit(0);
