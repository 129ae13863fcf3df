/**
 * The official Chargebee Node SDK as an independent encoder: whatever it sends, the sandbox must
 * parse, and its responses must be what the SDK expects. Only the auth header is swapped for Maton's.
 */
import Chargebee from 'chargebee';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';

let sb: Sandbox;
let now = Date.UTC(2026, 10, 21, 12);
let chargebee: Chargebee;

beforeAll(async () => {
  sb = await startSandbox({ rateLimit: 0, now: () => now });
  const url = new URL(sb.url);
  chargebee = new Chargebee({
    site: url.hostname, hostSuffix: '', protocol: 'http', port: Number(url.port), apiPath: '/chargebee/api/v2', apiKey: 'unused',
    httpClient: {
      // Maton wants its own bearer key instead of Chargebee's Basic auth.
      makeApiRequest: async (request: Request) => {
        const headers = new Headers(request.headers);
        headers.set('authorization', `Bearer ${sb.apiKey}`);
        const body = request.method === 'GET' ? undefined : await request.text();
        return fetch(request.url, { method: request.method, headers, body });
      },
    },
  } as unknown as ConstructorParameters<typeof Chargebee>[0]);
});
afterAll(() => sb.close());
beforeEach(() => {
  now = Date.UTC(2026, 10, 21, 12);
  sb.reset();
});

describe('the official SDK against the sandbox', () => {
  it('creates and updates customers with nested objects, meta_data and custom fields', async () => {
    const { customer } = await chargebee.customer.create({
      id: 'sdk_1', first_name: 'John Doe', email: 'john+cb@test.com',
      billing_address: { city: 'Walnut', country: 'US' }, meta_data: { plan: 'pro' }, cf_region: 'emea',
    } as Parameters<typeof chargebee.customer.create>[0]);
    expect(customer).toMatchObject({ id: 'sdk_1', first_name: 'John Doe', email: 'john+cb@test.com', billing_address: { city: 'Walnut', country: 'US' }, meta_data: { plan: 'pro' }, cf_region: 'emea' });
    const updated = await chargebee.customer.update('sdk_1', { last_name: 'Smith' });
    expect(updated.customer.resource_version).toBeGreaterThan(customer.resource_version!);
  });

  it('lists with filters and pages with the offset it is given', async () => {
    const seen: string[] = [];
    let offset: string | undefined;
    do {
      const page = await chargebee.subscription.list({ limit: 3, status: { in: ['active', 'in_trial'] }, sort_by: { asc: 'created_at' }, ...(offset && { offset }) } as Parameters<typeof chargebee.subscription.list>[0]);
      for (const entry of page.list) {
        expect(['active', 'in_trial']).toContain(entry.subscription.status);
        seen.push(entry.subscription.id);
      }
      offset = page.next_offset;
    } while (offset);
    expect(new Set(seen).size).toBe(15);
  });

  it('creates a subscription for items and cancels it', async () => {
    const created = await chargebee.subscription.createWithItems('cust_acme_03', {
      subscription_items: [{ item_price_id: 'pro-USD-monthly', quantity: 1 }, { item_price_id: 'extra-seats-USD-monthly', quantity: 2 }],
      coupon_ids: ['FIFTYOFF'],
      trial_end: 0, // no trial: pro prices carry a 14-day trial by default
      meta_data: { source: 'sdk' },
    } as Parameters<typeof chargebee.subscription.createWithItems>[1]);
    expect(created.subscription.subscription_items).toHaveLength(2);
    expect(created.invoice?.status).toBe('paid');
    const cancelled = await chargebee.subscription.cancelForItems(created.subscription.id, { cancel_option: 'immediately', credit_option_for_current_term_charges: 'full' });
    expect(cancelled.subscription.status).toBe('cancelled');
    // The whole term's recurring charges as invoiced: 11900 less the 50% coupon.
    expect(cancelled.credit_notes?.[0]?.total).toBe(5950);
  });

  it('starts an export with nested filters and reads it back', async () => {
    const started = await chargebee.export.customers({ customer: { email: { is: 'ada@analytical.example' } } } as Parameters<typeof chargebee.export.customers>[0]);
    expect(started.export.status).toBe('in_process');
    now += 3000;
    const { export: job } = await chargebee.export.retrieve(started.export.id);
    expect(job.status).toBe('completed');
    expect(job.download?.download_url).toContain('/_sandbox/downloads/');
  });

  it('mints invoice PDF, checkout and portal links', async () => {
    const { download } = await chargebee.invoice.pdf('inv_acme_0013', { disposition_type: 'inline' });
    expect(download.download_url).toContain('/_sandbox/downloads/');
    const { hosted_page } = await chargebee.hostedPage.checkoutNewForItems({
      subscription_items: [{ item_price_id: 'basic-USD-monthly', quantity: 1 }], customer: { email: 'buyer@test.example' },
    } as Parameters<typeof chargebee.hostedPage.checkoutNewForItems>[0]);
    expect(hosted_page.type).toBe('checkout_new');
    const { portal_session } = await chargebee.portalSession.create({ customer: { id: 'cust_acme_01' } });
    expect(portal_session.customer_id).toBe('cust_acme_01');
  });

  it('surfaces sandbox errors as SDK errors with Chargebee’s codes', async () => {
    await expect(chargebee.subscription.create({ plan_id: 'basic' } as Parameters<typeof chargebee.subscription.create>[0]))
      .rejects.toMatchObject({ api_error_code: 'configuration_incompatible', http_status_code: 400 });
    await expect(chargebee.customer.retrieve('nobody')).rejects.toMatchObject({ api_error_code: 'resource_not_found', http_status_code: 404 });
  });
});
