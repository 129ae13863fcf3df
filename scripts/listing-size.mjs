#!/usr/bin/env node
// What tools/list costs an agent's context, per --tools choice: bytes of the JSON of the
// tools/list result as the server sends it, and tokens of that text with the o200k_base
// encoding (GPT-4o and later; Claude's tokenizer is not public, its counts differ).
// Runs the built bin (npm run build) on --sandbox, once per toolset. Prints a Markdown table.
//   npm run listing-size [-- --json]
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(cli)) {
  console.error('dist/cli.js is missing: run `npm run build` first.');
  process.exit(1);
}
const TOOLSETS = ['customers', 'subscriptions', 'items', 'item_prices', 'invoices', 'hosted_pages', 'portal_sessions', 'exports', 'connections'];

async function measure(flags) {
  const client = new Client({ name: 'listing-size', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [cli, '--sandbox', ...flags], env: { ...process.env, LOG_LEVEL: 'warn' }, stderr: 'ignore' }));
  try {
    const result = await client.listTools();
    const text = JSON.stringify({ tools: result.tools });
    return { flags: flags.join(' ') || '(default: all)', tools: result.tools.length, bytes: Buffer.byteLength(text), tokens: countTokens(text) };
  } finally {
    await client.close();
  }
}

const rows = [await measure([]), await measure(['--read-only'])];
for (const ts of TOOLSETS) rows.push(await measure(['--tools', ts]));
rows.push(await measure(['--tools', 'customers,subscriptions,items,item_prices,invoices']));

if (process.argv.includes('--json')) console.log(JSON.stringify(rows, null, 2));
else {
  const n = (x) => x.toLocaleString('en-US');
  console.log('| flags | tools | bytes | tokens (o200k_base) |\n|---|---:|---:|---:|');
  for (const r of rows) console.log(`| \`${r.flags}\` | ${r.tools} | ${n(r.bytes)} | ${n(r.tokens)} |`);
}
