/**
 * Chargebee's billing rules for the subscription writes the sandbox serves, as plans. A write commits
 * a plan; the matching estimate route renders the very same plan. So in the sandbox a preview built
 * from an estimate states exactly what the write then does. test/documented-cases.test.ts holds the
 * documented rules (with their pages) these follow.
 *
 * Rules modelled:
 * - pricing models (./objects.ts itemAmount): flat_fee, per_unit, tiered, volume, stairstep, package
 *   tiers, and free_quantity (only the quantity above it is charged);
 * - coupons: `one_time` on the first invoice only; `limited_period` for its period (day/week/month/year)
 *   counted from the first invoice it applies to; `forever` always; `apply_on` each_specified_item
 *   discounts only the items its constraints name;
 * - charge items are one-time: billed at creation (`charge_on_option` immediately, or the event
 *   subscription_creation / subscription_trial_start) or at activation (plan_activation /
 *   subscription_activation); they are never part of the recurring amount nor of a cancellation credit;
 * - creation: a plan price's trial applies unless `trial_end` is given (0: no trial), and with a future
 *   start the trial starts then; a past `start_date` backdates the term; `invoice_immediately` not given
 *   follows the site setting; a trial whose plan price says trial_end_action cancel_subscription raises no
 *   invoice and cancels at the trial end;
 * - an invoice takes the customer's promotional and refundable credits, then excess payments, before
 *   anything is charged (amount_due below total); what is left is collected (paid) only with
 *   auto_collection on and a card; otherwise it is `posted` under net terms (due later) or `payment_due`;
 * - cancelling: `future` and `paused` subscriptions are cancelled at once whatever the option; a trial
 *   scheduled to cancel stays `in_trial`; the credit option (or, when not given, the site default)
 *   applies to immediate and specific_date cancellations (at that date); credits cover the recurring
 *   charges invoiced for the current term on every invoice of the term (after discounts), refundable for
 *   what was paid, an adjustment of what is still due; `account_receivables_handling` writes off or
 *   collects the subscription's due invoices after the customer's refundable credits and excess payments
 *   are applied; `refundable_credits_handling` schedule_refund refunds what credits are left;
 * - contract terms: `contract_term_cancel_option` replaces `cancel_option`; end_of_contract_term only sets
 *   the contract to cancel at its end: the subscription stays active and renews until then.
 * Not modelled: taxes, renewals raised as time passes (scheduled cancellations and trial-end
 * cancellations do happen when the clock passes them), contract termination fees.
 */
import { invalidState, paramError } from './http.js';
import {
  addPeriod, cancelNow, couponEnd, DAY, lineItems, newCreditNote, newInvoice, scheduleCancel, type LineItemArgs,
} from './objects.js';
import { nextNumberedId, type Env, type Site } from './store.js';
import type {
  ChargeEvent, Coupon, CreditNote, Customer, Invoice, LineItem, Subscription, SubscriptionItem,
} from './types.js';

const isCharge = (i: SubscriptionItem) => i.item_type === 'charge';

/** Does a coupon still discount an invoice dated `date`, when it first applied at `firstApplied`? */
export function couponApplies(coupon: Coupon, date: number, firstApplied: number, first: boolean): boolean {
  if (coupon.duration_type === 'one_time') return first;
  if (coupon.duration_type === 'limited_period') return date < couponEnd(coupon, firstApplied);
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

/**
 * The customer's balances on a new invoice: promotional and refundable credits (credits_applied), then
 * excess payments (amount_paid); the rest is charged when `collected`, else left due.
 */
const excessUsed = new WeakMap<Invoice, number>();

function applyBalances(inv: Invoice, customer: Customer, collected: boolean): void {
  if (inv.status === 'voided') return;
  const credits = Math.min(inv.total, customer.promotional_credits + customer.refundable_credits);
  const excess = Math.min(inv.total - credits, customer.excess_payments);
  excessUsed.set(inv, excess);
  const rest = inv.total - credits - excess;
  inv.credits_applied = credits;
  if (collected || rest === 0) {
    Object.assign(inv, { status: 'paid', amount_paid: excess + rest, amount_due: 0, paid_at: inv.date });
    delete inv.dunning_status;
  } else {
    Object.assign(inv, { amount_paid: excess, amount_due: rest });
  }
}

/** Takes what an invoice used of the customer's balances: promotional credits first, then refundable, then excess payments. */
function spendBalances(customer: Customer, inv: Invoice): void {
  let credits = inv.credits_applied;
  const promo = Math.min(credits, customer.promotional_credits);
  customer.promotional_credits -= promo;
  credits -= promo;
  customer.refundable_credits -= Math.min(credits, customer.refundable_credits);
  customer.excess_payments -= Math.min(customer.excess_payments, excessUsed.get(inv) ?? 0);
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
  /** When the coupons first apply (the date of the first invoice). */
  couponsFrom?: number;
}

/**
 * The invoices of a new subscription. `sub` is built (items, status, term) but not stored; `invoiceNow`
 * false leaves today's charges unbilled.
 */
export function planCreate(site: Site, env: Env, sub: Subscription, customer: Customer, coupons: Coupon[], invoiceNow: boolean): CreatePlan {
  const now = env.clock.seconds();
  const plan: CreatePlan = { subscription: sub, customer, coupons };
  const lines = (id: string, items: SubscriptionItem[], from: number, to: number) => lineItems({
    idPrefix: `li_${id}`, items, priceOf: (p) => site.itemPrices.get(p), customerId: customer.id, subscriptionId: sub.id, from, to,
  } satisfies LineItemArgs);
  const collected = collects(site, sub, customer);
  const openStatus: Invoice['status'] = collected ? 'paid' : customer.net_term_days > 0 ? 'posted' : 'payment_due';
  const invoice = (id: string, items: SubscriptionItem[], date: number, from: number, to: number, first: boolean) => {
    plan.couponsFrom ??= date;
    const inv = newInvoice({
      id, customer, subscription: sub, currency: sub.currency_code, date, status: openStatus, version: 0, first,
      coupons: coupons.filter((c) => couponApplies(c, date, plan.couponsFrom!, first)),
      lines: lines(id, items, from, to),
    });
    applyBalances(inv, customer, collected);
    return inv;
  };
  const invoiceId = nextNumberedId(site.invoices, `inv_${site.slug}_`);
  const recurring = sub.subscription_items.filter((i) => !isCharge(i));
  const charges = sub.subscription_items.filter(isCharge);

  if (sub.status === 'active') {
    const items = [...recurring, ...charges.filter((c) => chargeMoment(c) !== 'later')];
    // A backdated start bills the term from its start.
    const termStart = Math.min(now, sub.current_term_start ?? now);
    if (invoiceNow) {
      plan.invoice = invoice(invoiceId, items, now, termStart, sub.current_term_end!, true);
    } else {
      // Left unbilled now, they go on the renewal invoice with the next term's recurring charges.
      const renewal = sub.current_term_end!;
      plan.unbilled = lines(invoiceId, items, termStart, renewal);
      const next = [...plan.unbilled, ...lines(invoiceId, recurring, renewal, addPeriod(renewal, sub.billing_period_unit, sub.billing_period))];
      plan.couponsFrom = renewal;
      const inv = newInvoice({
        id: invoiceId, customer, subscription: sub, currency: sub.currency_code, date: renewal, status: openStatus, version: 0, first: true,
        coupons: coupons.filter((c) => couponApplies(c, renewal, renewal, true)),
        lines: next.map((l, i) => ({ ...l, id: `li_${invoiceId}_${i + 1}` })),
      });
      applyBalances(inv, customer, collected);
      plan.nextInvoice = inv;
    }
    return plan;
  }
  // in_trial or future: charges due at creation are invoiced now; the plan and the rest when it activates.
  const nowCharges = charges.filter((c) => chargeMoment(c) === 'creation');
  if (nowCharges.length && invoiceNow) plan.invoice = invoice(invoiceId, nowCharges, now, now, now, true);
  // A trial that ends by cancelling raises no invoice at its end.
  if (sub.trial_end_action === 'cancel_subscription') return plan;
  const activation = sub.next_billing_at!;
  const later = [...recurring, ...charges.filter((c) => chargeMoment(c) === 'activation' || (!invoiceNow && chargeMoment(c) === 'creation'))];
  plan.nextInvoice = invoice(invoiceId, later, activation, activation, addPeriod(activation, sub.billing_period_unit, sub.billing_period), plan.invoice === undefined);
  return plan;
}

export function commitCreate(site: Site, env: Env, plan: CreatePlan): Invoice | undefined {
  const { subscription: sub, customer } = plan;
  if (plan.coupons.length) {
    sub.coupons = plan.coupons.map((c) => ({
      coupon_id: c.id, applied_count: plan.invoice?.discounts?.some((d) => d.entity_id === c.id) ? 1 : 0,
      ...(c.duration_type === 'limited_period' && plan.couponsFrom !== undefined ? { apply_till: couponEnd(c, plan.couponsFrom) } : {}),
      object: 'coupon' as const,
    }));
  }
  site.subscriptions.add(sub);
  if (plan.unbilled) customer.unbilled_charges += plan.unbilled.reduce((s, l) => s + l.amount, 0);
  const invoice = plan.invoice;
  if (!invoice) return undefined;
  invoice.resource_version = env.clock.version();
  site.invoices.add(invoice);
  spendBalances(customer, invoice);
  env.clock.touch(customer);
  if (invoice.status === 'payment_due') sub.due_invoices_count += 1;
  return invoice;
}

// ---------------------------------------------------------------- cancel

export interface CancelInput {
  cancel_option?: 'immediately' | 'end_of_term' | 'specific_date' | 'end_of_billing_term';
  contract_term_cancel_option?: 'terminate_immediately' | 'end_of_contract_term' | 'specific_date' | 'end_of_subscription_billing_term';
  cancel_at?: number;
  credit_option_for_current_term_charges?: 'none' | 'prorate' | 'full';
  account_receivables_handling?: 'no_action' | 'schedule_payment_collection' | 'write_off';
  refundable_credits_handling?: 'no_action' | 'schedule_refund';
  cancel_reason_code?: string;
}

export interface CancelPlan {
  /** The subscription as it will be (a copy: the stored one is untouched until commit). */
  after: Subscription;
  creditNotes: { note: CreditNote; invoice: Invoice }[];
  /** specific_date: the credit option to apply when the cancellation happens. */
  creditAtDate?: 'prorate' | 'full';
  receivables?: 'schedule_payment_collection' | 'write_off';
  refund?: boolean;
}

/** The current term's invoices of a subscription: not voided, dated within the term. */
export function termInvoices(site: Site, sub: Subscription): Invoice[] {
  if (sub.current_term_start === undefined) return [];
  return site.invoices.values()
    .filter((inv) => inv.subscription_id === sub.id && inv.status !== 'voided' && inv.date >= sub.current_term_start!)
    .sort((a, b) => a.date - b.date);
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
  const plan: CancelPlan = { after, creditNotes: [] };
  if (p.cancel_reason_code !== undefined) after.cancel_reason_code = p.cancel_reason_code;
  // Not given: the site's default credit option.
  const credit = p.credit_option_for_current_term_charges ?? env.settings.credit_option_default;
  // Future and paused subscriptions have no running term to finish: Chargebee cancels them at once.
  if (option === 'now' || sub.status === 'future' || sub.status === 'paused' || sub.current_term_end === undefined) {
    if (credit !== 'none' && (sub.status === 'active' || sub.status === 'non_renewing')) {
      plan.creditNotes = creditUnusedTerm(site, sub, credit, now, site.creditNotes.values().length);
    }
    cancelNow(after, now);
    if (after.contract_term) after.contract_term.status = 'terminated';
    if (p.account_receivables_handling && p.account_receivables_handling !== 'no_action') plan.receivables = p.account_receivables_handling;
    plan.refund = p.refundable_credits_handling === 'schedule_refund';
  } else if (option === 'contract_end') {
    // The contract is not renewed: the subscription stays active, renews as usual, and cancels at the contract's end.
    after.contract_term!.action_at_term_end = 'cancel';
  } else {
    const at = option === 'date' ? p.cancel_at! : sub.current_term_end;
    scheduleCancel(after, at);
    if (option === 'date' && credit !== 'none' && (sub.status === 'active' || sub.status === 'non_renewing')) plan.creditAtDate = credit;
  }
  return plan;
}

/**
 * Credit notes for the recurring charges invoiced for the current term, on each of its invoices, after
 * that invoice's discounts: all of them (`full`) or the part after `at` (`prorate`). One-time charges are
 * never credited. What was paid is refundable; what is still due is adjusted.
 */
function creditUnusedTerm(site: Site, sub: Subscription, mode: 'prorate' | 'full', at: number, taken: number): { note: CreditNote; invoice: Invoice }[] {
  const out: { note: CreditNote; invoice: Invoice }[] = [];
  let n = taken;
  const nextId = () => {
    let id: string;
    do id = `cn_${site.slug}_${String(++n).padStart(4, '0')}`; while (site.creditNotes.has(id));
    return id;
  };
  for (const invoice of termInvoices(site, sub)) {
    const kept = invoice.sub_total === 0 ? 0 : 1 - (invoice.sub_total - invoice.total) / invoice.sub_total;
    const amounts = invoice.line_items
      .filter((l) => l.entity_type !== 'charge_item_price')
      .map((l) => {
        const share = mode === 'full' ? 1 : Math.min(1, Math.max(0, (l.date_to - Math.max(at, l.date_from)) / Math.max(l.date_to - l.date_from, DAY)));
        return { l, amount: Math.round(l.amount * kept * share) };
      });
    const total = amounts.reduce((s, a) => s + a.amount, 0);
    if (total <= 0) continue;
    const adjusted = invoice.status === 'paid' ? 0 : Math.min(total, invoice.amount_due);
    for (const [type, part] of [['adjustment', adjusted], ['refundable', total - adjusted]] as const) {
      if (part <= 0) continue;
      const id = nextId();
      const scale = part / total;
      const lines = amounts.map(({ l, amount }, i) => ({
        ...l, id: `li_${id}_${i + 1}`, date_from: Math.max(l.date_from, Math.min(at, l.date_to)), date_to: l.date_to, discount_amount: 0, amount: Math.round(amount * scale),
      }));
      // Rounding: the parts add up to the total.
      const drift = part - lines.reduce((s, l) => s + l.amount, 0);
      if (lines[0]) lines[0].amount += drift;
      out.push({ note: newCreditNote({ id, subscription: sub, invoice, lines, date: at, version: 0, reasonCode: sub.cancel_reason_code, type }), invoice });
    }
  }
  return out;
}

function issueCredits(site: Site, env: Env, sub: Subscription, notes: { note: CreditNote; invoice: Invoice }[]): CreditNote[] {
  for (const { note, invoice: inv } of notes) {
    note.resource_version = env.clock.version();
    site.creditNotes.add(note);
    if (note.type !== 'adjustment') continue;
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
  return notes.map((n) => n.note);
}

/** The subscription's invoices past due (payment_due, not_paid), oldest first. */
export function dueInvoices(site: Site, sub: Subscription): Invoice[] {
  return site.invoices.values().filter((i) => i.subscription_id === sub.id && (i.status === 'payment_due' || i.status === 'not_paid') && i.amount_due > 0).sort((a, b) => a.date - b.date);
}

/** account_receivables_handling and refundable_credits_handling of an immediate cancellation. */
function settleAccount(site: Site, env: Env, sub: Subscription, plan: CancelPlan): void {
  const customer = site.customers.get(sub.customer_id);
  if (!customer || (!plan.receivables && !plan.refund)) return;
  const now = env.clock.seconds();
  for (const inv of dueInvoices(site, sub)) {
    // Refundable credits and excess payments are applied first.
    const credits = Math.min(inv.amount_due, customer.refundable_credits);
    customer.refundable_credits -= credits;
    inv.credits_applied += credits;
    inv.amount_due -= credits;
    const excess = plan.receivables ? Math.min(inv.amount_due, customer.excess_payments) : 0;
    customer.excess_payments -= excess;
    inv.amount_paid += excess;
    inv.amount_due -= excess;
    if (plan.receivables === 'write_off' && inv.amount_due > 0) {
      inv.write_off_amount += inv.amount_due;
      inv.amount_due = 0;
    } else if (plan.receivables === 'schedule_payment_collection' && inv.amount_due > 0 && customer.auto_collection === 'on' && site.cards.has(customer.id)) {
      inv.amount_paid += inv.amount_due;
      inv.amount_due = 0;
    }
    if (inv.amount_due === 0) {
      inv.status = 'paid';
      inv.paid_at = now;
      delete inv.dunning_status;
      sub.due_invoices_count = Math.max(0, sub.due_invoices_count - 1);
    }
    env.clock.touch(inv);
  }
  if (plan.refund) customer.refundable_credits = 0;
  env.clock.touch(customer);
}

export function commitCancel(site: Site, env: Env, sub: Subscription, plan: CancelPlan): CreditNote[] {
  for (const key of Object.keys(sub)) delete (sub as unknown as Record<string, unknown>)[key];
  Object.assign(sub, plan.after);
  env.clock.touch(sub);
  if (plan.creditAtDate) site.pendingCancelCredits.set(sub.id, plan.creditAtDate);
  else site.pendingCancelCredits.delete(sub.id);
  const notes = issueCredits(site, env, sub, plan.creditNotes);
  settleAccount(site, env, sub, plan);
  return notes;
}

/**
 * What falls due as the clock passes: scheduled cancellations (with the credit a specific_date
 * cancellation asked for, as of its date), trials that end by cancelling, contracts set to cancel at their end.
 */
export function runDueCancellations(site: Site, env: Env): void {
  const now = env.clock.seconds();
  for (const sub of site.subscriptions.values()) {
    let at: number | undefined;
    if ((sub.status === 'non_renewing' || sub.status === 'in_trial') && sub.cancelled_at !== undefined && sub.cancelled_at <= now) at = sub.cancelled_at;
    else if (sub.status === 'in_trial' && sub.trial_end_action === 'cancel_subscription' && sub.trial_end !== undefined && sub.trial_end <= now) at = sub.trial_end;
    else if (sub.status === 'active' && sub.contract_term?.status === 'active' && sub.contract_term.action_at_term_end === 'cancel' && sub.contract_term.contract_end <= now) at = sub.contract_term.contract_end;
    if (at === undefined) continue;
    const credit = site.pendingCancelCredits.get(sub.id);
    site.pendingCancelCredits.delete(sub.id);
    if (credit) issueCredits(site, env, sub, creditUnusedTerm(site, sub, credit, at, site.creditNotes.values().length));
    cancelNow(sub, at);
    if (sub.contract_term) sub.contract_term.status = 'completed';
    env.clock.touch(sub);
  }
}

// ---------------------------------------------------------------- estimates (the shapes of Chargebee's API)

function invoiceEstimate(inv: Invoice) {
  return {
    recurring: inv.recurring, date: inv.date, price_type: inv.price_type, sub_total: inv.sub_total, total: inv.total,
    // What the customer is asked to pay: the total less credits and excess payments applied.
    credits_applied: inv.credits_applied, amount_paid: excessUsed.get(inv) ?? 0, amount_due: inv.total - inv.credits_applied - (excessUsed.get(inv) ?? 0), currency_code: inv.currency_code, customer_id: inv.customer_id,
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
      credit_note_estimates: plan.creditNotes.map((c) => creditNoteEstimate(c.note)),
      object: 'estimate',
    },
  };
}
