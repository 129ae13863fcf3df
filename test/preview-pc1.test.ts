import { describe, expect, it } from 'vitest';
import type { Args, TargetReader } from '../src/catalog.js';
import { GatewayError } from '../src/errors.js';
import { cancelPreview, createPc1Preview } from '../src/preview/subscriptions.js';

/**
 * Product Catalog 1.0 previews (the sandbox is a PC 2.0 site, so these run against a scripted reader
 * answering with Chargebee's PC 1.0 shapes): which estimate route they call with which parameters,
 * and the local figures when the estimate is refused.
 */
const NOW = Math.floor(Date.now() / 1000);
const DAY = 86_400;

function reader(routes: Record<string, (params: Args, query?: Args) => any>, estimate: (template: string, body: Args) => any) {
  const calls: { kind: string; template: string; body?: Args }[] = [];
  const t: TargetReader = {
    connection: 'c',
    async get(template, params = {}, query) {
      calls.push({ kind: 'get', template });
      const route = routes[template];
      if (!route) throw new Error(`unexpected GET ${template}`);
      return route(params, query);
    },
    async maton() {
      throw new Error('no maton');
    },
    async estimate(template, _params, body) {
      calls.push({ kind: 'estimate', template, body });
      return estimate(template, body);
    },
  };
  return { t, calls };
}

const refusedAsPc2Site = () => {
  throw new GatewayError('Chargebee 400 configuration_incompatible: This API operation is not enabled for this site', { source: 'chargebee', status: 400, api_error_code: 'configuration_incompatible', hint: '' });
};

const plan = { id: 'basic', name: 'Basic', price: 1500, pricing_model: 'per_unit', period: 1, period_unit: 'month', currency_code: 'USD', setup_cost: 2000, resource_version: 1 };
const coupon = { id: 'TENOFF', discount_type: 'percentage', discount_percentage: 10, duration_type: 'forever' };

describe('create_subscription (PC 1.0) preview', () => {
  it('asks POST /estimates/create_subscription with the subscription fields nested, and states its figures', async () => {
    const { t, calls } = reader({ '/plans/{plan_id}': () => ({ plan }) }, () => ({
      estimate: { created_at: NOW, subscription_estimate: { status: 'active', next_billing_at: NOW + 30 * DAY, currency_code: 'USD' }, invoice_estimate: { total: 6300, amount_due: 6300, sub_total: 7000, discounts: [{ amount: 700 }], currency_code: 'USD' } },
    }));
    const p = await createPc1Preview({ plan_id: 'basic', plan_quantity: 4, coupon_ids: ['TENOFF'], customer: { email: 'a@b.example' }, billing_cycles: 6 }, t);
    const est = calls.find((c) => c.kind === 'estimate')!;
    expect(est.template).toBe('/estimates/create_subscription');
    expect(est.body).toEqual({ subscription: { plan_id: 'basic', plan_quantity: 4 }, billing_cycles: 6, coupon_ids: ['TENOFF'] });
    expect((p.target as any).money).toMatchObject({ source: 'estimate', status_after: 'active', invoice_now: { total: 6300, discount: 700 } });
    expect(p.effect).toMatch(/Now: an invoice of \$63\.00 after \$7\.00 of coupons/);
    expect(p.effect).toMatch(/Chargebee's own estimate/);
  });

  it('refused as on a PC 2.0 site: per-unit plan × quantity, setup cost once, coupon, computed locally and said so', async () => {
    const { t } = reader({ '/plans/{plan_id}': () => ({ plan }), '/coupons/{coupon_id}': () => ({ coupon }) }, refusedAsPc2Site);
    const p = await createPc1Preview({ plan_id: 'basic', plan_quantity: 4, coupon_ids: ['TENOFF'], trial_end: 0 }, t);
    // (1500 × 4 + 2000 setup) less 10%.
    expect((p.target as any).money).toMatchObject({ source: 'local', status_after: 'active', invoice_now: { total: 7200, discount: 800 } });
    expect(p.effect).toMatch(/Figures computed locally by this server \(Chargebee answered the estimate with HTTP 400 configuration_incompatible\): they leave out tax/);
  });
});

describe('cancel_subscription (PC 1.0) preview', () => {
  const sub = { id: 'sub_1', status: 'active', plan_id: 'basic', plan_quantity: 2, plan_unit_price: 1500, plan_amount: 3000, currency_code: 'USD', billing_period: 1, billing_period_unit: 'month', current_term_start: NOW - 10 * DAY, current_term_end: NOW + 20 * DAY, next_billing_at: NOW + 20 * DAY, resource_version: 7 };
  const customer = { id: 'cust_1', first_name: 'Ada', email: 'ada@example.com', auto_collection: 'on' };
  const invoice = { id: 'inv_1', status: 'paid', date: NOW - 10 * DAY, sub_total: 5000, total: 5000, amount_due: 0, line_items: [{ entity_type: 'plan', amount: 3000 }, { entity_type: 'plan_setup', amount: 2000 }] };
  const routes = { '/subscriptions/{subscription_id}': () => ({ subscription: sub, customer }), '/invoices': () => ({ list: [{ invoice }] }) };

  it('asks POST /subscriptions/{id}/cancel_subscription_estimate with end_of_term, and states its status', async () => {
    const { t, calls } = reader(routes, () => ({ estimate: { created_at: NOW, subscription_estimate: { status: 'non_renewing', currency_code: 'USD' }, credit_note_estimates: [] } }));
    const p = await cancelPreview({ subscription_id: 'sub_1', end_of_term: true }, t, 1);
    const est = calls.find((c) => c.kind === 'estimate')!;
    expect(est.template).toBe('/subscriptions/{subscription_id}/cancel_subscription_estimate');
    expect(est.body).toEqual({ end_of_term: true });
    expect((p.target as any).money).toMatchObject({ source: 'estimate', status_after: 'non_renewing', credit: null });
    expect(p.effect).toMatch(/Schedules the cancellation/);
  });

  it('refused: a full credit of the plan as invoiced, never the setup fee, computed locally', async () => {
    const { t } = reader(routes, refusedAsPc2Site);
    const p = await cancelPreview({ subscription_id: 'sub_1', end_of_term: false, credit_option_for_current_term_charges: 'full' }, t, 1);
    expect((p.target as any).money).toMatchObject({ source: 'local', status_after: 'cancelled', credit: { total: 3000, type: 'refundable', reference_invoice_id: 'inv_1' } });
    expect(p.effect).toMatch(/recurring \$30\.00 per month/);
    expect(p.effect).toMatch(/the current term was invoiced \$50\.00 on "inv_1", paid/);
  });

  it('a Chargebee parameter error from the estimate is the preview\'s error', async () => {
    const { t } = reader(routes, () => {
      throw new GatewayError('Chargebee 400 param_wrong_value (param cancel_at): cancel_at : must be in the future', { source: 'chargebee', status: 400, api_error_code: 'param_wrong_value', param: 'cancel_at', hint: '' });
    });
    await expect(cancelPreview({ subscription_id: 'sub_1', cancel_option: 'specific_date', cancel_at: NOW - DAY }, t, 1)).rejects.toThrow(/would be refused too.*cancel_at/);
  });
});
