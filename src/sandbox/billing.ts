/**
 * Chargebee's billing rules for the subscription writes the sandbox serves, as plans. A write commits
 * a plan; the matching estimate route renders the very same plan. So in the sandbox a preview built
 * from an estimate states exactly what the write then does.
 *
 * Rules modelled (Chargebee's documented behaviour for these cases):
 * - a flat-fee price is billed once whatever the quantity; a per-unit price is unit price × quantity;
 * - document-level coupons (percentage or fixed amount) discount the invoice amount: `one_time` on the
 *   first invoice only, `limited_period` for `duration_month` months from the start, `forever` always;
 * - charge items are one-time: billed at creation (`charge_on_option` immediately, or the event
 *   subscription_creation / subscription_trial_start) or at activation (plan_activation /
 *   subscription_activation); they are never part of the recurring amount nor of a cancellation credit;
 * - a plan price's trial period applies unless `trial_end` is given (0: no trial);
 * - an invoice is collected (paid) only with auto_collection on and a card; otherwise payment_due;
 * - cancelling: `future` and `paused` subscriptions are cancelled at once whatever the option; a trial
 *   scheduled to cancel stays `in_trial`; credits cover the recurring charges actually invoiced for the
 *   current term (after discounts), refundable when that invoice is paid, else an adjustment of it;
 * - contract terms: `contract_term_cancel_option` replaces `cancel_option`.
 * Not modelled: taxes, promotional credits and excess payments, unbilled charges of earlier terms,
 * contract termination fees.
 */
import { invalidState, paramError } from './http.js';
import {
  addPeriod, cancelNow, DAY, lineItems, newCreditNote, newInvoice, scheduleCancel, type LineItemArgs,
} from './objects.js';
import { nextNumberedId, type Env, type Site } from './store.js';
import type {
  ChargeEvent, Coupon, CreditNote, Customer, Invoice, LineItem, Subscription, SubscriptionItem,
} from './types.js';

const isCharge = (i: SubscriptionItem) => i.item_type === 'charge';

/** Does a coupon still discount an invoice dated `date` of a subscription that started at `start`? */
export function couponApplies(coupon: Coupon, date: number, start: number, first: boolean): boolean {
  if (coupon.duration_type === 'one_time') return first;
  if (coupon.duration_type === 'limited_period') return date < addPeriod(start, 'month', coupon.duration_month ?? 1);
  return true;
}

/** When a one-time charge item is billed: at creation or when the subscription activates (never: contract termination). */
function chargeMoment(item: SubscriptionItem): 'creation' | 'activation' | 'later' {
  const event: ChargeEvent | undefined = item.charge_on_option === 'on_event' ? item.charge_on_event : undefined;
  if (event === undefined || event === 'subscription_creation' || event === 'subscription_trial_start') return 'creation';
  if (event === 'plan_activation' || event === 'subscription_activation') return 'activation';
  return 'later';
}

function collects(site: Site, sub: Subscription, customer: Customer): boolean {
  return (sub.auto_collection ?? customer.auto_collection) === 'on' && site.cards.has(customer.id);
}

// ---------------------------------------------------------------- create

export interface CreatePlan {
  subscription: Subscription;
  customer: Customer;
  coupons: Coupon[];
  /** Raised at creation, with the status it is left in. */
  invoice?: Invoice;
  /** The first invoice to come when none is raised now (trial end, start date, or the unbilled charges at term end). */
  nextInvoice?: Invoice;
  /** invoice_immediately=false: charges left unbilled until the next invoice. */
  unbilled?: LineItem[];
}

/**
 * The invoices of a new subscription. `sub` is built (items, status, term) but not stored; `invoiceNow`
 * false leaves today's charges unbilled.
 */
export function planCreate(site: Site, env: Env, sub: Subscription, customer: Customer, coupons: Coupon[], invoiceNow: boolean): CreatePlan {
  const now = env.clock.seconds();
  const plan: CreatePlan = { subscription: sub, customer, coupons };
  const start = sub.started_at ?? sub.start_date ?? now;
  const lines = (id: string, items: SubscriptionItem[], from: number, to: number) => lineItems({
    idPrefix: `li_${id}`, items, priceOf: (p) => site.itemPrices.get(p), customerId: customer.id, subscriptionId: sub.id, from, to,
  } satisfies LineItemArgs);
  const invoice = (id: string, items: SubscriptionItem[], date: number, to: number, first: boolean, status: Invoice['status']) => newInvoice({
    id, customer, subscription: sub, currency: sub.currency_code, date, status, version: 0, first,
    coupons: coupons.filter((c) => couponApplies(c, date, start, first)),
    lines: lines(id, items, date, to),
  });
  const invoiceId = nextNumberedId(site.invoices, `inv_${site.slug}_`);
  const status = collects(site, sub, customer) ? 'paid' : 'payment_due';
  const recurring = sub.subscription_items.filter((i) => !isCharge(i));
  const charges = sub.subscription_items.filter(isCharge);

  if (sub.status === 'active') {
    const items = [...recurring, ...charges.filter((c) => chargeMoment(c) !== 'later')];
    if (invoiceNow) {
      plan.invoice = invoice(invoiceId, items, now, sub.current_term_end!, true, status);
    } else {
      // Left unbilled now, they go on the renewal invoice with the next term's recurring charges.
      const renewal = sub.current_term_end!;
      plan.unbilled = lines(invoiceId, items, now, renewal);
      const next = [...plan.unbilled, ...lines(invoiceId, recurring, renewal, addPeriod(renewal, sub.billing_period_unit, sub.billing_period))];
      plan.nextInvoice = newInvoice({
        id: invoiceId, customer, subscription: sub, currency: sub.currency_code, date: renewal, status, version: 0, first: true,
        coupons: coupons.filter((c) => couponApplies(c, renewal, start, true)),
        lines: next.map((l, i) => ({ ...l, id: `li_${invoiceId}_${i + 1}` })),
      });
    }
    return plan;
  }
  // in_trial or future: charges due at creation are invoiced now; the plan and the rest when it activates.
  const nowCharges = charges.filter((c) => chargeMoment(c) === 'creation');
  if (nowCharges.length && invoiceNow) plan.invoice = invoice(invoiceId, nowCharges, now, now, true, status);
  const activation = sub.next_billing_at!;
  const later = [...recurring, ...charges.filter((c) => chargeMoment(c) === 'activation' || (!invoiceNow && chargeMoment(c) === 'creation'))];
  plan.nextInvoice = invoice(invoiceId, later, activation, addPeriod(activation, sub.billing_period_unit, sub.billing_period), plan.invoice === undefined, status);
  return plan;
}

export function commitCreate(site: Site, env: Env, plan: CreatePlan): Invoice | undefined {
  const { subscription: sub, customer } = plan;
  if (plan.coupons.length) {
    sub.coupons = plan.coupons.map((c) => ({
      coupon_id: c.id, applied_count: plan.invoice?.discounts?.some((d) => d.entity_id === c.id) ? 1 : 0, object: 'coupon' as const,
    }));
  }
  site.subscriptions.add(sub);
  if (plan.unbilled) customer.unbilled_charges += plan.unbilled.reduce((s, l) => s + l.amount, 0);
  const invoice = plan.invoice;
  if (!invoice) return undefined;
  invoice.resource_version = env.clock.version();
  site.invoices.add(invoice);
  if (invoice.status === 'payment_due') sub.due_invoices_count += 1;
  return invoice;
}

// ---------------------------------------------------------------- cancel

export interface CancelInput {
  cancel_option?: 'immediately' | 'end_of_term' | 'specific_date' | 'end_of_billing_term';
  contract_term_cancel_option?: 'terminate_immediately' | 'end_of_contract_term' | 'specific_date' | 'end_of_subscription_billing_term';
  cancel_at?: number;
  credit_option_for_current_term_charges?: 'none' | 'prorate' | 'full';
  cancel_reason_code?: string;
}

export interface CancelPlan {
  /** The subscription as it will be (a copy: the stored one is untouched until commit). */
  after: Subscription;
  creditNote?: CreditNote;
  /** The term invoice the credit note is issued against. */
  termInvoice?: Invoice;
}

/** The current term's invoice of a subscription: the latest one, not voided, dated within the term. */
export function termInvoice(site: Site, sub: Subscription): Invoice | undefined {
  if (sub.current_term_start === undefined) return undefined;
  return site.invoices.values()
    .filter((inv) => inv.subscription_id === sub.id && inv.status !== 'voided' && inv.date >= sub.current_term_start!)
    .sort((a, b) => b.date - a.date)[0];
}

export function planCancel(site: Site, env: Env, sub: Subscription, p: CancelInput): CancelPlan {
  if (sub.status === 'cancelled' || sub.status === 'transferred') throw invalidState(`Subscription ${sub.id} is already ${sub.status}.`);
  const now = env.clock.seconds();
  const contract = sub.contract_term?.status === 'active' ? sub.contract_term : undefined;
  let option: 'now' | 'term_end' | 'date' | 'contract_end';
  if (contract) {
    if (p.cancel_option !== undefined) throw paramError('cancel_option', 'is not applicable to a subscription on a contract term; use contract_term_cancel_option');
    if (p.contract_term_cancel_option === undefined) throw paramError('contract_term_cancel_option', 'cannot be blank for a subscription on a contract term');
    option = ({ terminate_immediately: 'now', end_of_contract_term: 'contract_end', specific_date: 'date', end_of_subscription_billing_term: 'term_end' } as const)[p.contract_term_cancel_option];
  } else {
    if (p.contract_term_cancel_option !== undefined) throw paramError('contract_term_cancel_option', 'is only applicable to a subscription on a contract term');
    option = ({ immediately: 'now', end_of_term: 'term_end', end_of_billing_term: 'term_end', specific_date: 'date' } as const)[p.cancel_option ?? 'end_of_term'];
  }
  const until = contract ? contract.contract_end : sub.current_term_end;
  if (option === 'date') {
    if (p.cancel_at === undefined) throw paramError('cancel_at', 'cannot be blank when the cancel option is specific_date');
    if (p.cancel_at <= now) throw paramError('cancel_at', 'must be in the future');
    if (until !== undefined && p.cancel_at > until) throw paramError('cancel_at', `must not be after the ${contract ? 'contract' : 'current'} term end`);
  } else if (p.cancel_at !== undefined) {
    throw paramError('cancel_at', 'is only allowed when the cancel option is specific_date');
  }

  const after = structuredClone(sub);
  const plan: CancelPlan = { after };
  if (p.cancel_reason_code !== undefined) after.cancel_reason_code = p.cancel_reason_code;
  // Future and paused subscriptions have no running term to finish: Chargebee cancels them at once.
  if (option === 'now' || sub.status === 'future' || sub.status === 'paused' || sub.current_term_end === undefined) {
    const credit = p.credit_option_for_current_term_charges ?? 'none';
    if (credit !== 'none' && (sub.status === 'active' || sub.status === 'non_renewing')) {
      plan.termInvoice = termInvoice(site, sub);
      plan.creditNote = creditUnusedTerm(site, sub, plan.termInvoice, credit, now);
    }
    cancelNow(after, now);
    if (after.contract_term) after.contract_term.status = 'terminated';
  } else {
    const at = option === 'date' ? p.cancel_at! : option === 'contract_end' ? contract!.contract_end : sub.current_term_end;
    scheduleCancel(after, at);
    if (after.contract_term && option === 'contract_end') after.contract_term.action_at_term_end = 'cancel';
  }
  return plan;
}

/**
 * A credit note for the recurring charges invoiced for the current term, after that invoice's discounts:
 * all of them (`full`) or the unused share (`prorate`). One-time charges are never credited.
 */
function creditUnusedTerm(site: Site, sub: Subscription, invoice: Invoice | undefined, mode: 'prorate' | 'full', now: number): CreditNote | undefined {
  if (!invoice) return undefined;
  const start = sub.current_term_start ?? now;
  const end = sub.current_term_end ?? now;
  const share = mode === 'full' ? 1 : Math.min(1, Math.max(0, (end - now) / Math.max(end - start, DAY)));
  const kept = invoice.sub_total === 0 ? 0 : 1 - (invoice.sub_total - invoice.total) / invoice.sub_total;
  const id = nextNumberedId(site.creditNotes, `cn_${site.slug}_`);
  const lines = invoice.line_items
    .filter((l) => l.entity_type !== 'charge_item_price')
    .map((l, i) => ({ ...l, id: `li_${id}_${i + 1}`, date_from: Math.max(start, Math.min(now, end)), date_to: end, discount_amount: 0, amount: Math.round(l.amount * kept * share) }));
  if (lines.every((l) => l.amount === 0)) return undefined;
  return newCreditNote({ id, subscription: sub, invoice, lines, date: now, version: 0, reasonCode: sub.cancel_reason_code });
}

export function commitCancel(site: Site, env: Env, sub: Subscription, plan: CancelPlan): CreditNote | undefined {
  for (const key of Object.keys(sub)) delete (sub as unknown as Record<string, unknown>)[key];
  Object.assign(sub, plan.after);
  env.clock.touch(sub);
  const note = plan.creditNote;
  if (!note) return undefined;
  note.resource_version = env.clock.version();
  site.creditNotes.add(note);
  const inv = plan.termInvoice;
  if (inv && note.type === 'adjustment') {
    // An adjustment credit note is allocated to the unpaid invoice it was issued against.
    const applied = Math.min(note.total, inv.amount_due);
    inv.amount_adjusted += applied;
    inv.amount_due -= applied;
    if (inv.amount_due === 0) {
      inv.status = 'paid';
      inv.paid_at = note.date;
      delete inv.dunning_status;
      sub.due_invoices_count = Math.max(0, sub.due_invoices_count - 1);
    }
    env.clock.touch(inv);
  }
  return note;
}

// ---------------------------------------------------------------- estimates (the shapes of Chargebee's API)

function invoiceEstimate(inv: Invoice) {
  return {
    recurring: inv.recurring, date: inv.date, price_type: inv.price_type, sub_total: inv.sub_total, total: inv.total,
    credits_applied: 0, amount_paid: 0, amount_due: inv.total, currency_code: inv.currency_code, customer_id: inv.customer_id,
    round_off_amount: 0, line_items: inv.line_items, discounts: inv.discounts ?? [], taxes: [], line_item_taxes: [],
    line_item_discounts: (inv.discounts ?? []).map((d) => ({ line_item_id: inv.line_items[0]?.id, discount_type: d.entity_type, coupon_id: d.entity_id, entity_id: d.entity_id, discount_amount: d.amount, object: 'line_item_discount' })),
    object: 'invoice_estimate',
  };
}

function creditNoteEstimate(cn: CreditNote) {
  return {
    reference_invoice_id: cn.reference_invoice_id, type: cn.type, price_type: cn.price_type, currency_code: cn.currency_code,
    sub_total: cn.sub_total, total: cn.total, amount_allocated: cn.type === 'adjustment' ? cn.total : 0,
    amount_available: cn.type === 'adjustment' ? 0 : cn.total, customer_id: cn.customer_id, round_off_amount: 0,
    line_items: cn.line_items, discounts: [], taxes: [], line_item_taxes: [], line_item_discounts: [], object: 'credit_note_estimate',
  };
}

function subscriptionEstimate(sub: Subscription) {
  return {
    id: sub.id, status: sub.status, next_billing_at: sub.next_billing_at, currency_code: sub.currency_code,
    contract_term: sub.contract_term, object: 'subscription_estimate',
  };
}

function unbilledChargeEstimate(l: LineItem, currency: string) {
  return {
    subscription_id: l.subscription_id, customer_id: l.customer_id, date_from: l.date_from, date_to: l.date_to, unit_amount: l.unit_amount,
    pricing_model: l.pricing_model, quantity: l.quantity, amount: l.amount, currency_code: currency, discount_amount: 0,
    description: l.description, entity_type: l.entity_type, entity_id: l.entity_id, is_voided: false, object: 'unbilled_charge',
  };
}

export function createEstimate(env: Env, plan: CreatePlan) {
  return {
    estimate: {
      created_at: env.clock.seconds(),
      subscription_estimate: subscriptionEstimate(plan.subscription),
      invoice_estimate: plan.invoice && invoiceEstimate(plan.invoice),
      next_invoice_estimate: plan.nextInvoice && invoiceEstimate(plan.nextInvoice),
      unbilled_charge_estimates: plan.unbilled?.map((l) => unbilledChargeEstimate(l, plan.subscription.currency_code)),
      object: 'estimate',
    },
  };
}

export function cancelEstimate(env: Env, plan: CancelPlan) {
  return {
    estimate: {
      created_at: env.clock.seconds(),
      subscription_estimate: subscriptionEstimate(plan.after),
      credit_note_estimates: plan.creditNote ? [creditNoteEstimate(plan.creditNote)] : [],
      object: 'estimate',
    },
  };
}
