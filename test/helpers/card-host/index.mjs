/**
 * A real browser hosting the approval card, for test/card-browser.test.ts and
 * scripts/card-screenshot.mjs: the built bin (dist/cli.js --transport http --sandbox) behind a real
 * MCP client (the official SDK, declaring the io.modelcontextprotocol/ui extension), and headless
 * Debian chromium driven by playwright-core, showing a host page (page.ts) that renders the card
 * through ext-apps' AppBridge. The host page is served from its own loopback origin; every request
 * the page or the card makes is recorded, and any to another origin is blocked and reported.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
const UI_EXTENSION = 'io.modelcontextprotocol/ui';
const CARD_MIME = 'text/html;profile=mcp-app';
const TOKEN = 'card-host-test-token-0123456789';

/** dist/cli.js over Streamable HTTP against its embedded sandbox; resolves with both URLs from its start-up log. */
async function startServer(extraArgs) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MATON_') && !k.startsWith('CHARGEBEE_MCP_')));
  const child = spawn(process.execPath, [join(root, 'dist', 'cli.js'), '--transport', 'http', '--sandbox', '--port', '0', ...extraArgs], {
    env: { ...env, MCP_HTTP_TOKEN: TOKEN, LOG_LEVEL: 'info', CHARGEBEE_MCP_RATE_LIMIT: '0' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const urls = await new Promise((resolve, reject) => {
    const found = {};
    const timer = setTimeout(() => reject(new Error(`dist/cli.js did not start in 20 s: ${log.slice(-1500)}`)), 20_000);
    child.stderr.on('data', (d) => {
      log += d;
      for (const line of log.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const l = JSON.parse(line);
          if (l.component === 'sandbox' && l.url) found.sandbox = l.url;
          if (l.mcp) found.mcp = l.mcp;
        } catch {}
      }
      if (found.sandbox && found.mcp) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    child.on('exit', (code) => reject(new Error(`dist/cli.js exited (${code}): ${log.slice(-1500)}`)));
  });
  return { child, ...urls };
}

async function hostPageScript() {
  const out = await build({ entryPoints: [join(here, 'page.ts')], bundle: true, write: false, format: 'esm', platform: 'browser', target: 'es2022', minify: true, logLevel: 'warning' });
  return out.outputFiles[0].text;
}

/** The host page's own origin: the page and its script, nothing else. */
async function serveHostPage(script) {
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Approval card test host</title>
<style>body{margin:0;padding:20px;background:#eef0f3;font-family:system-ui,sans-serif}#slot{max-width:680px}</style></head>
<body><div id="slot"></div><script type="module" src="/host.js"></script></body></html>`;
  const server = http.createServer((req, res) => {
    if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    else if (req.url === '/host.js') res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
    else res.writeHead(404).end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

/**
 * Starts everything; `close()` stops it. `show(tool, args, result)` renders the card for a tool's
 * result as a host would (the card's URI from the tool's listing, its HTML from resources/read).
 */
export async function startCardHost({ serverArgs = [], viewport = { width: 720, height: 600 }, deviceScaleFactor = 1 } = {}) {
  const closers = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
  };
  try {
    const srv = await startServer(serverArgs);
    closers.push(async () => {
      srv.child.kill('SIGTERM');
      await new Promise((r) => (srv.child.exitCode !== null ? r() : srv.child.once('exit', r)));
    });
    const client = new Client({ name: 'card-test-host', version: '1.0.0' }, { capabilities: { extensions: { [UI_EXTENSION]: { mimeTypes: [CARD_MIME] } } } });
    await client.connect(new StreamableHTTPClientTransport(new URL(srv.mcp), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
    closers.push(() => client.close());

    const host = await serveHostPage(await hostPageScript());
    closers.push(() => new Promise((r) => host.server.close(r)));

    const profile = mkdtempSync(join(tmpdir(), 'chargebee-mcp-card-chromium-'));
    closers.push(async () => rmSync(profile, { recursive: true, force: true }));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport,
      deviceScaleFactor,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    closers.push(() => context.close());

    const consoleErrors = [];
    const requests = [];
    const outside = [];
    const relayed = [];
    // Only the host page's own origin may be reached; anything else is blocked and reported.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (new URL(url).origin === host.origin) return route.continue();
      outside.push(url);
      return route.abort('blockedbyclient');
    });
    context.on('request', (r) => requests.push(r.url()));
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));

    let listing;
    const tools = async () => (listing ??= (await client.listTools()).tools);
    // The host relays the card's calls to tools the app may call (visibility includes "app"; unlisted: refused).
    await page.exposeFunction('hostCallTool', async (params) => {
      relayed.push(params);
      const tool = (await tools()).find((t) => t.name === params.name);
      const visibility = tool?._meta?.ui?.visibility ?? ['model', 'app'];
      if (!tool || !visibility.includes('app')) throw new Error(`The host does not relay ${params.name}: the server does not list it for this client (${UI_EXTENSION} declared).`);
      return client.callTool(params);
    });
    await page.goto(`${host.origin}/`);

    const sandbox = (path, init = {}) => fetch(srv.sandbox + path, { ...init, headers: { authorization: 'Bearer sandbox', ...init.headers } });
    const cardFrame = page.frameLocator('iframe');
    return {
      page,
      client,
      origin: host.origin,
      sandboxUrl: srv.sandbox,
      consoleErrors,
      requests,
      outside,
      relayed,
      tools,
      card: cardFrame,
      call: (name, args) => client.callTool({ name, arguments: args }),
      /** Renders the card for `result` of `tool` called with `args`, as a host does. */
      async show(tool, args, result) {
        const t = (await tools()).find((x) => x.name === tool);
        const uri = t?._meta?.ui?.resourceUri;
        if (!uri) throw new Error(`${tool} carries no _meta.ui.resourceUri: a host would show no card`);
        const { contents } = await client.readResource({ uri });
        const html = contents[0]?.text;
        if (contents[0]?.mimeType !== CARD_MIME || typeof html !== 'string') throw new Error(`resources/read ${uri} did not return ${CARD_MIME}`);
        await page.evaluate(([h, a, r]) => window.showCard(h, a, r), [html, args, result]);
      },
      modelContext: () => page.evaluate(() => window.modelContext),
      /** Requests the sandbox received (Chargebee routes), since the last reset. */
      async sandboxRequests() {
        const { requests: got } = await (await sandbox('/_sandbox/requests')).json();
        return got.filter((r) => r.path !== '/connections');
      },
      reset: () => sandbox('/_sandbox/reset', { method: 'POST' }),
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
