import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, text, type Harness } from './helpers/harness.js';

/**
 * Hostile and malformed arguments through the official MCP client: every one is
 * refused with isError and a message naming the parameter, or contained (sent
 * only as an encoded value that cannot change the route, headers or other
 * parameters). Nothing invalid reaches the gateway, and the server keeps serving.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ config: { connectionId: 'sandbox-acme' } });
});
afterAll(async () => h?.close());
beforeEach(async () => h.reset());

const MB = 'x'.repeat(1 << 20);
const deep = (n: number): unknown => (n === 0 ? 'leaf' : { is: deep(n - 1) });
/** An object with an own "__proto__" / "constructor" key, as JSON.parse makes it (a literal would set the prototype). */
const own = (json: string) => JSON.parse(json) as Record<string, unknown>;
const FAKE_TOKEN = 'cbt1.eyJ0IjoiY3JlYXRlX2N1c3RvbWVyIn0.c2lnbmF0dXJl';

/** [tool, arguments, the parameter the message must name]. */
type Case = [string, Record<string, unknown>, RegExp];

const idAttacks: Array<[string, unknown]> = [
  ['slash', 'cust_acme_01/../../connections'],
  ['dot-dot', '..'],
  ['dot', '.'],
  ['question mark', 'cust_acme_01?limit=100'],
  ['hash', 'cust_acme_01#x'],
  ['percent-encoded slash', 'a%2Fb'],
  ['percent-encoded dot-dot', '%2e%2e'],
  ['CR/LF header injection', 'cust_acme_01\r\nMaton-Connection: sandbox-globex'],
  ['NUL', 'cust_acme_01\u0000'],
  ['space', 'cust acme'],
  ['backslash', 'a\\b'],
  ['Cyrillic lookalike', 'сust_acme_01'],
  ['fullwidth solidus', 'a／b'],
  ['unicode hyphen lookalike', 'cust‐acme‐01'],
  ['right-to-left override', 'cust_acme_01\u202e'],
  ['empty', ''],
  ['1 MB string', MB],
  ['number', 42],
  ['boolean', true],
  ['null', null],
  ['array', ['cust_acme_01']],
  ['object', { id: 'cust_acme_01' }],
];

const readCases: Case[] = [
  ...idAttacks.map(([, v]): Case => ['get_customer', { customer_id: v }, /customer_id/]),
  ...idAttacks.map(([, v]): Case => ['get_subscription', { subscription_id: v }, /subscription_id/]),
  ['get_export', { export_id: '../customers' }, /export_id/],
  ['get_connection', { connection_id: 'sandbox-acme/../../x' }, /connection_id/],
  ['list_customers', { connection_id: 'sandbox-acme\r\nX-Evil: 1' }, /connection_id/],
  ['list_customers', { connection_id: 7 }, /connection_id/],
  // wrong types
  ['list_customers', { limit: '10' }, /limit/],
  ['list_customers', { limit: [10] }, /limit/],
  ['list_customers', { limit: { is: 10 } }, /limit/],
  ['list_customers', { limit: true }, /limit/],
  ['list_customers', { offset: 5 }, /offset/],
  ['list_customers', { include_deleted: 'yes' }, /include_deleted/],
  ['list_customers', { email: 'ada@analytical.example' }, /email/],
  ['list_customers', { email: { is: ['a@b.c'] } }, /email\.is/],
  ['list_customers', { email: { is: 5 } }, /email\.is/],
  ['list_subscriptions', { status: { in: 'active' } }, /status\.in/],
  ['list_subscriptions', { created_at: { after: '2026-01-01' } }, /created_at\.after/],
  // out of range
  ['list_customers', { limit: 0 }, /limit/],
  ['list_customers', { limit: 101 }, /limit/],
  ['list_customers', { limit: -1 }, /limit/],
  ['list_customers', { limit: 1.5 }, /limit/],
  ['list_customers', { limit: 1e300 }, /limit/],
  ['list_subscriptions', { created_at: { after: -1 } }, /created_at\.after/],
  ['list_subscriptions', { created_at: { after: 1e12 } }, /created_at\.after/],
  ['list_subscriptions', { created_at: { between: [2, 1] } }, /created_at/],
  ['list_subscriptions', { status: { in: [] } }, /status\.in/],
  ['list_subscriptions', { status: { is: 'ACTIVE' } }, /status\.is/],
  // oversized strings
  ['list_customers', { offset: MB }, /offset/],
  ['list_customers', { email: { is: MB } }, /email\.is/],
  ['list_customers', { id: { in: Array.from({ length: 1000 }, (_, i) => `c${i}`) } }, /id\.in/],
  // unknown keys, prototype keys, deep nesting
  ['list_customers', { colour: 'red' }, /unknown parameter "colour"/],
  ['list_customers', own('{"constructor":{"prototype":{"polluted":true}}}'), /constructor/],
  ['list_customers', { email: own('{"__proto__":"x"}') }, /email/],
  ['list_customers', { email: { is: 'a', equals: 'b' } }, /email: unknown operator "equals"/],
  ['list_customers', { sort_by: { asc: 'email' } }, /sort_by\.asc/],
  ['list_customers', { sort_by: { asc: 'created_at', desc: 'updated_at' } }, /sort_by/],
  ['list_customers', { email: deep(500) }, /email/],
];

const writeCases: Case[] = [
  ...idAttacks.slice(0, 16).map(([, v]): Case => ['update_customer', { customer_id: v, first_name: 'X' }, /customer_id/]),
  ['cancel_subscription_for_items', { subscription_id: '../../customers', cancel_option: 'immediately' }, /subscription_id/],
  ['cancel_subscription_for_items', { subscription_id: 'sub_acme_01', cancel_option: 'now' }, /cancel_option/],
  ['cancel_subscription_for_items', { subscription_id: 'sub_acme_01', cancel_option: ['immediately'] }, /cancel_option/],
  ['cancel_subscription_for_items', { subscription_id: 'sub_acme_01', cancel_option: 'specific_date', cancel_at: '2027-01-01' }, /cancel_at/],
  ['create_customer', { first_name: MB }, /first_name/],
  ['create_customer', { first_name: 42 }, /first_name/],
  ['create_customer', { email: 'not an email' }, /email/],
  ['create_customer', { email: 'a@b.c\r\nbcc: x@y.z' }, /email/],
  ['create_customer', { net_term_days: 1000 }, /net_term_days/],
  ['create_customer', { net_term_days: '30' }, /net_term_days/],
  ['create_customer', { auto_collection: 'maybe' }, /auto_collection/],
  ['create_customer', { billing_address: { city: 'x', planet: 'Mars' } }, /billing_address: unknown parameter "planet"/],
  ['create_customer', { billing_address: 'Walnut' }, /billing_address/],
  ['create_customer', { billing_address: { country: 'USA' } }, /billing_address\.country/],
  ['create_customer', { meta_data: 'plan=pro' }, /meta_data/],
  ['create_customer', { meta_data: { blob: MB } }, /meta_data/],
  ['create_customer', { custom_fields: { 'cf_../x': 'a' } }, /custom_fields/],
  ['create_customer', { custom_fields: { cf_region: { nested: true } } }, /custom_fields\.cf_region/],
  ['create_customer', { id: 'a/b' }, /id/],
  ['create_customer', { first_name: 'Ok', role: 'admin' }, /unknown parameter "role"/],
  ['create_subscription_for_items', { customer_id: 'cust_acme_04', subscription_items: { item_price_id: 'basic-USD-monthly' } }, /subscription_items/],
  ['create_subscription_for_items', { customer_id: 'cust_acme_04', subscription_items: [{ item_price_id: 'basic-USD-monthly', quantity: -1 }] }, /subscription_items\.0\.quantity/],
  ['create_subscription_for_items', { customer_id: 'cust_acme_04', subscription_items: [] }, /subscription_items/],
  ['delete_connection', { connection_id: '../connections' }, /connection_id/],
  // confirm tokens of the wrong shape
  ['create_customer', { first_name: 'Ok', confirm_token: 12345678901 }, /confirm_token/],
  ['create_customer', { first_name: 'Ok', confirm_token: 'short' }, /confirm_token/],
  ['create_customer', { first_name: 'Ok', confirm_token: MB }, /confirm_token/],
  ['create_customer', { first_name: 'Ok', confirm_token: [FAKE_TOKEN] }, /confirm_token/],
];

const expectRefused = async (cases: Case[], withToken: boolean) => {
  for (const [tool, args, param] of cases) {
    const a = withToken && !('confirm_token' in args) ? { ...args, confirm_token: FAKE_TOKEN } : args;
    const label = `${tool} ${JSON.stringify(a).slice(0, 120)}`;
    const r = await h.call(tool, a);
    expect(r.isError, label).toBe(true);
    const t = text(r);
    expect(t, label).toMatch(param);
    expect(t, label).toMatch(/nothing was sent/);
    // The refusal never echoes a huge or hostile value back.
    expect(t.length, label).toBeLessThan(2000);
    expect(t, label).not.toMatch(/\r|\u0000/);
  }
};

describe('refused before the gateway', () => {
  it(`reads: ${readCases.length} malformed calls, each refused naming the parameter; nothing sent`, async () => {
    await expectRefused(readCases, false);
    expect(await h.requests()).toEqual([]);
  });

  it(`writes without confirm_token (preview): ${writeCases.length} malformed calls refused; nothing fetched or sent`, async () => {
    await expectRefused(writeCases, false);
    expect(await h.requests()).toEqual([]);
  });

  it(`writes with a confirm_token: ${writeCases.length} malformed calls refused; nothing sent`, async () => {
    await expectRefused(writeCases, true);
    expect(await h.requests()).toEqual([]);
  });

  it('a well-formed but foreign confirm token is refused, sending nothing', async () => {
    const r = await h.call('create_customer', { first_name: 'Ok', confirm_token: FAKE_TOKEN });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/confirm_token/);
    expect((await h.requests()).filter((q) => q.method === 'POST')).toEqual([]);
  });

  it('a top-level "__proto__" key is dropped (by the SDK\'s argument parsing), never applied, never polluting', async () => {
    const r = await h.call('list_customers', own('{"__proto__":{"limit":100,"polluted":true}}'));
    expect(r.isError, text(r)).toBeFalsy();
    const [q] = await h.requests();
    expect(q!.path).toBe('/chargebee/api/v2/customers');
    expect(q!.query).toBe('');
    // a write whose only key is __proto__ is a plain preview of an empty create: nothing is sent
    const w = await h.call('create_customer', own('{"__proto__":{"email":"x@y.z"}}'));
    expect(w.structuredContent?.status).toBe('confirmation_required');
    expect(JSON.stringify(w.structuredContent.target)).not.toMatch(/x@y\.z/);
    await h.call('create_customer', { meta_data: own('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}') });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect((await h.requests()).filter((q) => q.method === 'POST')).toEqual([]);
  });

  it('an unknown tool: one "MCP error -32602" prefix, the closest names and where the list is', async () => {
    const e = await h.client.callTool({ name: 'list_customer', arguments: {} }).then(() => undefined, (x: Error & { code?: number }) => x);
    expect(e?.code).toBe(-32602);
    // What a user of the SDK client reads: the client's McpError adds the prefix, the server's text has none.
    expect(e?.message).toBe('MCP error -32602: Unknown tool: list_customer. Did you mean list_customers or get_customer? tools/list names the 36 tools this server offers.');
    const far = await h.client.callTool({ name: 'drop_database', arguments: {} }).then(() => undefined, (x: Error) => x);
    expect(far?.message).toBe('MCP error -32602: Unknown tool: drop_database. tools/list names the 36 tools this server offers.');
    expect(await h.requests()).toEqual([]);
  });

  it('protocol-level garbage: a path as a tool name, arguments that are not an object', async () => {
    await expect(h.client.callTool({ name: '../get_customer', arguments: {} })).rejects.toThrow(/Unknown tool/);
    const notObject = await h.client
      .request({ method: 'tools/call', params: { name: 'list_customers', arguments: 'limit=5' as unknown as Record<string, unknown> } }, CallToolResultSchema)
      .then((r) => r.isError === true)
      .catch(() => true);
    expect(notObject).toBe(true);
    expect(await h.requests()).toEqual([]);
  });
});

describe('contained: odd but valid values are sent only as encoded values', () => {
  const odd = [
    'a/b/../../connections',
    'x?limit=100&offset=1#frag',
    'a%2Fb%00',
    'line\r\nMaton-Connection: sandbox-globex',
    'nul\u0000byte',
    'ＡＤＡ＠ａｎａｌｙｔｉｃａｌ．ｅｘａｍｐｌｅ',
    '<script>alert(1)</script>',
    'x]=1&email[is_not',
  ];

  it('string filter values never change the route, the headers or the other parameters', async () => {
    for (const v of odd) {
      const r = await h.call('list_customers', { email: { is: v }, limit: 2 });
      expect(r.isError, `${JSON.stringify(v)}: ${text(r)}`).toBeFalsy();
      expect(r.structuredContent.customers).toEqual([]);
    }
    const sent = await h.requests();
    expect(sent).toHaveLength(odd.length);
    sent.forEach((q, i) => {
      expect(q.method).toBe('GET');
      expect(q.path).toBe('/chargebee/api/v2/customers');
      const params = [...new URLSearchParams(q.query)];
      expect(params).toHaveLength(2);
      expect(Object.fromEntries(params)).toEqual({ limit: '2', 'email[is]': odd[i] });
      expect(q.headers['maton-connection']).toBe('sandbox-acme');
      expect(Object.keys(q.headers).filter((k) => !/^(authorization|accept|user-agent|host|connection|maton-connection|content-length|content-type)$/.test(k))).toEqual([]);
    });
  });

  it('a write\'s odd field values are stored verbatim and add no parameters', async () => {
    const args = { first_name: 'Eve&email=evil@example.com', last_name: 'x\r\nchargebee-idempotency-key: 1', company: 'a]=1&auto_collection=off', email: 'eve@example.com' };
    const p = await h.call('create_customer', args);
    expect(p.isError, text(p)).toBeFalsy();
    const done = await h.call('create_customer', { ...args, confirm_token: p.structuredContent.confirm_token });
    expect(done.isError, text(done)).toBeFalsy();
    expect(done.structuredContent.result.customer).toMatchObject({ first_name: args.first_name, last_name: args.last_name, company: args.company, email: 'eve@example.com', auto_collection: 'on' });
    const posts = (await h.requests()).filter((q) => q.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.path).toBe('/chargebee/api/v2/customers');
    expect([...new URLSearchParams(posts[0]!.body).keys()].sort()).toEqual(['company', 'email', 'first_name', 'last_name']);
  });
});

describe('after all of it', () => {
  it('the server still answers, and only the expected routes were ever requested', async () => {
    const r = await h.call('list_customers', { limit: 1 });
    expect(r.isError, text(r)).toBeFalsy();
    expect(r.structuredContent.customers).toHaveLength(1);
    const { tools } = await h.client.listTools();
    expect(tools.length).toBeGreaterThan(30);
    for (const q of await h.requests()) expect(q.path).toMatch(/^\/chargebee\/api\/v2\/customers$/);
  });
});
