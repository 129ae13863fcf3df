/**
 * Chargebee's billing rules, computed locally: the fallback of a preview when the gateway refuses
 * the estimate endpoint. Kept to what can be known from the target without Chargebee's engine; the
 * preview says what these figures leave out.
 */
import type { Args } from '../catalog.js';

export const DAY = 86_400;

/** `ts` moved forward by `n` periods (calendar months/years in UTC), as Chargebee bills terms. */
export function addPeriod(ts: number, unit: string | undefined, n = 1): number {
  if (unit === 'day') return ts + n * DAY;
  if (unit === 'week') return ts + 7 * n * DAY;
  const d = new Date(ts * 1000);
  if (unit === 'year') d.setUTCFullYear(d.getUTCFullYear() + n);
  else d.setUTCMonth(d.getUTCMonth() + n);
  return Math.floor(d.getTime() / 1000);
}

/** One tier's charge for `units` of it: per unit, a flat price, or whole packages (rounded up). */
function tierCharge(t: any, units: number): number {
  if (units <= 0) return 0;
  if (t.pricing_type === 'flat_fee') return t.price ?? 0;
  if (t.pricing_type === 'package') return Math.ceil(units / Math.max(1, t.package_size ?? 1)) * (t.price ?? 0);
  return (t.price ?? 0) * units;
}

/**
 * One term of an item, by its pricing model: the quantity above `free_quantity` is charged; a flat fee
 * once whatever the quantity; per unit, unit price × quantity; tiered, units from successive tiers;
 * volume, every unit at the tier the quantity falls in; stairstep, that tier's flat price.
 */
export function itemAmount(price: { pricing_model?: string; tiers?: any[]; free_quantity?: number } | string | undefined, unitPrice: number, quantity: number): number {
  const p = typeof price === 'string' || price === undefined ? { pricing_model: price } : price;
  const units = Math.max(0, quantity - (p.free_quantity ?? 0));
  const tiers: any[] = Array.isArray(p.tiers) ? p.tiers : [];
  if (p.pricing_model === 'flat_fee') return unitPrice;
  if (p.pricing_model === 'tiered') return tiers.reduce((s, t) => s + tierCharge(t, Math.min(units, t.ending_unit ?? Infinity) - t.starting_unit + 1), 0);
  if (p.pricing_model === 'volume' || p.pricing_model === 'stairstep') {
    const t = tiers.find((x) => units >= x.starting_unit && units <= (x.ending_unit ?? Infinity));
    if (!t) return 0;
    return p.pricing_model === 'stairstep' ? t.price ?? 0 : tierCharge(t, units);
  }
  return unitPrice * units;
}

/** The end of a limited-period coupon first applied at `from`: its period in its unit (months when only duration_month). */
export function couponEnd(coupon: any, from: number): number {
  return addPeriod(from, coupon.period_unit ?? 'month', coupon.period ?? coupon.duration_month ?? 1);
}

/** How long a coupon lasts, in words: "3 months", "2 weeks", "forever", "one_time". */
export function couponDuration(coupon: any): string {
  if (coupon.duration_type !== 'limited_period') return coupon.duration_type;
  const n = coupon.period ?? coupon.duration_month ?? 1;
  const unit = coupon.period_unit ?? 'month';
  return `${n} ${unit}${n === 1 ? '' : 's'} from the first invoice it applies to`;
}

/** Does a coupon discount an invoice dated `date`, when it first applied at `firstApplied`? */
export function couponApplies(coupon: any, date: number, firstApplied: number, first: boolean): boolean {
  if (coupon.duration_type === 'one_time') return first;
  if (coupon.duration_type === 'limited_period') return date < couponEnd(coupon, firstApplied);
  return true;
}

/** Does a coupon cover a line? invoice_amount: all; each_specified_item: the item types/prices its constraints name. */
export function couponCovers(coupon: any, line: { type: string; item_price_id: string }): boolean {
  if (coupon.apply_on !== 'each_specified_item') return true;
  const c = (coupon.item_constraints ?? []).find((x: any) => x.item_type === line.type);
  if (!c || c.constraint === 'none') return false;
  if (c.constraint === 'all') return true;
  const ids = Array.isArray(c.item_price_ids) ? c.item_price_ids : typeof c.item_price_ids === 'string' ? JSON.parse(c.item_price_ids) : [];
  return ids.includes(line.item_price_id);
}

/** A coupon's discount on an amount (the covered lines' sum). */
export function couponDiscount(coupon: any, subTotal: number): number {
  const off = coupon.discount_type === 'percentage'
    ? Math.round((subTotal * (coupon.discount_percentage ?? 0)) / 100)
    : coupon.discount_amount ?? 0;
  return Math.min(off, subTotal);
}

export interface Line {
  item_price_id: string;
  type: string;
  quantity: number;
  unit_price: number;
  /** One term (recurring) or once (charges). */
  amount: number;
  pricing_model?: string;
  /** Charges: billed at creation or at activation (or later, on another event). */
  when?: 'creation' | 'activation' | 'later';
}

export function chargeMoment(item: Args): 'creation' | 'activation' | 'later' {
  const event = item.charge_on_option === 'immediately' ? undefined : item.charge_on_event;
  if (event === undefined || event === 'subscription_creation' || event === 'subscription_trial_start') return 'creation';
  if (event === 'plan_activation' || event === 'subscription_activation') return 'activation';
  return 'later';
}

export interface Invoiced {
  total: number;
  sub_total: number;
  discount: number;
  coupons: string[];
}

export function invoiceOf(lines: Line[], coupons: any[], date: number, firstApplied: number, first: boolean): Invoiced {
  const subTotal = lines.reduce((s, l) => s + l.amount, 0);
  const applied = coupons.filter((c) => couponApplies(c, date, firstApplied, first));
  const off = applied.map((c) => couponDiscount(c, lines.filter((l) => couponCovers(c, l)).reduce((s, l) => s + l.amount, 0)));
  const discount = Math.min(subTotal, off.reduce((s, d) => s + d, 0));
  return { total: subTotal - discount, sub_total: subTotal, discount, coupons: applied.filter((_, i) => off[i]! > 0).map((c) => c.id) };
}

/** The customer's balances on a new invoice: credits (promotional, refundable), then excess payments; the rest is due. */
export function amountDue(total: number, customer: any): { amount_due: number; credits: number; excess: number } {
  const credits = Math.min(total, (customer?.promotional_credits ?? 0) + (customer?.refundable_credits ?? 0));
  const excess = Math.min(total - credits, customer?.excess_payments ?? 0);
  return { amount_due: total - credits - excess, credits, excess };
}

export interface CreateOutcome {
  status: 'active' | 'in_trial' | 'future';
  start: number;
  trial_end?: number;
  /** The plan price's own trial applies (no trial_end given). */
  default_trial?: boolean;
  now?: Invoiced;
  next?: Invoiced & { date: number };
  unbilled?: number;
  term_end?: number;
  /** The trial ends by cancelling the subscription (the plan price's trial_end_action): its date. */
  cancels_at?: number;
  /** A start_date in the past: the term runs from it. */
  backdated?: boolean;
}

/**
 * A new subscription's invoices: `lines` in order (the plan first), `plan` its price (period, trial,
 * trial_end_action), `args` the write's arguments (trial_end, start_date); `invoiceNow` whether the
 * charges raised now are invoiced now (invoice_immediately, or the site's setting when not given).
 */
export function createOutcome(lines: Line[], plan: any, coupons: any[], args: Args, now: number, invoiceNow = args.invoice_immediately !== false): CreateOutcome {
  const future = args.start_date !== undefined && args.start_date > now;
  // A past start_date backdates the subscription: its term runs from that date.
  const from = args.start_date ?? now;
  const defaultTrial = args.trial_end === undefined && Boolean(plan.trial_period);
  // With a future start, the trial starts then.
  const trialEnd = args.trial_end === 0 ? undefined
    : args.trial_end ?? (plan.trial_period ? addPeriod(from, plan.trial_period_unit ?? 'day', plan.trial_period) : undefined);
  const status = future ? 'future' : trialEnd !== undefined ? 'in_trial' : 'active';
  const unit = plan.period_unit;
  const period = plan.period ?? 1;
  const recurring = lines.filter((l) => l.type !== 'charge');
  const charges = lines.filter((l) => l.type === 'charge');
  const out: CreateOutcome = { status, start: from, trial_end: trialEnd, default_trial: defaultTrial && trialEnd !== undefined, backdated: from < now };
  if (status === 'active') {
    const termEnd = addPeriod(from, unit, period);
    out.term_end = termEnd;
    const items = [...recurring, ...charges.filter((c) => c.when !== 'later')];
    if (invoiceNow) {
      out.now = invoiceOf(items, coupons, now, now, true);
    } else {
      out.unbilled = items.reduce((s, l) => s + l.amount, 0);
      out.next = { ...invoiceOf([...items, ...recurring], coupons, termEnd, termEnd, true), date: termEnd };
    }
    return out;
  }
  const nowCharges = charges.filter((c) => c.when === 'creation');
  if (nowCharges.length && invoiceNow) out.now = invoiceOf(nowCharges, coupons, now, now, true);
  if (trialEnd !== undefined && plan.trial_end_action === 'cancel_subscription' && args.trial_end_action === undefined) {
    out.cancels_at = trialEnd;
    return out;
  }
  const activation = trialEnd ?? from;
  const later = [...recurring, ...charges.filter((c) => c.when === 'activation' || (!invoiceNow && c.when === 'creation'))];
  const firstApplied = out.now ? now : activation;
  out.next = { ...invoiceOf(later, coupons, activation, firstApplied, out.now === undefined), date: activation };
  return out;
}

export interface CancelOutcome {
  /** 'now' cancels at once; otherwise the Unix time it is scheduled for. */
  at: number;
  immediate: boolean;
  status_after: string;
  /** Why the option given does not defer it (future/paused). */
  forced?: string;
  /** end_of_contract_term: the contract is not renewed; the subscription renews until it ends. */
  contract_end?: boolean;
  /** specific_date: the credit option applies at that date. */
  specific_date?: boolean;
}

/**
 * When a cancellation takes effect and the status meanwhile, per Chargebee's rules for each state.
 * Product Catalog 1.0's cancel without end_of_term (default false) cancels at once; end_of_contract_term
 * leaves the subscription active (renewing) until the contract ends.
 */
export function cancelOutcome(sub: any, args: Args, now: number, pc: 1 | 2 = 2): CancelOutcome {
  const contract = sub.contract_term?.status === 'active' ? sub.contract_term : undefined;
  const byDefault = pc === 1 ? 'immediately' : 'end_of_term';
  const option: string = contract
    ? ({ terminate_immediately: 'immediately', end_of_contract_term: 'end_of_contract_term', specific_date: 'specific_date', end_of_subscription_billing_term: 'end_of_term' } as Record<string, string>)[args.contract_term_cancel_option] ?? 'end_of_term'
    : args.cancel_option ?? (args.end_of_term === true ? 'end_of_term' : args.end_of_term === false ? 'immediately' : byDefault);
  if (sub.status === 'future' || sub.status === 'paused') {
    return { at: now, immediate: true, status_after: 'cancelled', forced: option === 'immediately' ? undefined : `a ${sub.status} subscription has no running term to finish, so Chargebee cancels it at once whatever the cancel option` };
  }
  if (option === 'immediately' || sub.current_term_end === undefined) return { at: now, immediate: true, status_after: 'cancelled' };
  if (option === 'end_of_contract_term') return { at: contract.contract_end, immediate: false, status_after: sub.status, contract_end: true };
  const at = option === 'specific_date' ? args.cancel_at : sub.current_term_end;
  return { at, immediate: false, status_after: sub.status === 'in_trial' ? 'in_trial' : 'non_renewing', specific_date: option === 'specific_date' };
}

/** The renewals still billed before `until` (a contract's end): from the next billing date, one per billing period. */
export function renewalsBefore(sub: any, until: number): { count: number; first?: number; last?: number } {
  let at = sub.next_billing_at ?? sub.current_term_end;
  let count = 0;
  let first: number | undefined;
  let last: number | undefined;
  while (at !== undefined && at < until && count < 1000) {
    first ??= at;
    last = at;
    count += 1;
    at = addPeriod(at, sub.billing_period_unit, sub.billing_period ?? 1);
  }
  return { count, first, last };
}

const NOT_RECURRING = new Set(['charge_item_price', 'plan_setup', 'adhoc']);

export interface Credit {
  total: number;
  /** refundable, adjustment, or both joined with "+". */
  type: string;
  reference_invoice_id?: string;
  /** One per credit note: what was paid is refundable, what is still due is adjusted. */
  notes: { reference_invoice_id: string; type: 'refundable' | 'adjustment'; total: number }[];
}

/**
 * The credit a cancellation at `at` gives for the current term: the recurring charges of every invoice
 * of the term, as invoiced (after discounts), all (`full`) or the part after `at` (`prorate`); one-time
 * charges never. What was paid is refundable; what is still due is an adjustment of that invoice.
 */
export function termCredit(invoices: any[], mode: string | undefined, at: number): Credit | null {
  if (!invoices.length || mode === undefined || mode === 'none') return null;
  const notes: Credit['notes'] = [];
  for (const invoice of invoices) {
    const kept = !invoice.sub_total ? 0 : 1 - (invoice.sub_total - invoice.total) / invoice.sub_total;
    const total = (invoice.line_items ?? [])
      .filter((l: any) => !NOT_RECURRING.has(l.entity_type))
      .reduce((s: number, l: any) => {
        const share = mode === 'full' ? 1 : Math.min(1, Math.max(0, (l.date_to - Math.max(at, l.date_from)) / Math.max(l.date_to - l.date_from, DAY)));
        return s + Math.round((l.amount ?? 0) * kept * share);
      }, 0);
    if (total <= 0) continue;
    const adjusted = invoice.status === 'paid' ? 0 : Math.min(total, invoice.amount_due ?? total);
    if (adjusted > 0) notes.push({ reference_invoice_id: invoice.id, type: 'adjustment', total: adjusted });
    if (total - adjusted > 0) notes.push({ reference_invoice_id: invoice.id, type: 'refundable', total: total - adjusted });
  }
  if (!notes.length) return null;
  return {
    total: notes.reduce((s, n) => s + n.total, 0), type: [...new Set(notes.map((n) => n.type))].join('+'),
    reference_invoice_id: notes[0]!.reference_invoice_id, notes,
  };
}

/** The current term's invoices among a subscription's invoices: not voided, dated within the term, oldest first. */
export function pickTermInvoices(sub: any, invoices: any[]): any[] {
  if (sub.current_term_start === undefined) return [];
  return invoices.filter((i) => i.status !== 'voided' && i.date >= sub.current_term_start).sort((a, b) => a.date - b.date);
}
