/**
 * The person's approval over the real transports: the built bin over stdio, and Streamable HTTP
 * (the elicitation request travels on the confirm call's own response stream).
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { loadConfig } from '../src/config.js';
import { startHttpServer } from '../src/http.js';
import { silentLogger } from '../src/log.js';
import { createRuntime } from '../src/runtime.js';
import { isEstimate } from './helpers/harness.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MATON_') && !k.startsWith('CHARGEBEE_MCP_'))) as Record<string, string>;
const SUB = { subscription_id: 'sub_acme_01', cancel_option: 'end_of_term', connection_id: 'sandbox-acme' };

/** A client that asks its user; the user's answers are queued per test. */
function askingClient(answers: ElicitResult[], asked: string[]): Client {
  const client = new Client({ name: 'asking', version: '1.0.0' }, { capabilities: { elicitation: {} } });
  client.setRequestHandler(ElicitRequestSchema, async (req) => {
    asked.push((req.params as { message: string }).message);
    return answers.shift() ?? { action: 'cancel' };
  });
  return client;
}

async function acceptThenDecline(client: Client, asked: string[]) {
  const call = (args: Record<string, unknown>) => client.callTool({ name: 'cancel_subscription_for_items', arguments: args }) as Promise<any>;
  // Declined first: nothing written.
  const p1 = await call(SUB);
  expect(p1.structuredContent.approval).toBe('elicitation');
  const declined = await call({ ...SUB, confirm_token: p1.structuredContent.confirm_token });
  expect(declined.isError).toBeFalsy();
  expect(declined.structuredContent.status).toBe('declined');
  // Then accepted: written once.
  const p2 = await call(SUB);
  const done = await call({ ...SUB, confirm_token: p2.structuredContent.confirm_token });
  expect(done.isError, JSON.stringify(done.content)).toBeFalsy();
  expect(done.structuredContent).toMatchObject({ status: 'done', approval: 'elicitation' });
  expect(done.structuredContent.result.subscription.status).toBe('non_renewing');
  expect(asked).toHaveLength(2);
  expect(asked[0]).toMatch(/^SANDBOX — Cancel Ada Lovelace's subscription basic-USD-monthly \(\$49\.00 per month\) on \d{4}-\d\d-\d\d\. .*Chargebee connection: sandbox-acme\./);
}

describe('approval over stdio (the built bin)', () => {
  it('decline sends nothing; accept writes once', async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [cli, '--sandbox'], env: { ...baseEnv, LOG_LEVEL: 'warn' }, stderr: 'pipe' });
    const asked: string[] = [];
    const client = askingClient([{ action: 'decline' }, { action: 'accept', content: { confirm: true } }], asked);
    await client.connect(transport);
    try {
      await acceptThenDecline(client, asked);
    } finally {
      await client.close();
    }
  });
});

describe('approval over Streamable HTTP', () => {
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of closers.reverse()) await c();
  });

  it('decline sends nothing; accept writes once; the sandbox saw exactly one write', async () => {
    const config = loadConfig({ sandbox: true, transport: 'http' }, { CHARGEBEE_MCP_RATE_LIMIT: '0' });
    const rt = await createRuntime(config, silentLogger(), { rateLimit: 0 });
    closers.push(() => rt.close());
    const server = await startHttpServer(rt, { host: '127.0.0.1', port: 0, token: 'approval-test-token-0123456789' });
    closers.push(() => server.close());
    const asked: string[] = [];
    const client = askingClient([{ action: 'decline' }, { action: 'accept', content: { confirm: true } }], asked);
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { Authorization: 'Bearer approval-test-token-0123456789' } } }));
    closers.push(() => client.close());
    await acceptThenDecline(client, asked);
    const res = await fetch(`${rt.sandbox!.url}/_sandbox/requests`, { headers: { authorization: `Bearer ${rt.sandbox!.apiKey}` } });
    const writes = ((await res.json()) as { requests: Array<{ method: string; path: string }> }).requests.filter((r) => r.method === 'POST' && !isEstimate(r.path));
    expect(writes).toHaveLength(1);
  });
});
