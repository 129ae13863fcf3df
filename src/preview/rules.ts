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

/** One term of an item: a flat fee is billed once whatever the quantity; per unit, unit price × quantity. */
export function itemAmount(pricingModel: string | undefined, unitPrice: number, quantity: number): number {
  return pricingModel === 'flat_fee' ? unitPrice : unitPrice * quantity;
}

/** Does a coupon discount an invoice dated `date` of a subscription that started at `start`? */
export function couponApplies(coupon: any, date: number, start: number, first: boolean): boolean {
  if (coupon.duration_type === 'one_time') return first;
  if (coupon.duration_type === 'limited_period') {
    const months = coupon.duration_month ?? (coupon.period_unit === 'year' ? 12 * (coupon.period ?? 1) : coupon.period ?? 1);
    return date < addPeriod(start, 'month', months);
  }
  return true;
}

/** A document-level coupon's discount on an invoice amount. */
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

export function invoiceOf(lines: Line[], coupons: any[], date: number, start: number, first: boolean): Invoiced {
  const subTotal = lines.reduce((s, l) => s + l.amount, 0);
  const applied = coupons.filter((c) => couponApplies(c, date, start, first));
  const discount = Math.min(subTotal, applied.reduce((s, c) => s + couponDiscount(c, subTotal), 0));
  return { total: subTotal - discount, sub_total: subTotal, discount, coupons: applied.map((c) => c.id) };
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
}

/**
 * A new subscription's invoices: `lines` in order (the plan first), `plan` its price (period, trial),
 * `args` the write's arguments (trial_end, start_date, invoice_immediately).
 */
export function createOutcome(lines: Line[], plan: any, coupons: any[], args: Args, now: number): CreateOutcome {
  const future = args.start_date !== undefined && args.start_date > now;
  const from = future ? args.start_date : now;
  const defaultTrial = args.trial_end === undefined && Boolean(plan.trial_period);
  const trialEnd = args.trial_end === 0 ? undefined
    : args.trial_end ?? (plan.trial_period ? addPeriod(from, plan.trial_period_unit ?? 'day', plan.trial_period) : undefined);
  const status = future ? 'future' : trialEnd !== undefined ? 'in_trial' : 'active';
  const unit = plan.period_unit;
  const period = plan.period ?? 1;
  const invoiceNow = args.invoice_immediately !== false;
  const recurring = lines.filter((l) => l.type !== 'charge');
  const charges = lines.filter((l) => l.type === 'charge');
  const out: CreateOutcome = { status, start: from, trial_end: trialEnd, default_trial: defaultTrial && trialEnd !== undefined };
  if (status === 'active') {
    const termEnd = addPeriod(now, unit, period);
    out.term_end = termEnd;
    const items = [...recurring, ...charges.filter((c) => c.when !== 'later')];
    if (invoiceNow) {
      out.now = invoiceOf(items, coupons, now, from, true);
    } else {
      out.unbilled = items.reduce((s, l) => s + l.amount, 0);
      out.next = { ...invoiceOf([...items, ...recurring], coupons, termEnd, from, true), date: termEnd };
    }
    return out;
  }
  const nowCharges = charges.filter((c) => c.when === 'creation');
  if (nowCharges.length && invoiceNow) out.now = invoiceOf(nowCharges, coupons, now, from, true);
  const activation = status === 'in_trial' ? trialEnd! : from;
  const later = [...recurring, ...charges.filter((c) => c.when === 'activation' || (!invoiceNow && c.when === 'creation'))];
  out.next = { ...invoiceOf(later, coupons, activation, from, out.now === undefined), date: activation };
  return out;
}

export interface CancelOutcome {
  /** 'now' cancels at once; otherwise the Unix time it is scheduled for. */
  at: number;
  immediate: boolean;
  status_after: string;
  /** Why the option given does not defer it (future/paused). */
  forced?: string;
}

/** When a cancellation takes effect and the status meanwhile, per Chargebee's rules for each state. */
export function cancelOutcome(sub: any, args: Args, now: number): CancelOutcome {
  const contract = sub.contract_term?.status === 'active' ? sub.contract_term : undefined;
  const option: string = contract
    ? ({ terminate_immediately: 'immediately', end_of_contract_term: 'end_of_contract_term', specific_date: 'specific_date', end_of_subscription_billing_term: 'end_of_term' } as Record<string, string>)[args.contract_term_cancel_option] ?? 'end_of_term'
    : args.cancel_option ?? (args.end_of_term === true ? 'end_of_term' : args.end_of_term === false ? 'immediately' : 'end_of_term');
  if (sub.status === 'future' || sub.status === 'paused') {
    return { at: now, immediate: true, status_after: 'cancelled', forced: option === 'immediately' ? undefined : `a ${sub.status} subscription has no running term to finish, so Chargebee cancels it at once whatever the cancel option` };
  }
  if (option === 'immediately' || sub.current_term_end === undefined) return { at: now, immediate: true, status_after: 'cancelled' };
  const at = option === 'specific_date' ? args.cancel_at : option === 'end_of_contract_term' ? contract.contract_end : sub.current_term_end;
  return { at, immediate: false, status_after: sub.status === 'in_trial' ? 'in_trial' : 'non_renewing' };
}

const NOT_RECURRING = new Set(['charge_item_price', 'plan_setup', 'adhoc']);

/**
 * The credit an immediate cancellation gives for the current term: the recurring charges of the term
 * invoice as invoiced (after its discounts), all (`full`) or the unused share (`prorate`); one-time
 * charges never. Refundable when that invoice is paid, else an adjustment of it.
 */
export function termCredit(sub: any, invoice: any | undefined, mode: string | undefined, now: number): { total: number; type: string; reference_invoice_id?: string } | null {
  if (!invoice || mode === undefined || mode === 'none') return null;
  const start = sub.current_term_start ?? now;
  const end = sub.current_term_end ?? now;
  const share = mode === 'full' ? 1 : Math.min(1, Math.max(0, (end - now) / Math.max(end - start, DAY)));
  const kept = !invoice.sub_total ? 0 : 1 - (invoice.sub_total - invoice.total) / invoice.sub_total;
  const total = (invoice.line_items ?? [])
    .filter((l: any) => !NOT_RECURRING.has(l.entity_type))
    .reduce((s: number, l: any) => s + Math.round((l.amount ?? 0) * kept * share), 0);
  if (total <= 0) return null;
  return { total, type: invoice.status === 'paid' ? 'refundable' : 'adjustment', reference_invoice_id: invoice.id };
}

/** The current term's invoice among a subscription's invoices (newest first): not voided, dated within the term. */
export function pickTermInvoice(sub: any, invoices: any[]): any | undefined {
  if (sub.current_term_start === undefined) return undefined;
  return invoices.filter((i) => i.status !== 'voided' && i.date >= sub.current_term_start).sort((a, b) => b.date - a.date)[0];
}
