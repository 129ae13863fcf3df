// Shared by the framework checks (which run on Node 22): how to start the server under test
// (the built bin on the Node that ran scripts/compat/run.mjs, over stdio, with --sandbox), and
// small helpers. Every check prints one line per assertion and exits non-zero on a failure.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const server = {
  command: process.env.COMPAT_SERVER_NODE || 'node',
  args: [join(root, 'dist', 'cli.js'), '--sandbox'],
  // One pinned connection: the sandbox has two, and writes must name one.
  env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'error', MATON_CONNECTION_ID: 'sandbox-acme' },
};

let failures = 0;
export function check(label, ok, detail = '') {
  if (!ok) failures++;
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${label}${detail ? ` — ${detail}` : ''}\n`);
  return ok;
}
export function done(name) {
  process.stdout.write(`${name}: ${failures ? `${failures} failed` : 'all passed'}\n`);
  process.exit(failures ? 1 : 0);
}

/** Whether a tool's input schema has a free-form object (additionalProperties: true) anywhere. */
export function hasFreeForm(schema) {
  return JSON.stringify(schema).includes('"additionalProperties":true');
}

/** The text of an MCP tool result, or of a framework's string/array wrapping of one. */
export function resultText(r) {
  if (typeof r === 'string') return r;
  if (Array.isArray(r)) return r.map(resultText).join('\n');
  if (r && Array.isArray(r.content)) return r.content.map((c) => c.text ?? '').join('\n');
  if (r && typeof r.text === 'string') return r.text;
  return JSON.stringify(r);
}

/** The arguments a strict-mode model sends: every property present, null where it has nothing to say. */
export function strictArgs(schema, given) {
  return Object.fromEntries(Object.keys(schema.properties ?? {}).map((k) => [k, k in given ? given[k] : null]));
}
