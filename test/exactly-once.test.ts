/**
 * Exactly once under every interleaving the attack scripts tried: each case counts the write
 * requests that actually reached the sandbox gateway.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { createRuntime } from '../src/runtime.js';
import { createServer } from '../src/server.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { startHarness, text, type Harness } from './helpers/harness.js';

const SECRET = 'exactly-once-shared-secret-0123456789';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ config: { connectionId: 'sandbox-acme' }, env: { CHARGEBEE_MCP_CONFIRM_SECRET: SECRET } });
});
afterAll(async () => h?.close());
beforeEach(async () => {
  await h.reset();
});

const writesTo = async (path: string) => (await h.requests()).filter((r) => r.method !== 'GET' && r.path === path);
const preview = async (tool: string, args: Record<string, unknown>) => {
  const r = await h.call(tool, args);
  expect(r.isError, text(r)).toBeFalsy();
  return r.structuredContent.confirm_token as string;
};

describe('one token, many concurrent confirms', () => {
  for (const n of [2, 10, 50]) {
    it(`${n} concurrent confirms of one token: one write, every answer is that write's outcome`, async () => {
      const args = { customer_id: 'cust_acme_05', company: `Concurrent ${n}` };
      const token = await preview('update_customer', args);
      const results = await Promise.all(Array.from({ length: n }, () => h.call('update_customer', { ...args, confirm_token: token })));
      expect(await writesTo('/chargebee/api/v2/customers/cust_acme_05')).toHaveLength(1);
      expect(results.every((r) => !r.isError)).toBe(true);
      expect(results.filter((r) => r.structuredContent.replay !== true)).toHaveLength(1);
      const ids = new Set(results.map((r) => r.structuredContent.result.customer.resource_version));
      expect(ids.size).toBe(1);
    });
  }
});

describe('two tokens on one target', () => {
  it('two update_customer previews confirmed at once: at most one writes, the other is refused as a changed target', async () => {
    const a = { customer_id: 'cust_acme_06', email: 'first@example.com' };
    const b = { customer_id: 'cust_acme_06', email: 'second@example.com' };
    const [ta, tb] = [await preview('update_customer', a), await preview('update_customer', b)];
    const [ra, rb] = await Promise.all([h.call('update_customer', { ...a, confirm_token: ta }), h.call('update_customer', { ...b, confirm_token: tb })]);
    expect(await writesTo('/chargebee/api/v2/customers/cust_acme_06')).toHaveLength(1);
    const refused = [ra, rb].filter((r) => r.isError);
    expect(refused).toHaveLength(1);
    expect(text(refused[0]!)).toMatch(/changed since the preview/);
  });

  it('two cancels (end_of_term and immediately with a full credit) confirmed at once: one write', async () => {
    const eot = { subscription_id: 'sub_acme_02', cancel_option: 'end_of_term' };
    const now = { subscription_id: 'sub_acme_02', cancel_option: 'immediately', credit_option_for_current_term_charges: 'full' };
    const [t1, t2] = [await preview('cancel_subscription_for_items', eot), await preview('cancel_subscription_for_items', now)];
    const rs = await Promise.all([h.call('cancel_subscription_for_items', { ...eot, confirm_token: t1 }), h.call('cancel_subscription_for_items', { ...now, confirm_token: t2 })]);
    expect(await writesTo('/chargebee/api/v2/subscriptions/sub_acme_02/cancel_for_items')).toHaveLength(1);
    expect(rs.filter((r) => r.isError)).toHaveLength(1);
  });
});

describe('unknown outcomes', () => {
  it("token A gets no answer, token B then changes the customer: A's resend is refused, B's change stands", async () => {
    const path = '/chargebee/api/v2/customers/cust_acme_07';
    const a = { customer_id: 'cust_acme_07', email: 'a@example.com' };
    const ta = await preview('update_customer', a);
    await h.fault({ match: { method: 'POST', path }, times: 4, fault: { reset: true } });
    const lost = await h.call('update_customer', { ...a, confirm_token: ta });
    expect(lost.isError).toBe(true);
    const b = { customer_id: 'cust_acme_07', email: 'b@example.com' };
    const tb = await preview('update_customer', b);
    expect((await h.call('update_customer', { ...b, confirm_token: tb })).structuredContent.status).toBe('done');
    const before = (await writesTo(path)).length;
    const resend = await h.call('update_customer', { ...a, confirm_token: ta });
    expect(resend.isError).toBe(true);
    expect(text(resend)).toMatch(/may or may not have been applied\. Nothing was sent again/);
    expect(await writesTo(path)).toHaveLength(before);
    const now = await h.call('get_customer', { customer_id: 'cust_acme_07' });
    expect(now.structuredContent.customer.email).toBe('b@example.com');
  });

  it('a create_connection whose answer was lost is never sent twice for one token; the next preview names the PENDING connection', async () => {
    const token = await preview('create_connection', {});
    await h.fault({ match: { method: 'POST', path: '/connections' }, times: 1, fault: { drop_response: true } });
    const lost = await h.call('create_connection', { confirm_token: token });
    expect(lost.isError).toBe(true);
    expect(text(lost)).toMatch(/may or may not have been applied.*PENDING/s);
    const again = await h.call('create_connection', { confirm_token: token });
    expect(again.isError).toBe(true);
    const all = await (await h.sandboxFetch('/_sandbox/requests')).json();
    expect(all.requests.filter((r: any) => r.method === 'POST' && r.path === '/connections')).toHaveLength(1);
    const next = await h.call('create_connection', {});
    expect(next.structuredContent.effect).toMatch(/1 PENDING connection\(s\) already wait/);
    expect(next.structuredContent.warning).toMatch(/earlier create_connection .* got no answer/);
  });

  it('lost response, then the token expired, then a new preview: it warns that the earlier attempt may have been applied, and when', async () => {
    const short = await startHarness({ config: { connectionId: 'sandbox-acme' }, env: { CHARGEBEE_MCP_CONFIRM_TTL_S: '1' } });
    try {
      const args = { first_name: 'Lost', email: 'lost@example.com' };
      const t = (await short.call('create_customer', args)).structuredContent.confirm_token;
      await short.fault({ match: { method: 'POST', path: '/chargebee/api/v2/customers' }, times: 50, fault: { drop_response: true } });
      const lost = await short.call('create_customer', { ...args, confirm_token: t });
      expect(lost.isError).toBe(true);
      await new Promise((r) => setTimeout(r, 1200));
      const expired = await short.call('create_customer', { ...args, confirm_token: t });
      expect(text(expired)).toMatch(/expired/);
      const next = await short.call('create_customer', args);
      expect(next.structuredContent.warning).toMatch(/An earlier create_customer on this target at 20\d\d-\d\d-\d\dT.* got no answer: it may or may not have been applied/);
      expect(text(next)).toMatch(/^SANDBOX — CONFIRMATION REQUIRED[\s\S]*\nWarning: An earlier create_customer/);
    } finally {
      await short.close();
    }
  });
});

describe('tokens across processes', () => {
  /** Another server process (a restart, or a second instance) with the same secret, against the same gateway, no shared ledger. */
  async function otherProcess(): Promise<{ client: Client; close(): Promise<void> }> {
    const sb = h.rt.sandbox!;
    const config = loadConfig({ connectionId: 'sandbox-acme' }, { MATON_API_KEY: sb.apiKey, MATON_BASE_URL: sb.url, CHARGEBEE_MCP_CONFIRM_SECRET: SECRET, CHARGEBEE_MCP_RATE_LIMIT: '0' });
    const rt = await createRuntime(config, silentLogger());
    const [ct, st] = InMemoryTransport.createLinkedPair();
    // The same caller name as the first process's client: only the process differs.
    await createServer(rt, 'test-caller').connect(st);
    const client = new Client({ name: 'other', version: '1' });
    await client.connect(ct);
    return { client, close: async () => (await client.close(), await rt.close()) };
  }

  it('a used update token replayed on a restarted process (same secret) sends nothing', async () => {
    const args = { customer_id: 'cust_acme_08', company: 'Once' };
    const token = await preview('update_customer', args);
    expect((await h.call('update_customer', { ...args, confirm_token: token })).structuredContent.status).toBe('done');
    const other = await otherProcess();
    try {
      const r = await other.client.callTool({ name: 'update_customer', arguments: { ...args, confirm_token: token } });
      expect(r.isError).toBe(true);
      expect(JSON.stringify(r.content)).toMatch(/another server process \(or before this server restarted\)/);
      expect(await writesTo('/chargebee/api/v2/customers/cust_acme_08')).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('a used create_connection token replayed on a second instance creates no second connection', async () => {
    const token = await preview('create_connection', {});
    expect((await h.call('create_connection', { confirm_token: token })).structuredContent.status).toBe('done');
    const other = await otherProcess();
    try {
      const r = await other.client.callTool({ name: 'create_connection', arguments: { confirm_token: token } });
      expect(r.isError).toBe(true);
      const all = await (await h.sandboxFetch('/_sandbox/requests')).json();
      expect(all.requests.filter((q: any) => q.method === 'POST' && q.path === '/connections')).toHaveLength(1);
    } finally {
      await other.close();
    }
  });
});
