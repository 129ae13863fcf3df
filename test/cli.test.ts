import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The built bin, spawned as a user or an MCP client spawns it. */
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const baseEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(MATON_|CHARGEBEE_MCP_|MCP_HTTP_|MCP_AUTH_|LOG_LEVEL$|REDIS_URL$)/.test(k)),
) as Record<string, string>;

/** Runs the bin to completion; LOG_LEVEL=info, so anything that started would have logged. */
function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [cli, ...args], { env: { ...baseEnv, LOG_LEVEL: 'info', ...env }, encoding: 'utf8', input: '', timeout: 15_000 });
}

/** A start-up failure as a user should meet it: exit 2, nothing on stdout, one line on stderr that ends by pointing at --help. */
function expectOneLineFailure(r: ReturnType<typeof run>, what: RegExp): string {
  expect(r.status, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines, r.stderr).toHaveLength(1);
  const line = lines[0]!;
  expect(line).toMatch(/^chargebee-mcp: /);
  expect(line).toMatch(what);
  expect(line).toMatch(/See chargebee-mcp --help\.$/);
  expect(line).not.toMatch(/\n\s+at |Error:/);
  return line;
}

describe('start-up failures: exit 2, one line, nothing started', () => {
  const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['an unknown flag', ['--bogus'], {}, /unknown option --bogus\./],
    ['an unknown short flag', ['--sandbox', '-x'], {}, /unknown option -x\./],
    ['a negative port', ['--port', '-1'], {}, /--port must be an integer 0-65535 \(got "-1"\)/],
    ['a port out of range', ['--transport', 'http', '--sandbox', '--port', '70000'], {}, /--port must be an integer 0-65535 \(got "70000"\)/],
    ['a port that is not a number', ['--transport', 'http', '--sandbox', '--port', '33a'], {}, /--port must be an integer 0-65535 \(got "33a"\)/],
    ['a flag without its value', ['--sandbox', '--tools'], {}, /--tools needs a value/],
    ['a flag whose value is the next flag', ['--tools', '--sandbox'], {}, /--tools needs a value/],
    ['a value given to a switch', ['--sandbox=yes'], {}, /--sandbox takes no value/],
    ['an unknown transport', ['--sandbox', '--transport', 'ws'], {}, /--transport must be stdio or http \(got "ws"\)/],
    ['an unknown command', ['serve', '--sandbox'], {}, /unknown command "serve"/],
    ['an unknown tool in --tools', ['--sandbox', '--tools', 'customers,nosuch'], {}, /--tools: unknown tool or toolset nosuch\. Toolsets: customers, /],
    ['a misspelt tool in --tools: the closest names, the toolsets, where tool names are', ['--sandbox', '--tools', 'list_customer'], {}, /--tools: unknown tool or toolset list_customer\. Did you mean list_customers or get_customer\? Toolsets: customers, .*; tool names: tools\/list or the Tools table of the README\./],
    ['a misspelt toolset in --tools', ['--sandbox', '--tools', 'get_export,subscription'], {}, /unknown tool or toolset subscription\. Did you mean subscriptions, get_subscription or list_subscriptions\?/],
    ['an unknown tool in --tools (HTTP)', ['--sandbox', '--transport', 'http', '--port', '0', '--tools', 'nosuch'], {}, /--tools: unknown tool or toolset nosuch/],
    ["an empty --tools ''", ['--sandbox', '--tools', ''], {}, /--tools needs at least one tool or toolset name/],
    ['a --tools of commas only', ['--sandbox', '--tools', ' , '], {}, /--tools needs at least one tool or toolset name/],
    ['a number variable that is not a number', ['--sandbox'], { CHARGEBEE_MCP_TIMEOUT_MS: 'soon' }, /CHARGEBEE_MCP_TIMEOUT_MS must be an integer >= 1 \(got "soon"\)/],
    ['an unknown LOG_LEVEL', ['--sandbox'], { LOG_LEVEL: 'verbose' }, /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent \(got "verbose"\)/],
    ['a MATON_BASE_URL without scheme', [], { MATON_API_KEY: 'key', MATON_BASE_URL: 'api.maton.ai' }, /MATON_BASE_URL must be an http\(s\) URL/],
    ['a short confirm secret', ['--sandbox'], { CHARGEBEE_MCP_CONFIRM_SECRET: 'short' }, /CHARGEBEE_MCP_CONFIRM_SECRET must be at least 16 characters/],
    ['an unknown --approval', ['--sandbox', '--approval', 'maybe'], {}, /--approval \(CHARGEBEE_MCP_APPROVAL\) must be auto, human or token/],
    ['a confirm TTL over the cap', ['--sandbox'], { CHARGEBEE_MCP_CONFIRM_TTL_S: '5000' }, /CHARGEBEE_MCP_CONFIRM_TTL_S must be an integer from 1 to 3600/],
    ['an --audit-log in a folder that does not exist', ['--sandbox', '--audit-log', '/nonexistent-chargebee-mcp/audit.log'], {}, /--audit-log \/nonexistent-chargebee-mcp\/audit\.log: cannot open it for appending \(ENOENT\)/],
    ['an OAuth issuer over plain http', ['--sandbox', '--transport', 'http', '--port', '0'], { MCP_AUTH_ISSUER: 'http://id.example.com', MCP_AUTH_AUDIENCE: 'x' }, /MCP_AUTH_ISSUER must be an https:\/\/ URL/],
    ['--no-auth on a public address', ['--sandbox', '--transport', 'http', '--no-auth', '--host', '0.0.0.0'], {}, /--no-auth is only allowed on a loopback host/],
    ['a host that is not this machine', ['--sandbox', '--transport', 'http', '--host', '192.0.2.1', '--port', '0'], {}, /--host 192\.0\.2\.1 is not an address of this machine/],
    ['sandbox: an unknown flag', ['sandbox', '--bogus'], {}, /unknown option --bogus\./],
    ['sandbox: a negative rate limit', ['sandbox', '--rate-limit', '-3'], {}, /--rate-limit must be an integer >= 0 \(got "-3"\)/],
    ['sandbox: an unknown LOG_LEVEL', ['sandbox', '--port', '0'], { LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    ['sandbox: a bad port', ['sandbox', '--port', '-1'], {}, /--port must be an integer 0-65535/],
  ];
  it.each(cases)('%s', (_, args, env, what) => {
    expectOneLineFailure(run(args, env), what);
  });

  it('a missing MATON_API_KEY: exit 2 and one line (the key, where to get it, --sandbox), nothing started', () => {
    const r = run([]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^chargebee-mcp: MATON_API_KEY is not set: /);
    expect(lines[0]).toMatch(/maton\.ai\/settings.*chargebee-mcp --sandbox/);
    expect(r.stderr).not.toMatch(/"level"/);
  });

  it("--bogus gets our message, not Node's parser advice with its unbalanced quote", () => {
    const line = expectOneLineFailure(run(['--bogus']), /unknown option --bogus/);
    expect(line).not.toMatch(/positional|'/);
    expect((line.match(/"/g) ?? []).length % 2).toBe(0);
  });

  describe('a port in use', () => {
    let busy: Server;
    let port: number;
    beforeAll(async () => {
      busy = createServer();
      await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
      port = (busy.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((r) => busy.close(() => r())));

    it('HTTP transport: one line naming the port, before the sandbox starts', () => {
      expectOneLineFailure(run(['--transport', 'http', '--sandbox', '--port', String(port)]), new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use: .*--port`));
    });
    it('standalone sandbox: the same', () => {
      expectOneLineFailure(run(['sandbox', '--port', String(port)]), new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
    });
  });

});

/** Requests the embedded sandbox received (the sandbox's own log, same API key as the server uses). */
async function sandboxRequests(sandboxUrl: string): Promise<Array<{ method: string; path: string; headers: Record<string, string> }>> {
  const res = await fetch(`${sandboxUrl}/_sandbox/requests`, { headers: { authorization: 'Bearer sandbox' } });
  return ((await res.json()) as { requests: Array<{ method: string; path: string; headers: Record<string, string> }> }).requests;
}

/** Preview then confirm a cancellation with no connection_id, as an agent following the instructions would. */
async function cancelWithoutConnection(client: Client) {
  const args = { subscription_id: 'sub_acme_01', cancel_option: 'end_of_term' };
  const preview = (await client.callTool({ name: 'cancel_subscription_for_items', arguments: args })) as any;
  expect(preview.isError, JSON.stringify(preview.content)).toBeFalsy();
  expect(preview.structuredContent.status).toBe('confirmation_required');
  const done = (await client.callTool({ name: 'cancel_subscription_for_items', arguments: { ...args, confirm_token: preview.structuredContent.confirm_token } })) as any;
  expect(done.isError, JSON.stringify(done.content)).toBeFalsy();
  expect(done.structuredContent.result.subscription.status).toBe('non_renewing');
}

const writesTo = (reqs: Awaited<ReturnType<typeof sandboxRequests>>) => reqs.filter((r) => r.method === 'POST' && r.path.endsWith('/subscriptions/sub_acme_01/cancel_for_items'));

describe('--sandbox pins sandbox-acme: writes work out of the box', () => {
  async function stdioClient(args: string[]) {
    const transport = new StdioClientTransport({ command: process.execPath, args: [cli, ...args], env: { ...baseEnv, LOG_LEVEL: 'info' }, stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (d) => (stderr += d));
    const client = new Client({ name: 'first-run', version: '1.0.0' });
    await client.connect(transport);
    // stderr is its own pipe: the log line may land just after the initialize answer.
    const found = () => /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*sandbox gateway started/.exec(stderr)?.[1];
    for (let i = 0; i < 100 && !found(); i++) await new Promise((r) => setTimeout(r, 50));
    const sandboxUrl = found();
    expect(sandboxUrl, stderr).toBeDefined();
    return { client, sandboxUrl: sandboxUrl! };
  }

  it('stdio, no --connection: the instructions say sandbox-acme and a write without connection_id goes there, once', async () => {
    const { client, sandboxUrl } = await stdioClient(['--sandbox']);
    try {
      expect(client.getInstructions()).toMatch(/calls without connection_id use sandbox-acme/);
      await cancelWithoutConnection(client);
      const writes = writesTo(await sandboxRequests(sandboxUrl));
      expect(writes).toHaveLength(1);
      expect(writes[0]!.headers['maton-connection']).toBe('sandbox-acme');
    } finally {
      await client.close();
    }
  });

  it('--connection sandbox-globex pins the other one', async () => {
    const { client, sandboxUrl } = await stdioClient(['--sandbox', '--connection', 'sandbox-globex']);
    try {
      expect(client.getInstructions()).toMatch(/calls without connection_id use sandbox-globex/);
      const r = (await client.callTool({ name: 'list_customers', arguments: { limit: 1 } })) as any;
      expect(r.isError).toBeFalsy();
      const reads = (await sandboxRequests(sandboxUrl)).filter((q) => q.path.endsWith('/customers'));
      expect(reads.map((q) => q.headers['maton-connection'])).toEqual(['sandbox-globex']);
    } finally {
      await client.close();
    }
  });
});

describe("the README's HTTP sandbox example", () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
  });

  /** Starts the bin over HTTP on a free port; resolves with what it printed once ready. */
  async function startHttp(args: string[], env: Record<string, string>) {
    const c = spawn(process.execPath, [cli, '--transport', 'http', '--sandbox', '--port', '0', ...args], { env: { ...baseEnv, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      c.stderr!.on('data', (d) => {
        stderr += d;
        if (stderr.includes('ready on HTTP')) resolve();
      });
      c.on('exit', () => reject(new Error(`exited: ${stderr}`)));
    });
    return { child: c, stderr, mcpUrl: /"mcp":"(http:\/\/[^"]+)"/.exec(stderr)![1]!, sandboxUrl: /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*sandbox gateway started/.exec(stderr)![1]! };
  }

  it('`chargebee-mcp --transport http --sandbox` with the printed token: a confirmed write without connection_id reaches sandbox-acme once', async () => {
    const s = await startHttp([], {});
    const token = /^MCP_HTTP_TOKEN=(\S+)$/m.exec(s.stderr)?.[1];
    expect(token, s.stderr).toBeDefined();
    const client = new Client({ name: 'readme', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(s.mcpUrl), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    try {
      await cancelWithoutConnection(client);
      const writes = writesTo(await sandboxRequests(s.sandboxUrl));
      expect(writes).toHaveLength(1);
      expect(writes[0]!.headers['maton-connection']).toBe('sandbox-acme');
    } finally {
      await client.close();
      s.child.kill('SIGKILL');
    }
  });

  it('bound to 0.0.0.0, another host name gets a 403 that names MCP_HTTP_ALLOWED_HOSTS; listed there, it gets through', async () => {
    const hostStatus = (url: string, host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const u = new URL(url);
        const req = request({ host: '127.0.0.1', port: u.port, path: '/mcp', method: 'POST', headers: { host, 'content-type': 'application/json', accept: 'application/json, text/event-stream' } }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        });
        req.on('error', reject);
        req.end('{}');
      });
    const token = 'first-run-test-token-0123456789';
    const refused = await startHttp(['--host', '0.0.0.0'], { MCP_HTTP_TOKEN: token });
    const r = await hostStatus(refused.mcpUrl, 'billing.example.com');
    refused.child.kill('SIGKILL');
    expect(r.status).toBe(403);
    expect(r.body).toMatch(/Host header \\"billing\.example\.com\\".*MCP_HTTP_ALLOWED_HOSTS=billing\.example\.com/);
    const allowed = await startHttp(['--host', '0.0.0.0'], { MCP_HTTP_TOKEN: token, MCP_HTTP_ALLOWED_HOSTS: 'billing.example.com' });
    const ok = await hostStatus(allowed.mcpUrl, `billing.example.com:${new URL(allowed.mcpUrl).port}`);
    allowed.child.kill('SIGKILL');
    expect(ok.status).toBe(401); // past the Host check: now it wants the bearer token
  });
});
