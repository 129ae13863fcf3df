import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SANDBOX_CONNECTIONS, startSandbox, type Sandbox } from '../src/sandbox/index.js';

const API = '/chargebee/api/v2';
const T_NOW = Date.UTC(2026, 10, 21, 12, 0, 0); // 2026-11-21T12:00:00Z
const ANCHOR_S = Date.UTC(2026, 10, 1) / 1000; // 2026-11-01
const DEC_1_S = Date.UTC(2026, 11, 1) / 1000; // 2026-12-01

let sb: Sandbox;
let now = T_NOW;

beforeAll(async () => {
  sb = await startSandbox({ rateLimit: 0, exportCompleteMs: 3000, now: () => now });
});
afterAll(() => sb.close());
beforeEach(() => {
  now = T_NOW;
  sb.reset();
});

interface Options {
  query?: string | Record<string, string>;
  form?: string | Record<string, string>;
  json?: unknown;
  connection?: string;
  key?: string | null;
  headers?: Record<string, string>;
  base?: Sandbox;
}

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

async function call(method: string, path: string, o: Options = {}): Promise<Reply> {
  const base = o.base ?? sb;
  const query = typeof o.query === 'string' ? o.query : o.query ? new URLSearchParams(o.query).toString() : '';
  const headers: Record<string, string> = { ...o.headers };
  if (o.key !== null) headers.authorization = `Bearer ${o.key ?? base.apiKey}`;
  if (o.connection) headers['maton-connection'] = o.connection;
  let body: string | undefined;
  if (o.form !== undefined) {
    body = typeof o.form === 'string' ? o.form : new URLSearchParams(o.form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded; charset=utf-8';
  } else if (o.json !== undefined) {
    body = JSON.stringify(o.json);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`${base.url}${path}${query ? `?${query}` : ''}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

const cb = (method: string, path: string, o?: Options) => call(method, `${API}${path}`, o);

async function fault(spec: unknown, base = sb) {
  const r = await call('POST', '/_sandbox/faults', { json: spec, base });
  expect(r.status).toBe(200);
}

/** The `unknown_params` the request log holds for the latest gateway request. */
async function lastUnknownParams(): Promise<string[]> {
  const { requests } = (await call('GET', '/_sandbox/requests')).body;
  return requests[requests.length - 1].unknown_params;
}

/** Chargebee ignores parameters it does not know: 200, and the request log names them. */
async function expectIgnored(r: Reply, params: string[]) {
  expect(r.status, r.text).toBe(200);
  expect(await lastUnknownParams()).toEqual(params);
}

function expectParamError(r: Reply, param: string, status = 400) {
  expect(r.status, `${param}: ${r.text.slice(0, 200)}`).toBe(status);
  expect(r.body).toMatchObject({ api_error_code: status === 404 ? 'resource_not_found' : 'param_wrong_value', param, http_status_code: status });
}

/** Entries of a ZIP, read through its central directory. */
function unzip(buf: Buffer): Record<string, string> {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(eocd).toBeGreaterThan(0);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    expect(buf.readUInt32LE(p)).toBe(0x02014b50);
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    expect(buf.readUInt32LE(local)).toBe(0x04034b50);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(start, start + size);
    files[name] = (method === 8 ? inflateRawSync(data) : data).toString('utf8');
    p += 46 + nameLen + extraLen + commentLen;
  }
  return files;
}

async function download(url: string): Promise<{ status: number; type: string | null; bytes: Buffer }> {
  const res = await fetch(url); // public: no API key
  return { status: res.status, type: res.headers.get('content-type'), bytes: Buffer.from(await res.arrayBuffer()) };
}

async function allPages(path: string, query: Record<string, string>) {
  const ids: string[] = [];
  const offsets: string[] = [];
  let offset: string | undefined;
  do {
    const r = await cb('GET', path, { query: { ...query, ...(offset && { offset }) } });
    expect(r.status).toBe(200);
    for (const entry of r.body.list) ids.push((Object.values(entry)[0] as { id: string }).id);
    offset = r.body.next_offset;
    if (offset) offsets.push(offset);
  } while (offset);
  return { ids, offsets };
}

describe('auth and wire format', () => {
  it('answers a missing or wrong Maton key with Maton’s 401 (no api_error_code)', async () => {
    for (const key of [null, 'wrong']) {
      const r = await cb('GET', '/customers', { key });
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: { status: 401, message: 'Invalid or missing Maton API key' } });
    }
    expect((await call('GET', '/connections', { key: null })).status).toBe(401);
    expect((await call('GET', '/_sandbox/requests', { key: 'wrong' })).status).toBe(401);
  });

  it('serves Chargebee JSON pretty-printed with 4 spaces', async () => {
    const r = await cb('GET', '/customers/cust_acme_01');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json;charset=utf-8');
    expect(r.text).toBe(JSON.stringify(r.body, null, 4));
    expect(r.body.customer).toMatchObject({
      id: 'cust_acme_01', first_name: 'Ada', last_name: 'Lovelace', email: 'ada@analytical.example',
      company: 'Analytical Engines Ltd', object: 'customer', billing_address: { object: 'billing_address' },
    });
    expect(r.body.card).toMatchObject({ object: 'card', masked_number: '************4242', card_type: 'visa' });
  });

  it('answers unknown routes, methods and ids with Chargebee’s 404', async () => {
    const message = "Sorry, we couldn't find that resource";
    const unknown = { message, type: 'invalid_request', api_error_code: 'resource_not_found', error_code: 'resource_not_found', error_msg: message, http_status_code: 404 };
    expect((await cb('GET', '/nothing_here')).body).toEqual(unknown);
    expect((await cb('DELETE', '/customers/cust_acme_01')).body).toEqual(unknown);
    const missing = await cb('GET', '/customers/nobody');
    expect(missing.status).toBe(404);
    expect(missing.body.api_error_code).toBe('resource_not_found');
    // Path ids are percent-decoded once: an encoded slash stays inside the id.
    expect((await cb('GET', '/customers/cust_acme_01%2Fcancel')).status).toBe(404);
    expect((await cb('GET', `/customers/${encodeURIComponent('cust_acme_01')}`)).status).toBe(200);
  });

  it('refuses Product Catalog 1.0 routes as a PC 2.0 site does', async () => {
    const message = 'The API endpoint is incompatible with the product catalog version. You are calling product catalog 1.0 API endpoint but you are using product catalog 2.0';
    // Configuration errors carry no `type` (Chargebee's client libraries raise a plain APIError).
    const refused = { message, api_error_code: 'configuration_incompatible', error_code: 'configuration_incompatible', error_msg: message, http_status_code: 400 };
    const calls: [string, string, Options?][] = [
      ['POST', '/subscriptions', { form: { plan_id: 'basic', 'customer[email]': 'x@y.example' } }],
      ['POST', '/subscriptions/sub_acme_01/cancel', { form: { end_of_term: 'true' } }],
      ['GET', '/plans'], ['GET', '/plans/basic'], ['POST', '/plans', { form: { id: 'p' } }],
      ['GET', '/addons'], ['POST', '/addons/x/update'],
    ];
    for (const [method, path, o] of calls) expect((await cb(method, path, o)).body).toEqual(refused);
    expect((await cb('GET', '/subscriptions/sub_acme_01')).body.subscription.status).toBe('active');
  });
});

describe('connections', () => {
  it('lists two ACTIVE chargebee connections and filters by status/app', async () => {
    const r = await call('GET', '/connections', { query: { app: 'chargebee', status: 'ACTIVE' } });
    expect(r.status).toBe(200);
    expect(r.body.connections.map((c: { connection_id: string }) => c.connection_id)).toEqual([...SANDBOX_CONNECTIONS]);
    expect(r.body.connections[0]).toMatchObject({ status: 'ACTIVE', app: 'chargebee', metadata: {} });
    expect(r.body.connections[0].creation_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect((await call('GET', '/connections', { query: { status: 'PENDING' } })).body.connections).toEqual([]);
    expect((await call('GET', '/connections', { query: { app: 'stripe' } })).body.connections).toEqual([]);
  });

  it('gets, creates and deletes connections', async () => {
    expect((await call('GET', '/connections/sandbox-globex')).body.connection.connection_id).toBe('sandbox-globex');
    const missing = await call('GET', '/connections/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error.status).toBe(404);
    expect(missing.body.api_error_code).toBeUndefined();

    const created = await call('POST', '/connections', { json: { app: 'chargebee' } });
    expect(created.status).toBe(200);
    expect(created.body.connection).toMatchObject({ status: 'PENDING', app: 'chargebee' });
    expect(created.body.connection.url).toMatch(/^https:\/\/connect\.maton\.ai\/\?session_token=/);
    const pending = await cb('GET', '/customers', { connection: created.body.connection.connection_id });
    expect(pending.status).toBe(400);
    expect(pending.body.error.message).toContain('No active Chargebee connection');

    for (const body of [{ app: 'stripe' }, {}]) expect((await call('POST', '/connections', { json: body })).status).toBe(400);
    expect((await call('POST', '/connections', { form: 'app=chargebee' })).body).toMatchObject({ error: { status: 400 } });

    expect(await call('DELETE', '/connections/sandbox-globex')).toMatchObject({ status: 200, body: {} });
    expect((await call('GET', '/connections/sandbox-globex')).status).toBe(404);
    const gone = await cb('GET', '/customers', { connection: 'sandbox-globex' });
    expect(gone.status).toBe(400);
    expect(gone.body).toEqual({ error: { status: 400, message: expect.stringContaining("No active Chargebee connection 'sandbox-globex'") } });

    sb.reset();
    expect((await cb('GET', '/customers', { connection: 'sandbox-globex' })).status).toBe(200);
  });

  it('picks the site by Maton-Connection (default acme) and keeps sites isolated', async () => {
    const acme = await cb('GET', '/customers', { query: { limit: '100' } });
    const acmeExplicit = await cb('GET', '/customers', { query: { limit: '100' }, connection: 'sandbox-acme' });
    const globex = await cb('GET', '/customers', { query: { limit: '100' }, connection: 'sandbox-globex' });
    expect(acme.text).toBe(acmeExplicit.text);
    const ids = (r: Reply) => r.body.list.map((e: { customer: { id: string } }) => e.customer.id);
    expect(ids(acme)).toHaveLength(16);
    expect(ids(globex)).toHaveLength(6);
    expect(ids(globex).every((id: string) => id.startsWith('cust_globex_'))).toBe(true);
    expect((await cb('GET', '/item_prices/starter-EUR-monthly', { connection: 'sandbox-globex' })).body.item_price).toMatchObject({ price: 2900, currency_code: 'EUR' });
    expect((await cb('GET', '/item_prices/starter-EUR-monthly')).status).toBe(404);

    await cb('POST', '/customers', { form: { id: 'only_in_globex' }, connection: 'sandbox-globex' });
    expect((await cb('GET', '/customers/only_in_globex', { connection: 'sandbox-globex' })).status).toBe(200);
    expect((await cb('GET', '/customers/only_in_globex')).status).toBe(404);

    const unknown = await cb('GET', '/customers', { connection: 'no-such-connection' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain("'no-such-connection'");
  });

  it('answers other apps with a Maton 400', async () => {
    const r = await call('GET', '/stripe/v1/customers');
    expect(r.status).toBe(400);
    expect(r.body.error.status).toBe(400);
  });
});

describe('seed data', () => {
  it('has subscriptions in every status and the demo subscription sub_acme_01', async () => {
    const r = await cb('GET', '/subscriptions', { query: { limit: '100' } });
    const statuses = new Set(r.body.list.map((e: { subscription: { status: string } }) => e.subscription.status));
    expect([...statuses].sort()).toEqual(['active', 'cancelled', 'future', 'in_trial', 'non_renewing', 'paused', 'transferred']);
    expect(r.body.list.length).toBeGreaterThanOrEqual(14);
    const demo = (await cb('GET', '/subscriptions/sub_acme_01')).body;
    expect(demo.subscription).toMatchObject({
      customer_id: 'cust_acme_01', status: 'active', current_term_end: DEC_1_S, next_billing_at: DEC_1_S, currency_code: 'USD',
      subscription_items: [{ item_price_id: 'basic-USD-monthly', item_type: 'plan', quantity: 1, unit_price: 4900, amount: 4900, object: 'subscription_item' }],
    });
    expect(demo.customer.auto_collection).toBe('on');
    expect(demo.card.object).toBe('card');
  });

  it('is identical in every fresh sandbox', async () => {
    const other = await startSandbox({ rateLimit: 0, now: () => now });
    try {
      for (const path of ['/customers', '/subscriptions', '/invoices', '/item_prices']) {
        const a = await cb('GET', path, { query: { limit: '100' } });
        const b = await cb('GET', path, { query: { limit: '100' }, base: other });
        expect(b.text).toBe(a.text);
      }
    } finally {
      await other.close();
    }
  });
});

describe('lists, filters and pagination', () => {
  it('filters with status[in] as a JSON array (raw brackets in the query)', async () => {
    const r = await cb('GET', '/subscriptions', { query: 'limit=100&status[in]=["active","in_trial"]' });
    expect(r.status).toBe(200);
    const statuses = r.body.list.map((e: { subscription: { status: string } }) => e.subscription.status);
    expect(statuses.length).toBe(15);
    expect(statuses.every((s: string) => s === 'active' || s === 'in_trial')).toBe(true);
    expect(r.body.list[0]).toHaveProperty('customer');
    // The same filter percent-encoded, as URLSearchParams sends it.
    const encoded = await cb('GET', '/subscriptions', { query: { limit: '100', 'status[in]': '["active","in_trial"]' } });
    expect(encoded.text).toBe(r.text);
  });

  it('filters by created_at[after], email[is], item_price_id and numbers', async () => {
    const after = Date.UTC(2026, 0, 1) / 1000;
    const recent = await cb('GET', '/customers', { query: { 'created_at[after]': String(after) } });
    expect(recent.body.list.map((e: { customer: { id: string } }) => e.customer.id)).toEqual(['cust_acme_16', 'cust_acme_15', 'cust_acme_14', 'cust_acme_13', 'cust_acme_12', 'cust_acme_11']);

    const ada = await cb('GET', '/customers', { query: { 'email[is]': 'ada@analytical.example' } });
    expect(ada.body.list).toHaveLength(1);
    expect(ada.body.list[0].customer.id).toBe('cust_acme_01');

    // item_id / item_price_id are "the plan item (price) code": an addon never matches.
    const ids = (r: Reply) => r.body.list.map((e: { subscription: { id: string } }) => e.subscription.id).sort();
    expect(ids(await cb('GET', '/subscriptions', { query: { 'item_price_id[is]': 'extra-seats-USD-monthly' } }))).toEqual([]);
    expect(ids(await cb('GET', '/subscriptions', { query: { 'item_id[is]': 'extra-seats' } }))).toEqual([]);
    const pro = ids(await cb('GET', '/subscriptions', { query: { 'item_price_id[is]': 'pro-USD-monthly' } }));
    expect(pro).toEqual(expect.arrayContaining(['sub_acme_02', 'sub_acme_13']));
    expect(ids(await cb('GET', '/subscriptions', { query: { 'item_id[is]': 'pro', limit: '100' } }))).toEqual(expect.arrayContaining(pro));

    const big = await cb('GET', '/invoices', { query: { 'total[gte]': '10000', 'status[is]': 'paid', limit: '100' } });
    expect(big.body.list.length).toBeGreaterThan(0);
    expect(big.body.list.every((e: { invoice: { total: number; status: string } }) => e.invoice.total >= 10000 && e.invoice.status === 'paid')).toBe(true);

    const between = await cb('GET', '/invoices', { query: `date[between]=[${ANCHOR_S},${DEC_1_S}]&limit=100` });
    expect(between.body.list.every((e: { invoice: { date: number } }) => e.invoice.date >= ANCHOR_S && e.invoice.date <= DEC_1_S)).toBe(true);
    expect((await cb('GET', '/items', { query: { 'type[is]': 'addon' } })).body.list.map((e: { item: { id: string } }) => e.item.id)).toEqual(['extra-seats', 'storage', 'volume-seats', 'support', 'sms']);
  });

  it('pages with next_offset passed back unchanged, without overlap, until it is absent', async () => {
    const { ids, offsets } = await allPages('/customers', { limit: '5' });
    expect(ids).toHaveLength(16);
    expect(new Set(ids).size).toBe(16);
    expect(ids[0]).toBe('cust_acme_16'); // default order: created_at desc
    expect(offsets).toHaveLength(3);
    for (const o of offsets) expect(o).toMatch(/^\["\d+","\d+"\]$/);

    const asc = await allPages('/customers', { limit: '4', 'sort_by[asc]': 'created_at' });
    expect(asc.ids).toEqual([...ids].reverse());
    const subs = await allPages('/subscriptions', { limit: '3', 'sort_by[desc]': 'updated_at' });
    expect(new Set(subs.ids).size).toBe(22);
    const firstPage = await cb('GET', '/customers');
    expect(firstPage.body.list).toHaveLength(10); // default limit
  });

  it('ignores parameters Chargebee does not know, logging them; rejects bad operators, types and values naming the param', async () => {
    await expectIgnored(await cb('GET', '/customers', { query: 'foo=bar&limit=1' }), ['foo']);
    await expectIgnored(await cb('GET', '/customers/cust_acme_01', { query: 'limit=1' }), ['limit']);
    await expectIgnored(await cb('GET', '/subscriptions', { query: 'colour[is]=red&status[is]=active' }), ['colour[is]']);
    expect((await cb('GET', '/customers', { query: 'limit=2' })).body.list).toHaveLength(2);
    expect(await lastUnknownParams()).toEqual([]);
    const cases: [string, string][] = [
      ['email[contains]=x', 'email[contains]'],
      ['email=x', 'email'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=ten', 'limit'],
      ['offset=garbage', 'offset'],
      ['offset=["1","x"]', 'offset'],
      ['auto_collection[is]=sometimes', 'auto_collection[is]'],
      ['id[in]=cust_acme_01', 'id[in]'],
      ['created_at[after]=yesterday', 'created_at[after]'],
      ['created_at[after]=170406720', 'created_at[after]'],
      ['created_at[between]=[1,2]', 'created_at[between]'],
      ['sort_by[asc]=email', 'sort_by[asc]'],
      ['first_name[in]=["Ada"]', 'first_name[in]'],
    ];
    for (const [query, param] of cases) expectParamError(await cb('GET', '/customers', { query }), param);
    expectParamError(await cb('GET', '/subscriptions', { query: 'status[in]=["active",' }), 'status[in]');
    expectParamError(await cb('GET', '/subscriptions', { query: 'status[is]=expired' }), 'status[is]');
    expectParamError(await cb('GET', '/items', { query: 'sort_by[asc]=price' }), 'sort_by[asc]');
    const byName = await cb('GET', '/item_prices', { query: { 'sort_by[asc]': 'name', limit: '4' } });
    const next = await cb('GET', '/item_prices', { query: { 'sort_by[asc]': 'name', limit: '4', offset: byName.body.next_offset } });
    const names = [...byName.body.list, ...next.body.list].map((e: { item_price: { name: string } }) => e.item_price.name);
    expect(names).toEqual([...names].sort((x, y) => x.localeCompare(y)));
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('customer writes', () => {
  it('creates a customer from nested-bracket form fields, meta_data JSON and cf_* fields', async () => {
    const form = 'id=cust_new&first_name=John+Doe&email=john%2Bcb%40test.com&billing_address[city]=Walnut&billing_address%5Bcountry%5D=US'
      + '&meta_data={"plan":"pro","seats":3}&cf_region=emea&auto_collection=off&net_term_days=30';
    const r = await cb('POST', '/customers', { form });
    expect(r.status).toBe(200);
    expect(r.body.customer).toMatchObject({
      id: 'cust_new', first_name: 'John Doe', email: 'john+cb@test.com', auto_collection: 'off', net_term_days: 30,
      billing_address: { city: 'Walnut', country: 'US', object: 'billing_address' }, meta_data: { plan: 'pro', seats: 3 },
      cf_region: 'emea', object: 'customer', created_at: Math.floor(T_NOW / 1000), deleted: false,
    });
    expect((await cb('GET', '/customers/cust_new')).body.customer.meta_data).toEqual({ plan: 'pro', seats: 3 });

    const generated = await cb('POST', '/customers', { form: { email: 'anon@test.example' } });
    expect(generated.body.customer.id).toMatch(/^[A-Za-z0-9]{16}$/);
  });

  it("error bodies as Chargebee's: type per api_error_code, and the legacy error_code, error_msg, error_param", async () => {
    const bad = await cb('POST', '/customers', { form: { email: 'not-an-email' } });
    expect(bad.body).toEqual({
      message: 'email : invalid email address', type: 'invalid_request', api_error_code: 'param_wrong_value', param: 'email',
      error_code: 'param_invalid_value', error_msg: 'invalid email address', error_param: 'email', http_status_code: 400,
    });
    const blank = await cb('POST', '/customers/cust_acme_03/subscription_for_items', { form: {} });
    expect(blank.body).toMatchObject({ type: 'invalid_request', error_code: 'param_not_present', error_msg: 'cannot be blank', error_param: 'subscription_items[item_price_id][0]' });
    const form = { 'subscription_items[item_price_id][0]': 'basic-USD-monthly', 'coupon_ids[0]': 'BOGUS' };
    const coupon = await cb('POST', '/customers/cust_acme_03/subscription_for_items', { form });
    expect(coupon.body).toMatchObject({ type: 'invalid_request', api_error_code: 'resource_not_found', error_code: 'referenced_resource_not_found', param: 'coupon_ids[0]' });
    await fault({ match: { method: 'GET', path: `${API}/customers` }, fault: { status: 500 } });
    expect((await cb('GET', '/customers')).body).toMatchObject({ type: 'operation_failed', api_error_code: 'internal_error', error_code: 'internal_error' });
  });

  it('validates customer fields', async () => {
    expectParamError(await cb('POST', '/customers', { form: { meta_data: '{not json' } }), 'meta_data');
    expectParamError(await cb('POST', '/customers', { form: { email: 'not-an-email' } }), 'email');
    expectParamError(await cb('POST', '/customers', { form: { first_name: 'x'.repeat(151) } }), 'first_name');
    await expectIgnored(await cb('POST', '/customers', { form: { 'billing_address[planet]': 'Mars' } }), ['billing_address[planet]']);
    expectParamError(await cb('POST', '/customers', { form: { taxability: 'sometimes' } }), 'taxability');
    expectParamError(await cb('POST', '/customers', { query: 'first_name=Q', form: {} }), 'first_name');
    const dup = await cb('POST', '/customers', { form: { id: 'cust_acme_01' } });
    expect(dup.status).toBe(400);
    expect(dup.body).toMatchObject({ api_error_code: 'duplicate_entry', param: 'id' });
    const json = await cb('POST', '/customers', { json: { first_name: 'x' } });
    expect(json.status).toBe(400);
  });

  it('updates a customer, bumping resource_version (ms) and updated_at (s)', async () => {
    const before = (await cb('GET', '/customers/cust_acme_02')).body.customer;
    // POST /customers/{id} takes no billing_address (update_billing_info does): ignored, as Chargebee ignores it.
    const first = await cb('POST', '/customers/cust_acme_02', { form: { last_name: 'Murray Hopper', 'billing_address[city]': 'New York', cf_tier: 'gold', invoice_notes: 'PO required' } });
    await expectIgnored(first, ['billing_address[city]']);
    const after = first.body.customer;
    expect(after).toMatchObject({ last_name: 'Murray Hopper', cf_tier: 'gold', cf_region: 'amer', invoice_notes: 'PO required', billing_address: before.billing_address });
    expect(after.resource_version).toBeGreaterThan(before.resource_version);
    expect(after.updated_at).toBe(Math.floor(T_NOW / 1000));
    // Same millisecond: still strictly increasing.
    const second = (await cb('POST', '/customers/cust_acme_02', { form: { phone: '1' } })).body.customer;
    expect(second.resource_version).toBeGreaterThan(after.resource_version);

    expect((await cb('POST', '/customers/nobody', { form: { first_name: 'x' } })).status).toBe(404);
    await expectIgnored(await cb('POST', '/customers/cust_acme_02', { form: { id: 'other' } }), ['id']);
    expect((await cb('GET', '/customers/cust_acme_02')).status).toBe(200);
  });
});

describe('subscriptions (Product Catalog 2.0)', () => {
  it('creates a subscription for items with an immediate paid invoice', async () => {
    const form = 'subscription_items[item_price_id][0]=pro-USD-monthly&subscription_items[quantity][0]=1'
      + '&subscription_items[item_price_id][1]=extra-seats-USD-monthly&subscription_items[quantity][1]=2'
      + '&coupon_ids[0]=WELCOME10&id=sub_new&meta_data={"source":"test"}&cf_channel=partner&po_number=PO-1&trial_end=0';
    const r = await cb('POST', '/customers/cust_acme_03/subscription_for_items', { form });
    expect(r.status).toBe(200);
    expect(r.body.subscription).toMatchObject({
      id: 'sub_new', customer_id: 'cust_acme_03', status: 'active', currency_code: 'USD', mrr: 11900,
      meta_data: { source: 'test' }, cf_channel: 'partner', po_number: 'PO-1',
      subscription_items: [{ item_price_id: 'pro-USD-monthly', amount: 9900 }, { item_price_id: 'extra-seats-USD-monthly', quantity: 2, amount: 2000 }],
      coupons: [{ coupon_id: 'WELCOME10' }],
    });
    expect(r.body.customer.id).toBe('cust_acme_03');
    expect(r.body.card.object).toBe('card');
    expect(r.body.invoice).toMatchObject({ status: 'paid', subscription_id: 'sub_new', sub_total: 11900, total: 10900, amount_due: 0, recurring: true });
    expect((await cb('GET', '/invoices/' + r.body.invoice.id)).status).toBe(200);
  });

  it('bills customers without a card as payment_due; trials and future starts without an invoice', async () => {
    const due = await cb('POST', '/customers/cust_acme_10/subscription_for_items', { form: { 'subscription_items[item_price_id][0]': 'basic-USD-monthly' } });
    expect(due.body.invoice).toMatchObject({ status: 'payment_due', amount_due: 4900, dunning_status: 'in_progress' });
    // Under net terms (30 days) an unpaid invoice is posted, due later.
    const net = await cb('POST', '/customers/cust_acme_04/subscription_for_items', { form: { 'subscription_items[item_price_id][0]': 'basic-USD-monthly' } });
    expect(net.body.invoice).toMatchObject({ status: 'posted', amount_due: 4900, due_date: net.body.invoice.date + 30 * 86400 });
    expect(due.body.card).toBeUndefined();

    const trialEnd = Math.floor(T_NOW / 1000) + 14 * 86400;
    const trial = await cb('POST', '/customers/cust_acme_05/subscription_for_items', { form: { 'subscription_items[item_price_id][0]': 'pro-USD-yearly', trial_end: String(trialEnd) } });
    expect(trial.body.subscription).toMatchObject({ status: 'in_trial', trial_end: trialEnd, next_billing_at: trialEnd });
    expect(trial.body.invoice).toBeUndefined();

    const start = Math.floor(T_NOW / 1000) + 30 * 86400;
    const future = await cb('POST', '/customers/cust_acme_05/subscription_for_items', { form: { 'subscription_items[item_price_id][0]': 'basic-USD-yearly', start_date: String(start) } });
    expect(future.body.subscription).toMatchObject({ status: 'future', start_date: start });
  });

  it('validates subscription_for_items', async () => {
    const item = (id: string) => ({ 'subscription_items[item_price_id][0]': id });
    expectParamError(await cb('POST', '/customers/cust_acme_03/subscription_for_items', { form: {} }), 'subscription_items[item_price_id][0]');
    expectParamError(await cb('POST', '/customers/cust_acme_03/subscription_for_items', { form: item('extra-seats-USD-monthly') }), 'subscription_items[item_price_id][0]');
    expectParamError(await cb('POST', '/customers/cust_acme_03/subscription_for_items', { form: item('legacy-USD-monthly') }), 'subscription_items[item_price_id][0]');
    expectParamError(await cb('POST', '/customers/cust_acme_03/subscription_for_items', { form: item('nope') }), 'subscription_items[item_price_id][0]', 404);
    expectParamError(await cb('POST', '/customers/cust_acme_03/subscription_for_items', { form: { ...item('basic-USD-monthly'), 'coupon_ids[0]': 'BOGUS' } }), 'coupon_ids[0]', 404);
    expectParamError(await cb('POST', '/customers/cust_acme_03/subscription_for_items', { form: { ...item('basic-USD-monthly'), 'subscription_items[quantity][1]': '2' } }), 'subscription_items[item_price_id][1]');
    await expectIgnored(await cb('POST', '/customers/cust_acme_03/subscription_for_items', { form: { ...item('basic-USD-monthly'), plan_id: 'basic' } }), ['plan_id']);
    const dup = await cb('POST', '/customers/cust_acme_03/subscription_for_items', { form: { ...item('basic-USD-monthly'), id: 'sub_acme_01' } });
    expect(dup.body).toMatchObject({ api_error_code: 'duplicate_entry', param: 'id' });
    expect((await cb('POST', '/customers/nobody/subscription_for_items', { form: item('basic-USD-monthly') })).status).toBe(404);
  });

  it('cancels at end of term by default, keeping the term', async () => {
    const before = (await cb('GET', '/subscriptions/sub_acme_01')).body.subscription;
    const r = await cb('POST', '/subscriptions/sub_acme_01/cancel_for_items', { form: { cancel_option: 'end_of_term', cancel_reason_code: 'Too expensive' } });
    expect(r.status).toBe(200);
    expect(r.body.subscription).toMatchObject({ status: 'non_renewing', cancelled_at: DEC_1_S, current_term_end: DEC_1_S, has_scheduled_changes: false, cancel_reason_code: 'Too expensive' });
    expect(r.body.subscription.resource_version).toBeGreaterThan(before.resource_version);
    expect(r.body.credit_notes).toBeUndefined();
    const byDefault = await cb('POST', '/subscriptions/sub_acme_02/cancel_for_items', { form: {} });
    expect(byDefault.body.subscription.status).toBe('non_renewing');
  });

  it('cancels immediately with a prorated credit note, then refuses to cancel again', async () => {
    const r = await cb('POST', '/subscriptions/sub_acme_01/cancel_for_items', { form: { cancel_option: 'immediately', credit_option_for_current_term_charges: 'prorate' } });
    expect(r.status).toBe(200);
    expect(r.body.subscription).toMatchObject({ status: 'cancelled', cancelled_at: Math.floor(T_NOW / 1000) });
    expect(r.body.subscription.next_billing_at).toBeUndefined();
    const note = r.body.credit_notes[0];
    // 9.5 of 30 days unused on a 4900 term.
    expect(note).toMatchObject({ object: 'credit_note', subscription_id: 'sub_acme_01', reference_invoice_id: 'inv_acme_0013', type: 'refundable', total: Math.round(4900 * 9.5 / 30) });

    const again = await cb('POST', '/subscriptions/sub_acme_01/cancel_for_items', { form: { cancel_option: 'immediately' } });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ api_error_code: 'invalid_state_for_request', type: 'invalid_request', http_status_code: 409 });
    expect((await cb('POST', '/subscriptions/sub_acme_12/cancel_for_items', {})).status).toBe(409); // transferred
  });

  it('validates cancel_for_items parameters', async () => {
    const path = '/subscriptions/sub_acme_01/cancel_for_items';
    expectParamError(await cb('POST', path, { form: { end_of_term: 'true' } }), 'end_of_term');
    expectParamError(await cb('POST', path, { form: { cancel_option: 'specific_date' } }), 'cancel_at');
    expectParamError(await cb('POST', path, { form: { cancel_option: 'whenever' } }), 'cancel_option');
    expectParamError(await cb('POST', path, { form: { cancel_option: 'immediately', cancel_at: String(DEC_1_S) } }), 'cancel_at');
    const at = DEC_1_S - 86400;
    const specific = await cb('POST', path, { form: { cancel_option: 'specific_date', cancel_at: String(at) } });
    expect(specific.body.subscription).toMatchObject({ status: 'non_renewing', cancelled_at: at });
    expect((await cb('POST', '/subscriptions/nope/cancel_for_items', { form: {} })).status).toBe(404);
  });
});

describe('idempotency', () => {
  it('replays the first response for the same key and payload, without applying it again', async () => {
    const headers = { 'chargebee-idempotency-key': 'key-1' };
    const form = { first_name: 'Idem', email: 'idem@test.example' };
    const first = await cb('POST', '/customers', { form, headers });
    expect(first.status).toBe(200);
    expect(first.headers.get('chargebee-idempotency-replayed')).toBeNull();
    const replay = await cb('POST', '/customers', { form, headers });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('chargebee-idempotency-replayed')).toBe('true');
    expect(replay.text).toBe(first.text);
    const found = await cb('GET', '/customers', { query: { 'email[is]': 'idem@test.example' } });
    expect(found.body.list).toHaveLength(1);

    const other = await cb('POST', '/customers', { form: { ...form, first_name: 'Other' }, headers });
    expect(other.status).toBe(422);
    expect(other.body.api_error_code).toBe('unable_to_process_request');
    const elsewhere = await cb('POST', '/customers/cust_acme_01', { form, headers });
    expect(elsewhere.status).toBe(422);
  });

  it('replays cancellations, forgets keys after 30 minutes, and limits key length', async () => {
    const headers = { 'chargebee-idempotency-key': 'cancel-1' };
    const form = { cancel_option: 'immediately' };
    const first = await cb('POST', '/subscriptions/sub_acme_02/cancel_for_items', { form, headers });
    const replay = await cb('POST', '/subscriptions/sub_acme_02/cancel_for_items', { form, headers });
    expect(replay.status).toBe(200);
    expect(replay.text).toBe(first.text);
    now += 31 * 60 * 1000;
    expect((await cb('POST', '/subscriptions/sub_acme_02/cancel_for_items', { form, headers })).status).toBe(409);

    const long = await cb('POST', '/customers', { form: {}, headers: { 'chargebee-idempotency-key': 'k'.repeat(101) } });
    expect(long.status).toBe(400);
  });
});

describe('faults', () => {
  it('serves a Chargebee 429 with Retry-After, then recovers', async () => {
    await fault({ match: { method: 'GET', path: `${API}/customers` }, times: 2, fault: { status: 429, retry_after: 1 } });
    for (let i = 0; i < 2; i++) {
      const r = await cb('GET', '/customers');
      expect(r.status).toBe(429);
      expect(r.headers.get('retry-after')).toBe('1');
      expect(r.body).toMatchObject({ api_error_code: 'api_request_limit_exceeded', type: 'operation_failed', http_status_code: 429 });
    }
    expect((await cb('GET', '/customers')).status).toBe(200);
  });

  it('serves 503 and other statuses with Chargebee bodies, 502 with a raw HTML body', async () => {
    await fault({ match: { path: `${API}/customers/*` }, fault: { status: 503 } });
    await fault({ match: { path: `${API}/customers/*` }, fault: { status: 502, body: '<html>bad gateway</html>' } });
    await fault({ match: { path: `${API}/customers/*` }, fault: { status: 500 } });
    const r503 = await cb('GET', '/customers/cust_acme_01');
    expect(r503.status).toBe(503);
    expect(r503.body).toMatchObject({ api_error_code: 'internal_temporary_error', http_status_code: 503 });
    const r502 = await cb('GET', '/customers/cust_acme_01');
    expect(r502.status).toBe(502);
    expect(r502.headers.get('content-type')).toBe('text/html');
    expect(r502.text).toBe('<html>bad gateway</html>');
    expect((await cb('GET', '/customers/cust_acme_01')).body.api_error_code).toBe('internal_error');
    expect((await cb('GET', '/customers/cust_acme_01')).status).toBe(200);
  });

  it('matches faults by method and exact path', async () => {
    await fault({ match: { method: 'POST', path: `${API}/customers` }, fault: { status: 503 } });
    expect((await cb('GET', '/customers')).status).toBe(200);
    expect((await cb('GET', '/customers/cust_acme_01')).status).toBe(200);
    expect((await cb('POST', '/customers', { form: {} })).status).toBe(503);
    expect((await cb('POST', '/customers', { form: {} })).status).toBe(200);
  });

  it('reset: drops the connection before handling, nothing applied', async () => {
    await fault({ match: { path: `${API}/customers` }, fault: { reset: true } });
    await expect(cb('POST', '/customers', { form: { id: 'never' } })).rejects.toThrow();
    expect((await cb('GET', '/customers/never')).status).toBe(404);
  });

  it('drop_response: applies the write, then drops the connection unanswered', async () => {
    await fault({ match: { path: `${API}/customers` }, fault: { drop_response: true } });
    const headers = { 'chargebee-idempotency-key': 'drop-1' };
    await expect(cb('POST', '/customers', { form: { id: 'applied' }, headers })).rejects.toThrow();
    expect((await cb('GET', '/customers/applied')).status).toBe(200);
    const retry = await cb('POST', '/customers', { form: { id: 'applied' }, headers });
    expect(retry.status).toBe(200);
    expect(retry.headers.get('chargebee-idempotency-replayed')).toBe('true');
  });

  it('delay_ms: answers normally after the delay', async () => {
    await fault({ match: { path: `${API}/customers` }, fault: { delay_ms: 150 } });
    const started = Date.now();
    const r = await cb('GET', '/customers');
    expect(r.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('rejects invalid fault specs and clears faults', async () => {
    for (const spec of [{}, { match: { path: 'x' }, fault: { status: 503 } }, { match: { path: '/x' }, fault: { explode: true } }, { match: { path: '/x' }, times: 0, fault: { reset: true } }, { match: { path: '/x' }, fault: { status: 200 } }, { match: { path: `${API}/customers` }, fault: { export_fails: true } }]) {
      expect((await call('POST', '/_sandbox/faults', { json: spec })).status).toBe(400);
    }
    expect((await call('POST', '/_sandbox/faults', { form: 'not json' })).status).toBe(400);
    await fault({ match: { path: `${API}/customers` }, fault: { status: 503 } });
    expect((await call('DELETE', '/_sandbox/faults')).body).toEqual({ ok: true });
    expect((await cb('GET', '/customers')).status).toBe(200);
  });
});

describe('rate limit', () => {
  it('answers Maton’s 429 with Retry-After: 1 beyond N requests per second', async () => {
    let t = T_NOW;
    const limited = await startSandbox({ rateLimit: 3, now: () => t });
    try {
      for (let i = 0; i < 3; i++) expect((await cb('GET', '/customers', { base: limited })).status).toBe(200);
      const over = await cb('GET', '/customers', { base: limited });
      expect(over.status).toBe(429);
      expect(over.headers.get('retry-after')).toBe('1');
      expect(over.body).toEqual({ error: { status: 429, message: 'Rate limit exceeded: 3 requests per second' } });
      expect((await call('GET', '/_sandbox/requests', { base: limited })).status).toBe(200); // test routes are exempt
      t += 1000;
      expect((await cb('GET', '/customers', { base: limited })).status).toBe(200);
      const log = (await call('GET', '/_sandbox/requests', { base: limited })).body.requests;
      expect(log).toHaveLength(5); // the limited request is logged too
    } finally {
      await limited.close();
    }
  });
});

describe('exports', () => {
  it('runs a job from in_process to completed with a real zip of CSV files', async () => {
    const created = await cb('POST', '/exports/customers', { form: 'customer[email][is]=ada@analytical.example&export_type=data' });
    expect(created.status).toBe(200);
    expect(created.body.export).toMatchObject({ operation_type: 'Customers', mime_type: 'zip', status: 'in_process', object: 'export', created_at: Math.floor(T_NOW / 1000) });
    expect(created.body.export.download).toBeUndefined();
    const id = created.body.export.id;
    expect((await cb('GET', `/exports/${id}`)).body.export.status).toBe('in_process');

    now += 3000;
    const done = (await cb('GET', `/exports/${id}`)).body.export;
    expect(done.status).toBe('completed');
    expect(done.download).toMatchObject({ mime_type: 'application/zip', valid_till: Math.floor((T_NOW + 3000) / 1000) + 4 * 3600 });
    expect(done.download.download_url).toMatch(new RegExp(`^${sb.url}/_sandbox/downloads/.+\\.zip$`));

    const file = await download(done.download.download_url);
    expect(file.status).toBe(200);
    expect(file.bytes.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
    const csv = unzip(file.bytes)['Customers.csv']!;
    expect(csv.split('\r\n')[0]).toContain('customers.id,customers.first_name');
    expect(csv).toContain('ada@analytical.example');
    expect(csv).not.toContain('grace@cobol.example');

    now += 4 * 3600 * 1000 + 1000;
    expect((await download(done.download.download_url)).status).toBe(403);
    expect((await cb('GET', '/exports/nope')).status).toBe(404);
  });

  it('exports all customers of the chosen connection, and subscriptions filtered by status', async () => {
    const all = await cb('POST', '/exports/customers', { form: {}, connection: 'sandbox-globex' });
    const subs = await cb('POST', '/exports/subscriptions', { form: 'subscription[status][in]=["cancelled"]' });
    now += 3000;
    const read = async (id: string, connection?: string) => {
      const e = (await cb('GET', `/exports/${id}`, { connection })).body.export;
      return unzip((await download(e.download.download_url)).bytes);
    };
    const customers = (await read(all.body.export.id, 'sandbox-globex'))['Customers.csv']!;
    expect(customers.trim().split('\r\n')).toHaveLength(7);
    expect(customers).toContain('København');
    const subscriptions = (await read(subs.body.export.id))['Subscriptions.csv']!;
    const rows = subscriptions.trim().split('\r\n').slice(1);
    expect(rows.map((r) => r.split(',')[0]).sort()).toEqual(['sub_acme_10', 'sub_acme_11', 'sub_acme_14']);
  });

  it('validates export parameters against the Export API reference', async () => {
    expectParamError(await cb('POST', '/exports/customers', { form: 'customer[email][in]=["a"]' }), 'customer[email][in]');
    now += 3000;
    await expectIgnored(await cb('POST', '/exports/customers', { form: 'customer[colour][is]=red' }), ['customer[colour][is]']);
    await expectIgnored(await cb('POST', '/exports/subscriptions', { form: 'subscription[status][is]=transferred' }), []);
    expectParamError(await cb('POST', '/exports/subscriptions', { form: 'subscription[status][is]=expired' }), 'subscription[status][is]');
    expectParamError(await cb('POST', '/exports/invoices', { form: 'invoice[total][lt]=cheap' }), 'invoice[total][lt]');
    now += 3000;
    await expectIgnored(await cb('POST', '/exports/items', { form: 'export_type=data' }), ['export_type']);
    const revenue = { report_by: 'invoice', report_from_month: '6', report_from_year: '2026', report_to_month: '11', report_to_year: '2026' };
    const { report_by: _, ...withoutReportBy } = revenue;
    expectParamError(await cb('POST', '/exports/revenue_recognition', { form: withoutReportBy }), 'report_by');
    expectParamError(await cb('POST', '/exports/revenue_recognition', { form: { ...revenue, report_from_month: '13' } }), 'report_from_month');
    expectParamError(await cb('POST', '/exports/deferred_revenue', { form: { ...revenue, report_to_year: '2025' } }), 'report_to_month');
    expectParamError(await cb('POST', '/exports/revenue_recognition', { form: { ...revenue, report_by: 'planet' } }), 'report_by');
    expect((await cb('POST', '/exports/unicorns', { form: {} })).status).toBe(404);
  });

  it('produces revenue reports and every other export kind', async () => {
    const revenue = { report_by: 'customer', report_from_month: '10', report_from_year: '2026', report_to_month: '11', report_to_year: '2026', 'invoice[status][is_not]': 'voided', 'customer[email][is]': 'ada@analytical.example' };
    const rr = await cb('POST', '/exports/revenue_recognition', { form: revenue });
    expect(rr.body.export.operation_type).toBe('Revenue Recognition Report');
    now += 3000;
    const e = (await cb('GET', `/exports/${rr.body.export.id}`)).body.export;
    const report = unzip((await download(e.download.download_url)).bytes)['RevenueRecognition.csv']!;
    const [header, ada] = report.trim().split('\r\n');
    expect(header).toBe('Customer Id,Currency,2026-10,2026-11,Total');
    expect(ada).toBe('cust_acme_01,USD,4900,4900,9800');

    const kinds = ['coupons', 'credit_notes', 'transactions', 'orders', 'item_families', 'items', 'item_prices', 'attached_items', 'differential_prices'];
    const ids: string[] = [];
    for (const [i, kind] of kinds.entries()) {
      if (i % 5 === 0) now += 3000; // stay under the 5-jobs limit
      const r = await cb('POST', `/exports/${kind}`, { form: {} });
      expect(r.status).toBe(200);
      ids.push(r.body.export.id);
    }
    now += 3000;
    const names = [];
    for (const id of ids) {
      const job = (await cb('GET', `/exports/${id}`)).body.export;
      names.push(...Object.keys(unzip((await download(job.download.download_url)).bytes)));
    }
    expect(names).toEqual(['Coupons.csv', 'CreditNotes.csv', 'Transactions.csv', 'Orders.csv', 'ItemFamilies.csv', 'Items.csv', 'ItemPrices.csv', 'AttachedItems.csv', 'DifferentialPrices.csv']);
  });

  it('allows at most 5 jobs in process per connection', async () => {
    for (let i = 0; i < 5; i++) expect((await cb('POST', '/exports/items', { form: {} })).status).toBe(200);
    const sixth = await cb('POST', '/exports/items', { form: {} });
    expect(sixth.status).toBe(429);
    expect(sixth.headers.get('retry-after')).toBeNull();
    const message = 'Sorry, only 5 export jobs can be processed at a time. Please try after some time.';
    expect(sixth.body).toEqual({
      message, type: 'operation_failed', api_error_code: 'api_request_limit_exceeded', http_status_code: 429,
      error_code: 'api_request_limit_exceeded', error_msg: message,
    });
    expect((await cb('POST', '/exports/items', { form: {}, connection: 'sandbox-globex' })).status).toBe(200);
    now += 3000;
    expect((await cb('POST', '/exports/items', { form: {} })).status).toBe(200);
  });

  it('export_fails: the job ends failed, without a download', async () => {
    await fault({ match: { path: `${API}/exports/*` }, fault: { export_fails: true } });
    const r = await cb('POST', '/exports/invoices', { form: 'invoice[status][in]=["paid"]' });
    now += 3000;
    const job = (await cb('GET', `/exports/${r.body.export.id}`)).body.export;
    expect(job.status).toBe('failed');
    expect(job.download).toBeUndefined();
  });
});

describe('documents and links', () => {
  it('serves invoice PDFs through a download URL valid for an hour', async () => {
    const r = await cb('POST', '/invoices/inv_acme_0013/pdf', { form: { disposition_type: 'inline' } });
    expect(r.status).toBe(200);
    expect(r.body.download).toMatchObject({ mime_type: 'application/pdf', object: 'download', valid_till: Math.floor(T_NOW / 1000) + 3600 });
    const file = await download(r.body.download.download_url);
    expect(file.status).toBe(200);
    expect(file.type).toBe('application/pdf');
    expect(file.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(file.bytes.toString('latin1')).toContain('inv_acme_0013');
    expect(file.bytes.toString('latin1').trimEnd().endsWith('%%EOF')).toBe(true);
    expect((await cb('POST', '/invoices/inv_nope/pdf', { form: {} })).status).toBe(404);
    expectParamError(await cb('POST', '/invoices/inv_acme_0013/pdf', { form: { disposition_type: 'download' } }), 'disposition_type');
  });

  it('creates hosted checkout pages', async () => {
    const form = 'subscription_items[item_price_id][0]=pro-USD-monthly&customer[email]=new%40buyer.example&layout=in_app&redirect_url=https%3A%2F%2Fexample.com%2Fdone';
    const r = await cb('POST', '/hosted_pages/checkout_new_for_items', { form });
    expect(r.status).toBe(200);
    const page = r.body.hosted_page;
    expect(page).toMatchObject({ type: 'checkout_new', state: 'created', embed: false, object: 'hosted_page', expires_at: Math.floor(T_NOW / 1000) + 3 * 86400 });
    expect(page.url).toBe(`${sb.url}/_sandbox/hosted/${page.id}`);
    const html = await fetch(page.url);
    expect(html.status).toBe(200);
    expect(await html.text()).toContain('SANDBOX');
    expectParamError(await cb('POST', '/hosted_pages/checkout_new_for_items', { form: { 'customer[email]': 'a@b.example' } }), 'subscription_items[item_price_id][0]');
    expectParamError(await cb('POST', '/hosted_pages/checkout_new_for_items', { form: { 'subscription_items[item_price_id][0]': 'setup-fee-USD' } }), 'subscription_items[item_price_id][0]');
  });

  it('creates portal sessions for existing customers', async () => {
    const r = await cb('POST', '/portal_sessions', { form: { 'customer[id]': 'cust_acme_01', redirect_url: 'https://example.com/back' } });
    expect(r.status).toBe(200);
    const session = r.body.portal_session;
    expect(session).toMatchObject({ status: 'created', customer_id: 'cust_acme_01', redirect_url: 'https://example.com/back', object: 'portal_session', expires_at: Math.floor(T_NOW / 1000) + 3600 });
    expect(session.access_url).toBe(`${sb.url}/_sandbox/portal/${session.token}`);
    expect(await (await fetch(session.access_url)).text()).toContain('SANDBOX');
    expectParamError(await cb('POST', '/portal_sessions', { form: { 'customer[id]': 'nobody' } }), 'customer[id]', 404);
    expectParamError(await cb('POST', '/portal_sessions', { form: {} }), 'customer[id]');
    now += 3601 * 1000;
    expect((await fetch(session.access_url)).status).toBe(403);
  });
});

describe('test support', () => {
  it('logs every gateway request in order with the authorization redacted', async () => {
    await cb('GET', '/customers', { query: 'limit=2&status[is]=x', key: null });
    await cb('POST', '/customers', { form: 'first_name=Log+Me', connection: 'sandbox-globex' });
    await fault({ match: { path: `${API}/items` }, fault: { status: 503 } });
    await cb('GET', '/items');
    await call('GET', '/_sandbox/hosted/none');
    const { requests } = (await call('GET', '/_sandbox/requests')).body;
    expect(requests).toHaveLength(3);
    expect(requests[0]).toMatchObject({ method: 'GET', path: `${API}/customers`, query: 'limit=2&status[is]=x', body: '' });
    expect(requests[0].headers.authorization).toBeUndefined();
    expect(requests[1]).toMatchObject({ method: 'POST', path: `${API}/customers`, query: '', body: 'first_name=Log+Me' });
    expect(requests[1].headers).toMatchObject({ authorization: '[redacted]', 'maton-connection': 'sandbox-globex' });
    expect(requests[1].headers['content-type']).toContain('application/x-www-form-urlencoded');
    expect(requests[2]).toMatchObject({ method: 'GET', path: `${API}/items` });
    expect(requests[2].at).toBe(T_NOW);
  });

  it('resets seed data, connections, log and faults', async () => {
    await cb('POST', '/subscriptions/sub_acme_01/cancel_for_items', { form: { cancel_option: 'immediately' } });
    await cb('POST', '/customers', { form: { id: 'temp' } });
    await call('DELETE', '/connections/sandbox-globex');
    await fault({ match: { path: `${API}/customers` }, fault: { status: 503 } });
    expect((await call('POST', '/_sandbox/reset')).body).toEqual({ ok: true });
    expect((await call('GET', '/_sandbox/requests')).body.requests).toEqual([]);
    expect((await cb('GET', '/subscriptions/sub_acme_01')).body.subscription.status).toBe('active');
    expect((await cb('GET', '/customers/temp')).status).toBe(404);
    expect((await cb('GET', '/customers', { connection: 'sandbox-globex' })).status).toBe(200);
  });

  it('closes promptly even with a hung request', async () => {
    const other = await startSandbox({ rateLimit: 0 });
    await fault({ match: { path: `${API}/customers` }, fault: { delay_ms: 60_000 } }, other);
    const hung = cb('GET', '/customers', { base: other }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await hung).toBeInstanceOf(Error);
  });
});
