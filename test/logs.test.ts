import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';

/**
 * Logs of a real run: the built bin over stdio, against a standalone sandbox
 * that plays the real gateway (so the Maton key is a real secret here), driven
 * by the SDK's StdioClientTransport through reads, a preview and a confirmed
 * write under a fault. stderr must carry one JSON line per gateway attempt and
 * per tool call, and never the key, the HTTP token, the confirm secret or a
 * confirm token; stdout must carry only JSON-RPC.
 */
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const logModule = new URL('../dist/src/log.js', import.meta.url).href;
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(MATON_|CHARGEBEE_MCP_|MCP_HTTP_TOKEN|LOG_LEVEL)/.test(k))) as Record<string, string>;

const apiKey = `sk-secret-${randomBytes(12).toString('hex')}`;
const confirmSecret = `confirm-secret-${randomBytes(12).toString('hex')}`;
const httpToken = `http-token-${randomBytes(12).toString('hex')}`;

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ apiKey, rateLimit: 0 });
});
afterAll(async () => sb?.close());

async function session(level: string, drive: (c: Client) => Promise<void>): Promise<{ stderr: string; lines: any[]; transportErrors: Error[] }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cli],
    env: {
      ...baseEnv,
      MATON_BASE_URL: sb.url,
      MATON_API_KEY: apiKey,
      MATON_CONNECTION_ID: 'sandbox-acme',
      CHARGEBEE_MCP_CONFIRM_SECRET: confirmSecret,
      MCP_HTTP_TOKEN: httpToken,
      LOG_LEVEL: level,
    },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => (stderr += d));
  const transportErrors: Error[] = [];
  const client = new Client({ name: 'logs-test', version: '1.0.0' });
  // A line on stdout that is not a JSON-RPC message makes the transport report an error here.
  client.onerror = (e) => void transportErrors.push(e);
  await client.connect(transport);
  try {
    await drive(client);
  } finally {
    await client.close();
  }
  await new Promise((r) => setTimeout(r, 100));
  const lines = stderr.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return { stderr, lines, transportErrors };
}

const fault = (spec: unknown) =>
  fetch(`${sb.url}/_sandbox/faults`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(spec) });

describe('logs of a real stdio run', () => {
  it('one line per gateway attempt and per tool call; no key, token or secret; stdout only JSON-RPC', async () => {
    const tokens: string[] = [];
    const run = await session('debug', async (c) => {
      const list = await c.callTool({ name: 'list_customers', arguments: { limit: 2, email: { is_not: apiKey.slice(0, 20) } } });
      expect(list.isError).toBeFalsy();
      const args = { subscription_id: 'sub_acme_01', cancel_option: 'end_of_term' };
      const preview = await c.callTool({ name: 'cancel_subscription_for_items', arguments: args });
      const token = (preview.structuredContent as any).confirm_token as string;
      tokens.push(token);
      await fault({ match: { method: 'POST', path: '/chargebee/api/v2/subscriptions/sub_acme_01/cancel_for_items' }, times: 1, fault: { status: 503 } });
      const done = await c.callTool({ name: 'cancel_subscription_for_items', arguments: { ...args, confirm_token: token } });
      expect(done.isError).toBeFalsy();
      const replay = await c.callTool({ name: 'cancel_subscription_for_items', arguments: { ...args, confirm_token: token } });
      expect((replay.structuredContent as any).replay).toBe(true);
      const tampered = await c.callTool({ name: 'cancel_subscription_for_items', arguments: { ...args, confirm_token: `${token.slice(0, -4)}AAAA` } });
      expect(tampered.isError).toBe(true);
      const missing = await c.callTool({ name: 'get_customer', arguments: { customer_id: 'nobody' } });
      expect(missing.isError).toBe(true);
    });

    expect(run.transportErrors).toEqual([]);
    // Secrets never appear, in any form.
    for (const secret of [apiKey, confirmSecret, httpToken, ...tokens, tokens[0]!.split('.')[2]!]) expect(run.stderr).not.toContain(secret);
    expect(run.stderr).not.toMatch(/Bearer\s+(?!\[redacted\])/);

    const gw = run.lines.filter((l) => l.msg === 'gateway call').map((l) => l.gw);
    const tools = run.lines.filter((l) => l.msg === 'tool call').map((l) => l.tool);
    for (const g of gw) {
      expect(g).toMatchObject({ method: expect.stringMatching(/^(GET|POST|DELETE)$/), route: expect.stringMatching(/^(GET|POST|DELETE) \//), attempt: expect.any(Number), ms: expect.any(Number) });
      // route templates, never concrete ids or query strings
      expect(g.route).not.toMatch(/sub_acme_01|nobody|\?/);
    }
    expect(gw.filter((g) => g.route === 'POST /subscriptions/{subscription_id}/cancel_for_items').map((g) => [g.status, g.attempt])).toEqual([
      [503, 1],
      [200, 2],
    ]);
    expect(gw).toContainEqual(expect.objectContaining({ route: 'GET /customers', status: 200, attempt: 1 }));
    expect(gw).toContainEqual(expect.objectContaining({ route: 'GET /customers/{customer_id}', status: 404, attempt: 1 }));
    // one line per tool call: list, preview, confirm, replay, tampered, missing
    expect(tools.map((t) => t.name)).toEqual([
      'list_customers',
      'cancel_subscription_for_items',
      'cancel_subscription_for_items',
      'cancel_subscription_for_items',
      'cancel_subscription_for_items',
      'get_customer',
    ]);
    for (const t of tools) expect(t.ms).toEqual(expect.any(Number));
    expect(tools.map((t) => t.error)).toEqual([false, false, false, false, true, true]);
  });

  it('LOG_LEVEL=warn keeps only warnings: the retried attempt, not the routine lines', async () => {
    const run = await session('warn', async (c) => {
      await fault({ match: { method: 'GET', path: '/chargebee/api/v2/customers' }, times: 1, fault: { status: 503 } });
      const r = await c.callTool({ name: 'list_customers', arguments: { limit: 1 } });
      expect(r.isError).toBeFalsy();
    });
    expect(run.transportErrors).toEqual([]);
    expect(run.lines.every((l) => l.level >= 40)).toBe(true);
    expect(run.lines.map((l) => l.gw?.status)).toEqual([503]);
  });

  it('the scrub hook removes known secrets and confirm tokens from any line, whatever field carries them', () => {
    const script = `
      const { createLogger } = await import(${JSON.stringify(logModule)});
      const log = createLogger({ level: 'info', secrets: () => [${JSON.stringify(apiKey)}, ${JSON.stringify(confirmSecret)}, undefined] });
      log.info({ note: 'key ${apiKey}', nested: { deeper: { value: '${confirmSecret}' } }, apiKey: 'x', headers: { authorization: 'Bearer ${apiKey}' } }, 'msg with cbt1.AAAA.BBBB and Authorization: Bearer abc123');
      log.error(new Error('failed with ${apiKey}'));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toContain(apiKey);
    expect(r.stderr).not.toContain(confirmSecret);
    expect(r.stderr).not.toContain('cbt1.AAAA');
    expect(r.stderr).not.toContain('abc123');
    const lines = r.stderr.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
  });
});
