/**
 * The approval card (MCP Apps) from the guard's side: clients that declare the
 * `io.modelcontextprotocol/ui` extension, driven by the official SDK Client over stdio (the built
 * bin) and Streamable HTTP, against a sandbox gateway whose request log counts the writes. The
 * card's buttons are calls of the app-only tool approve_billing_change, as the host makes them.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, type CallToolResult, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { APPROVE_TOOL, CARD_URI, CARD_MIME, UI_EXTENSION } from '../src/card/ui.js';
import { loadConfig } from '../src/config.js';
import { startHttpServer, type HttpServerHandle } from '../src/http.js';
import { silentLogger } from '../src/log.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { writesOf } from './helpers/harness.js';
import { redisOrSkip, startRedis, type TestRedis } from './helpers/redis.js';

type Result = CallToolResult & { structuredContent?: any };
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const TOKEN = 'card-test-token-0123456789abcdef';
const SECRET = 'one-secret-for-the-card-tests-0123';
const UI = { [UI_EXTENSION]: { mimeTypes: [CARD_MIME] } };
const CANCEL = 'cancel_subscription_for_items';

let sandbox: Sandbox;
const closers: Array<() => Promise<unknown>> = [];
beforeAll(async () => {
  sandbox = await startSandbox({ rateLimit: 0, apiKey: 'card-test-maton-key-0123456789' });
});
afterAll(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
  await sandbox?.close();
});
beforeEach(async () => {
  await fetch(`${sandbox.url}/_sandbox/reset`, { method: 'POST', headers: { authorization: `Bearer ${sandbox.apiKey}` } });
});

const env = (extra: Record<string, string> = {}) => ({
  MATON_BASE_URL: sandbox.url,
  MATON_API_KEY: sandbox.apiKey,
  MATON_CONNECTION_ID: 'sandbox-acme',
  CHARGEBEE_MCP_CONFIRM_SECRET: SECRET,
  CHARGEBEE_MCP_RATE_LIMIT: '0',
  ...extra,
});

/** Writes (not reads, not estimates) that reached the gateway on a path containing `id`. */
async function writesTo(id: string): Promise<number> {
  const res = await fetch(`${sandbox.url}/_sandbox/requests`, { headers: { authorization: `Bearer ${sandbox.apiKey}` } });
  const { requests } = (await res.json()) as { requests: Array<{ method: string; path: string }> };
  return writesOf(requests).filter((r) => r.path.includes(`/${id}`)).length;
}

/** A client as a host that renders MCP Apps declares itself; with `onElicit` it can also be asked. */
function hostClient(name: string, opts: { cards?: boolean; onElicit?: () => Promise<ElicitResult> | ElicitResult } = {}): Client {
  const capabilities: Record<string, unknown> = {};
  if (opts.cards !== false) capabilities.extensions = UI;
  if (opts.onElicit) capabilities.elicitation = {};
  const client = new Client({ name, version: '1.0.0' }, { capabilities });
  if (opts.onElicit) client.setRequestHandler(ElicitRequestSchema, async () => opts.onElicit!());
  closers.push(() => client.close());
  return client;
}

const call = (c: Client, name: string, args: Record<string, unknown>) => c.callTool({ name, arguments: args }, undefined, { timeout: 60_000 }) as Promise<Result>;
const text = (r: Result) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

async function startHttp(extra: { approval?: 'auto' | 'human' | 'token'; auditLog?: string; redisUrl?: string; readOnly?: boolean } = {}): Promise<{ rt: Runtime; server: HttpServerHandle }> {
  const rt = await createRuntime(loadConfig({ transport: 'http', ...extra }, env()), silentLogger());
  closers.push(() => rt.close());
  const server = await startHttpServer(rt, { host: '127.0.0.1', port: 0, token: TOKEN });
  closers.push(() => server.close());
  return { rt, server };
}

async function overHttp(server: HttpServerHandle, client: Client): Promise<Client> {
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
  return client;
}

/**
 * What a card-only host sees: the app-only tool listed for it; the preview's question; the model's
 * confirm waiting for the person; Approve writing once (approval app); the model's confirm after it
 * returning the person's outcome as a replay; Decline sending nothing.
 */
async function cardOnly(client: Client) {
  const listed = (await client.listTools()).tools;
  const approve = listed.find((t) => t.name === APPROVE_TOOL)!;
  expect(approve, 'approve_billing_change is listed for a client that renders the card').toBeDefined();
  expect(approve._meta).toMatchObject({ ui: { resourceUri: CARD_URI, visibility: ['app'] } });
  expect(approve.inputSchema).toMatchObject({ required: ['confirm_token', 'decision'], properties: { decision: { enum: ['approve', 'decline'] } } });

  const args = { subscription_id: 'sub_acme_01', cancel_option: 'end_of_term' };
  const pv = await call(client, CANCEL, args);
  expect(pv.isError, text(pv)).toBeFalsy();
  expect(pv.structuredContent).toMatchObject({ status: 'confirmation_required', approval: 'app' });
  const q = pv.structuredContent.question;
  expect(q.headline).toMatch(/^Cancel Ada Lovelace's subscription .*\$49\.00 per month/);
  expect(q.facts.length).toBeGreaterThan(1);
  expect(q.text).toBe([q.headline, ...q.facts].join(' '));
  expect(text(pv)).toMatch(/approval card.*awaiting_approval/s);
  const token = pv.structuredContent.confirm_token;

  // The model confirms before the person decided: nothing is sent, the token stays unused.
  const early = await call(client, CANCEL, { ...args, confirm_token: token });
  expect(early.isError, text(early)).toBeFalsy();
  expect(early.structuredContent).toEqual({ status: 'awaiting_approval', action: CANCEL, approval: 'app', confirm_token: token, expires_at: pv.structuredContent.expires_at, connection_id: 'sandbox-acme' });
  expect(text(early)).toMatch(/press(ing)? Approve/);
  expect(await writesTo('sub_acme_01')).toBe(0);

  // The person presses Approve.
  const done = await call(client, APPROVE_TOOL, { confirm_token: token, decision: 'approve' });
  expect(done.isError, text(done)).toBeFalsy();
  expect(done.structuredContent).toMatchObject({ status: 'done', approval: 'app', action: CANCEL });
  expect(done.structuredContent.result.subscription.status).toBe('non_renewing');
  expect(await writesTo('sub_acme_01')).toBe(1);

  // The model's confirm now gets the person's outcome; a second click too; nothing is sent again.
  const after = await call(client, CANCEL, { ...args, confirm_token: token });
  expect(after.structuredContent).toMatchObject({ status: 'done', approval: 'app', replay: true });
  const again = await call(client, APPROVE_TOOL, { confirm_token: token, decision: 'decline' });
  expect(again.structuredContent).toMatchObject({ status: 'done', replay: true });
  expect(await writesTo('sub_acme_01')).toBe(1);

  // Decline: nothing is sent; the token is spent with the declined outcome.
  const args2 = { subscription_id: 'sub_acme_02', cancel_option: 'end_of_term' };
  const pv2 = await call(client, CANCEL, args2);
  const declined = await call(client, APPROVE_TOOL, { confirm_token: pv2.structuredContent.confirm_token, decision: 'decline' });
  expect(declined.isError, text(declined)).toBeFalsy();
  expect(declined.structuredContent).toMatchObject({ status: 'declined', action: CANCEL });
  expect(text(declined)).toMatch(/pressed Decline.*nothing was sent/s);
  const after2 = await call(client, CANCEL, { ...args2, confirm_token: pv2.structuredContent.confirm_token });
  expect(after2.structuredContent).toMatchObject({ status: 'declined', replay: true });
  expect(await writesTo('sub_acme_02')).toBe(0);

  // The card cannot change what is written: it names only the token.
  const tampered = await call(client, APPROVE_TOOL, { confirm_token: `${token.slice(0, -4)}AAAA`, decision: 'approve' });
  expect(tampered.isError).toBe(true);
  return { token };
}

describe('approval card over stdio (the built bin)', () => {
  it('SDK keeps capabilities.extensions; card-only: awaiting, approve writes once (app), replay, decline sends nothing', async () => {
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MATON_') && !k.startsWith('CHARGEBEE_MCP_'))) as Record<string, string>;
    const client = hostClient('card-host');
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [cli], env: { ...base, ...env(), LOG_LEVEL: 'warn' }, stderr: 'pipe' }));
    await cardOnly(client);
  }, 60_000);
});

describe('approval card over Streamable HTTP', () => {
  let server: HttpServerHandle;
  const dir = mkdtempSync(join(tmpdir(), 'cbmcp-card-'));
  const auditPath = join(dir, 'audit.jsonl');
  beforeAll(async () => {
    ({ server } = await startHttp({ auditLog: auditPath }));
  });

  it('card-only: awaiting, approve writes once with approval "app" in the result and the audit, replay, decline sends nothing', async () => {
    const { token } = await cardOnly(await overHttp(server, hostClient('card-host')));
    const lines = readFileSync(auditPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const approved = lines.filter((l) => l.event === 'approved' || l.event === 'sent' || l.event === 'done');
    expect(approved.map((l) => l.event)).toEqual(['approved', 'sent', 'done']);
    for (const l of approved) expect(l.approval).toBe('app');
    expect(lines.find((l) => l.event === 'declined')?.approval).toBe('app');
    expect(readFileSync(auditPath, 'utf8')).not.toContain(token);
  });

  it('a second session of the same user whose client can ask by neither is refused; the token stays unused for the person', async () => {
    const card = await overHttp(server, hostClient('card-host'));
    const mute = await overHttp(server, hostClient('headless', { cards: false }));
    expect((await mute.listTools()).tools.some((t) => t.name === APPROVE_TOOL)).toBe(false);
    const args = { customer_id: 'cust_acme_03', company: 'Refused Co' };
    const pv = await call(card, 'update_customer', args);
    const token = pv.structuredContent.confirm_token;
    const refused = await call(mute, 'update_customer', { ...args, confirm_token: token });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/the person who was shown the preview must approve it there.*nothing was sent.*still unused/s);
    await expect(mute.callTool({ name: APPROVE_TOOL, arguments: { confirm_token: token, decision: 'approve' } })).rejects.toThrow(/only for clients that render the approval card/);
    expect(await writesTo('cust_acme_03')).toBe(0);
    const done = await call(card, APPROVE_TOOL, { confirm_token: token, decision: 'approve' });
    expect(done.structuredContent).toMatchObject({ status: 'done', approval: 'app' });
    expect(await writesTo('cust_acme_03')).toBe(1);
  });

  it('card and question on one token (a host that does both): one decision, one write', async () => {
    let asked = 0;
    const both = await overHttp(
      server,
      hostClient('both', {
        onElicit: async () => {
          asked++;
          await new Promise((r) => setTimeout(r, 400));
          return { action: 'accept', content: { confirm: true } };
        },
      }),
    );
    const args = { customer_id: 'cust_acme_04', company: 'Both Co' };
    const pv = await call(both, 'update_customer', args);
    expect(pv.structuredContent.approval).toBe('elicitation');
    const token = pv.structuredContent.confirm_token;
    const model = call(both, 'update_customer', { ...args, confirm_token: token });
    await new Promise((r) => setTimeout(r, 100));
    const click = call(both, APPROVE_TOOL, { confirm_token: token, decision: 'approve' });
    const [m, c] = await Promise.all([model, click]);
    expect(m.structuredContent.status).toBe('done');
    expect(c.structuredContent.status).toBe('done');
    expect([m.structuredContent.replay, c.structuredContent.replay].filter(Boolean)).toHaveLength(1);
    expect(asked).toBe(1);
    expect(await writesTo('cust_acme_04')).toBe(1);
  });

  it('a question whose client goes away without DELETE releases the token within 5 s; the next confirm asks again and writes once', async () => {
    let askedAt = 0;
    const leaving = hostClient('leaving', {
      cards: false,
      onElicit: () => {
        askedAt = Date.now();
        return new Promise<ElicitResult>(() => {});
      },
    });
    await overHttp(server, leaving);
    const args = { customer_id: 'cust_acme_05', company: 'Dropped Co' };
    const pv = await call(leaving, 'update_customer', args);
    const token = pv.structuredContent.confirm_token;
    const pending = call(leaving, 'update_customer', { ...args, confirm_token: token }).catch((e: unknown) => e);
    while (!askedAt) await new Promise((r) => setTimeout(r, 20));
    // The client's connections close (the POST's response stream with them); no DELETE is sent.
    const goneAt = Date.now();
    await leaving.close();
    await pending;
    let reaskedAt = 0;
    const next = await overHttp(
      server,
      hostClient('next', {
        cards: false,
        onElicit: () => {
          reaskedAt = Date.now();
          return { action: 'accept', content: { confirm: true } };
        },
      }),
    );
    const done = await call(next, 'update_customer', { ...args, confirm_token: token });
    expect(done.isError, text(done)).toBeFalsy();
    expect(done.structuredContent).toMatchObject({ status: 'done', approval: 'elicitation' });
    const releasedMs = reaskedAt - goneAt;
    expect(releasedMs).toBeLessThan(5_000);
    process.stderr.write(`dropped question: asked again ${releasedMs} ms after the client went away\n`);
    expect(await writesTo('cust_acme_05')).toBe(1);
  }, 30_000);
});

describe('approval modes and the card', () => {
  it('--approval human accepts a card-only client (its preview and the Approve click)', async () => {
    const { server } = await startHttp({ approval: 'human' });
    const card = await overHttp(server, hostClient('card-host'));
    const args = { customer_id: 'cust_acme_06', company: 'Human Co' };
    const pv = await call(card, 'update_customer', args);
    expect(pv.isError, text(pv)).toBeFalsy();
    expect(pv.structuredContent.approval).toBe('app');
    const done = await call(card, APPROVE_TOOL, { confirm_token: pv.structuredContent.confirm_token, decision: 'approve' });
    expect(done.structuredContent).toMatchObject({ status: 'done', approval: 'app' });
    expect(await writesTo('cust_acme_06')).toBe(1);
    const mute = await overHttp(server, hostClient('headless', { cards: false }));
    const refused = await call(mute, 'update_customer', args);
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/--approval human.*neither the elicitation capability nor the MCP Apps extension/s);
  });

  it('--approval token asks nobody and does not list approve_billing_change', async () => {
    const { server } = await startHttp({ approval: 'token' });
    const card = await overHttp(server, hostClient('card-host'));
    expect((await card.listTools()).tools.some((t) => t.name === APPROVE_TOOL)).toBe(false);
    const args = { customer_id: 'cust_acme_07', company: 'Token Co' };
    const pv = await call(card, 'update_customer', args);
    expect(pv.structuredContent.approval).toBe('token');
    await expect(card.callTool({ name: APPROVE_TOOL, arguments: { confirm_token: pv.structuredContent.confirm_token, decision: 'approve' } })).rejects.toThrow(/not available.*--approval token/);
    const done = await call(card, 'update_customer', { ...args, confirm_token: pv.structuredContent.confirm_token });
    expect(done.structuredContent).toMatchObject({ status: 'done', approval: 'token' });
    expect(await writesTo('cust_acme_07')).toBe(1);
  });
});

describe('read-only', () => {
  it('--read-only lists no approve_billing_change, even for a client that renders the card', async () => {
    const { server } = await startHttp({ readOnly: true });
    const card = await overHttp(server, hostClient('card-host'));
    expect((await card.listTools()).tools.some((t) => t.name === APPROVE_TOOL)).toBe(false);
    await expect(card.callTool({ name: APPROVE_TOOL, arguments: { confirm_token: 'cbt1.x.y-0123456789', decision: 'approve' } })).rejects.toThrow(/not available/);
  });
});

const withRedis = redisOrSkip();
describe.skipIf(!withRedis)('approval card across instances (Redis)', () => {
  let redis: TestRedis;
  const servers: HttpServerHandle[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    closers.push(() => redis.stop());
    for (let i = 0; i < 2; i++) servers.push((await startHttp({ redisUrl: redis.url })).server);
  }, 30_000);

  it('the card decides on instance 1, the model confirms on instance 2: the person\'s outcome, one write', async () => {
    const one = await overHttp(servers[0]!, hostClient('card-host-1'));
    const two = await overHttp(servers[1]!, hostClient('card-host-2'));
    const args = { customer_id: 'cust_acme_08', company: 'Cluster Co' };
    const pv = await call(one, 'update_customer', args);
    const token = pv.structuredContent.confirm_token;
    expect((await call(two, 'update_customer', { ...args, confirm_token: token })).structuredContent.status).toBe('awaiting_approval');
    const done = await call(one, APPROVE_TOOL, { confirm_token: token, decision: 'approve' });
    expect(done.structuredContent).toMatchObject({ status: 'done', approval: 'app' });
    const after = await call(two, 'update_customer', { ...args, confirm_token: token });
    expect(after.structuredContent).toMatchObject({ status: 'done', approval: 'app', replay: true });
    expect(await writesTo('cust_acme_08')).toBe(1);
  });

  it('previewed on instance 1, approved in the card through instance 2 (the previewed arguments are shared), declined once', async () => {
    const one = await overHttp(servers[0]!, hostClient('card-host-1'));
    const two = await overHttp(servers[1]!, hostClient('card-host-2'));
    const args = { customer_id: 'cust_acme_09', company: 'Shared Co' };
    const pv = await call(one, 'update_customer', args);
    const token = pv.structuredContent.confirm_token;
    const [a, b] = await Promise.all([
      call(two, APPROVE_TOOL, { confirm_token: token, decision: 'approve' }),
      call(one, APPROVE_TOOL, { confirm_token: token, decision: 'decline' }),
    ]);
    const outcomes = [a.structuredContent.status, b.structuredContent.status];
    expect(outcomes[0]).toBe(outcomes[1]);
    expect([a.structuredContent.replay, b.structuredContent.replay].filter(Boolean)).toHaveLength(1);
    expect(await writesTo('cust_acme_09')).toBe(outcomes[0] === 'done' ? 1 : 0);
  });
});
