#!/usr/bin/env node
// Bundles the CLI for fast cold starts: `npm run build` runs tsc (type-check + dist/src, which the
// tests use), then this, which writes the package bin dist/cli.js (+ dist/chunks/).
//
// Why: a stdio server is spawned on every host start, and most of its start-up is module
// loading (hundreds of files: the MCP SDK, zod, undici, pino) and building the tools/list
// listing (zod → JSON Schema for every tool). The bundle
//   - is one ESM file for the stdio path, with lazy chunks (esbuild `splitting`) for what only
//     some runs need: the HTTP transport (`--transport http`) and the sandbox (`--sandbox`);
//   - carries the tools/list listing computed here, at build time, from the same sources
//     with the catalogue's index (src/prebuilt.ts is replaced), so start-up loads no tool
//     schema: tools/ becomes a lazy chunk, loaded by the first tools/call;
//   - keeps undici (half of the JavaScript) in a lazy chunk: src/gateway.ts imports it with the
//     first gateway request;
//   - leaves out Ajv, which the SDK's Server loads only to validate elicitation answers (this
//     server never elicits: src/server.ts passes its own validator).
//
// The package ships only this bundle (package.json "files": dist/cli.js, dist/chunks/*.js) and has
// no runtime dependencies: every library, whatever package.json lists, is inlined here (esbuild
// bundles every bare import by default; nothing is marked external), and the build fails if the
// output still imports anything but a Node built-in. No source maps: identifiers are kept, so
// stack traces stay readable, and the tarball carries only what runs.
//
// The result is smoke-tested from a copy in a folder with no node_modules: it must list exactly
// what the tsc build lists and answer a call.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { buildCard } from './card.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist');
const started = Date.now();

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  tsconfig: join(root, 'tsconfig.json'),
  logLevel: 'warning',
  legalComments: 'none',
  // CommonJS dependencies (pino, undici) call require() for Node built-ins.
  banner: { js: "import { createRequire as __cbmcpCreateRequire } from 'node:module'; const require = __cbmcpCreateRequire(import.meta.url);" },
};

// The approval card (ui://chargebee-mcp/approval.html), built once here: src/card/html.ts becomes the
// page itself, which esbuild splits into a lazy chunk loaded by the first resources/read.
const cardPage = await buildCard();
const prebuiltCard = {
  name: 'prebuilt-card',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]card[\\/]html\.ts$/ }, () => ({
      contents: `const page = ${JSON.stringify(cardPage)};\nexport function cardHtml() { return Promise.resolve(page); }\n`,
      loader: 'js',
    }));
  },
};

// 1. The listing, computed by the engine itself from the sources being bundled.
async function computeListings() {
  const tmp = mkdtempSync(join(tmpdir(), 'chargebee-mcp-bundle-'));
  try {
    const entry = join(tmp, 'listings.ts');
    writeFileSync(
      entry,
      `import { catalogueOf } from ${JSON.stringify(join(root, 'src', 'engine.ts'))};
import { toolsets } from ${JSON.stringify(join(root, 'tools', 'index.ts'))};
const { index, listings } = catalogueOf(toolsets);
export const prebuilt = { index, listings };
`,
    );
    const out = join(tmp, 'listings.mjs');
    await build({ ...common, entryPoints: [entry], outfile: out, nodePaths: [join(root, 'node_modules')], plugins: [prebuiltCard] });
    const { prebuilt } = await import(pathToFileURL(out).href);
    return prebuilt;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const prebuiltCatalogue = await computeListings();
const listings = prebuiltCatalogue.listings;

const prebuiltPlugin = {
  name: 'prebuilt-catalogue',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]prebuilt\.ts$/ }, () => ({
      // JSON.parse of a string literal parses faster than the same object as JS.
      contents: `export const prebuilt = JSON.parse(${JSON.stringify(JSON.stringify(prebuiltCatalogue))});\n`,
      loader: 'js',
    }));
  },
};

const noAjv = {
  name: 'no-ajv',
  setup(b) {
    b.onLoad({ filter: /@modelcontextprotocol[\\/]sdk[\\/]dist[\\/]esm[\\/]validation[\\/]ajv-provider\.js$/ }, () => ({
      contents: `export class AjvJsonSchemaValidator {
  getValidator() { throw new Error('chargebee-mcp: JSON Schema validation of elicitation answers is not bundled (this server never elicits).'); }
}
`,
      loader: 'js',
    }));
  },
};

// 2. The bundle.
rmSync(join(outdir, 'chunks'), { recursive: true, force: true });
rmSync(join(outdir, 'cli.js.map'), { force: true });
const result = await build({
  ...common,
  entryPoints: { cli: join(root, 'src', 'cli.ts') },
  outdir,
  splitting: true,
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  // Whitespace and syntax only: identifiers stay readable in stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: false,
  metafile: true,
  plugins: [prebuiltPlugin, noAjv, prebuiltCard],
});

// Self-contained: the output imports Node built-ins, and otherwise only what esbuild could not
// find, which it tolerates only inside a try/catch: a library's optional extra (redis's
// @opentelemetry/api, debug's supports-color), absent from an install of this package too, which
// the library does without. Anything that is installed yet left external would be a missing
// dependency at run time: the build fails.
const canResolve = (spec) => {
  try {
    createRequire(join(root, 'package.json')).resolve(spec);
    return true;
  } catch {
    try {
      import.meta.resolve(spec);
      return true;
    } catch {
      return false;
    }
  }
};
const outside = Object.entries(result.metafile.outputs).flatMap(([file, o]) =>
  o.imports.filter((i) => i.external && !i.path.startsWith('node:') && !isBuiltin(i.path)).map((i) => ({ file: relative(root, file), spec: i.path })),
);
const leftOut = outside.filter((i) => canResolve(i.spec));
if (leftOut.length) {
  throw new Error(`bundle: the output must not import installed packages at run time (the package has no dependencies; bundle them):\n  ${leftOut.map((i) => `${i.file} imports "${i.spec}"`).join('\n  ')}`);
}
const optionalExtras = [...new Set(outside.map((i) => i.spec))].sort();

const cli = join(outdir, 'cli.js');
// Keep the shebang first (the banner went above it).
{
  const { readFileSync, chmodSync } = await import('node:fs');
  let src = readFileSync(cli, 'utf8');
  src = `#!/usr/bin/env node\n${src.replace(/^#!.*\n/m, '')}`;
  writeFileSync(cli, src);
  chmodSync(cli, 0o755);
}

// 3. Smoke test: the bundle starts, lists exactly what the engine computes from the sources (and
// what the tsc build lists), and makes a real call: undici's and the sandbox's lazy chunks load.
async function session(file, args, requests) {
  const child = spawn(process.execPath, [file, ...args], { env: { ...process.env, MATON_API_KEY: 'bundle-smoke-test', MATON_BASE_URL: 'http://127.0.0.1:9', LOG_LEVEL: 'error', NODE_PATH: '' }, cwd: dirname(file), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const send = (o) => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...o })}\n`);
  send({ id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bundle', version: '1' } } });
  send({ method: 'notifications/initialized' });
  requests.forEach((r, i) => send({ id: i + 1, ...r }));
  // Whole lines only: a large answer (the approval card) arrives in several chunks.
  const answers = () => out.split('\n').slice(0, -1).filter(Boolean).map((l) => JSON.parse(l)).filter((m) => m.id >= 1);
  const deadline = Date.now() + 20_000;
  while (answers().length < requests.length && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  child.kill();
  const got = answers();
  if (got.length < requests.length) throw new Error(`bundle smoke test: ${relative(root, file)} ${args.join(' ')} did not answer: ${err.slice(-1500)}`);
  return requests.map((_, i) => got.find((m) => m.id === i + 1));
}

// Run from a copy of exactly what the package ships, in a folder with no node_modules above it.
const shipped = mkdtempSync(join(tmpdir(), 'chargebee-mcp-shipped-'));
process.on('exit', () => rmSync(shipped, { recursive: true, force: true }));
cpSync(cli, join(shipped, 'cli.js'));
cpSync(join(outdir, 'chunks'), join(shipped, 'chunks'), { recursive: true, filter: (f) => !f.endsWith('.map') });
const [list, call, read] = await session(join(shipped, 'cli.js'), ['--sandbox'], [
  { method: 'tools/list' },
  { method: 'tools/call', params: { name: 'get_customer', arguments: { customer_id: 'cust_acme_01' } } },
  { method: 'resources/read', params: { uri: 'ui://chargebee-mcp/approval.html' } },
]);
const tools = list.result.tools;
if (JSON.stringify(tools) !== JSON.stringify(Object.values(listings))) throw new Error('bundle smoke test: tools/list of dist/cli.js differs from the listing computed from the sources');
if (call.error || call.result.isError || call.result.structuredContent?.customer?.id !== 'cust_acme_01') throw new Error(`bundle smoke test: get_customer against --sandbox failed: ${JSON.stringify(call).slice(0, 1500)}`);
if (read.result?.contents?.[0]?.text !== cardPage) throw new Error(`bundle smoke test: resources/read of the approval card did not return the built page: ${JSON.stringify(read).slice(0, 500)}`);
const tscCli = join(outdir, 'src', 'cli.js');
if (existsSync(tscCli)) {
  const [unbundled] = await session(tscCli, [], [{ method: 'tools/list' }]);
  if (JSON.stringify(unbundled.result?.tools) !== JSON.stringify(tools)) throw new Error('bundle smoke test: tools/list of dist/cli.js differs from dist/src/cli.js (the tsc build: run tsc first)');
}

const outputs = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.js'));
const size = (f) => `${(result.metafile.outputs[f].bytes / 1024).toFixed(0)} KiB`;
const first = outputs.find(([f]) => f.endsWith('dist/cli.js'));
process.stderr.write(
  `bundle: dist/cli.js ${first ? size(first[0]) : ''} + ${outputs.length - 1} lazy/shared chunks, ${tools.length} tools prebuilt, approval card ${(Buffer.byteLength(cardPage) / 1024).toFixed(0)} KiB, ${Date.now() - started} ms${optionalExtras.length ? `; optional extras left out: ${optionalExtras.join(', ')}` : ''}\n`,
);
