/**
 * Money in previews: ask Chargebee's estimate endpoint for the write, and fall back to a local
 * computation (saying so, and what it leaves out) when the gateway refuses the estimate.
 */
import type { Args, TargetReader } from '../catalog.js';
import { GatewayError, ToolError } from '../errors.js';
import { day, money } from '../summary.js';

/** The structured money of a preview (`target.money`): minor units, ISO dates. */
export interface Money {
  /** estimate: Chargebee's estimate endpoint computed these figures; local: this server did. */
  source: 'estimate' | 'local';
  /** Always 'minor units': every amount below is in the currency's minor unit (cents), as Chargebee's API gives them. */
  amounts_in?: 'minor units';
  currency: string;
  /** The subscription's status right after the write. */
  status_after?: string;
  /** Cancellations: the day the subscription is (or will be) cancelled. */
  cancels_on?: string;
  /**
   * The invoice raised by the write itself, or null when none is. `amount_due` is what is left after the
   * customer's credits and excess payments (`credits_applied`); `status` paid, payment_due, or posted (net
   * terms: due on `due_date`).
   */
  invoice_now: {
    total: number; amount_due: number; discount: number; collection: 'auto_collected' | 'payment_due';
    credits_applied?: number; status?: 'paid' | 'payment_due' | 'posted'; due_date?: string;
  } | null;
  /** The first invoice still to come (trial end, start date, next renewal), or null. */
  next_invoice: { total: number; date: string } | null;
  /** Charges left unbilled by the write (invoice_immediately false), to go on the next invoice. */
  unbilled?: number;
  /**
   * Credit notes the write issues, or null when it credits nothing (or when it depends on the site's
   * default credit option, see `credit_option`). `notes`: one per credit note; `issued_on`: a
   * specific_date cancellation issues it on that date.
   */
  credit: { total: number; type: string; reference_invoice_id?: string; notes?: { reference_invoice_id: string; type: string; total: number }[]; issued_on?: string } | null;
  /** Cancellations: the credit option that applies: the one given, or 'site default' (not readable here). */
  credit_option?: 'none' | 'prorate' | 'full' | 'site default';
  /** The site default credit option not readable: the credit each option would give. */
  credit_if_site_default?: { none: 0; prorate: number; full: number };
  /** Cancellations on a contract term: the contract's end, and the renewals still billed until then. */
  contract_term_end?: string;
  renewals_until_cancel?: { count: number; amount_each: number; total: number; first?: string; last?: string };
  /** Immediate cancellations: the subscription's past-due invoices and what account_receivables_handling does to them. */
  receivables?: {
    handling: string; invoices: { id: string; amount_due: number }[]; total: number;
    /** Refundable credits and excess payments applied first. */
    balances_applied: number; written_off: number; charged: number; left_due: number;
  };
  /** Immediate cancellations: the customer's refundable credits and refundable_credits_handling. */
  refundable_credits?: { available: number; applied_to_dues: number; refund: number; handling: string };
  /** Creations: invoice_immediately not given: 'site setting' (the figures are for invoicing at once; the words give both). */
  invoice_immediately?: boolean | 'site setting';
  /** Creations: the customer's credits and excess payments applied to the invoice now. */
  balances_applied?: number;
  /** local: what the figures leave out. */
  not_included?: string[];
  /** local: why Chargebee's estimate was not used. */
  estimate_unavailable?: string;
}

export type EstimateAnswer = { estimate: any } | { refused: string };

/**
 * POSTs the estimate. A refusal that means "no estimate here" (Maton's own refusal of an endpoint it
 * does not forward, a 404/405, a PC 1.0 route on a PC 2.0 site or the reverse, an upstream failure,
 * a time-out) returns `refused` so the preview computes locally. A refusal that says the write itself
 * is wrong (Chargebee naming a parameter, or the target's state) is the preview's error: the write
 * would be refused the same way.
 */
export async function askEstimate(t: TargetReader, template: string, params: Args, body: Args): Promise<EstimateAnswer> {
  try {
    const res = await t.estimate(template, params, body);
    if (!res || typeof res.estimate !== 'object' || res.estimate === null) return { refused: 'the gateway answered without an estimate' };
    return { estimate: res.estimate };
  } catch (e) {
    if (!(e instanceof GatewayError)) throw e;
    const i = e.info;
    const writeIsWrong = i.source === 'chargebee' && i.status !== undefined && i.status >= 400 && i.status < 500
      && i.status !== 404 && i.status !== 405 && i.status !== 429 && i.api_error_code !== 'configuration_incompatible'
      && (i.param !== undefined || i.api_error_code === 'invalid_state_for_request');
    if (writeIsWrong) {
      throw new ToolError(`Chargebee's estimate for this write refused it, so the write would be refused too: ${e.message}`, { ...i });
    }
    return { refused: describe(e) };
  }
}

function describe(e: GatewayError): string {
  const i = e.info;
  if (i.source === 'maton') return `the gateway refused the estimate endpoint (Maton HTTP ${i.status})`;
  if (i.source === 'chargebee') return `Chargebee answered the estimate with HTTP ${i.status} ${i.api_error_code ?? ''}`.trim();
  if (i.source === 'upstream') return `the estimate endpoint failed upstream (HTTP ${i.status})`;
  return 'the estimate endpoint could not be reached';
}

/** The figures of a Chargebee `estimate` object. */
export function fromEstimate(est: any, currency: string): Pick<Money, 'source' | 'currency' | 'status_after' | 'next_invoice' | 'unbilled' | 'credit'> & { invoice?: { total: number; amount_due: number; discount: number; credits_applied?: number } } {
  const inv = est.invoice_estimate;
  const next = est.next_invoice_estimate;
  const notes: any[] = Array.isArray(est.credit_note_estimates) ? est.credit_note_estimates : [];
  const unbilled: any[] = Array.isArray(est.unbilled_charge_estimates) ? est.unbilled_charge_estimates : [];
  const nextDate = est.subscription_estimate?.next_billing_at ?? next?.date;
  return {
    source: 'estimate',
    currency: inv?.currency_code ?? next?.currency_code ?? notes[0]?.currency_code ?? est.subscription_estimate?.currency_code ?? currency,
    status_after: est.subscription_estimate?.status,
    invoice: inv ? { total: inv.total ?? inv.sub_total ?? 0, amount_due: inv.amount_due ?? inv.total ?? 0, discount: discountOf(inv), ...((inv.credits_applied ?? 0) + (inv.amount_paid ?? 0) ? { credits_applied: (inv.credits_applied ?? 0) + (inv.amount_paid ?? 0) } : {}) } : undefined,
    next_invoice: next ? { total: next.total ?? next.sub_total ?? 0, date: day(nextDate) ?? 'the next billing date' } : null,
    unbilled: unbilled.length ? unbilled.reduce((s, u) => s + (u.amount ?? 0) - (u.discount_amount ?? 0), 0) : undefined,
    credit: notes.length
      ? {
        total: notes.reduce((s, n) => s + (n.total ?? 0), 0), type: [...new Set(notes.map((n) => n.type))].join('+'), reference_invoice_id: notes[0]?.reference_invoice_id,
        notes: notes.map((n) => ({ reference_invoice_id: n.reference_invoice_id, type: n.type, total: n.total ?? 0 })),
      }
      : null,
  };
}

function discountOf(inv: any): number {
  return (inv.discounts ?? []).reduce((s: number, d: any) => s + (d.amount ?? 0), 0);
}

/** The closing sentence: where the figures come from, and what local figures leave out. */
export function sourceSentence(m: Money): string {
  if (m.source === 'estimate') {
    return m.not_included?.length
      ? `Figures from Chargebee's own estimate for this write, except: ${m.not_included.join(', ')}.`
      : "Figures from Chargebee's own estimate for this write.";
  }
  return `Figures computed locally by this server (${m.estimate_unavailable ?? "Chargebee's estimate was not available"}): they leave out ${(m.not_included ?? ['tax']).join(', ')}.`;
}

export const fmt = (minor: number, m: { currency: string }) => money(minor, m.currency);
