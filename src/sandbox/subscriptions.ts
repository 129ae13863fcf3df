/** Product Catalog 2.0 subscription writes: create for items, cancel for items, hosted checkout. */
import type { Call } from './chargebee.js';
import { ADDRESS_FIELDS } from './customers.js';
import { sandboxPage } from './downloads.js';
import { chargebeeError, invalidState, notFound, paramError } from './http.js';
import { CUSTOMERS, find, SUBSCRIPTIONS, subscriptionEntry } from './lists.js';
import {
  cancelNow, DAY, lineItems, newCreditNote, newInvoice, newSubscription, randomId, scheduleCancel, subscriptionItem,
} from './objects.js';
import {
  array, boolean, choice, decode, email, integer, json, list, object, required, text, timestamp, type Schema,
} from './params.js';
import { nextNumberedId, type Site } from './store.js';
import type { Coupon, HostedPage, ItemPrice, Meta, Subscription } from './types.js';

interface ItemInput {
  item_price_id: string;
  quantity?: number;
  unit_price?: number;
  billing_cycles?: number;
  trial_end?: number;
}

/** The item prices of `subscription_items`: all exist and are active, one plan first, one currency. */
function resolvePrices(site: Site, items: ItemInput[]): ItemPrice[] {
  return items.map(({ item_price_id: id }, i) => {
    const param = `subscription_items[item_price_id][${i}]`;
    const price = site.itemPrices.get(id);
    if (!price) throw notFound(`Item price ${id}`, param);
    if (price.status !== 'active') throw paramError(param, `item price ${id} is ${price.status}`);
    if ((i === 0) !== (price.item_type === 'plan')) {
      throw paramError(param, i === 0 ? 'the first item price must belong to a plan' : 'only the first item price may belong to a plan');
    }
    if (items.findIndex((other) => other.item_price_id === id) !== i) throw paramError(param, `item price ${id} is given twice`);
    const currency = site.itemPrices.get(items[0]!.item_price_id)?.currency_code;
    if (price.currency_code !== currency) throw paramError(param, 'all item prices must be in the same currency');
    return price;
  });
}

function resolveCoupons(site: Site, ids: string[] = []): Coupon[] {
  return ids.map((id, i) => {
    const coupon = site.coupons.get(id);
    if (!coupon) throw notFound(`Coupon ${id}`, `coupon_ids[${i}]`);
    return coupon;
  });
}

function checkNewId(site: Site, id: string | undefined, param: string): void {
  if (id !== undefined && site.subscriptions.has(id)) {
    throw chargebeeError(400, { code: 'duplicate_entry', param, message: `${param} : The value ${id} is already present.` });
  }
}

// ---------------------------------------------------------------- create

const CREATE: Schema = {
  fields: {
    id: text(50),
    subscription_items: required(list({
      item_price_id: required(text(100)), quantity: integer(1), unit_price: integer(0), billing_cycles: integer(1), trial_end: timestamp(),
    })),
    trial_end: timestamp(),
    billing_cycles: integer(1),
    start_date: timestamp(),
    auto_collection: choice(['on', 'off']),
    coupon_ids: array(text(100)),
    invoice_immediately: boolean(),
    po_number: text(100),
    meta_data: json(),
  },
  customFields: true,
  refused: { plan_id: 'not applicable on Product Catalog 2.0 sites; use subscription_items[item_price_id][0]' },
};

interface CreateInput {
  id?: string;
  subscription_items: ItemInput[];
  trial_end?: number;
  billing_cycles?: number;
  start_date?: number;
  auto_collection?: 'on' | 'off';
  coupon_ids?: string[];
  invoice_immediately?: boolean;
  po_number?: string;
  meta_data?: Meta;
  [cf: `cf_${string}`]: string | undefined;
}

export function createSubscriptionForItems({ site, env, pairs, path }: Call) {
  const {
    id, subscription_items: itemInputs, trial_end: trialEnd, billing_cycles: cycles, start_date: startDate,
    coupon_ids: couponIds, invoice_immediately: invoiceNow, ...rest
  } = decode<CreateInput>(CREATE, pairs);
  const customer = find(CUSTOMERS, site, path.customer_id ?? '');
  const prices = resolvePrices(site, itemInputs);
  const coupons = resolveCoupons(site, couponIds);
  checkNewId(site, id, 'id');
  const now = env.clock.seconds();
  const status = startDate !== undefined && startDate > now ? 'future' : trialEnd !== undefined ? 'in_trial' : 'active';
  if (trialEnd !== undefined && trialEnd <= Math.max(now, startDate ?? 0)) throw paramError('trial_end', 'must be after the start date');

  const items = itemInputs.map((input, i) => Object.assign(
    subscriptionItem(prices[i]!, input.quantity, input.unit_price),
    input.billing_cycles !== undefined ? { billing_cycles: input.billing_cycles } : {},
    input.trial_end !== undefined ? { trial_end: input.trial_end } : {},
  ));
  const sub = newSubscription({
    id: id ?? randomId(), customer_id: customer.id, plan: prices[0]!, items, created_at: now, resource_version: env.clock.version(),
  }, status, status === 'future' ? startDate! : now, trialEnd);
  Object.assign(sub, rest);
  if (cycles !== undefined) sub.remaining_billing_cycles = status === 'active' ? cycles - 1 : cycles;
  if (coupons.length) sub.coupons = coupons.map((c) => ({ coupon_id: c.id, applied_count: status === 'active' ? 1 : 0, object: 'coupon' as const }));
  site.subscriptions.add(sub);

  let invoice;
  if (status === 'active' && invoiceNow !== false) {
    const collects = (sub.auto_collection ?? customer.auto_collection) === 'on' && site.cards.has(customer.id);
    const invoiceId = nextNumberedId(site.invoices, `inv_${site.slug}_`);
    invoice = site.invoices.add(newInvoice({
      id: invoiceId, customer, subscription: sub, currency: sub.currency_code, coupons, date: now,
      status: collects ? 'paid' : 'payment_due', version: env.clock.version(), first: true,
      lines: lineItems({
        idPrefix: `li_${invoiceId}`, items, priceOf: (p) => site.itemPrices.get(p), customerId: customer.id,
        subscriptionId: sub.id, from: now, to: sub.current_term_end!,
      }),
    }));
    if (invoice.status === 'payment_due') sub.due_invoices_count = 1;
  }
  return { ...subscriptionEntry(sub, site), invoice };
}

// ---------------------------------------------------------------- cancel

const CANCEL: Schema = {
  fields: {
    cancel_option: choice(['immediately', 'end_of_term', 'specific_date', 'end_of_billing_term']),
    cancel_at: timestamp(),
    credit_option_for_current_term_charges: choice(['none', 'prorate', 'full']),
    unbilled_charges_option: choice(['invoice', 'delete']),
    account_receivables_handling: choice(['no_action', 'schedule_payment_collection', 'write_off']),
    refundable_credits_handling: choice(['no_action', 'schedule_refund']),
    cancel_reason_code: text(100),
  },
  refused: { end_of_term: 'not accepted by cancel_for_items; use cancel_option=end_of_term' },
};

interface CancelInput {
  cancel_option?: 'immediately' | 'end_of_term' | 'specific_date' | 'end_of_billing_term';
  cancel_at?: number;
  credit_option_for_current_term_charges?: 'none' | 'prorate' | 'full';
  cancel_reason_code?: string;
}

/**
 * `immediately` (and any cancellation of a future or paused subscription) cancels now, with a credit
 * note for the unused part of the term when credit_option is prorate/full; the other options schedule
 * the cancellation at the term end (or `cancel_at`). Default: end_of_term.
 */
export function cancelForItems({ site, env, pairs, path }: Call) {
  const p = decode<CancelInput>(CANCEL, pairs);
  const sub = find(SUBSCRIPTIONS, site, path.id ?? '');
  if (sub.status === 'cancelled' || sub.status === 'transferred') throw invalidState(`Subscription ${sub.id} is already ${sub.status}.`);
  const option = p.cancel_option ?? 'end_of_term';
  const now = env.clock.seconds();
  if (option === 'specific_date') {
    if (p.cancel_at === undefined) throw paramError('cancel_at', 'cannot be blank when cancel_option is specific_date');
    if (p.cancel_at <= now) throw paramError('cancel_at', 'must be in the future');
    if (sub.current_term_end !== undefined && p.cancel_at > sub.current_term_end) throw paramError('cancel_at', 'must not be after the current term end');
  } else if (p.cancel_at !== undefined) {
    throw paramError('cancel_at', 'is only allowed when cancel_option is specific_date');
  }

  let creditNote;
  if (option === 'immediately' || sub.status === 'future' || sub.status === 'paused' || sub.current_term_end === undefined) {
    const credit = p.credit_option_for_current_term_charges ?? 'none';
    if (credit !== 'none' && (sub.status === 'active' || sub.status === 'non_renewing')) creditNote = creditUnusedTerm(site, env.clock.version(), sub, credit, now);
    cancelNow(sub, now);
  } else {
    scheduleCancel(sub, option === 'specific_date' ? p.cancel_at! : sub.current_term_end);
  }
  if (p.cancel_reason_code !== undefined) sub.cancel_reason_code = p.cancel_reason_code;
  env.clock.touch(sub);
  // A plain array of credit notes, as the official SDK types it (`credit_notes?: CreditNote[]`).
  return { ...subscriptionEntry(sub, site), credit_notes: creditNote && [creditNote] };
}

/** A credit note for the recurring charges of the current term: all of them (`full`) or the unused share (`prorate`). */
function creditUnusedTerm(site: Site, version: number, sub: Subscription, mode: 'prorate' | 'full', now: number) {
  const start = sub.current_term_start ?? now;
  const end = sub.current_term_end ?? now;
  const share = mode === 'full' ? 1 : Math.min(1, Math.max(0, (end - now) / Math.max(end - start, DAY)));
  const recurring = sub.subscription_items.filter((i) => i.item_type !== 'charge');
  const id = nextNumberedId(site.creditNotes, `cn_${site.slug}_`);
  const lines = lineItems({
    idPrefix: `li_${id}`, items: recurring, priceOf: (p) => site.itemPrices.get(p), customerId: sub.customer_id,
    subscriptionId: sub.id, from: Math.max(start, Math.min(now, end)), to: end, amountOf: (i) => Math.round(i.amount * share),
  });
  if (lines.every((l) => l.amount === 0)) return undefined;
  const invoice = site.invoices.values()
    .filter((inv) => inv.subscription_id === sub.id && inv.status !== 'voided')
    .sort((a, b) => b.date - a.date)[0];
  return site.creditNotes.add(newCreditNote({ id, subscription: sub, invoice, lines, date: now, version, reasonCode: sub.cancel_reason_code }));
}

// ---------------------------------------------------------------- hosted checkout

const CHECKOUT: Schema = {
  fields: {
    subscription_items: required(list({ item_price_id: required(text(100)), quantity: integer(1), unit_price: integer(0) })),
    customer: object({ id: text(50), email: email(70), first_name: text(150), last_name: text(150), company: text(250), phone: text(50) }),
    subscription: object({ id: text(50), trial_end: timestamp(), start_date: timestamp() }),
    billing_address: object(ADDRESS_FIELDS),
    coupon_ids: array(text(100)),
    redirect_url: text(250),
    cancel_url: text(250),
    pass_thru_content: text(2048),
    layout: choice(['in_app', 'full_page']),
  },
};
const HOSTED_PAGE_VALID_S = 3 * DAY;

interface CheckoutInput {
  subscription_items: ItemInput[];
  customer?: { id?: string; email?: string };
  subscription?: { id?: string };
  coupon_ids?: string[];
  pass_thru_content?: string;
}

export function checkoutNewForItems({ site, env, pairs }: Call) {
  const p = decode<CheckoutInput>(CHECKOUT, pairs);
  const prices = resolvePrices(site, p.subscription_items);
  resolveCoupons(site, p.coupon_ids);
  checkNewId(site, p.subscription?.id, 'subscription[id]');
  const now = env.clock.seconds();
  const id = randomId(24);
  const page: HostedPage = {
    id, type: 'checkout_new', url: `${env.baseUrl}/_sandbox/hosted/${id}`, state: 'created', embed: false,
    created_at: now, expires_at: now + HOSTED_PAGE_VALID_S, updated_at: now, resource_version: env.clock.version(),
    pass_thru_content: p.pass_thru_content, object: 'hosted_page',
  };
  site.hostedPages.add(page);
  const who = p.customer?.email ?? p.customer?.id ?? 'a new customer';
  env.files.put(`hosted/${id}`, sandboxPage(`Checkout of ${prices.map((x) => x.id).join(', ')}`, `For ${who}.`), 'text/html;charset=utf-8', page.expires_at * 1000);
  return { hosted_page: page };
}
