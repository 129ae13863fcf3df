import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, text, writesOf, type Harness } from './helpers/harness.js';

/**
 * Every tool through the official SDK Client → our server → gateway client →
 * the sandbox over real HTTP on loopback.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ config: { connectionId: 'sandbox-acme' } });
});
afterAll(async () => h?.close());
beforeEach(async () => h.reset());

const ok = async (name: string, args: Record<string, unknown> = {}) => {
  const r = await h.call(name, args);
  expect(r.isError, `${name}: ${text(r)}`).toBeFalsy();
  return r.structuredContent;
};
const posts = async () => writesOf(await h.requests());

describe('reads', () => {
  it('list_customers pages with next_offset passed back unchanged', async () => {
    const p1 = await ok('list_customers', { limit: 10 });
    expect(p1.sandbox).toBe(true);
    expect(p1.customers).toHaveLength(10);
    expect(typeof p1.next_offset).toBe('string');
    expect(JSON.parse(p1.next_offset)).toBeInstanceOf(Array);
    const p2 = await ok('list_customers', { limit: 10, offset: p1.next_offset });
    const ids1 = p1.customers.map((c: any) => c.id);
    const ids2 = p2.customers.map((c: any) => c.id);
    expect(ids2.length).toBe(6);
    expect(ids1.filter((i: string) => ids2.includes(i))).toEqual([]);
    expect(p2.next_offset).toBeUndefined();
    const [, second] = (await h.requests()).filter((r) => r.path.endsWith('/customers'));
    expect(new URLSearchParams(second!.query).get('offset')).toBe(p1.next_offset);
  });

  it('list_customers filters by email and sorts', async () => {
    const r = await ok('list_customers', { email: { is: 'ada@analytical.example' }, sort_by: { asc: 'created_at' } });
    expect(r.customers.map((c: any) => c.id)).toEqual(['cust_acme_01']);
    const [req] = await h.requests();
    expect(decodeURIComponent(req!.query.replace(/\+/g, ' '))).toBe('email[is]=ada@analytical.example&sort_by[asc]=created_at');
    expect(req!.headers['maton-connection']).toBe('sandbox-acme');
  });

  it('list_subscriptions sends in-filters as one JSON array and returns only those statuses, with customers', async () => {
    const r = await ok('list_subscriptions', { status: { in: ['active', 'in_trial'] }, limit: 100 });
    const statuses = new Set(r.subscriptions.map((s: any) => s.status));
    expect([...statuses].sort()).toEqual(['active', 'in_trial']);
    expect(r.subscriptions[0].customer.id).toBe(r.subscriptions[0].customer_id);
    const [req] = await h.requests();
    expect(new URLSearchParams(req!.query).get('status[in]')).toBe('["active","in_trial"]');
  });

  it('list_subscriptions filters by timestamp and customer', async () => {
    const r = await ok('list_subscriptions', { customer_id: { is: 'cust_acme_01' }, created_at: { after: 1_600_000_000 } });
    expect(r.subscriptions.map((s: any) => s.id)).toEqual(['sub_acme_01']);
  });

  it('get_customer and get_subscription return the resource', async () => {
    const c = await ok('get_customer', { customer_id: 'cust_acme_01' });
    expect(c.customer).toMatchObject({ id: 'cust_acme_01', first_name: 'Ada', email: 'ada@analytical.example' });
    const s = await ok('get_subscription', { subscription_id: 'sub_acme_01' });
    expect(s.subscription).toMatchObject({ id: 'sub_acme_01', status: 'active' });
    expect(s.customer.id).toBe('cust_acme_01');
  });

  it('list_items and list_item_prices expose the catalogue with prices in cents', async () => {
    const items = await ok('list_items', { type: { is: 'plan' }, status: { is: 'active' } });
    expect(items.items.map((i: any) => i.id).sort()).toEqual(['basic', 'pro', 'team']);
    const prices = await ok('list_item_prices', { item_id: { in: ['basic'] }, limit: 20 });
    expect(prices.item_prices.find((p: any) => p.id === 'basic-USD-monthly')).toMatchObject({ price: 4900, currency_code: 'USD' });
  });

  it('list_invoices filters by status', async () => {
    const r = await ok('list_invoices', { status: { is: 'payment_due' } });
    expect(r.invoices.length).toBeGreaterThan(0);
    for (const i of r.invoices) expect(i.status).toBe('payment_due');
  });

  it('download_invoice_pdf returns a working, temporary URL', async () => {
    const r = await ok('download_invoice_pdf', { invoice_id: 'inv_acme_0013' });
    expect(r.download.valid_till).toBeGreaterThan(Date.now() / 1000);
    const pdf = await fetch(r.download.download_url);
    expect((await pdf.text()).startsWith('%PDF')).toBe(true);
    const [req] = await posts();
    expect(req!.headers['chargebee-idempotency-key']).toMatch(/^cbmcp-/);
  });

  it('connection_id routes a call to another account', async () => {
    const r = await ok('list_customers', { connection_id: 'sandbox-globex', limit: 100 });
    expect(r.customers.every((c: any) => c.id.startsWith('cust_globex_'))).toBe(true);
  });

  it('Maton connection tools list and get connections', async () => {
    const list = await ok('list_connections', {});
    expect(list.connections.map((c: any) => c.connection_id).sort()).toEqual(['sandbox-acme', 'sandbox-globex']);
    const one = await ok('get_connection', { connection_id: 'sandbox-globex' });
    expect(one.connection.status).toBe('ACTIVE');
  });

  it('exports: start, wait, download', async () => {
    const started = await ok('export_customers', { customer: { email: { is: 'ada@analytical.example' } } });
    expect(started.export.status).toBe('in_process');
    const done = await ok('wait_for_export', { export_id: started.export.id });
    expect(done.export.status).toBe('completed');
    const zip = Buffer.from(await (await fetch(done.export.download.download_url)).arrayBuffer());
    expect(zip.subarray(0, 2).toString()).toBe('PK');
    const got = await ok('get_export', { export_id: started.export.id });
    expect(got.export.status).toBe('completed');
  });
});

describe('errors', () => {
  it('a missing resource is a tool error with Chargebee\'s code, status and a next step', async () => {
    const r = await h.call('get_customer', { customer_id: 'nobody' });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/Chargebee 404 resource_not_found/);
    expect(text(r)).toMatch(/Next: Check the id/);
    expect(r.structuredContent.error).toMatchObject({ status: 404, api_error_code: 'resource_not_found', source: 'chargebee' });
  });

  it('a Product Catalog 1.0 route on this PC 2.0 site explains what to use instead', async () => {
    const r = await h.call('create_subscription', { plan_id: 'basic', customer: { email: 'x@example.com' } });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/configuration_incompatible/);
    expect(text(r)).toMatch(/create_subscription_for_items/);
    expect(await posts()).toEqual([]);
    const c = await h.call('cancel_subscription', { subscription_id: 'sub_acme_01', end_of_term: true });
    expect(text(c)).toMatch(/use cancel_subscription_for_items/);
  });

  it('invalid arguments are refused before any request, naming the parameter and what is allowed', async () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['list_customers', { limit: 0 }, /limit: Too small/],
      ['list_customers', { limit: 101 }, /limit: Too big/],
      ['list_customers', { limit: '10' }, /limit: Invalid input: expected number/],
      ['list_customers', { colour: 'red' }, /unknown parameter "colour"; allowed: limit, offset, id/],
      ['list_subscriptions', { status: { equals: 'active' } }, /status: unknown operator "equals"; allowed: is, is_not, in, not_in/],
      ['list_subscriptions', { status: { is: 'actve' } }, /status.is: Invalid option/],
      ['list_subscriptions', { created_at: { between: [1_800_000_000, 1_700_000_000] } }, /between takes \[from, to\]/],
      ['list_subscriptions', { created_at: {} }, /needs one operator/],
      ['get_customer', { customer_id: '../admin' }, /customer_id: may only contain/],
      ['get_customer', { customer_id: 'a/b' }, /customer_id: may only contain/],
      ['get_customer', { customer_id: 'a?b=1' }, /customer_id: may only contain/],
      ['get_customer', { customer_id: 'a#b' }, /customer_id: may only contain/],
      ['get_customer', { customer_id: 'a\r\nX-Evil: 1' }, /customer_id: may only contain/],
      ['get_customer', { customer_id: '..' }, /customer_id: cannot be/],
      ['get_customer', { customer_id: 'x'.repeat(101) }, /customer_id: Too big/],
      ['cancel_subscription_for_items', { subscription_id: 'sub_acme_01' }, /cancel_option: give cancel_option, or contract_term_cancel_option for a subscription on a contract term/],
      ['cancel_subscription_for_items', { subscription_id: 'sub_acme_01', cancel_option: 'immediately', contract_term_cancel_option: 'terminate_immediately' }, /not both/],
      ['cancel_subscription_for_items', { subscription_id: 'sub_acme_01', contract_term_cancel_option: 'specific_date' }, /cancel_at is required/],
      ['update_customer', { customer_id: 'cust_acme_01', billing_address: { city: 'Paris' } }, /unknown parameter "billing_address"/],
      ['list_subscriptions', { plan_id: { is: 'basic' } }, /unknown parameter "plan_id"/],
      ['list_customers', { created_at: { after: 170406720 } }, /10-digit Unix time/],
      ['create_portal_session', { customer: { id: 'x'.repeat(51) } }, /customer.id: Too big/],
      ['cancel_subscription_for_items', { subscription_id: 'sub_acme_01', cancel_option: 'specific_date' }, /cancel_at is required/],
      ['create_customer', { email: 'not-an-email' }, /email: an email address/],
      ['create_customer', { custom_fields: { region: 'emea' } }, /custom field keys look like cf_region/],
      ['export_revenue_recognition', { report_by: 'invoice', report_from_month: 13, report_from_year: 2026, report_to_month: 1, report_to_year: 2026 }, /report_from_month: Too big/],
      ['export_revenue_recognition', { report_by: 'invoice', report_from_month: 6, report_from_year: 2026, report_to_month: 1, report_to_year: 2026 }, /must not end before it starts/],
      ['export_subscriptions', { subscription: { status: { has: 'x' } } }, /subscription.status: unknown operator "has"/],
    ];
    for (const [tool, args, message] of cases) {
      const r = await h.call(tool, args);
      expect(r.isError, `${tool} ${JSON.stringify(args)}`).toBe(true);
      expect(text(r), `${tool} ${JSON.stringify(args)}`).toMatch(message);
      expect(text(r)).toMatch(/nothing was sent/);
    }
    expect(await h.requests()).toEqual([]);
  });
});

describe('writes: preview, confirm, replay', () => {
  it('cancel_subscription_for_items previews who, what and the money, writes nothing, then confirms once', async () => {
    const args = { subscription_id: 'sub_acme_01', cancel_option: 'end_of_term' };
    const p = await ok('cancel_subscription_for_items', args);
    expect(p).toMatchObject({ status: 'confirmation_required', action: 'cancel_subscription_for_items', connection_id: 'sandbox-acme' });
    expect(Date.parse(p.expires_at)).toBeGreaterThan(Date.now());
    expect(p.target.customer).toMatchObject({ id: 'cust_acme_01', name: 'Ada Lovelace', email: 'ada@analytical.example' });
    // The seed is anchored to the sandbox's clock: the seeded monthly term started 20 days before today.
    const termEnd = p.target.subscription.current_term_end;
    const start = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 - 20 * 86_400_000);
    start.setUTCMonth(start.getUTCMonth() + 1);
    expect(termEnd).toBe(start.toISOString().slice(0, 10));
    expect(p.target.subscription).toMatchObject({ id: 'sub_acme_01', status: 'active', recurring_amount: '$49.00 per month before discounts and tax' });
    expect(p.target.money).toMatchObject({ source: 'estimate', status_after: 'non_renewing', cancels_on: termEnd, credit: null });
    expect(p.effect).toContain(`on ${termEnd} (the end of the current term): until then it is non_renewing`);
    expect(p.effect).toMatch(/No credit or refund/);
    expect(await posts()).toEqual([]);

    const done = await ok('cancel_subscription_for_items', { ...args, confirm_token: p.confirm_token });
    expect(done.status).toBe('done');
    expect(done.result.subscription.status).toBe('non_renewing');
    const sent = await posts();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.path).toBe('/chargebee/api/v2/subscriptions/sub_acme_01/cancel_for_items');
    expect(sent[0]!.body).toBe('cancel_option=end_of_term');
    expect(sent[0]!.headers['chargebee-idempotency-key']).toMatch(/^cbmcp-/);

    const again = await ok('cancel_subscription_for_items', { ...args, confirm_token: p.confirm_token });
    expect(again.replay).toBe(true);
    expect(again.result.subscription.status).toBe('non_renewing');
    expect(await posts()).toHaveLength(1);
  });

  it('an immediate cancellation with proration says what is credited', async () => {
    const p = await ok('cancel_subscription_for_items', { subscription_id: 'sub_acme_02', cancel_option: 'immediately', credit_option_for_current_term_charges: 'prorate' });
    expect(p.effect).toMatch(/at once: status becomes cancelled today/);
    expect(p.effect).toMatch(/Credit: a refundable credit note of \$\d+\.\d\d/);
  });

  it('cancelling an already cancelled subscription is refused at the preview', async () => {
    const r = await h.call('cancel_subscription_for_items', { subscription_id: 'sub_acme_10', cancel_option: 'immediately' });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/already cancelled/);
  });

  it('refuses a token used with other arguments, a tampered token, and another caller\'s token', async () => {
    const args = { subscription_id: 'sub_acme_01', cancel_option: 'end_of_term' };
    const { confirm_token: token } = await ok('cancel_subscription_for_items', args);
    const other = await h.call('cancel_subscription_for_items', { ...args, cancel_option: 'immediately', confirm_token: token });
    expect(text(other)).toMatch(/arguments differ/);
    const tampered = await h.call('cancel_subscription_for_items', { ...args, confirm_token: token.slice(0, -3) + 'AAA' });
    expect(text(tampered)).toMatch(/invalid signature/);
    const otherClient = await h.connectAs('someone-else');
    const stolen = await otherClient.callTool({ name: 'cancel_subscription_for_items', arguments: { ...args, confirm_token: token } });
    expect(stolen.isError).toBe(true);
    expect(text(stolen as any)).toMatch(/another client session/);
    const otherConnection = await h.call('cancel_subscription_for_items', { ...args, connection_id: 'sandbox-globex', confirm_token: token });
    expect(text(otherConnection)).toMatch(/arguments differ|connection/);
    expect(await posts()).toEqual([]);
  });

  it('refuses when the target changed since the preview', async () => {
    const a = await ok('update_customer', { customer_id: 'cust_acme_02', company: 'First Co' });
    const b = await ok('update_customer', { customer_id: 'cust_acme_02', company: 'Second Co' });
    await ok('update_customer', { customer_id: 'cust_acme_02', company: 'Second Co', confirm_token: b.confirm_token });
    const stale = await h.call('update_customer', { customer_id: 'cust_acme_02', company: 'First Co', confirm_token: a.confirm_token });
    expect(stale.isError).toBe(true);
    expect(text(stale)).toMatch(/changed since the preview.*Preview again/s);
    expect(await posts()).toHaveLength(1);
  });

  it('create_customer encodes nested fields, meta_data and custom fields; the preview warns of a duplicate email', async () => {
    const args = { first_name: 'John Doe', email: 'ada@analytical.example', billing_address: { city: 'Walnut', country: 'US' }, meta_data: { plan: 'pro' }, custom_fields: { cf_region: 'emea' } };
    const p = await ok('create_customer', args);
    expect(p.effect).toMatch(/1 customer\(s\) already use this email \("cust_acme_01"\)/);
    const done = await ok('create_customer', { ...args, confirm_token: p.confirm_token });
    expect(done.result.customer).toMatchObject({ first_name: 'John Doe', cf_region: 'emea', meta_data: { plan: 'pro' } });
    const [post] = await posts();
    expect(decodeURIComponent(post!.body.replace(/\+/g, ' '))).toBe(
      'first_name=John Doe&email=ada@analytical.example&billing_address[city]=Walnut&billing_address[country]=US&meta_data={"plan":"pro"}&cf_region=emea',
    );
  });

  it('update_customer previews old → new', async () => {
    const p = await ok('update_customer', { customer_id: 'cust_acme_01', first_name: 'Augusta', auto_collection: 'off' });
    expect(p.target.changes).toEqual({ first_name: { from: 'Ada', to: 'Augusta' }, auto_collection: { from: 'on', to: 'off' } });
    expect(p.effect).toMatch(/no longer be charged automatically/);
  });

  it('create_subscription_for_items shows prices and the first charge, then creates it', async () => {
    const args = { customer_id: 'cust_acme_04', subscription_items: [{ item_price_id: 'pro-USD-monthly' }, { item_price_id: 'extra-seats-USD-monthly', quantity: 2 }] };
    const p = await ok('create_subscription_for_items', args);
    expect(p.effect).toMatch(/"pro-USD-monthly" ×1 \(flat fee \$99\.00 per month\), "extra-seats-USD-monthly" ×2 \(\$10\.00 per unit × 2 = \$20\.00 per month\)/);
    expect(p.effect).toMatch(/in_trial until .*the plan price's own 14-day trial.*First invoice: \$119\.00 on/);
    const done = await ok('create_subscription_for_items', { ...args, confirm_token: p.confirm_token });
    expect(done.result.subscription.customer_id).toBe('cust_acme_04');
    const [post] = await posts();
    expect(decodeURIComponent(post!.body)).toBe(
      'subscription_items[item_price_id][0]=pro-USD-monthly&subscription_items[item_price_id][1]=extra-seats-USD-monthly&subscription_items[quantity][1]=2',
    );
  });

  it('an archived price is refused at the preview', async () => {
    const r = await h.call('create_subscription_for_items', { customer_id: 'cust_acme_04', subscription_items: [{ item_price_id: 'legacy-USD-monthly' }] });
    expect(text(r)).toMatch(/"legacy-USD-monthly" is archived/);
  });

  it('checkout_new_subscription and create_portal_session mint links after confirmation', async () => {
    const co = { subscription_items: [{ item_price_id: 'basic-USD-monthly' }], customer: { email: 'new@example.com' } };
    const p1 = await ok('checkout_new_subscription', co);
    expect(p1.effect).toMatch(/Nothing is charged until the checkout is completed/);
    const page = await ok('checkout_new_subscription', { ...co, confirm_token: p1.confirm_token });
    expect(page.result.hosted_page).toMatchObject({ type: 'checkout_new', state: 'created' });
    const ps = { customer: { id: 'cust_acme_01' } };
    const p2 = await ok('create_portal_session', ps);
    expect(p2.effect).toMatch(/signs in as customer "cust_acme_01" \("Ada Lovelace", "ada@analytical.example"\)/);
    const session = await ok('create_portal_session', { ...ps, confirm_token: p2.confirm_token });
    expect(session.result.portal_session.access_url).toMatch(/^http:\/\/127\.0\.0\.1/);
  });

  it('create_connection and delete_connection go through the same guard', async () => {
    const p = await ok('create_connection', {});
    expect(p.effect).toMatch(/2 active connection\(s\): sandbox-acme, sandbox-globex/);
    const created = await ok('create_connection', { confirm_token: p.confirm_token });
    expect(created.result.connection.status).toBe('PENDING');
    const d = await ok('delete_connection', { connection_id: 'sandbox-globex' });
    expect(d.effect).toMatch(/Deletes ACTIVE Chargebee connection sandbox-globex/);
    await ok('delete_connection', { connection_id: 'sandbox-globex', confirm_token: d.confirm_token });
    const gone = await h.call('get_connection', { connection_id: 'sandbox-globex' });
    expect(gone.isError).toBe(true);
  });
});

describe('connection choice', () => {
  it('with several active connections and none pinned, writes refuse and list them; reads still work', async () => {
    const unpinned = await startHarness({ unpinned: true });
    try {
      const r = await unpinned.call('cancel_subscription_for_items', { subscription_id: 'sub_acme_01', cancel_option: 'end_of_term' });
      expect(r.isError).toBe(true);
      expect(text(r)).toMatch(/Several ACTIVE Chargebee connections exist: sandbox-acme.*sandbox-globex.*pass connection_id/s);
      const read = await unpinned.call('list_customers', { limit: 1 });
      expect(read.isError).toBeFalsy();
      const chosen = await unpinned.call('cancel_subscription_for_items', { subscription_id: 'sub_acme_01', cancel_option: 'end_of_term', connection_id: 'sandbox-acme' });
      expect(chosen.structuredContent.status).toBe('confirmation_required');
    } finally {
      await unpinned.close();
    }
  });
});
