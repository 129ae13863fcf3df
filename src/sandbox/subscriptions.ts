/** Product Catalog 2.0 subscription writes: create for items, cancel for items, hosted checkout. */
import type { Call } from './chargebee.js';
import { OFFLINE_PAYMENT_METHODS } from './catalog.js';
import { ADDRESS_FIELDS } from './customers.js';
import { sandboxPage } from './downloads.js';
import { chargebeeError, invalidState, notFound, paramError } from './http.js';
import { CUSTOMERS, find, SUBSCRIPTIONS, subscriptionEntry } from './lists.js';
import {
  cancelEstimate, commitCancel, commitCreate, createEstimate, planCancel, planCreate, type CancelInput, type CreatePlan,
} from './billing.js';
import { addPeriod, DAY, newSubscription, randomId, subscriptionItem } from './objects.js';
import {
  array, boolean, choice, decode, email, integer, json, list, object, required, text, timestamp, type Schema,
} from './params.js';
import type { Site } from './store.js';
import type { ContractTerm, Coupon, HostedPage, ItemPrice, Meta, Subscription } from './types.js';

interface ItemInput {
  item_price_id: string;
  quantity?: number;
  unit_price?: number;
  billing_cycles?: number;
  trial_end?: number;
  charge_on_event?: 'subscription_creation' | 'subscription_trial_start' | 'plan_activation' | 'subscription_activation' | 'contract_termination';
  charge_once?: boolean;
  charge_on_option?: 'immediately' | 'on_event';
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

const CHARGE_EVENTS = ['subscription_creation', 'subscription_trial_start', 'plan_activation', 'subscription_activation', 'contract_termination'];
const ITEM_FIELDS = {
  item_price_id: required(text(100)), quantity: integer(1), unit_price: integer(0), billing_cycles: integer(0), trial_end: timestamp(),
  charge_on_event: choice(CHARGE_EVENTS), charge_once: boolean(), charge_on_option: choice(['immediately', 'on_event']),
};
const CONTRACT_TERM = object({
  action_at_term_end: choice(['renew', 'evergreen', 'cancel', 'renew_once']), cancellation_cutoff_period: integer(0), contract_start: timestamp(),
});

const CREATE: Schema = {
  fields: {
    id: text(50),
    subscription_items: required(list(ITEM_FIELDS)),
    trial_end: timestamp(),
    billing_cycles: integer(0),
    start_date: timestamp(),
    auto_collection: choice(['on', 'off']),
    coupon_ids: array(text(100)),
    invoice_immediately: boolean(),
    po_number: text(100),
    contract_term: CONTRACT_TERM,
    meta_data: json(),
  },
  customFields: true,
  refused: { plan_id: 'not applicable on Product Catalog 2.0 sites; use subscription_items[item_price_id][0]' },
};

const ESTIMATE_ADDRESS = object({
  line1: text(150), line2: text(150), line3: text(150), city: text(50), state_code: text(50), zip: text(20), country: text(50),
  validation_status: choice(['not_validated', 'valid', 'partially_valid', 'invalid']),
});

/**
 * POST /customers/{id}/create_subscription_for_items_estimate, with the parameters Chargebee's spec gives
 * it: the subscription's own fields sit under `subscription[...]`. Addresses, terms to charge and the like
 * are accepted; they do not change the sandbox's figures (it models no tax or calendar billing).
 */
const CREATE_ESTIMATE: Schema = {
  fields: {
    subscription: object({
      id: text(50), trial_end: timestamp(), start_date: timestamp(), setup_fee: integer(0),
      offline_payment_method: choice(OFFLINE_PAYMENT_METHODS), free_period: integer(1), free_period_unit: choice(['day', 'week', 'month', 'year']),
      contract_term_billing_cycle_on_renewal: integer(1, 100), trial_end_action: choice(['site_default', 'plan_default', 'activate_subscription', 'cancel_subscription']),
    }),
    subscription_items: required(list({
      ...ITEM_FIELDS, quantity_in_decimal: text(33), unit_price_in_decimal: text(39), service_period_days: integer(1, 730), item_type: choice(['plan', 'addon', 'charge']),
    })),
    billing_cycles: integer(0),
    coupon_ids: array(text(100)),
    invoice_immediately: boolean(),
    use_existing_balances: boolean(),
    mandatory_items_to_remove: array(text(100)),
    terms_to_charge: integer(1),
    billing_alignment_mode: choice(['immediate', 'delayed']),
    invoice_date: timestamp(),
    shipping_address: ESTIMATE_ADDRESS,
    billing_address: ESTIMATE_ADDRESS,
    contract_term: CONTRACT_TERM,
  },
};

interface NewSubscription {
  id?: string;
  subscription_items: ItemInput[];
  trial_end?: number;
  billing_cycles?: number;
  start_date?: number;
  coupon_ids?: string[];
  invoice_immediately?: boolean;
  trial_end_action?: Subscription['trial_end_action'] | 'plan_default';
  contract_term?: { action_at_term_end?: ContractTerm['action_at_term_end']; cancellation_cutoff_period?: number; contract_start?: number };
}

interface CreateInput extends NewSubscription {
  auto_collection?: 'on' | 'off';
  po_number?: string;
  meta_data?: Meta;
  [cf: `cf_${string}`]: string | undefined;
}

/** The subscription a create (or its estimate) makes, and its invoices: validated, not stored. */
function plannedCreate({ site, env, path }: Call, input: NewSubscription, rest: Partial<Subscription> = {}): CreatePlan {
  const customer = find(CUSTOMERS, site, path.customer_id ?? '');
  const prices = resolvePrices(site, input.subscription_items);
  const coupons = resolveCoupons(site, input.coupon_ids);
  checkNewId(site, input.id, 'id');
  const now = env.clock.seconds();
  const future = input.start_date !== undefined && input.start_date > now;
  // A start_date in the past backdates the subscription: its term runs from that date.
  const from = input.start_date ?? now;
  // trial_end overrides the plan price's trial period; 0 means no trial.
  const plan = prices[0]!;
  const trialEnd = input.trial_end === 0 ? undefined
    : input.trial_end ?? (plan.trial_period ? addPeriod(from, plan.trial_period_unit ?? 'day', plan.trial_period) : undefined);
  if (trialEnd !== undefined && trialEnd <= from) throw paramError('trial_end', 'must be after the start date');
  const status = future ? 'future' : trialEnd !== undefined ? 'in_trial' : 'active';

  const items = input.subscription_items.map((item, i) => {
    const si = subscriptionItem(prices[i]!, item.quantity, item.unit_price);
    if (item.billing_cycles !== undefined) si.billing_cycles = item.billing_cycles;
    if (item.trial_end !== undefined) si.trial_end = item.trial_end;
    if (si.item_type === 'charge') {
      if (item.charge_once !== undefined) si.charge_once = item.charge_once;
      if (item.charge_on_option !== undefined) si.charge_on_option = item.charge_on_option;
      if (item.charge_on_event !== undefined) Object.assign(si, { charge_on_event: item.charge_on_event, charge_on_option: item.charge_on_option ?? 'on_event' });
    }
    return si;
  });
  const sub = newSubscription({
    id: input.id ?? randomId(), customer_id: customer.id, plan, items, created_at: now, resource_version: env.clock.version(),
  }, status, from, trialEnd);
  Object.assign(sub, rest);
  const cycles = input.billing_cycles;
  if (cycles !== undefined && cycles > 0) sub.remaining_billing_cycles = status === 'active' ? cycles - 1 : cycles;
  if (input.contract_term) {
    const length = cycles && cycles > 0 ? cycles : 12;
    const start = input.contract_term.contract_start ?? from;
    sub.contract_term = {
      id: `ct_${sub.id}`, status: 'active', contract_start: start, contract_end: addPeriod(start, sub.billing_period_unit, sub.billing_period * length),
      billing_cycle: length, action_at_term_end: input.contract_term.action_at_term_end ?? 'renew',
      total_contract_value: items.filter((i) => i.item_type !== 'charge').reduce((sum, i) => sum + i.amount, 0) * length,
      cancellation_cutoff_period: input.contract_term.cancellation_cutoff_period, created_at: now, subscription_id: sub.id, object: 'contract_term',
    };
  }
  // A trial whose plan price (or the write) says so ends by cancelling the subscription.
  const given = input.trial_end_action === 'plan_default' ? undefined : input.trial_end_action;
  const trialEndAction = given ?? plan.trial_end_action;
  if (trialEnd !== undefined && trialEndAction && trialEndAction !== 'site_default') sub.trial_end_action = trialEndAction;
  // invoice_immediately not given: the site's setting.
  return planCreate(site, env, sub, customer, coupons, input.invoice_immediately ?? env.settings.invoice_immediately);
}

export function createSubscriptionForItems(call: Call) {
  const { auto_collection, po_number, meta_data, ...input } = decode<CreateInput>(CREATE, call.pairs);
  const customFields = Object.fromEntries(Object.entries(input).filter(([k]) => k.startsWith('cf_')));
  const plan = plannedCreate(call, input, { ...customFields, ...defined({ auto_collection, po_number, meta_data }) });
  const invoice = commitCreate(call.site, call.env, plan);
  return { ...subscriptionEntry(plan.subscription, call.site), invoice };
}

export function createSubscriptionForItemsEstimate(call: Call) {
  const { subscription = {}, ...input } = decode<NewSubscription & { subscription?: { id?: string; trial_end?: number; start_date?: number; trial_end_action?: NewSubscription['trial_end_action'] } }>(CREATE_ESTIMATE, call.pairs);
  return createEstimate(call.env, plannedCreate(call, { ...input, ...subscription }));
}

const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

// ---------------------------------------------------------------- cancel

const CANCEL_FIELDS = {
  cancel_option: choice(['immediately', 'end_of_term', 'specific_date', 'end_of_billing_term']),
  contract_term_cancel_option: choice(['terminate_immediately', 'end_of_contract_term', 'specific_date', 'end_of_subscription_billing_term']),
  cancel_at: timestamp(),
  credit_option_for_current_term_charges: choice(['none', 'prorate', 'full']),
  unbilled_charges_option: choice(['invoice', 'delete']),
  account_receivables_handling: choice(['no_action', 'schedule_payment_collection', 'write_off']),
  refundable_credits_handling: choice(['no_action', 'schedule_refund']),
  cancel_reason_code: text(100),
};
const CANCEL: Schema = {
  fields: CANCEL_FIELDS,
  refused: { end_of_term: 'not accepted by cancel_for_items; use cancel_option=end_of_term' },
};
const CANCEL_ESTIMATE: Schema = { fields: CANCEL_FIELDS, refused: CANCEL.refused };

/**
 * `immediately` (and any cancellation of a future or paused subscription) cancels now, with a credit
 * note for the unused part of the term when credit_option is prorate/full; the other options schedule
 * the cancellation at the term end (or `cancel_at`). Default: end_of_term. Rules: ./billing.ts.
 */
export function cancelForItems({ site, env, pairs, path }: Call) {
  const sub = find(SUBSCRIPTIONS, site, path.id ?? '');
  const plan = planCancel(site, env, sub, decode<CancelInput>(CANCEL, pairs));
  const creditNotes = commitCancel(site, env, sub, plan);
  // A plain array of credit notes, as the official SDK types it (`credit_notes?: CreditNote[]`).
  return { ...subscriptionEntry(sub, site), credit_notes: creditNotes.length ? creditNotes : undefined };
}

export function cancelForItemsEstimate({ site, env, pairs, path }: Call) {
  const sub = find(SUBSCRIPTIONS, site, path.id ?? '');
  return cancelEstimate(env, planCancel(site, env, sub, decode<CancelInput>(CANCEL_ESTIMATE, pairs)));
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
