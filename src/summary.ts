/** Formatting helpers for previews: what a person needs to recognise a target. */

export function money(minor: number | undefined, currency: string | undefined): string {
  if (minor === undefined || minor === null) return 'an unknown amount';
  const code = currency || 'USD';
  try {
    const fmt = new Intl.NumberFormat('en-US', { style: 'currency', currency: code });
    const digits = fmt.resolvedOptions().maximumFractionDigits ?? 2;
    return fmt.format(minor / 10 ** digits);
  } catch {
    return `${(minor / 100).toFixed(2)} ${code}`;
  }
}

export function day(unixSeconds: number | undefined): string | undefined {
  if (!unixSeconds) return undefined;
  return new Date(unixSeconds * 1000).toISOString().slice(0, 10);
}

export function fullName(c: { first_name?: string; last_name?: string } | undefined): string | undefined {
  const n = [c?.first_name, c?.last_name].filter(Boolean).join(' ');
  return n || undefined;
}

/** Drop undefined fields so summaries stay compact. */
export function compact<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== '')) as Partial<T>;
}

export function customerSummary(c: any, card?: any) {
  return compact({
    id: c?.id,
    name: fullName(c),
    email: c?.email,
    company: c?.company,
    auto_collection: c?.auto_collection,
    payment_method: card ? `${card.card_type ?? card.brand ?? 'card'} ${card.masked_number ?? ''}`.trim() : c?.card_status === 'no_card' ? 'none' : undefined,
  });
}

const QUOTE_MAX = 120;

/**
 * Chargebee data inside a preview sentence: JSON-quoted (newlines and quotes escaped, line and
 * paragraph separators too) and clipped, so a customer's name can never start a line of its own
 * or pose as the effect.
 */
export function quote(s: unknown): string {
  const text = String(s ?? '');
  const clipped = text.length > QUOTE_MAX ? `${text.slice(0, QUOTE_MAX)}…` : text;
  return JSON.stringify(clipped).replace(/[\u0085\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Label a customer for a sentence: `customer "cust_1" ("Ada Lovelace", "ada@x.com")`, every part quoted. */
export function who(c: any): string {
  const name = fullName(c) ?? c?.company;
  const parts = [name, c?.email].filter(Boolean).map(quote);
  return `customer ${quote(c?.id)}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

export interface TermItem {
  item_price_id: string;
  quantity?: number;
  unit_price?: number;
  amount?: number;
}

/** The recurring amount of one term: one-time charge items are not part of it. */
export function itemsTotal(items: (TermItem & { item_type?: string })[] | undefined): number {
  return (items ?? []).filter((i) => i.item_type !== 'charge').reduce((sum, i) => sum + (i.amount ?? (i.unit_price ?? 0) * (i.quantity ?? 1)), 0);
}

export function period(s: { billing_period?: number; billing_period_unit?: string }): string {
  if (!s.billing_period_unit) return '';
  return s.billing_period && s.billing_period > 1 ? `every ${s.billing_period} ${s.billing_period_unit}s` : `per ${s.billing_period_unit}`;
}

export function subscriptionSummary(s: any, customer?: any) {
  const cur = s?.currency_code;
  return compact({
    id: s?.id,
    status: s?.status,
    customer: customer ? customerSummary(customer) : s?.customer_id,
    items: (s?.subscription_items as (TermItem & { item_type?: string })[] | undefined)?.map((i) =>
      compact({ item_price_id: i.item_price_id, type: i.item_type, quantity: i.quantity, unit_price: i.unit_price === undefined ? undefined : money(i.unit_price, cur), amount: i.amount === undefined ? undefined : money(i.amount, cur) }),
    ),
    plan_id: s?.plan_id,
    recurring_amount: s?.subscription_items ? `${money(itemsTotal(s.subscription_items), cur)} ${period(s)} before discounts and tax`.trim() : undefined,
    auto_collection: s?.auto_collection,
    contract_term: s?.contract_term ? compact({ status: s.contract_term.status, contract_start: day(s.contract_term.contract_start), contract_end: day(s.contract_term.contract_end), billing_cycles: s.contract_term.billing_cycle }) : undefined,
    coupons: Array.isArray(s?.coupons) && s.coupons.length ? s.coupons.map((c: any) => c.coupon_id) : undefined,
    current_term_start: day(s?.current_term_start),
    current_term_end: day(s?.current_term_end),
    next_billing_at: day(s?.next_billing_at),
    trial_end: day(s?.trial_end),
    cancelled_at: day(s?.cancelled_at),
    resource_version: s?.resource_version,
  });
}
