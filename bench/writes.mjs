#!/usr/bin/env node
// npm run bench:writes [-- --writes N]
// Memory held by confirmed writes: N preview+confirm pairs (default 3000) through the real engine,
// write guard and in-process ledger, against the embedded sandbox, in this process. Prints the
// heap after a full GC before and after, and what is left once the tokens have expired.
// The engine is bundled from src/ on the fly (esbuild), so this measures the current tree.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

if (typeof globalThis.gc !== 'function') {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({ options: { writes: { type: 'string', default: '3000' }, ttl: { type: 'string', default: '20' } } });
const N = Number(opt.writes);
// Inside the checkout, so the bundle's external packages resolve from node_modules.
mkdirSync(join(root, 'bench', '.tmp'), { recursive: true });
const out = join(mkdtempSync(join(root, 'bench', '.tmp', 'writes-')), 'entry.mjs');
await build({
  stdin: {
    contents: `export { loadConfig } from './src/config.ts'; export { createRuntime } from './src/runtime.ts'; export { createServer } from './src/server.ts'; export { silentLogger } from './src/log.ts';`,
    resolveDir: root,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: out,
  packages: 'external',
  logLevel: 'error',
});
const { loadConfig, createRuntime, createServer, silentLogger } = await import(pathToFileURL(out).href);
const { Client } = await import(pathToFileURL(join(root, 'node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.js')).href);
const { InMemoryTransport } = await import(pathToFileURL(join(root, 'node_modules/@modelcontextprotocol/sdk/dist/esm/inMemory.js')).href);

const mib = (b) => (b / 1048576).toFixed(1);
const heap = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
};

const config = loadConfig({ sandbox: true, connectionId: 'sandbox-acme' }, { CHARGEBEE_MCP_RATE_LIMIT: '0', CHARGEBEE_MCP_CONFIRM_TTL_S: opt.ttl, LOG_LEVEL: 'silent' });
const rt = await createRuntime(config, silentLogger(), { rateLimit: 0 });
const [ct, st] = InMemoryTransport.createLinkedPair();
await createServer(rt, 'bench').connect(st);
const client = new Client({ name: 'bench', version: '1' });
await client.connect(ct);
const customers = ['cust_acme_01', 'cust_acme_02', 'cust_acme_03', 'cust_acme_04', 'cust_acme_05'];
// Warm up (loads the catalogue, JIT), then measure.
for (let i = 0; i < 20; i++) {
  const args = { customer_id: customers[i % 5], company: `Warm ${i}` };
  const p = await client.callTool({ name: 'update_customer', arguments: args });
  await client.callTool({ name: 'update_customer', arguments: { ...args, confirm_token: p.structuredContent.confirm_token } });
}
await fetch(`${rt.sandbox.url}/_sandbox/reset`, { method: 'POST', headers: { authorization: `Bearer ${rt.sandbox.apiKey}` } });
const before = heap();
const t0 = performance.now();
let done = 0;
for (let i = 0; i < N; i++) {
  const args = { customer_id: customers[i % 5], company: `Company ${i}` };
  const p = await client.callTool({ name: 'update_customer', arguments: args });
  const r = await client.callTool({ name: 'update_customer', arguments: { ...args, confirm_token: p.structuredContent.confirm_token } });
  if (r.structuredContent?.status === 'done') done++;
  // The sandbox keeps its own request log: clear it so it does not count as the server's memory.
  if (i % 500 === 499) await fetch(`${rt.sandbox.url}/_sandbox/reset`, { method: "POST", headers: { authorization: `Bearer ${rt.sandbox.apiKey}` } });
}
const ms = performance.now() - t0;
await fetch(`${rt.sandbox.url}/_sandbox/reset`, { method: 'POST', headers: { authorization: `Bearer ${rt.sandbox.apiKey}` } });
const after = heap();
await new Promise((r) => setTimeout(r, Number(opt.ttl) * 1000 + 500));
// One more write after expiry: records are purged as new ones arrive, not by a timer.
const args = { customer_id: 'cust_acme_01', company: 'After expiry' };
const p = await client.callTool({ name: 'update_customer', arguments: args });
await client.callTool({ name: 'update_customer', arguments: { ...args, confirm_token: p.structuredContent.confirm_token } });
await fetch(`${rt.sandbox.url}/_sandbox/reset`, { method: 'POST', headers: { authorization: `Bearer ${rt.sandbox.apiKey}` } });
const expired = heap();
process.stdout.write(
  `confirmed writes: ${done}/${N} in ${(ms / 1000).toFixed(1)} s (${Math.round((N * 2) / (ms / 1000))} calls/s)\n` +
    `heap after GC: before ${mib(before)} MiB, after ${N} writes ${mib(after)} MiB (+${((after - before) / 1024 / N).toFixed(2)} KiB per write while their tokens live), ` +
    `after the tokens expired (TTL ${opt.ttl} s) ${mib(expired)} MiB\n`,
);
await client.close();
await rt.close();
process.exit(0);
