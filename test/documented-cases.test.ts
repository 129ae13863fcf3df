import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Args, TargetReader } from '../src/catalog.js';
import { GatewayError } from '../src/errors.js';
import { dueInvoicesSentence } from '../src/preview/customers.js';
import { cancelPreview } from '../src/preview/subscriptions.js';
import { startHarness, text, writesOf, type Harness } from './helpers/harness.js';

/**
 * The third voice (ARCHITECTURE, "Billing rules and their oracle"): a table of documented cases, each
 * a scenario with Chargebee's documented outcome and the page it comes from, written from the docs and
 * not from our code. Each row is checked three ways: the preview with Chargebee's estimate (the sandbox
 * serves it), the preview computed locally (the estimate refused), and the sandbox's write. When the
 * preview or the sandbox disagrees with a row, the row wins.
 *
 * The clock is pinned at 2026-11-21T12:00:00Z (this process and the sandbox), so the seeded terms
 * (anchored to the sandbox's clock at reset) are the same on every run.
 */
const T_NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const NOW_S = T_NOW / 1000;
const DAY = 86_400;
const day = (s: number | undefined) => (s ? new Date(s * 1000).toISOString().slice(0, 10) : undefined);

let h: Harness;
beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'], now: T_NOW });
  h = await startHarness({ config: { connectionId: 'sandbox-acme' }, sandbox: { now: () => T_NOW } });
});
afterAll(async () => {
  await h?.close();
  vi.useRealTimers();
});
beforeEach(async () => {
  await clock(null);
  await h.reset();
});

async function sb(method: string, path: string, body?: unknown): Promise<any> {
  const res = await h.sandboxFetch(path.startsWith('/_sandbox') ? path : `/chargebee/api/v2${path}`, {
    method,
    headers: { 'maton-connection': 'sandbox-acme', 'content-type': path.startsWith('/_sandbox') ? 'application/json' : 'application/x-www-form-urlencoded' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return res.json();
}
const settings = (s: Record<string, unknown>) => sb('POST', '/_sandbox/settings', s);
function clock(ms: number | null) {
  return sb('POST', '/_sandbox/clock', { now: ms });
}

type Tool = 'cancel_subscription_for_items' | 'create_subscription_for_items' | 'update_customer';
interface Row {
  id: string;
  rule: string;
  tool: Tool;
  args: Record<string, unknown>;
  /** Site settings the row runs under (POST /_sandbox/settings). */
  site?: Record<string, unknown>;
  /** What the preview must say (text and target.money), with the estimate and computed locally. */
  preview?: (effect: string, money: any, source: 'estimate' | 'local') => void;
  /** What the sandbox's write must do. */
  sandbox?: (result: any) => Promise<void> | void;
}

const item = (item_price_id: string, quantity?: number) => ({ item_price_id, ...(quantity ? { quantity } : {}) });
const sumCredits = (notes: any[] | undefined) => (notes ?? []).reduce((s, n) => s + n.total, 0);

const ROWS: Row[] = [
  // 1. https://apidocs.chargebee.com/docs/api/subscriptions#cancel_subscription_for_items_contract_term_cancel_option
  // "end_of_contract_term Sets the contract_term[action_at_term_end] to cancel. In other words, the contract term is
  // not renewed and the subscription is canceled at the end of the contract term."
  // So renewals go on being billed until the contract ends (2027-06-01): 6 monthly renewals of $49.00 (Dec…May).
  {
    id: '1 end_of_contract_term: renewals billed until the contract ends', tool: 'cancel_subscription_for_items',
    args: { subscription_id: 'sub_acme_18', contract_term_cancel_option: 'end_of_contract_term' },
    preview: (effect, m) => {
      expect(m.cancels_on).toBe('2027-06-01');
      expect(m.status_after).toBe('active');
      expect(effect).not.toMatch(/no renewal invoice/);
      expect(effect).toMatch(/6 renewal invoices? of \$49\.00/);
      expect(effect).toContain('$294.00');
    },
    sandbox: (r) => {
      expect(r.subscription.status).toBe('active');
      expect(day(r.subscription.next_billing_at)).toBe('2026-12-01');
      expect(r.subscription.contract_term.action_at_term_end).toBe('cancel');
    },
  },
  // 2. https://apidocs.chargebee.com/docs/api/subscriptions#cancel_subscription_for_items_credit_option_for_current_term_charges
  // "For immediate cancellation (end_of_term = false), specify how to provide credits for current term charges."
  // A specific_date cancel is not end_of_term: the option applies, for the part of the term after the date
  // (2026-11-25 → 2026-12-01: 6 of 30 days of $49.00 = $9.80).
  {
    id: '2 specific_date with a credit option: the option applies', tool: 'cancel_subscription_for_items',
    args: { subscription_id: 'sub_acme_01', cancel_option: 'specific_date', cancel_at: Date.UTC(2026, 10, 25) / 1000, credit_option_for_current_term_charges: 'prorate' },
    preview: (effect, m) => {
      expect(m.cancels_on).toBe('2026-11-25');
      expect(effect).not.toMatch(/No credit or refund/);
      expect(m.credit?.total).toBe(980);
      expect(effect).toContain('$9.80');
    },
    sandbox: async () => {
      await clock(Date.UTC(2026, 10, 26));
      const { subscription } = await sb('GET', '/subscriptions/sub_acme_01');
      const notes = (await sb('GET', '/credit_notes?subscription_id[in]=["sub_acme_01"]')).list.map((e: any) => e.credit_note);
      expect(subscription.status).toBe('cancelled');
      expect(sumCredits(notes)).toBe(980);
    },
  },
  // 3. Same page: "When not provided, the site default is considered." Site default set to prorate:
  // 4900 × 9.5/30 days = $15.52. The local preview cannot read the setting: it must say so, not "No credit".
  {
    id: '3 credit option omitted: the site default applies', tool: 'cancel_subscription_for_items', site: { credit_option_default: 'prorate' },
    args: { subscription_id: 'sub_acme_01', cancel_option: 'immediately' },
    preview: (effect, m, source) => {
      expect(effect).not.toMatch(/No credit or refund/);
      expect(effect).toMatch(/site default/);
      if (source === 'estimate') expect(m.credit?.total).toBe(1552);
      else expect(effect).toContain('$15.52');
    },
    sandbox: (r) => expect(sumCredits(r.credit_notes)).toBe(1552),
  },
  // 4a. Same page, account_receivables_handling: "write_off - The amount due in the invoices will be written-off."
  {
    id: '4a account_receivables_handling write_off: the overdue amount is named and written off', tool: 'cancel_subscription_for_items',
    args: { subscription_id: 'sub_acme_04', cancel_option: 'immediately', credit_option_for_current_term_charges: 'none', account_receivables_handling: 'write_off' },
    preview: (effect, m) => {
      expect(effect).toMatch(/writ(es|ten) off/);
      expect(effect).toContain('"inv_acme_0009"');
      expect(effect).toContain('$49.00');
      expect(m.receivables?.total).toBe(4900);
    },
    sandbox: async () => {
      const { invoice } = await sb('GET', '/invoices/inv_acme_0009');
      expect(invoice.amount_due).toBe(0);
      expect(invoice.write_off_amount).toBe(4900);
    },
  },
  // 4b. "schedule_payment_collection - An automatic charge for the due amount of the past invoices will be attempted on
  // the payment method available, if customer's auto-collection property is 'ON'." and "the due invoices … will be
  // qualified for the selected operation after the remaining refundable credits and excess payments are applied."
  // sub_acme_19: $99.00 due; the customer has $30.00 refundable credits and $15.00 excess payments: $54.00 is charged.
  {
    id: '4b schedule_payment_collection: credits first, then the rest charged', tool: 'cancel_subscription_for_items',
    args: { subscription_id: 'sub_acme_19', cancel_option: 'immediately', credit_option_for_current_term_charges: 'none', account_receivables_handling: 'schedule_payment_collection' },
    preview: (effect, m) => {
      expect(effect).toContain('$54.00');
      expect(m.receivables?.total).toBe(9900);
    },
    sandbox: async (r) => {
      const invoices = (await sb('GET', `/invoices?subscription_id[is]=sub_acme_19`)).list.map((e: any) => e.invoice);
      expect(invoices.every((i: any) => i.amount_due === 0)).toBe(true);
      const { customer } = await sb('GET', `/customers/${r.subscription.customer_id}`);
      expect(customer.refundable_credits + customer.excess_payments).toBe(0);
    },
  },
  // 4c. refundable_credits_handling: "schedule_refund - Initiates refund of the remaining credits." ($25.00, no dues)
  {
    id: '4c refundable_credits_handling schedule_refund: the refund is named', tool: 'cancel_subscription_for_items',
    args: { subscription_id: 'sub_acme_20', cancel_option: 'immediately', credit_option_for_current_term_charges: 'none', refundable_credits_handling: 'schedule_refund' },
    preview: (effect, m) => {
      expect(effect).toMatch(/refund/i);
      expect(effect).toContain('$25.00');
      expect(m.refundable_credits?.refund).toBe(2500);
    },
    sandbox: async (r) => {
      const { customer } = await sb('GET', `/customers/${r.subscription.customer_id}`);
      expect(customer.refundable_credits).toBe(0);
    },
  },
  // 6. https://www.chargebee.com/docs/2.0/promotional-credits.html — promotional credits are applied to the customer's
  // next invoices, and invoice.credits_applied / amount_due (https://apidocs.chargebee.com/docs/api/invoices) hold what
  // was applied and what is left. (Paraphrase: the page's sentence was not found in the stored corpus.)
  // $99.00 less $40.00 of promotional credits: $59.00 is charged.
  {
    id: '6 existing credits: the amount due, not the total, is charged', tool: 'create_subscription_for_items',
    args: { customer_id: 'cust_acme_14', subscription_items: [item('pro-USD-monthly')], trial_end: 0 },
    preview: (effect, m) => {
      expect(m.invoice_now?.total).toBe(9900);
      expect(m.invoice_now?.amount_due).toBe(5900);
      expect(effect).toMatch(/\$59\.00[^.]*charged/);
      expect(effect).not.toMatch(/\$99\.00, charged/);
    },
    sandbox: (r) => {
      expect(r.invoice.total).toBe(9900);
      expect(r.invoice.credits_applied).toBe(4000);
      expect(r.invoice.amount_paid).toBe(5900);
    },
  },
  // 7. https://www.chargebee.com/docs/billing/1.0/kb/product-catalog/what-are-pricing-models-available-for-plans-addons-charges-in-chargebee
  // "Tiered: … quantities are purchased from successive tiers, starting from the lowest." Tiers 1–10 at $5, 11+ at $3:
  // 15 units = $65.00.
  ...pricing('7a tiered', 'storage-tiered-USD-monthly', 15, 6500),
  // Same page: "Volume: … the per-unit price is dependent on the range within which the total quantity falls."
  // Tiers 1–10 at $8, 11+ at $6: 15 units = $90.00.
  ...pricing('7b volume', 'seats-volume-USD-monthly', 15, 9000),
  // Same page: "Stairstep: … for each tier, a flat price is assigned instead of a per-unit price." 11–20 units: $90.00.
  ...pricing('7c stairstep', 'support-stairstep-USD-monthly', 15, 9000),
  // https://www.chargebee.com/docs/2.0/package-pricing.html "Chargebee bills in whole packages. Within each tier, usage
  // is rounded up to the next whole package." Packages of 100 at $20: 250 units = 3 packages = $60.00.
  ...pricing('7d package', 'sms-package-USD-monthly', 250, 6000),
  // https://apidocs.chargebee.com/docs/api/item_prices#item_price_free_quantity "Free quantity the subscriptions of this
  // item_price will have. Only the quantity more than this will be charged for the subscription." $10 per seat, 2 free,
  // 5 seats: $30.00.
  ...pricing('7e free_quantity', 'team-USD-monthly', 5, 3000, true),
  // 8a. https://apidocs.chargebee.com/docs/api/coupons#coupon_duration_type "limited_period - The discount is attached
  // to the subscription and applied on the invoices for a limited duration. This duration starts from the point it is
  // applied to an invoice for the first time and expires after a period specified by period and period_unit."
  // A 45-day trial, then the first invoice with the 1-month 50% coupon: $49.50.
  {
    id: '8a limited_period counts from the first invoice it applies to', tool: 'create_subscription_for_items',
    args: { customer_id: 'cust_acme_02', subscription_items: [item('pro-USD-monthly')], coupon_ids: ['HALF1M'], trial_end: NOW_S + 45 * DAY },
    preview: (_e, m) => expect(m.next_invoice?.total).toBe(4950),
    sandbox: async () => {
      const est = await sb('POST', '/customers/cust_acme_02/create_subscription_for_items_estimate', `subscription_items[item_price_id][0]=pro-USD-monthly&coupon_ids[0]=HALF1M&subscription[trial_end]=${NOW_S + 45 * DAY}`);
      expect(est.estimate.next_invoice_estimate.total).toBe(4950);
    },
  },
  // 8b. Same sentence ("… a period specified by period and period_unit"); period_unit is day, week, month or year.
  // A 2-week coupon lasts 2 weeks from its first invoice (until 2026-12-05), not 2 months.
  {
    id: '8b week periods are weeks', tool: 'create_subscription_for_items',
    args: { customer_id: 'cust_acme_02', subscription_items: [item('basic-USD-monthly')], coupon_ids: ['WEEK2'] },
    preview: (effect, m) => {
      expect(m.invoice_now?.discount).toBe(980);
      expect(effect).not.toMatch(/2 months/);
      expect(effect).toMatch(/2 weeks/);
    },
    sandbox: (r) => {
      expect(r.invoice.total).toBe(3920);
      expect(day(r.subscription.coupons[0].apply_till)).toBe('2026-12-05');
    },
  },
  // 8c. https://apidocs.chargebee.com/docs/api/coupons#coupon_apply_on "invoice_amount - The coupon is applied to the
  // invoice sub_total. each_specified_item - The coupon is applied to the invoice.line_item.amount that corresponds to
  // the item price specified". 20% off the plan only: $49.00 × 20% = $9.80 off, not the setup fee's share.
  {
    id: '8c apply_on each_specified_item discounts only those items', tool: 'create_subscription_for_items',
    args: { customer_id: 'cust_acme_02', subscription_items: [item('basic-USD-monthly'), item('setup-fee-USD')], coupon_ids: ['PLAN20'] },
    preview: (_e, m) => {
      expect(m.invoice_now?.discount).toBe(980);
      expect(m.invoice_now?.total).toBe(9900 - 980);
    },
    sandbox: (r) => expect(r.invoice.total).toBe(9900 - 980),
  },
  // 9a. https://apidocs.chargebee.com/docs/api/subscriptions#create_subscription_for_items_invoice_immediately
  // "The default value is as per the site settings." Site set to not invoice immediately: the charges are left unbilled.
  {
    id: '9a invoice_immediately omitted: the site setting applies', tool: 'create_subscription_for_items', site: { invoice_immediately: false },
    args: { customer_id: 'cust_acme_02', subscription_items: [item('basic-USD-monthly')] },
    preview: (effect, m, source) => {
      expect(effect).toMatch(/site('s)? setting/);
      if (source === 'estimate') expect(m.invoice_now).toBeNull();
      else expect(effect).toMatch(/unbilled/);
    },
    sandbox: (r) => expect(r.invoice).toBeUndefined(),
  },
  // 9b. https://apidocs.chargebee.com/docs/api/subscriptions#create_subscription_for_items_start_date — start_date may be
  // in the past ("backdating"; the cancel_at description on the same API uses the same words: "cancel_at can be set to a
  // value in the past. This is called backdating."). Paraphrase for start_date. Started 2026-11-11T12:00: the term
  // runs to 2026-12-11.
  {
    id: '9b a past start_date backdates the term', tool: 'create_subscription_for_items',
    args: { customer_id: 'cust_acme_02', subscription_items: [item('basic-USD-monthly')], start_date: NOW_S - 10 * DAY },
    preview: (effect, m) => {
      expect(m.status_after).toBe('active');
      expect(effect).toContain('2026-12-11');
    },
    sandbox: (r) => {
      expect(r.subscription.current_term_start).toBe(NOW_S - 10 * DAY);
      expect(day(r.subscription.current_term_end)).toBe('2026-12-11');
    },
  },
  // 9c. https://apidocs.chargebee.com/docs/api/subscriptions#subscription_trial_start — for a future subscription a
  // trial_start means it goes into in_trial when it starts (paraphrase, not found verbatim in the stored corpus).
  // A future start (2026-12-01T12:00) with the plan's 14-day trial: first invoice at 2026-12-15.
  {
    id: '9c a future start with a trial: the trial starts then', tool: 'create_subscription_for_items',
    args: { customer_id: 'cust_acme_02', subscription_items: [item('pro-USD-monthly')], start_date: NOW_S + 10 * DAY },
    preview: (_e, m) => {
      expect(m.status_after).toBe('future');
      expect(m.next_invoice?.date).toBe('2026-12-15');
    },
    sandbox: (r) => {
      expect(day(r.subscription.trial_end)).toBe('2026-12-15');
      expect(day(r.subscription.next_billing_at)).toBe('2026-12-15');
    },
  },
  // 9d. https://apidocs.chargebee.com/docs/api/item_prices#item_price_trial_end_action (site_default,
  // activate_subscription, cancel_subscription; paraphrase: cancel_subscription cancels the subscription when the trial
  // ends). A plan price whose trial ends by cancelling: no invoice is coming.
  {
    id: '9d trial_end_action cancel_subscription: cancelled at trial end, no invoice', tool: 'create_subscription_for_items',
    args: { customer_id: 'cust_acme_02', subscription_items: [item('pro-trial-cancel-USD-monthly')] },
    preview: (effect, m) => {
      expect(m.next_invoice).toBeNull();
      expect(m.cancels_on).toBe('2026-12-05');
      expect(effect).toMatch(/cancel/);
    },
    sandbox: (r) => expect(r.subscription.trial_end_action).toBe('cancel_subscription'),
  },
  // 9e. https://apidocs.chargebee.com/docs/api/invoices#invoice_status "posted - Indicates the payment is not yet
  // collected and will be in this state till the due date to indicate the due period". Net 30: due 2026-12-21.
  {
    id: '9e net-term invoices are posted, due later', tool: 'create_subscription_for_items',
    args: { customer_id: 'cust_acme_04', subscription_items: [item('basic-USD-monthly')] },
    preview: (effect) => {
      expect(effect).toMatch(/posted/);
      expect(effect).toContain('2026-12-21');
    },
    sandbox: (r) => {
      expect(r.invoice.status).toBe('posted');
      expect(day(r.invoice.due_date)).toBe('2026-12-21');
    },
  },
  // 10a. credit_option full: "Credits are issues for the full value of the current term charges." After a mid-term
  // change the term's charges sit on two invoices ($99.00 and the $16.67 proration): both are credited, $115.67.
  {
    id: '10a full credit covers every invoice of the term, not the newest only', tool: 'cancel_subscription_for_items',
    args: { subscription_id: 'sub_acme_20', cancel_option: 'immediately', credit_option_for_current_term_charges: 'full' },
    preview: (_e, m) => expect(m.credit?.total).toBe(9900 + 1667),
    sandbox: (r) => expect(sumCredits(r.credit_notes)).toBe(9900 + 1667),
  },
  // 10b. https://www.chargebee.com/docs/2.0/credit-notes.html — refundable credit notes are for what was paid,
  // adjustment credit notes reduce what is still due (paraphrase; the partly paid split is this table's reading of it,
  // see the report). A partly paid invoice ($20.00 paid of $49.00): $29.00 adjusts what is due, $20.00 is refundable.
  {
    id: '10b a partly paid invoice: adjustment for the due part, refundable for the paid part', tool: 'cancel_subscription_for_items',
    args: { subscription_id: 'sub_acme_21', cancel_option: 'immediately', credit_option_for_current_term_charges: 'full' },
    preview: (_e, m) => {
      expect(m.credit?.total).toBe(4900);
      expect(m.credit?.type).toMatch(/adjustment/);
      expect(m.credit?.type).toMatch(/refundable/);
    },
    sandbox: (r) => {
      const byType = Object.fromEntries((r.credit_notes ?? []).map((n: any) => [n.type, n.total]));
      expect(byType).toEqual({ adjustment: 2900, refundable: 2000 });
    },
  },
  // 11. https://apidocs.chargebee.com/docs/api/customers#update_a_customer_auto_collection: on, invoices are charged
  // automatically (paraphrase). The sources differ on invoices already due (issue 17; not re-verified here): the preview
  // must say so and name them. Subscription-level auto_collection wins over the customer's
  // (https://apidocs.chargebee.com/docs/api/subscriptions#subscription_auto_collection "Defines whether payments need to
  // be collected automatically for this subscription. Overrides customer's auto-collection property.").
  {
    id: '11 update_customer auto_collection on: the invoices already due are named', tool: 'update_customer',
    args: { customer_id: 'cust_acme_04', auto_collection: 'on' },
    preview: (effect) => {
      expect(effect).toMatch(/already due/);
      expect(effect).toMatch(/overrides the customer's/);
    },
    sandbox: async () => {
      const { invoice } = await sb('GET', '/invoices/inv_acme_0009');
      expect(invoice.status).toBe('payment_due');
    },
  },
];

function pricing(id: string, price: string, quantity: number, amount: number, plan = false): Row[] {
  const items = plan ? [item(price, quantity)] : [item('basic-USD-monthly'), item(price, quantity)];
  const total = plan ? amount : 4900 + amount;
  return [{
    id: `${id}: ${quantity} units = ${amount}`, tool: 'create_subscription_for_items',
    args: { customer_id: 'cust_acme_02', subscription_items: items },
    preview: (effect, m) => {
      expect(m.invoice_now?.total).toBe(total);
      expect(effect).not.toMatch(/nothing to pay/);
    },
    sandbox: (r) => expect(r.invoice.total).toBe(total),
  }];
}

const estimatePath = (r: Row) => (r.tool === 'cancel_subscription_for_items'
  ? `/chargebee/api/v2/subscriptions/${r.args.subscription_id}/cancel_subscription_for_items_estimate`
  : `/chargebee/api/v2/customers/${r.args.customer_id}/create_subscription_for_items_estimate`);

async function previewOf(r: Row) {
  if (r.site) await settings(r.site);
  const p = await h.call(r.tool, r.args);
  expect(p.isError, text(p)).toBeFalsy();
  return p.structuredContent;
}

describe('documented cases: the preview with Chargebee\'s estimate', () => {
  it.each(ROWS.filter((r) => r.preview))('$id', async (r) => {
    const p = await previewOf(r);
    r.preview!(p.effect, p.target.money ?? {}, 'estimate');
  });
});

describe('documented cases: the preview computed locally (estimate refused)', () => {
  it.each(ROWS.filter((r) => r.preview && r.tool !== 'update_customer'))('$id', async (r) => {
    await h.fault({ match: { method: 'POST', path: estimatePath(r) }, times: 10, fault: { status: 404 } });
    const p = await previewOf(r);
    expect(p.target.money.source).toBe('local');
    r.preview!(p.effect, p.target.money, 'local');
  });
});

describe('documented cases: the sandbox\'s write', () => {
  it.each(ROWS.filter((r) => r.sandbox))('$id', async (r) => {
    const p = await previewOf(r);
    const before = await h.requests();
    const done = await h.call(r.tool, { ...r.args, confirm_token: p.confirm_token });
    expect(done.isError, text(done)).toBeFalsy();
    expect(writesOf((await h.requests()).slice(before.length))).toHaveLength(1);
    await r.sandbox!(done.structuredContent.result);
  });
});

// 11, the rest: the invoices already due, named by id and amount in the update_customer preview.
describe('documented cases: the invoices already due when auto_collection is turned on', () => {
  it('11 update_customer names the invoices already due (inv_acme_0009 $49.00) and says what happens to them depends', async () => {
    const p = await h.call('update_customer', { customer_id: 'cust_acme_04', auto_collection: 'on' });
    expect(p.structuredContent.effect).toContain('inv_acme_0009');
    expect(p.structuredContent.effect).toMatch(/depends/);
    expect(p.structuredContent.target.invoices_due).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'inv_acme_0009' })]));
  });
  it('11 dueInvoicesSentence names due invoices and says it depends', () => {
    const quote = (x: unknown) => JSON.stringify(String(x));
    const money = (n: number) => `$${(n / 100).toFixed(2)}`;
    const text = dueInvoicesSentence([{ id: 'inv_1', amount_due: 4900, status: 'payment_due' }, { id: 'inv_2', amount_due: 100, status: 'paid' }], quote, money)!;
    expect(text).toContain('"inv_1" $49.00');
    expect(text).not.toContain('inv_2');
    expect(text).toMatch(/depends/);
  });
});

// 5. https://apidocs.chargebee.com/docs/api/subscriptions?prod_cat_ver=1#cancel_a_subscription_end_of_term
// "Set this to true if you want to cancel the subscription at the end of the current subscription billing cycle."
// (default false): without end_of_term a PC 1.0 cancel is immediate. The sandbox is a PC 2.0 site, so this row is
// checked against the preview only, with a scripted PC 1.0 reader and the estimate refused.
describe('documented cases: PC 1.0 cancel_subscription without end_of_term cancels at once', () => {
  it('5 the local preview says cancelled today', async () => {
    const sub = { id: 'sub_pc1', plan_id: 'basic', plan_amount: 1500, status: 'active', currency_code: 'USD', current_term_start: NOW_S - 10 * DAY, current_term_end: NOW_S + 20 * DAY, next_billing_at: NOW_S + 20 * DAY, billing_period: 1, billing_period_unit: 'month' };
    const t: TargetReader = {
      connection: 'c',
      async get(template: string, _p?: Args) {
        if (template === '/subscriptions/{subscription_id}') return { subscription: sub, customer: { id: 'c1', auto_collection: 'on' } };
        if (template === '/invoices') return { list: [] };
        throw new Error(`unexpected GET ${template}`);
      },
      async maton() { throw new Error('no maton'); },
      async estimate() { throw new GatewayError('not enabled', { source: 'chargebee', status: 400, api_error_code: 'configuration_incompatible', hint: '' }); },
    } as unknown as TargetReader;
    const p = await cancelPreview({ subscription_id: 'sub_pc1' }, t, 1);
    expect((p.target as any).money.status_after).toBe('cancelled');
    expect((p.target as any).money.cancels_on).toBe(day(NOW_S));
  });
});

// 12. Chargebee test sites' time machine (https://www.chargebee.com/docs/2.0/time-machine.html; paraphrase: it moves a
// test site's time forward to see what billing does): the sandbox's seed is anchored to its clock, so a seeded active
// term contains today whatever today is, and a trial has not ended.
describe('documented cases: the seed follows the sandbox clock', () => {
  it('12 pinned to 2027-03-10: every running term contains today', async () => {
    const at = Date.UTC(2027, 2, 10, 8, 0, 0);
    await clock(at);
    await sb('POST', '/_sandbox/reset');
    const subs = (await sb('GET', '/subscriptions?limit=100')).list.map((e: any) => e.subscription);
    await clock(null);
    await sb('POST', '/_sandbox/reset');
    const now = at / 1000;
    const running = subs.filter((s: any) => ['active', 'in_trial', 'non_renewing'].includes(s.status));
    expect(running.length).toBeGreaterThan(5);
    for (const s of running) {
      expect(s.current_term_start, s.id).toBeLessThanOrEqual(now);
      expect(s.current_term_end, s.id).toBeGreaterThan(now);
    }
    for (const s of subs.filter((x: any) => x.status === 'future')) expect(s.start_date, s.id).toBeGreaterThan(now);
  });
});
