// Helpers for the benchmarks: processes, a minimal JSON-RPC client over a child's stdio,
// a minimal Streamable HTTP client, statistics and /proc readings. No MCP SDK client on
// purpose: the client's own overhead would be measured too.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';

export const now = () => performance.now();
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The environment a host would give a spawned server: ours stripped of the server's own variables. */
export function cleanEnv(extra = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MATON_') && !k.startsWith('CHARGEBEE_MCP_') && !k.startsWith('MCP_HTTP_') && !k.startsWith('MCP_AUTH_') && k !== 'LOG_LEVEL'));
  return { ...env, ...extra };
}

// ---- statistics ---------------------------------------------------------------

export function quantile(values, q) {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  // nearest-rank: p99 of 300 samples is the 297th value
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[i];
}
export const median = (v) => {
  if (!v.length) return NaN;
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const summary = (v) => ({ n: v.length, min: round(Math.min(...v)), p50: round(median(v)), p90: round(quantile(v, 0.9)), p99: round(quantile(v, 0.99)), max: round(Math.max(...v)) });
export const round = (x, d = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);

// ---- /proc ----------------------------------------------------------------------

/** VmRSS and VmHWM (peak) of a process in MB; undefined off Linux. */
export function rssOf(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1]);
    return { rssMB: round(kb('VmRSS') / 1024, 1), peakMB: round(kb('VmHWM') / 1024, 1) };
  } catch {
    return undefined;
  }
}

/** User + system CPU time of a process in ms (Linux), with the system part. */
export function cpuOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // USER_HZ is 100 on Linux
    return { total: (Number(f[11]) + Number(f[12])) * 10, sys: Number(f[12]) * 10 };
  } catch {
    return undefined;
  }
}
export const cpuMsOf = (pid) => cpuOf(pid)?.total;

export function machine() {
  let cpu;
  try {
    cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1];
  } catch {}
  return cpu;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// ---- processes -----------------------------------------------------------------

/** Spawns a long-running process and resolves once `ready(stderrSoFar)` matches (or it polls ok). */
export async function startProcess(cmd, args, { env, ready, timeoutMs = 15_000 }) {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const onData = (d) => (err += d);
  child.stderr.on('data', onData);
  const exited = new Promise((r) => child.once('exit', (code) => r(code)));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await ready(err);
    if (m) {
      // stop collecting: the bench does not read logs while measuring
      child.stderr.off('data', onData);
      child.stderr.resume();
      return { child, info: m, stop: () => stopChild(child, exited) };
    }
    if (child.exitCode !== null) throw new Error(`${cmd} ${args.join(' ')} exited (${child.exitCode}): ${err.slice(-2000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${cmd} ${args.join(' ')} not ready after ${timeoutMs} ms: ${err.slice(-2000)}`);
    }
    await sleep(20);
  }
}

async function stopChild(child, exited) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

/**
 * Newline-delimited JSON-RPC over a child's stdin/stdout (the MCP stdio transport).
 * `t0` is taken just before spawn, so `firstResponseAt` etc. are measured from spawn.
 */
export class StdioRpc {
  constructor(cmd, args, env) {
    this.t0 = now();
    this.child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'ignore'] });
    this.pending = new Map();
    this.nextId = 1;
    this.buf = '';
    this.exited = new Promise((r) => this.child.once('exit', (code, signal) => r({ code, signal })));
    this.exited.then(({ code, signal }) => {
      for (const p of this.pending.values()) p.reject(new Error(`server exited (${code ?? signal}) before answering`));
      this.pending.clear();
    });
    this.child.stdin.on('error', () => {});
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (d) => {
      this.buf += d;
      let i;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        if (!line.trim()) continue;
        let msg;
        try {
          msg = JSON.parse(line);
        } catch {
          continue; // not ours to judge here; a stray stdout line would show up as a missing response
        }
        const p = msg.id !== undefined ? this.pending.get(msg.id) : undefined;
        if (p) {
          this.pending.delete(msg.id);
          p.resolve({ msg, at: now(), bytes: Buffer.byteLength(line) });
        }
      }
    });
  }

  request(method, params) {
    const id = this.nextId++;
    const p = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) })}\n`);
    return p;
  }

  notify(method, params) {
    this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method, ...(params ? { params } : {}) })}\n`);
  }

  async initialize() {
    const r = await this.request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'chargebee-mcp-bench', version: '1.0.0' } });
    if (r.msg.error) throw new Error(`initialize failed: ${JSON.stringify(r.msg.error)}`);
    this.notify('notifications/initialized');
    return r;
  }

  async call(name, args) {
    const r = await this.request('tools/call', { name, arguments: args });
    if (r.msg.error) throw new Error(`${name}: ${JSON.stringify(r.msg.error)}`);
    return r.msg.result;
  }

  async close() {
    this.child.stdin.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(t);
  }
}

// ---- HTTP ----------------------------------------------------------------------

/** Reads a JSON-RPC message from a Streamable HTTP response body (JSON or an SSE stream). */
export function parseMcpBody(contentType, text) {
  if (contentType?.includes('text/event-stream')) {
    const out = [];
    for (const event of text.split(/\r?\n\r?\n/)) {
      const data = event
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      if (data) out.push(JSON.parse(data));
    }
    return out;
  }
  if (!text) return [];
  const v = JSON.parse(text);
  return Array.isArray(v) ? v : [v];
}
