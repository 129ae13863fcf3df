#!/usr/bin/env node
// npm run bench [-- options]
//   --runs N              cold-start runs per variant (default 11, at least 9)
//   --calls N             sequential calls for the per-call overhead (default 300, at least 300)
//   --sessions N          concurrent Streamable HTTP sessions (default 16)
//   --per-session N       read calls per session per round (default 200)
//   --rounds N            throughput rounds on the same sessions; the median round is reported (default 3)
//   --only a,b            some of: cold, context, overhead, http, memory, writes
//   --no-peer             skip the @stripe/mcp comparison (and its one-time install)
//   --log-level L         LOG_LEVEL of the HTTP server under load (default: unset = info)
//   --auth static|oauth   how the HTTP clients authenticate: MCP_HTTP_TOKEN (default), or OAuth JWT
//                         access tokens (MCP_AUTH_ISSUER/AUDIENCE, a local issuer + JWKS on loopback)
//   --server-node-args S  node flags for the HTTP server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
//   --json FILE           where to write the results (default bench/results/latest.json)
//
// Five figures for issue #5, printed as a table and written to bench/results/latest.json:
//   1. cold start      spawn → initialize → tools/list over stdio, ours vs @stripe/mcp (interleaved runs)
//   2. context cost    tools/list bytes (total vs the 72 KiB budget, per tool) and a 10-row list_subscriptions result vs the raw page
//   3. call overhead   get_customer through MCP over stdio vs the same HTTP GET sent directly to the sandbox
//   4. HTTP throughput N Streamable HTTP sessions × M read calls against the standalone sandbox
//   5. memory          RSS idle after start, and after the throughput run
//   6. writes          heap held by 3,000 confirmed writes while their tokens live, and after (bench/writes.mjs)
// Benchmarks, not tests: nothing here runs under `npm test`. Offline, except a one-time
// `npm ci` in bench/ (from the npm registry) that installs the peer server.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { cleanEnv, cpuMsOf, cpuOf, freePort, machine, median, now, parseMcpBody, round, rssOf, sleep, startProcess, StdioRpc, summary } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '11' },
    calls: { type: 'string', default: '300' },
    sessions: { type: 'string', default: '16' },
    'per-session': { type: 'string', default: '200' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string' },
    'no-peer': { type: 'boolean', default: false },
    'server-node-args': { type: 'string', default: '' },
    'log-level': { type: 'string' },
    auth: { type: 'string', default: 'static' },
    json: { type: 'string', default: join(here, 'results', 'latest.json') },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opt.help) {
  process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n') + '\n');
  process.exit(0);
}
const RUNS = Math.max(9, Number(opt.runs));
const CALLS = Math.max(300, Number(opt.calls));
const SESSIONS = Number(opt.sessions);
const PER_SESSION = Number(opt['per-session']);
const ROUNDS = Math.max(1, Number(opt.rounds));
// e.g. --server-node-args="--cpu-prof --cpu-prof-dir=bench/.tmp/prof" to profile our HTTP server
const SERVER_NODE_ARGS = opt['server-node-args'].split(' ').filter(Boolean);
const only = opt.only ? new Set(opt.only.split(',')) : undefined;
const want = (k) => !only || only.has(k);

// ---- what we run ----------------------------------------------------------------

const BIN = resolve(root, typeof pkg.bin === 'string' ? pkg.bin : pkg.bin['chargebee-mcp']);
const TSC_CLI = join(root, 'dist', 'src', 'cli.js');
if (!existsSync(BIN)) {
  console.error(`${relative(root, BIN)} is missing: run \`npm run build\` (or \`npm ci\`) first.`);
  process.exit(1);
}
const node = process.execPath;
const PEER = { name: '@stripe/mcp', version: '0.2.5', main: join(here, 'node_modules', '@stripe', 'mcp', 'dist', 'index.js'), args: ['--tools=all', '--api-key=sk_test_x'] };

function ensurePeer() {
  if (opt['no-peer']) return 'skipped (--no-peer)';
  const pj = join(here, 'node_modules', '@stripe', 'mcp', 'package.json');
  if (!existsSync(pj)) {
    log(`installing the peer server for comparison (npm ci in bench/: ${PEER.name}@${PEER.version})…`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const npmIn = (...args) => spawnSync(npm, [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd: here, stdio: ['ignore', 'ignore', 'inherit'] }).status === 0;
    // npm ci keeps to the lock file; npm install is the fallback where the registry cannot serve it as locked.
    if (!npmIn('ci') && !npmIn('install', '--no-save')) return `could not install ${PEER.name}@${PEER.version} (npm ci in bench/ failed)`;
    if (!existsSync(pj)) return `could not install ${PEER.name}@${PEER.version}`;
  }
  const v = JSON.parse(readFileSync(pj, 'utf8')).version;
  if (v !== PEER.version) return `bench/node_modules has ${PEER.name}@${v}, expected ${PEER.version}: run npm ci in bench/`;
  return undefined;
}

const log = (s) => process.stderr.write(`${s}\n`);
const results = {
  meta: {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpu: machine(),
    loadavg_start: os.loadavg().map((x) => round(x)),
    bin: relative(root, BIN),
    commit: git('rev-parse', '--short', 'HEAD'),
    dirty: git('status', '--porcelain', '--untracked-files=no') !== '',
    peer: `${PEER.name}@${PEER.version}`,
  },
};

function git(...args) {
  const r = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

// ---- the standalone sandbox (Chargebee stand-in for 2, 3, 4) ---------------------

async function startSandbox() {
  const port = await freePort();
  const p = await startProcess(node, [BIN, 'sandbox', '--port', String(port), '--rate-limit', '0'], {
    env: cleanEnv({ LOG_LEVEL: 'warn' }),
    ready: (err) => (/listening on (http:\/\/\S+)/.exec(err) ? /listening on (http:\/\/\S+)/.exec(err)[1] : undefined),
  });
  const url = p.info;
  const agent = new Agent({ connections: 4, keepAliveTimeout: 30_000 });
  const api = async (method, path, body) => {
    const res = await request(`${url}${path}`, { method, dispatcher: agent, headers: { authorization: 'Bearer sandbox', accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`sandbox ${method} ${path}: ${res.statusCode} ${text.slice(0, 300)}`);
    return text;
  };
  return { ...p, url, agent, api };
}

// ---- 1. cold start ----------------------------------------------------------------

async function coldOnce(cmd, args, env) {
  const rpc = new StdioRpc(cmd, args, env);
  const timer = setTimeout(() => rpc.child.kill('SIGKILL'), 30_000);
  try {
    const init = await rpc.request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'chargebee-mcp-bench', version: '1.0.0' } });
    if (init.msg.error) throw new Error(`initialize: ${JSON.stringify(init.msg.error)}`);
    rpc.notify('notifications/initialized');
    const list = await rpc.request('tools/list');
    if (list.msg.error) throw new Error(`tools/list: ${JSON.stringify(list.msg.error)}`);
    return { initMs: init.at - rpc.t0, listMs: list.at - rpc.t0, result: list.msg.result };
  } finally {
    clearTimeout(timer);
    rpc.child.kill('SIGKILL');
    await rpc.exited;
  }
}

async function nodeFloorOnce() {
  const t0 = now();
  const c = spawn(node, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => c.once('exit', r));
  return now() - t0;
}

async function coldStart(sb, peerProblem) {
  const variants = [
    { key: 'ours_sandbox', label: `ours: node ${relative(root, BIN)} --sandbox`, cmd: node, args: [BIN, '--sandbox'], env: cleanEnv() },
    { key: 'ours_gateway', label: `ours: node ${relative(root, BIN)} → standalone sandbox`, cmd: node, args: [BIN], env: cleanEnv({ MATON_BASE_URL: sb.url, MATON_API_KEY: 'sandbox' }) },
  ];
  if (BIN !== TSC_CLI && existsSync(TSC_CLI)) {
    variants.push({ key: 'ours_tsc_sandbox', label: 'ours unbundled: node dist/src/cli.js --sandbox', cmd: node, args: [TSC_CLI, '--sandbox'], env: cleanEnv() });
  }
  if (!peerProblem) variants.push({ key: 'peer', label: `${PEER.name}@${PEER.version} --tools=all`, cmd: node, args: [PEER.main, ...PEER.args], env: cleanEnv() });
  variants.push({ key: 'node_floor', label: 'node -e 0 (spawn → exit, the floor)', floor: true });

  const samples = Object.fromEntries(variants.map((v) => [v.key, { init: [], list: [] }]));
  const lists = {};
  // Round 0 warms the file cache and is dropped. Each round runs every variant once, in a
  // rotating order, so background load hits all of them alike.
  for (let round_ = 0; round_ <= RUNS; round_++) {
    if (process.stderr.isTTY) process.stderr.write(`\r  cold start: round ${round_}/${RUNS}`);
    const order = variants.map((_, i) => variants[(i + round_) % variants.length]);
    for (const v of order) {
      if (v.floor) {
        const ms = await nodeFloorOnce();
        if (round_) samples[v.key].list.push(ms);
        continue;
      }
      const r = await coldOnce(v.cmd, v.args, v.env);
      lists[v.key] ??= r.result;
      if (round_) {
        samples[v.key].init.push(r.initMs);
        samples[v.key].list.push(r.listMs);
      }
    }
  }
  if (process.stderr.isTTY) process.stderr.write('\n');
  const out = { runs: RUNS, method: 'spawn → initialize → notifications/initialized → tools/list response, raw JSON-RPC over stdio, median of runs after one warm-up round; variants interleaved', variants: {} };
  for (const v of variants) {
    out.variants[v.key] = {
      label: v.label,
      tools: lists[v.key]?.tools?.length,
      initialize_ms: v.floor ? undefined : summary(samples[v.key].init),
      tools_list_ms: summary(samples[v.key].list),
    };
  }
  return { out, lists };
}

// ---- 2. context cost ----------------------------------------------------------------

function toolBytes(tools) {
  const b = (x) => Buffer.byteLength(JSON.stringify(x));
  return tools.map((t) => ({
    name: t.name,
    bytes: b(t),
    description: Buffer.byteLength(t.description ?? ''),
    input_schema: b(t.inputSchema ?? {}),
    rest: b(t) - b(t.inputSchema ?? {}) - b(t.description ?? ''),
  }));
}

function listingCost(result) {
  const total = Buffer.byteLength(JSON.stringify(result));
  const n = result.tools.length;
  return { tools: n, total_bytes: total, per_tool_bytes: round(total / n, 1) };
}

/** Non-empty leaves (path → value) of a value; arrays are indexed. */
function leaves(v, path = '', out = new Map()) {
  if (v === null || v === '' || v === undefined) return out;
  if (Array.isArray(v)) v.forEach((x, i) => leaves(x, `${path}[${i}]`, out));
  else if (typeof v === 'object') for (const [k, x] of Object.entries(v)) leaves(x, path ? `${path}.${k}` : k, out);
  else out.set(path, v);
  return out;
}

async function contextCost(sb, rpc, ourList, peerList) {
  await sb.api('POST', '/_sandbox/reset');
  const res = await rpc.call('list_subscriptions', { limit: 10 });
  if (res.isError) throw new Error(`list_subscriptions failed: ${JSON.stringify(res.content)}`);
  const text = res.content.filter((c) => c.type === 'text').map((c) => c.text).join('');
  const raw = await sb.api('GET', '/chargebee/api/v2/subscriptions?limit=10');
  const rawJson = JSON.parse(raw);
  const rawMin = JSON.stringify(rawJson);

  // Every non-empty field of the raw page must still be in the result (after the list envelope is unwrapped).
  const ours = JSON.parse(text);
  const listKey = Object.keys(ours).find((k) => Array.isArray(ours[k]));
  const rawValues = [];
  for (const entry of rawJson.list) for (const [, v] of leaves(entry)) rawValues.push(v);
  const ourValues = [];
  for (const row of ours[listKey] ?? []) for (const [, v] of leaves(row)) ourValues.push(v);
  const bag = new Map();
  for (const v of ourValues) bag.set(JSON.stringify(v), (bag.get(JSON.stringify(v)) ?? 0) + 1);
  let missing = 0;
  for (const v of rawValues) {
    const k = JSON.stringify(v);
    const c = bag.get(k) ?? 0;
    if (c > 0) bag.set(k, c - 1);
    else missing++;
  }

  const perTool = toolBytes(ourList.tools).sort((a, b) => b.bytes - a.bytes);
  return {
    tools_list: {
      method: 'bytes of the compact JSON of the tools/list result ({"tools":[…]}), as sent on the wire; per tool = total / tools',
      ours: listingCost(ourList),
      peer: peerList ? listingCost(peerList) : undefined,
      ours_per_tool: perTool,
    },
    result: {
      call: 'list_subscriptions {"limit":10} (sandbox-acme, fresh seed) vs GET /chargebee/api/v2/subscriptions?limit=10 on the same sandbox',
      rows: ours[listKey]?.length,
      raw_rows: rawJson.list.length,
      text_bytes: Buffer.byteLength(text),
      full_result_bytes: Buffer.byteLength(JSON.stringify(res)),
      raw_as_served_bytes: Buffer.byteLength(raw),
      raw_minified_bytes: Buffer.byteLength(rawMin),
      ratio_vs_served: round(Buffer.byteLength(text) / Buffer.byteLength(raw), 3),
      ratio_vs_minified: round(Buffer.byteLength(text) / Buffer.byteLength(rawMin), 3),
      raw_nonempty_fields: rawValues.length,
      raw_fields_missing_from_result: missing,
    },
  };
}

// ---- 3. per-call overhead ----------------------------------------------------------------

async function callOverhead(sb, rpc) {
  const ids = Array.from({ length: 13 }, (_, i) => `cust_acme_${String(i + 1).padStart(2, '0')}`);
  const direct = async (id) => {
    const t = now();
    const res = await request(`${sb.url}/chargebee/api/v2/customers/${id}`, { dispatcher: sb.agent, headers: { authorization: 'Bearer sandbox', accept: 'application/json', 'user-agent': 'bench' } });
    const body = JSON.parse(await res.body.text());
    if (res.statusCode !== 200 || !body.customer) throw new Error(`direct GET ${id}: ${res.statusCode}`);
    return now() - t;
  };
  const viaMcp = async (id) => {
    const t = now();
    const r = await rpc.call('get_customer', { customer_id: id });
    if (r.isError) throw new Error(`get_customer ${id}: ${JSON.stringify(r.content)}`);
    return now() - t;
  };
  for (let i = 0; i < 50; i++) {
    await viaMcp(ids[i % ids.length]);
    await direct(ids[i % ids.length]);
  }
  const mcp = [];
  const http = [];
  // Alternate the two so drift in background load hits both alike.
  for (let i = 0; i < CALLS; i++) {
    const id = ids[i % ids.length];
    if (i % 2) {
      http.push(await direct(id));
      mcp.push(await viaMcp(id));
    } else {
      mcp.push(await viaMcp(id));
      http.push(await direct(id));
    }
  }
  const m = summary(mcp);
  const h = summary(http);
  return {
    method: `${CALLS} sequential get_customer calls through MCP over stdio (raw JSON-RPC client, server → standalone sandbox over HTTP) vs ${CALLS} direct GET /customers/{id} to the same sandbox (undici keep-alive, body parsed), alternated, after 50 warm-up calls each; server at LOG_LEVEL=info (default), CHARGEBEE_MCP_RATE_LIMIT=0`,
    mcp_ms: m,
    direct_ms: h,
    overhead_p50_ms: round(m.p50 - h.p50, 3),
    overhead_p99_ms: round(m.p99 - h.p99, 3),
  };
}

// ---- 4. HTTP throughput -----------------------------------------------------------------

const READ_MIX = [
  (i) => ['get_customer', { customer_id: `cust_acme_${String((i % 13) + 1).padStart(2, '0')}` }],
  (i) => ['get_subscription', { subscription_id: `sub_acme_${String((i % 15) + 1).padStart(2, '0')}` }],
];

/** A local OAuth issuer (RFC 8414 metadata + JWKS on loopback) and one signed access token, for --auth oauth. */
async function localIssuer() {
  const http = await import('node:http');
  const { exportJWK, generateKeyPair, SignJWT } = await import('jose');
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256' };
  let issuer;
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/jwks') return res.end(JSON.stringify({ keys: [jwk] }));
    if (req.url === '/.well-known/oauth-authorization-server') {
      return res.end(JSON.stringify({ issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`, response_types_supported: ['code'] }));
    }
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${server.address().port}`;
  const audience = 'https://chargebee-mcp.bench/mcp';
  const token = await new SignJWT({ scope: 'mcp' }).setProtectedHeader({ alg: 'ES256', kid: 'bench' }).setIssuer(issuer).setAudience(audience).setSubject('bench-user').setExpirationTime('1h').sign(privateKey);
  return { env: { MCP_AUTH_ISSUER: issuer, MCP_AUTH_AUDIENCE: audience }, token, close: () => new Promise((r) => server.close(r)) };
}

async function httpThroughput(sb) {
  const port = await freePort();
  const oauth = opt.auth === 'oauth' ? await localIssuer() : undefined;
  if (opt.auth !== 'static' && !oauth) throw new Error(`--auth must be static or oauth (got "${opt.auth}")`);
  const token = oauth ? oauth.token : 'bench-token-0123456789abcdef0123456789';
  const env = cleanEnv({ MATON_BASE_URL: sb.url, MATON_API_KEY: 'sandbox', CHARGEBEE_MCP_RATE_LIMIT: '0', ...(oauth ? oauth.env : { MCP_HTTP_TOKEN: token }), ...(opt['log-level'] ? { LOG_LEVEL: opt['log-level'] } : {}) });
  const base = `http://127.0.0.1:${port}`;
  const agent = new Agent({ connections: SESSIONS + 4, keepAliveTimeout: 30_000, pipelining: 1 });
  const headers = (sid) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18', ...(sid ? { 'mcp-session-id': sid } : {}) });
  const server = await startProcess(node, [...SERVER_NODE_ARGS, BIN, '--transport', 'http', '--port', String(port)], {
    env,
    ready: async () => {
      try {
        const r = await request(`${base}/mcp`, { method: 'GET', dispatcher: agent, headers: { authorization: `Bearer ${token}` } });
        await r.body.dump();
        return true;
      } catch {
        return undefined;
      }
    },
  });
  const pid = server.child.pid;
  try {
    let id = 0;
    const post = async (sid, message) => {
      const res = await request(`${base}/mcp`, { method: 'POST', dispatcher: agent, headers: headers(sid), body: JSON.stringify(message) });
      const text = await res.body.text();
      return { status: res.statusCode, sid: res.headers['mcp-session-id'], messages: res.statusCode === 202 ? [] : parseMcpBody(res.headers['content-type'], text), text };
    };
    const open = async () => {
      const r = await post(undefined, { jsonrpc: '2.0', id: ++id, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'chargebee-mcp-bench', version: '1.0.0' } } });
      if (r.status !== 200 || !r.sid) throw new Error(`initialize over HTTP: ${r.status} ${r.text.slice(0, 300)}`);
      const n = await post(r.sid, { jsonrpc: '2.0', method: 'notifications/initialized' });
      if (n.status !== 202 && n.status !== 200) throw new Error(`notifications/initialized: ${n.status}`);
      return r.sid;
    };
    const errors = [];
    const callOnce = async (sid, i) => {
      const [name, args] = READ_MIX[i % READ_MIX.length](i);
      const myId = ++id;
      const t = now();
      try {
        const r = await post(sid, { jsonrpc: '2.0', id: myId, method: 'tools/call', params: { name, arguments: args } });
        const ms = now() - t;
        const m = r.messages.find((x) => x.id === myId);
        if (r.status !== 200 || !m) errors.push(`${name}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
        else if (m.error) errors.push(`${name}: ${JSON.stringify(m.error).slice(0, 200)}`);
        else if (m.result?.isError) errors.push(`${name}: ${m.result.content?.[0]?.text?.slice(0, 200)}`);
        return ms;
      } catch (e) {
        errors.push(`${name}: ${e.message}`);
        return now() - t;
      }
    };

    const idle = rssOf(pid);
    const sids = await Promise.all(Array.from({ length: SESSIONS }, open));
    const afterSessions = rssOf(pid);
    // Warm-up (not counted): 20 calls per session.
    await Promise.all(sids.map(async (sid) => {
      for (let i = 0; i < 20; i++) await callOnce(sid, i);
    }));
    errors.length = 0;
    const calls = SESSIONS * PER_SESSION;
    // Several rounds on the same sessions; the figure is the median round (by calls/s), so a burst
    // of background load on this shared machine does not decide it.
    const rounds = [];
    for (let r = 0; r < ROUNDS; r++) {
      const cpu0 = cpuOf(pid);
      const sbCpu0 = cpuMsOf(sb.child.pid);
      const lat = [];
      const errs0 = errors.length;
      const me0 = process.cpuUsage();
      const t0 = now();
      await Promise.all(sids.map(async (sid, s) => {
        for (let i = 0; i < PER_SESSION; i++) lat.push(await callOnce(sid, i + s));
      }));
      const wall = now() - t0;
      const me1 = process.cpuUsage(me0);
      const cpu1 = cpuOf(pid);
      const sbCpu1 = cpuMsOf(sb.child.pid);
      rounds.push({
        calls_per_s: round(calls / (wall / 1000), 0),
        wall_s: round(wall / 1000, 3),
        latency_ms: summary(lat),
        errors: errors.length - errs0,
        server_cpu_ms_per_call: cpu1 !== undefined ? round((cpu1.total - cpu0.total) / calls, 3) : undefined,
        server_cpu_sys_share: cpu1 !== undefined ? round((cpu1.sys - cpu0.sys) / Math.max(1, cpu1.total - cpu0.total), 2) : undefined,
        sandbox_cpu_ms_per_call: sbCpu1 !== undefined ? round((sbCpu1 - sbCpu0) / calls, 3) : undefined,
        bench_client_cpu_ms_per_call: round((me1.user + me1.system) / 1000 / calls, 3),
      });
    }
    const after = rssOf(pid);
    for (const sid of sids) await request(`${base}/mcp`, { method: 'DELETE', dispatcher: agent, headers: headers(sid) }).then((r) => r.body.dump()).catch(() => {});
    const mid = [...rounds].sort((a, b) => a.calls_per_s - b.calls_per_s)[Math.floor(rounds.length / 2)];
    return {
      method: `${SESSIONS} Streamable HTTP sessions (raw HTTP client, keep-alive) each making ${PER_SESSION} sequential tools/call reads (get_customer / get_subscription alternating), all sessions concurrent, after 20 warm-up calls per session; ${ROUNDS} rounds on the same sessions, figures from the median round; server: --transport http, auth ${oauth ? 'OAuth JWT (ES256, local issuer)' : 'MCP_HTTP_TOKEN'}, CHARGEBEE_MCP_RATE_LIMIT=0, LOG_LEVEL=${opt['log-level'] ?? 'info (default)'} to /dev/null; standalone sandbox --rate-limit 0`,
      calls,
      ...mid,
      errors: rounds.reduce((n, r) => n + r.errors, 0),
      first_errors: errors.slice(0, 5),
      rounds,
      server_rss_mb: { idle_after_start: idle?.rssMB, after_16_sessions: afterSessions?.rssMB, after_run: after?.rssMB, peak: after?.peakMB },
    };
  } finally {
    await server.stop();
    await agent.close();
    await oauth?.close();
  }
}

// ---- 5. memory (idle) ------------------------------------------------------------------------

async function idleRss(cmd, args, env) {
  const rpc = new StdioRpc(cmd, args, env);
  try {
    await rpc.initialize();
    await rpc.request('tools/list');
    await sleep(1000);
    return rssOf(rpc.child.pid)?.rssMB;
  } finally {
    rpc.child.kill('SIGKILL');
    await rpc.exited;
  }
}

async function memory(sb, peerProblem) {
  const out = { method: 'VmRSS 1 s after answering initialize + tools/list over stdio, median of 3' };
  const m = async (cmd, args, env) => {
    const v = [];
    for (let i = 0; i < 3; i++) v.push(await idleRss(cmd, args, env));
    return median(v);
  };
  out.ours_idle_mb = await m(node, [BIN], cleanEnv({ MATON_BASE_URL: sb.url, MATON_API_KEY: 'sandbox' }));
  out.ours_sandbox_idle_mb = await m(node, [BIN, '--sandbox'], cleanEnv());
  if (!peerProblem) out.peer_idle_mb = await m(node, [PEER.main, ...PEER.args], cleanEnv());
  return out;
}

// ---- report --------------------------------------------------------------------------------

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? '').length)));
  return rows.map((r, j) => r.map((c, i) => (i === 0 ? String(c ?? '').padEnd(widths[i]) : String(c ?? '').padStart(widths[i]))).join('  ') + (j === 0 ? `\n${widths.map((w) => '─'.repeat(w)).join('  ')}` : '')).join('\n');
}

function report(r) {
  const lines = [];
  const targets = [];
  const t = (name, value, target, met) => targets.push({ name, value, target, met });
  lines.push(`chargebee-mcp benchmarks — ${r.meta.date}, node ${r.meta.node}, ${r.meta.cpus} × ${r.meta.cpu ?? 'cpu'}, bin ${r.meta.bin}${r.meta.commit ? ` @ ${r.meta.commit}${r.meta.dirty ? '+dirty' : ''}` : ''}`);
  if (r.cold) {
    const c = r.cold;
    lines.push(`\n1. Cold start (spawn → tools/list answered over stdio, ${c.runs} runs, interleaved)`);
    const rows = [['variant', 'tools', 'initialize p50', 'tools/list p50', 'min', 'p90']];
    for (const v of Object.values(c.variants)) rows.push([v.label, v.tools ?? '', v.initialize_ms ? `${v.initialize_ms.p50} ms` : '', `${v.tools_list_ms.p50} ms`, `${v.tools_list_ms.min} ms`, `${v.tools_list_ms.p90} ms`]);
    lines.push(table(rows));
    if (c.variants.peer) {
      const ratio = c.variants.ours_sandbox.tools_list_ms.p50 / c.variants.peer.tools_list_ms.p50;
      const ratio2 = c.variants.ours_gateway.tools_list_ms.p50 / c.variants.peer.tools_list_ms.p50;
      c.ratio_vs_peer = round(ratio, 3);
      c.ratio_vs_peer_gateway = round(ratio2, 3);
      lines.push(`ours / ${r.meta.peer}: ${round(ratio, 2)}× (--sandbox), ${round(ratio2, 2)}× (standalone sandbox)   target ≤ 0.5×`);
      t('cold start vs peer (--sandbox)', `${round(ratio, 2)}×`, '≤ 0.5×', ratio <= 0.5);
      t('cold start vs peer (standalone sandbox)', `${round(ratio2, 2)}×`, '≤ 0.5×', ratio2 <= 0.5);
    }
  }
  if (r.context) {
    const x = r.context;
    lines.push('\n2. Context cost');
    const rows = [['tools/list', 'tools', 'total bytes', 'bytes/tool']];
    rows.push(['ours', x.tools_list.ours.tools, x.tools_list.ours.total_bytes, x.tools_list.ours.per_tool_bytes]);
    if (x.tools_list.peer) rows.push([r.meta.peer, x.tools_list.peer.tools, x.tools_list.peer.total_bytes, x.tools_list.peer.per_tool_bytes]);
    lines.push(table(rows));
    lines.push(`largest tools: ${x.tools_list.ours_per_tool.slice(0, 5).map((p) => `${p.name} ${p.bytes}`).join(', ')}`);
    // Issue 11: every parameter typed (filters, enums, closed/open objects), all 36 tools within 72 KiB.
    const kib = round(x.tools_list.ours.total_bytes / 1024, 1);
    lines.push(`tools/list (typed, issue 11): ${x.tools_list.ours.total_bytes} bytes = ${kib} KiB for ${x.tools_list.ours.tools} tools; budget 72 KiB`);
    t('tools/list total (typed)', `${kib} KiB`, '≤ 72 KiB', x.tools_list.ours.total_bytes <= 72 * 1024);
    const y = x.result;
    lines.push(
      table([
        ['list_subscriptions limit=10', 'bytes', 'ours/raw'],
        ['ours: result text (content[0].text)', y.text_bytes, ''],
        ['raw Chargebee JSON as served (4-space pretty)', y.raw_as_served_bytes, `${y.ratio_vs_served}×`],
        ['raw Chargebee JSON minified', y.raw_minified_bytes, `${y.ratio_vs_minified}×`],
        ['ours: whole result message (text + structuredContent)', y.full_result_bytes, ''],
      ]),
    );
    lines.push(`rows ${y.rows}/${y.raw_rows}; non-empty raw fields missing from the result: ${y.raw_fields_missing_from_result} of ${y.raw_nonempty_fields}`);
    t('result text vs raw as served', `${y.ratio_vs_served}×`, '≤ 0.6×', y.ratio_vs_served <= 0.6);
    t('result text vs raw minified', `${y.ratio_vs_minified}×`, '(≤ 0.6×, stricter reading)', y.ratio_vs_minified <= 0.6);
  }
  if (r.overhead) {
    const o = r.overhead;
    lines.push(`\n3. Per-call overhead (get_customer, ${o.mcp_ms.n} sequential calls)`);
    lines.push(
      table([
        ['path', 'p50', 'p90', 'p99'],
        ['MCP over stdio → sandbox', `${o.mcp_ms.p50} ms`, `${o.mcp_ms.p90} ms`, `${o.mcp_ms.p99} ms`],
        ['direct HTTP → sandbox', `${o.direct_ms.p50} ms`, `${o.direct_ms.p90} ms`, `${o.direct_ms.p99} ms`],
        ['overhead', `${o.overhead_p50_ms} ms`, '', `${o.overhead_p99_ms} ms`],
      ]),
    );
    t('per-call overhead p50', `${o.overhead_p50_ms} ms`, '≤ 1 ms', o.overhead_p50_ms <= 1);
  }
  if (r.http) {
    const h = r.http;
    lines.push(`\n4. HTTP throughput (${SESSIONS} sessions × ${PER_SESSION} reads, Streamable HTTP, median of ${h.rounds.length} rounds)`);
    lines.push(
      table([
        ['calls', 'calls/s', 'p50', 'p99', 'errors', 'CPU/call: server', 'sandbox', 'bench client'],
        [h.calls, h.calls_per_s, `${h.latency_ms.p50} ms`, `${h.latency_ms.p99} ms`, h.errors, `${h.server_cpu_ms_per_call} ms`, `${h.sandbox_cpu_ms_per_call} ms`, `${h.bench_client_cpu_ms_per_call} ms`],
      ]),
    );
    lines.push(`rounds (same sessions, one after another): ${h.rounds.map((x) => `${x.calls_per_s}/s p99 ${x.latency_ms.p99} ms`).join('; ')} — the table shows the median round`);
    if (h.first_errors.length) lines.push(`errors: ${h.first_errors.join(' | ')}`);
    t('HTTP calls/s', h.calls_per_s, '≥ 1000', h.calls_per_s >= 1000);
    t('HTTP p99', `${h.latency_ms.p99} ms`, '≤ 50 ms', h.latency_ms.p99 <= 50);
    t('HTTP errors', h.errors, '0', h.errors === 0);
  }
  if (r.memory || r.http) {
    lines.push('\n5. Memory (RSS)');
    const rows = [['process', 'RSS']];
    if (r.memory) {
      rows.push(['ours, stdio, idle after start (→ gateway)', `${r.memory.ours_idle_mb} MB`]);
      rows.push(['ours, stdio --sandbox, idle after start (sandbox in-process)', `${r.memory.ours_sandbox_idle_mb} MB`]);
      if (r.memory.peer_idle_mb) rows.push([`${r.meta.peer}, idle after start`, `${r.memory.peer_idle_mb} MB`]);
      t('idle RSS (stdio)', `${r.memory.ours_idle_mb} MB`, '≤ 70 MB', r.memory.ours_idle_mb <= 70);
    }
    if (r.http) {
      rows.push(['ours, HTTP, idle after start', `${r.http.server_rss_mb.idle_after_start} MB`]);
      rows.push([`ours, HTTP, after the throughput run (peak)`, `${r.http.server_rss_mb.after_run} MB (${r.http.server_rss_mb.peak} MB)`]);
      t('idle RSS (HTTP)', `${r.http.server_rss_mb.idle_after_start} MB`, '≤ 70 MB', r.http.server_rss_mb.idle_after_start <= 70);
    }
    lines.push(table(rows));
  }
  lines.push('\nTargets');
  lines.push(table([['figure', 'value', 'target', 'met'], ...targets.map((x) => [x.name, x.value, x.target, x.met ? 'yes' : 'NO'])]));
  r.targets = targets;
  return lines.join('\n');
}

// ---- main ------------------------------------------------------------------------------------

const peerProblem = ensurePeer();
if (peerProblem) log(`peer: ${peerProblem}`);
results.meta.peer_status = peerProblem ?? 'ok';
const sb = await startSandbox();
try {
  let lists = {};
  if (want('cold')) {
    log('1. cold start…');
    const c = await coldStart(sb, peerProblem);
    results.cold = c.out;
    lists = c.lists;
  }
  if (want('context') || want('overhead')) {
    const rpc = new StdioRpc(node, [BIN], cleanEnv({ MATON_BASE_URL: sb.url, MATON_API_KEY: 'sandbox', CHARGEBEE_MCP_RATE_LIMIT: '0' }));
    try {
      await rpc.initialize();
      const ourList = (await rpc.request('tools/list')).msg.result;
      if (want('context')) {
        log('2. context cost…');
        let peerList = lists.peer;
        if (!peerList && !peerProblem) peerList = (await coldOnce(node, [PEER.main, ...PEER.args], cleanEnv())).result;
        results.context = await contextCost(sb, rpc, ourList, peerList);
      }
      if (want('overhead')) {
        log('3. per-call overhead…');
        results.overhead = await callOverhead(sb, rpc);
      }
    } finally {
      await rpc.close();
    }
  }
  if (want('http')) {
    log('4. HTTP throughput…');
    await sb.api('POST', '/_sandbox/reset');
    results.http = await httpThroughput(sb);
  }
  if (want('memory')) {
    log('5. memory…');
    results.memory = await memory(sb, peerProblem);
  }
} finally {
  await sb.stop();
  await sb.agent.close();
}
if (want('writes')) {
  log('6. memory of confirmed writes…');
  const w = spawnSync(node, [join(here, 'writes.mjs')], { encoding: 'utf8' });
  results.writes = { output: (w.stdout || w.stderr).trim() };
}
results.meta.loadavg_end = os.loadavg().map((x) => round(x));
const text = report(results);
process.stdout.write(`${text}\n`);
if (results.writes) process.stdout.write(`\nConfirmed writes (bench/writes.mjs)\n${results.writes.output}\n`);
mkdirSync(dirname(opt.json), { recursive: true });
writeFileSync(opt.json, `${JSON.stringify(results, null, 2)}\n`);
log(`\nwrote ${relative(process.cwd(), opt.json) || opt.json}`);
