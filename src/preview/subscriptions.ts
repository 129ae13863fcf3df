/**
 * Previews of the subscription writes: the money comes from Chargebee's estimate endpoint for the
 * write, or, when the gateway refuses it, from ./rules.ts, and the sentence says which. Every piece of
 * Chargebee data in a sentence goes through quote().
 */
import type { Args, Preview, TargetReader } from '../catalog.js';
import { GatewayError, ToolError } from '../errors.js';
import { customerSummary, day, itemsTotal, money as fmtMoney, period, quote, subscriptionSummary, who } from '../summary.js';
import { askEstimate, fromEstimate, sourceSentence, type Money } from './estimate.js';
import {
  amountDue, cancelOutcome, chargeMoment, couponDuration, createOutcome, itemAmount, pickTermInvoices, renewalsBefore, termCredit, type Credit, type Line,
} from './rules.js';

const LOCAL_CANCEL_GAPS = ['tax', 'unbilled charges', 'promotional credits and other balances'];
const LOCAL_CREATE_GAPS = ['tax'];

const nowS = () => Math.floor(Date.now() / 1000);
const omit = (args: Args, keys: string[]) => Object.fromEntries(Object.entries(args).filter(([k, v]) => !keys.includes(k) && v !== undefined));
const pick = (o: Args | undefined, keys: readonly string[]) => Object.fromEntries(Object.entries(o ?? {}).filter(([k, v]) => keys.includes(k) && v !== undefined));

function cardLabel(card: any): string {
  return quote(`${card?.card_type ?? card?.brand ?? 'card'} ${card?.masked_number ?? card?.last4 ?? ''}`.trim());
}

/** "Now" as Chargebee sees it: the estimate's own time when there is one, else this server's clock. */
const nowOf = (answer: { estimate: any } | { refused: string }) => ('estimate' in answer && Number.isInteger(answer.estimate.created_at) ? answer.estimate.created_at : nowS());

/**
 * A read the local figures need, where the gateway may refuse the route: a Chargebee "not found" is the
 * preview's error (the write would fail on it too); any other refusal leaves that part out, said so.
 */
async function optionalRead<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (e) {
    if (!(e instanceof GatewayError) || (e.info.source === 'chargebee' && e.info.status === 404)) throw e;
    return undefined;
  }
}

/** The coupons of a write, read for the local figures; those that could not be read are named. */
async function readCoupons(t: TargetReader, ids: string[] = []): Promise<{ coupons: any[]; unread: string[] }> {
  const read = await Promise.all(ids.map((id) => optionalRead(async () => (await t.get('/coupons/{coupon_id}', { coupon_id: id })).coupon)));
  return { coupons: read.filter(Boolean), unread: ids.filter((_, i) => !read[i]).map((id) => `coupon ${quote(id)} (it could not be read)`) };
}

// ---------------------------------------------------------------- cancel

/**
 * The subscription's invoices (newest 20): the current term's (for credits and for saying what was
 * paid) and those past due. null: they could not be read.
 */
async function invoicesOf(t: TargetReader, sub: any): Promise<any[] | null> {
  const res = await optionalRead(() => t.get('/invoices', {}, { subscription_id: { is: sub.id }, sort_by: { desc: 'date' }, limit: 20 }));
  if (!res) return null;
  return (res.list ?? []).map((e: any) => e.invoice);
}

const isDue = (i: any) => (i.status === 'payment_due' || i.status === 'not_paid') && (i.amount_due ?? 0) > 0;

/**
 * account_receivables_handling and refundable_credits_handling of an immediate cancellation (Chargebee:
 * the due invoices are "qualified for the selected operation after the remaining refundable credits and
 * excess payments are applied"; schedule_payment_collection charges only with auto_collection on).
 */
function settlement(args: Args, dues: any[], customer: any, card: any): Pick<Money, 'receivables' | 'refundable_credits'> {
  const handling = args.account_receivables_handling ?? 'not given';
  const refundHandling = args.refundable_credits_handling ?? 'not given';
  const out: Pick<Money, 'receivables' | 'refundable_credits'> = {};
  let refundable = customer?.refundable_credits ?? 0;
  let excess = customer?.excess_payments ?? 0;
  const settle = handling === 'write_off' || handling === 'schedule_payment_collection';
  const applyCredits = settle || refundHandling === 'schedule_refund';
  let appliedRefundable = 0;
  let balances = 0;
  let writtenOff = 0;
  let charged = 0;
  let left = 0;
  const canCharge = customer?.auto_collection === 'on' && Boolean(card ?? customer?.payment_method);
  for (const inv of dues) {
    let due = inv.amount_due;
    if (applyCredits) {
      const r = Math.min(due, refundable);
      refundable -= r;
      appliedRefundable += r;
      due -= r;
      balances += r;
    }
    if (settle) {
      const e = Math.min(due, excess);
      excess -= e;
      due -= e;
      balances += e;
    }
    if (handling === 'write_off') writtenOff += due;
    else if (handling === 'schedule_payment_collection' && canCharge) charged += due;
    else left += due;
  }
  if (dues.length) {
    out.receivables = {
      handling, invoices: dues.map((i) => ({ id: i.id, amount_due: i.amount_due })), total: dues.reduce((s, i) => s + i.amount_due, 0),
      balances_applied: balances, written_off: writtenOff, charged, left_due: left,
    };
  }
  if ((customer?.refundable_credits ?? 0) > 0) {
    out.refundable_credits = { available: customer.refundable_credits, applied_to_dues: appliedRefundable, refund: refundHandling === 'schedule_refund' ? refundable : 0, handling: refundHandling };
  }
  return out;
}

function settlementSentences(m: Money, card: any): string[] {
  const out: string[] = [];
  const r = m.receivables;
  const f = (n: number) => fmtMoney(n, m.currency);
  if (r) {
    const list = r.invoices.map((i) => `${quote(i.id)} ${f(i.amount_due)}`).join(', ');
    const first = r.balances_applied ? `${f(r.balances_applied)} of the customer's refundable credits and excess payments are applied first, then ` : '';
    if (r.handling === 'write_off') out.push(`Past-due invoices of this subscription: ${list} (${f(r.total)}): account_receivables_handling write_off: ${first}${f(r.written_off)} is written off (not collected).`);
    else if (r.handling === 'schedule_payment_collection') out.push(`Past-due invoices of this subscription: ${list} (${f(r.total)}): account_receivables_handling schedule_payment_collection: ${first}${r.charged ? `${f(r.charged)} is charged to ${cardLabel(card)}` : `${f(r.left_due)} stays due (no automatic charge: auto_collection is off or there is no payment method)`}.`);
    else out.push(`Past-due invoices of this subscription: ${list} (${f(r.total)}) stay due${r.handling === 'not given' ? ' (account_receivables_handling not given)' : ' (no_action)'}.`);
  }
  const c = m.refundable_credits;
  if (c) {
    if (c.handling === 'schedule_refund') out.push(`Refundable credits: ${f(c.available)}${c.applied_to_dues ? `, of which ${f(c.applied_to_dues)} pay past-due invoices first` : ''}; refundable_credits_handling schedule_refund: ${c.refund ? `${f(c.refund)} is refunded to the customer` : 'nothing is left to refund'}.`);
    else out.push(`Refundable credits of ${f(c.available)} stay on the customer's account${c.handling === 'not given' ? ' (refundable_credits_handling not given)' : ''}.`);
  }
  return out;
}

export async function cancelPreview(args: Args, t: TargetReader, pc: 1 | 2): Promise<Preview> {
  const { subscription: s, customer, card } = await t.get('/subscriptions/{subscription_id}', args);
  if (s.status === 'cancelled' || s.status === 'transferred') {
    throw new ToolError(`Subscription ${quote(s.id)} of ${who(customer)} is already ${s.status}${s.cancelled_at ? ` (since ${day(s.cancelled_at)})` : ''}: there is nothing to cancel.`);
  }
  const isPc2 = Array.isArray(s.subscription_items);
  if (pc === 1 && isPc2) throw new ToolError(`Subscription ${quote(s.id)} is on Product Catalog 2.0 (it has subscription_items): use cancel_subscription_for_items.`);
  if (pc === 2 && !isPc2) throw new ToolError(`Subscription ${quote(s.id)} is on Product Catalog 1.0 (a plan, no subscription_items): use cancel_subscription.`);
  const contract = s.contract_term?.status === 'active' ? s.contract_term : undefined;
  if (contract && args.contract_term_cancel_option === undefined) {
    throw new ToolError(`Subscription ${quote(s.id)} is on a contract term until ${day(contract.contract_end)}: cancel it with contract_term_cancel_option (terminate_immediately, end_of_contract_term, specific_date or end_of_subscription_billing_term) and without cancel_option.`);
  }
  if (contract && (args.cancel_option !== undefined || args.end_of_term !== undefined)) {
    throw new ToolError(`Subscription ${quote(s.id)} is on a contract term: cancel_option and end_of_term do not apply to it; pass only contract_term_cancel_option.`);
  }
  if (!contract && args.contract_term_cancel_option !== undefined) {
    throw new ToolError(`Subscription ${quote(s.id)} has no active contract term: use cancel_option instead of contract_term_cancel_option.`);
  }

  const route = pc === 2 ? '/subscriptions/{subscription_id}/cancel_subscription_for_items_estimate' : '/subscriptions/{subscription_id}/cancel_subscription_estimate';
  const answer = await askEstimate(t, route, args, omit(args, ['subscription_id', 'connection_id', 'confirm_token']));
  const now = nowOf(answer);
  const timing = cancelOutcome(s, args, now, pc);
  const paidTerm = s.status === 'active' || s.status === 'non_renewing';
  // The credit option applies to immediate and specific_date cancellations (not end_of_term ones).
  const credited = paidTerm && (timing.immediate || timing.specific_date === true);
  const invoices = credited || timing.immediate ? await invoicesOf(t, s) : undefined;
  const termInvoices = invoices ? pickTermInvoices(s, invoices) : [];
  const termInvoice = termInvoices[termInvoices.length - 1];
  const option: string | undefined = args.credit_option_for_current_term_charges;
  const creditAt = timing.immediate ? now : timing.at;
  const cur = s.currency_code;
  const recurring = isPc2 ? itemsTotal(s.subscription_items) : s.plan_amount ?? (s.plan_unit_price ?? 0) * (s.plan_quantity ?? 1);

  let m: Money;
  if ('estimate' in answer) {
    const e = fromEstimate(answer.estimate, cur);
    m = {
      source: 'estimate', amounts_in: 'minor units', currency: e.currency, status_after: e.status_after ?? timing.status_after, cancels_on: day(timing.at),
      invoice_now: e.invoice ? { ...e.invoice, collection: collects(customer, card, s.auto_collection) ? 'auto_collected' : 'payment_due' } : null,
      next_invoice: null, credit: e.credit,
    };
  } else {
    m = {
      source: 'local', amounts_in: 'minor units', currency: cur, status_after: timing.status_after, cancels_on: day(timing.at), invoice_now: null, next_invoice: null,
      credit: timing.immediate && credited ? withoutUndefined(termCredit(termInvoices, option, creditAt)) : null,
      not_included: [...LOCAL_CANCEL_GAPS, ...(invoices === null ? ['the credit for the current term (its invoices could not be read)'] : []), ...(contract ? ['contract termination fees'] : []), ...(option === 'prorate' && timing.immediate ? ['the exact time of the write (the credit is prorated to the time of this preview)'] : [])],
      estimate_unavailable: answer.refused,
    };
  }
  if (credited) {
    m.credit_option = (option ?? 'site default') as Money['credit_option'];
    if (option === undefined && termInvoices.length) {
      m.credit_if_site_default = { none: 0, prorate: termCredit(termInvoices, 'prorate', creditAt)?.total ?? 0, full: termCredit(termInvoices, 'full', creditAt)?.total ?? 0 };
    }
    // A specific_date cancellation credits on that date: Chargebee's estimate of today's write holds no credit note for
    // it, so this server computes it from the term's invoices (and says so).
    if (timing.specific_date) {
      const c = termCredit(termInvoices, option, creditAt);
      m.credit = c ? { ...c, issued_on: day(timing.at) } : null;
      if (c) m.not_included = [...(m.not_included ?? []), `tax on the credit of ${day(timing.at)} (computed by this server from the term's invoices, not by Chargebee's estimate)`];
    }
  }
  if (timing.contract_end) {
    const r = renewalsBefore(s, contract.contract_end);
    m.contract_term_end = day(contract.contract_end);
    m.renewals_until_cancel = { count: r.count, amount_each: recurring, total: r.count * recurring, first: day(r.first), last: day(r.last) };
  }
  if (timing.immediate && invoices) {
    Object.assign(m, settlement(args, invoices.filter(isDue), customer, card));
    // Chargebee's estimate gives no figures for past-due invoices and refunds: these are this server's, said so.
    if (m.source === 'estimate' && (m.receivables || m.refundable_credits?.refund)) {
      m.not_included = [...(m.not_included ?? []), "the handling of past-due invoices and refundable credits (computed by this server from the subscription's invoices and the customer's balances)"];
    }
  }

  const label = `subscription ${quote(s.id)} of ${who(customer)} (${s.status}; recurring ${fmtMoney(recurring, cur)} ${period(s)} before discounts and tax)`;
  const sentences: string[] = [];
  if (m.status_after === 'cancelled') {
    sentences.push(`Cancels ${label} at once${timing.forced ? ` (${timing.forced})` : ''}${pc === 1 && args.end_of_term === undefined && args.cancel_option === undefined ? ' (end_of_term not given: Chargebee cancels at once)' : ''}: status becomes cancelled today (${m.cancels_on}) and ${s.next_billing_at ? `the renewal due ${day(s.next_billing_at)} will not be raised` : 'no further invoices will be raised'}.`);
    sentences.push(creditSentence(m, s, termInvoice, option, paidTerm, 'now'));
    if (m.invoice_now) sentences.push(`Unbilled charges are invoiced now: ${fmtMoney(m.invoice_now.total, m.currency)}.`);
    sentences.push(...settlementSentences(m, card));
  } else if (timing.contract_end) {
    const r = m.renewals_until_cancel!;
    sentences.push(`Sets the contract term of ${label} to cancel at its end, ${m.contract_term_end} (end_of_contract_term): the contract is not renewed; until then the subscription stays ${m.status_after} and is billed as usual: ${r.count} renewal invoice${r.count === 1 ? '' : 's'} of ${fmtMoney(r.amount_each, cur)}${r.count ? ` (${r.first}${r.count > 1 ? ` … ${r.last}` : ''})` : ''}, ${fmtMoney(r.total, cur)} in all before discounts and tax. It is cancelled on ${m.contract_term_end}. No credit or refund.`);
  } else {
    const why = timing.specific_date ? 'the date given' : 'the end of the current term';
    const meanwhile = m.status_after === 'in_trial'
      ? 'until then it stays in_trial (the trial is not converted to a paid term and nothing is invoiced)'
      : `until then it is ${m.status_after} and keeps its service`;
    sentences.push(`Schedules the cancellation of ${label} on ${m.cancels_on} (${why}): ${meanwhile}; no renewal invoice is raised after that.`);
    sentences.push(credited ? creditSentence(m, s, termInvoice, option, paidTerm, m.cancels_on!) : 'No credit or refund (a credit option applies only to immediate and specific_date cancellations).');
  }
  sentences.push(sourceSentence(m));
  return {
    target: { subscription: subscriptionSummary(s), customer: customerSummary(customer, card), money: m },
    effect: sentences.join(' '),
    version: String(s.resource_version ?? s.updated_at ?? ''),
  };
}

/** The existing `credit` shape (total, type, reference_invoice_id) first, the notes after. */
function withoutUndefined(c: Credit | null): Money['credit'] {
  return c && { total: c.total, type: c.type, reference_invoice_id: c.reference_invoice_id, notes: c.notes };
}

function creditSentence(m: Money, s: any, termInvoice: any, option: string | undefined, paidTerm: boolean, when: string): string {
  const f = (n: number) => fmtMoney(n, m.currency);
  const paid = termInvoice
    ? ` (the current term was invoiced ${f(termInvoice.total)} on ${quote(termInvoice.id)}, ${termInvoice.status === 'paid' ? 'paid' : `${termInvoice.status}: ${f(termInvoice.amount_due)} still due`})`
    : '';
  const on = when === 'now' ? '' : `On ${when}: `;
  const siteDefault = option === undefined
    ? m.source === 'estimate'
      ? ' credit_option_for_current_term_charges is not given, so the site default credit option applies; Chargebee\'s estimate applied it.'
      : ` credit_option_for_current_term_charges is not given, so the site default credit option applies, which this server cannot read: none gives no credit${m.credit_if_site_default ? `, prorate ${f(m.credit_if_site_default.prorate)}, full ${f(m.credit_if_site_default.full)}` : ''}.`
    : '';
  if (option === undefined && m.source === 'local' && m.credit_if_site_default) return `${on}Credit: depends on the site default${paid}.${siteDefault}`;
  if (m.credit) {
    const notes = m.credit.notes ?? [];
    if (notes.length > 1) {
      return `${on}Credit: credit notes of ${f(m.credit.total)} in all for the recurring charges of the current term, on each of its invoices (${notes.map((n) => `${n.type === 'refundable' ? 'refundable' : 'adjustment of what is still due'} ${f(n.total)} against ${quote(n.reference_invoice_id)}`).join(', ')}); one-time charges are not credited.${siteDefault}`;
    }
    const kind = m.credit.type === 'refundable' ? 'a refundable credit note' : m.credit.type === 'adjustment' ? 'a credit note that reduces what is still due on the unpaid invoice' : `credit notes (${m.credit.type})`;
    return `${on}Credit: ${kind} of ${f(m.credit.total)} for the recurring charges of the current term${m.credit.reference_invoice_id ? ` against ${quote(m.credit.reference_invoice_id)}` : ''}${paid}; one-time charges are not credited.${siteDefault}`;
  }
  if (s.status === 'in_trial') return 'No credit: the trial was never invoiced.';
  if (!paidTerm) return `No credit: a ${s.status} subscription has no paid term running.`;
  if (!termInvoice && m.source === 'local' && m.not_included?.some((n) => n.startsWith('the credit'))) return 'Credit: unknown here (the current term\'s invoice could not be read).';
  if (!termInvoice && m.source === 'local') return 'No credit: no invoice was found for the current term.';
  return `${on}No credit or refund for the unused part of the term${option === 'none' ? ' (credit_option_for_current_term_charges is none)' : ''}${paid}.${siteDefault}`;
}

function collects(customer: any, card: any, autoCollection?: string): boolean {
  return (autoCollection ?? customer?.auto_collection) === 'on' && Boolean(card ?? customer?.payment_method);
}

function collectionSentence(m: Money, customer: any, card: any, autoCollection?: string): string {
  const inv = m.invoice_now!;
  const f = (n: number) => fmtMoney(n, m.currency);
  const off = (autoCollection ?? customer?.auto_collection) !== 'on';
  const discount = inv.discount ? ` (${f(inv.total + inv.discount)} less ${f(inv.discount)} of coupons)` : '';
  const balances = inv.total !== inv.amount_due ? `; ${f(inv.total - inv.amount_due)} of the customer's credits and excess payments are applied first, so ${f(inv.amount_due)} is left to pay` : '';
  if (inv.amount_due === 0) return `Now: an invoice of ${f(inv.total)}${discount}${balances}, nothing to pay.`;
  if (inv.collection === 'auto_collected') return `Now: an invoice of ${f(inv.total)}${discount}${balances}: ${f(inv.amount_due)} charged to ${cardLabel(card)}.`;
  if (inv.status === 'posted') return `Now: an invoice of ${f(inv.total)}${discount}${balances}, posted: ${f(inv.amount_due)} due on ${inv.due_date} (net terms; ${off ? 'auto_collection is off' : 'no payment method on file'}).`;
  return `Now: an invoice of ${f(inv.total)}${discount}${balances}, left payment_due for the customer to pay (${off ? 'auto_collection is off' : 'no payment method on file'}).`;
}

// ---------------------------------------------------------------- create (Product Catalog 2.0)

/** Parameters of POST /customers/{id}/create_subscription_for_items_estimate (Chargebee's spec). */
const ESTIMATE_TOP = ['subscription_items', 'billing_cycles', 'coupon_ids', 'invoice_immediately', 'contract_term', 'shipping_address', 'billing_address', 'mandatory_items_to_remove', 'terms_to_charge', 'billing_alignment_mode', 'invoice_date'] as const;
const ESTIMATE_SUB = ['id', 'trial_end', 'start_date', 'setup_fee', 'offline_payment_method', 'free_period', 'free_period_unit', 'contract_term_billing_cycle_on_renewal', 'trial_end_action'] as const;
const ESTIMATE_ITEM = ['item_price_id', 'quantity', 'quantity_in_decimal', 'unit_price', 'unit_price_in_decimal', 'billing_cycles', 'trial_end', 'service_period_days', 'charge_on_event', 'charge_once', 'item_type', 'charge_on_option'] as const;

/** The address fields an estimate takes (no name, email, company, phone or free-text state). */
const ESTIMATE_ADDRESS = ['line1', 'line2', 'line3', 'city', 'state_code', 'zip', 'country'] as const;

export function createEstimateBody(args: Args): Args {
  const body: Args = pick(args, ESTIMATE_TOP);
  for (const k of ['shipping_address', 'billing_address'] as const) {
    if (body[k]) {
      body[k] = pick(body[k], ESTIMATE_ADDRESS);
      if (!Object.keys(body[k]).length) delete body[k];
    }
  }
  body.subscription_items = (args.subscription_items ?? []).map((i: Args) => pick(i, ESTIMATE_ITEM));
  const sub = pick(args, ESTIMATE_SUB);
  if (Object.keys(sub).length) body.subscription = sub;
  return body;
}

export async function createForItemsPreview(args: Args, t: TargetReader): Promise<Preview> {
  const { customer, card } = await t.get('/customers/{customer_id}', args);
  const prices = (await Promise.all(args.subscription_items.map((i: any) => t.get('/item_prices/{item_price_id}', i)))).map((r: any) => r.item_price);
  prices.forEach((p: any) => {
    if (p.status !== 'active') throw new ToolError(`Item price ${quote(p.id)} is ${p.status}: choose an active price (list_item_prices with status {"is":"active"}).`);
  });
  const currencies = new Set(prices.map((p: any) => p.currency_code));
  if (currencies.size > 1) throw new ToolError(`The item prices mix currencies (${[...currencies].map(quote).join(', ')}): use prices of one currency.`);
  const cur = prices[0].currency_code;
  const lines: Line[] = args.subscription_items.map((i: any, n: number) => {
    const p = prices[n];
    const unit = i.unit_price ?? p.price ?? 0;
    const qty = i.quantity ?? 1;
    return { item_price_id: p.id, type: p.item_type, quantity: qty, unit_price: unit, amount: itemAmount(p, unit, qty), pricing_model: p.pricing_model, when: p.item_type === 'charge' ? chargeMoment(i) : undefined };
  });
  const plan = prices[0];
  const answer = await askEstimate(t, '/customers/{customer_id}/create_subscription_for_items_estimate', args, createEstimateBody(args));
  const now = nowOf(answer);
  const autoOn = collects(customer, card, args.auto_collection);

  let m: Money;
  let status: string;
  let startsOrRenews: number | undefined;
  const { coupons, unread } = await readCoupons(t, args.coupon_ids);
  const couponNames = [
    ...coupons.map((c: any) => `${c.id} (${c.discount_type === 'percentage' ? `${c.discount_percentage}% off` : `${fmtMoney(c.discount_amount, cur)} off`}${c.apply_on === 'each_specified_item' ? ' the items it names' : ''}, ${couponDuration(c)})`),
    ...(args.coupon_ids ?? []).filter((id: string) => !coupons.some((c: any) => c.id === id)),
  ];
  // invoice_immediately not given: the site's setting decides (Chargebee: "The default value is as per the site settings").
  const siteDecides = args.invoice_immediately === undefined;
  const local = createOutcome(lines, plan, coupons, args, now, args.invoice_immediately ?? true);
  const netDays: number = args.net_term_days ?? customer?.net_term_days ?? 0;
  const openStatus = (paid: boolean): 'paid' | 'posted' | 'payment_due' => (paid ? 'paid' : netDays > 0 ? 'posted' : 'payment_due');
  if ('estimate' in answer) {
    const e = fromEstimate(answer.estimate, cur);
    status = e.status_after ?? 'active';
    startsOrRenews = answer.estimate.subscription_estimate?.next_billing_at;
    m = {
      source: 'estimate', amounts_in: 'minor units', currency: e.currency, status_after: status,
      invoice_now: e.invoice ? { ...e.invoice, collection: autoOn || e.invoice.amount_due === 0 ? 'auto_collected' : 'payment_due', status: openStatus(autoOn || e.invoice.amount_due === 0) } : null,
      next_invoice: e.next_invoice, unbilled: e.unbilled, credit: null,
    };
    if (e.invoice?.credits_applied) m.balances_applied = e.invoice.credits_applied;
  } else {
    const o = local;
    status = o.status;
    startsOrRenews = o.status === 'active' ? o.term_end : o.next?.date ?? o.trial_end;
    const due = o.now ? amountDue(o.now.total, customer) : undefined;
    m = {
      source: 'local', amounts_in: 'minor units', currency: cur, status_after: o.status,
      invoice_now: o.now && due ? {
        total: o.now.total, amount_due: due.amount_due, discount: o.now.discount, collection: autoOn || due.amount_due === 0 ? 'auto_collected' : 'payment_due',
        ...(due.credits + due.excess ? { credits_applied: due.credits + due.excess } : {}), status: openStatus(autoOn || due.amount_due === 0),
      } : null,
      next_invoice: o.next ? { total: o.next.total, date: day(o.next.date)! } : null,
      unbilled: o.unbilled, credit: null,
      not_included: [...LOCAL_CREATE_GAPS, ...unread], estimate_unavailable: answer.refused,
    };
    if (due && due.credits + due.excess) m.balances_applied = due.credits + due.excess;
  }
  if (m.invoice_now && m.invoice_now.status === 'posted') m.invoice_now.due_date = day(now + netDays * 86_400);
  if (siteDecides) m.invoice_immediately = 'site setting';
  if (local.cancels_at !== undefined) {
    m.cancels_on = day(local.cancels_at);
    m.next_invoice = null;
  }

  const describeLine = (l: Line) => {
    const p = prices.find((x: any) => x.id === l.item_price_id);
    const price = fmtMoney(l.unit_price, cur);
    const free = p?.free_quantity ? `, the first ${p.free_quantity} free` : '';
    const tiers = Array.isArray(p?.tiers) && p.tiers.length ? ` by tiers ${p.tiers.map((t: any) => `${t.starting_unit}–${t.ending_unit ?? '∞'}: ${fmtMoney(t.price, cur)}${t.pricing_type === 'package' ? ` per ${t.package_size ?? 1}` : t.pricing_type === 'flat_fee' || l.pricing_model === 'stairstep' ? ' flat' : ' each'}`).join('; ')}` : '';
    const what = l.type === 'charge' ? `one-time ${price}`
      : l.pricing_model === 'flat_fee' ? `flat fee ${price} ${periodOf(p)}${l.quantity > 1 ? ', whatever the quantity' : ''}`
        : l.pricing_model === 'per_unit' || !tiers ? `${price} per unit × ${l.quantity}${free} = ${fmtMoney(l.amount, cur)} ${periodOf(p)}`
          : `${l.pricing_model}${tiers}${free}: ${l.quantity} units = ${fmtMoney(l.amount, cur)} ${periodOf(p)}`;
    return `${quote(l.item_price_id)} ×${l.quantity} (${what})`;
  };
  const recurring = lines.filter((l) => l.type !== 'charge').reduce((s, l) => s + l.amount, 0);
  const defaultTrial = args.trial_end === undefined && Boolean(plan.trial_period);
  const sentences = [`Subscribes ${who(customer)} to ${lines.map(describeLine).join(', ')}.`];
  const trialEnd = status === 'in_trial' ? (local.cancels_at ?? startsOrRenews) : local.trial_end;
  if (status === 'in_trial') sentences.push(`Status: in_trial until ${day(trialEnd)}${defaultTrial ? ` (the plan price's own ${plan.trial_period}-${plan.trial_period_unit ?? 'day'} trial; pass trial_end 0 for none)` : ''}.`);
  else if (status === 'future') sentences.push(`Status: future, starting ${day(local.start)}${local.trial_end !== undefined ? `, then in_trial until ${day(local.trial_end)} (the trial starts when the subscription does)` : ''}.`);
  else sentences.push(`Status: active from ${local.backdated ? `${day(local.start)} (start_date in the past: the subscription is backdated)` : 'today'}; the first term ends ${day(startsOrRenews)}.`);
  if (local.cancels_at !== undefined) sentences.push(`At the trial's end (${day(local.cancels_at)}) the subscription is cancelled (the plan price's trial_end_action is cancel_subscription): no invoice is raised for it.`);
  const nowSentence = m.invoice_now ? collectionSentence(m, customer, card, args.auto_collection)
    : m.unbilled !== undefined ? `Now: no invoice; ${fmtMoney(m.unbilled, cur)} of charges are left unbilled for the next invoice.` : 'Now: no invoice.';
  if (siteDecides && m.source === 'local' && local.status === 'active') {
    const later = createOutcome(lines, plan, coupons, args, now, false);
    sentences.push(`invoice_immediately is not given, so the site's setting decides, which this server cannot read. If the site invoices at once: ${nowSentence} If not: ${fmtMoney(later.unbilled ?? 0, cur)} of charges are left unbilled for the invoice of ${day(later.next?.date)}.`);
  } else {
    sentences.push(nowSentence);
    if (siteDecides && (m.invoice_now || m.unbilled !== undefined)) sentences.push(`(invoice_immediately is not given: the site's setting applies${m.source === 'estimate' ? ', and Chargebee\'s estimate follows it' : ''}.)`);
  }
  if (m.next_invoice) sentences.push(`${m.invoice_now || m.unbilled !== undefined ? 'Next' : 'First'} invoice: ${fmtMoney(m.next_invoice.total, m.currency)} on ${m.next_invoice.date}.`);
  if (couponNames.length) sentences.push(`Coupons: ${couponNames.map(quote).join(', ')}.`);
  sentences.push(`Recurring: ${fmtMoney(recurring, cur)} ${periodOf(plan)} before discounts and tax.`);
  sentences.push(sourceSentence(m));
  return {
    target: {
      customer: customerSummary(customer, card),
      items: lines.map((l) => ({ item_price_id: l.item_price_id, type: l.type, pricing_model: l.pricing_model, quantity: l.quantity, unit_price: fmtMoney(l.unit_price, cur), amount: fmtMoney(l.amount, cur) })),
      coupon_ids: args.coupon_ids,
      money: m,
    },
    effect: sentences.join(' '),
    version: [customer.resource_version, ...prices.map((p: any) => p.resource_version ?? p.updated_at)].join('|'),
  };
}

function periodOf(p: any): string {
  if (!p?.period_unit) return '';
  return p.period && p.period > 1 ? `every ${p.period} ${p.period_unit}s` : `per ${p.period_unit}`;
}

// ---------------------------------------------------------------- create (Product Catalog 1.0)

const PC1_SUB = ['id', 'plan_id', 'plan_quantity', 'plan_unit_price', 'trial_end', 'start_date'] as const;

export async function createPc1Preview(args: Args, t: TargetReader): Promise<Preview> {
  const { plan } = await t.get('/plans/{plan_id}', args);
  const body: Args = { subscription: pick(args, PC1_SUB), ...pick(args, ['billing_cycles', 'coupon_ids', 'addons'] as const) };
  const answer = await askEstimate(t, '/estimates/create_subscription', {}, body);
  const cur = plan.currency_code;
  const now = nowOf(answer);
  const qty = args.plan_quantity ?? 1;
  const unit = args.plan_unit_price ?? plan.price ?? 0;
  let m: Money;
  if ('estimate' in answer) {
    const e = fromEstimate(answer.estimate, cur);
    m = { source: 'estimate', amounts_in: 'minor units', currency: e.currency, status_after: e.status_after, invoice_now: e.invoice ? { ...e.invoice, collection: 'payment_due' } : null, next_invoice: e.next_invoice, credit: null };
  } else {
    const addons = await Promise.all((args.addons ?? []).map(async (a: any) => ({ a, addon: (await t.get('/addons/{addon_id}', { addon_id: a.id })).addon })));
    const { coupons, unread } = await readCoupons(t, args.coupon_ids);
    const lines: Line[] = [
      { item_price_id: plan.id, type: 'plan', quantity: qty, unit_price: unit, amount: itemAmount(plan, unit, qty), pricing_model: plan.pricing_model },
      ...(plan.setup_cost ? [{ item_price_id: `${plan.id} setup`, type: 'charge', quantity: 1, unit_price: plan.setup_cost, amount: plan.setup_cost, when: 'activation' as const }] : []),
      ...addons.map(({ a, addon }) => {
        const price = a.unit_price ?? addon.price ?? 0;
        const n = a.quantity ?? 1;
        return { item_price_id: addon.id, type: addon.charge_type === 'non_recurring' ? 'charge' : 'addon', quantity: n, unit_price: price, amount: itemAmount(addon, price, n), pricing_model: addon.pricing_model, when: 'creation' as const };
      }),
    ];
    const o = createOutcome(lines, { ...plan, period_unit: plan.period_unit, period: plan.period }, coupons, args, now);
    m = {
      source: 'local', amounts_in: 'minor units', currency: cur, status_after: o.status,
      invoice_now: o.now ? { total: o.now.total, amount_due: o.now.total, discount: o.now.discount, collection: o.now.total === 0 ? 'auto_collected' : 'payment_due' } : null,
      next_invoice: o.next ? { total: o.next.total, date: day(o.next.date)! } : null, credit: null,
      not_included: [...LOCAL_CREATE_GAPS, ...unread], estimate_unavailable: answer.refused,
    };
  }
  const sentences = [`Creates customer ${args.customer?.email ? quote(args.customer.email) : '(no email)'} and subscribes them to plan ${quote(plan.name ?? plan.id)} ×${qty} (${fmtMoney(unit, cur)}${plan.pricing_model === 'flat_fee' || !plan.pricing_model ? ' flat fee' : ' per unit'} every ${plan.period ?? 1} ${plan.period_unit}(s)).`];
  sentences.push(`Status: ${m.status_after ?? 'active'}.`);
  if (m.invoice_now) sentences.push(`Now: an invoice of ${fmtMoney(m.invoice_now.total, cur)}${m.invoice_now.discount ? ` after ${fmtMoney(m.invoice_now.discount, cur)} of coupons` : ''}; a new customer has no payment method on file, so it waits for payment unless one is added.`);
  else sentences.push('Now: no invoice.');
  if (m.next_invoice) sentences.push(`First invoice to come: ${fmtMoney(m.next_invoice.total, cur)} on ${m.next_invoice.date}.`);
  sentences.push(sourceSentence(m));
  return {
    target: { plan: { id: plan.id, name: plan.name, price: fmtMoney(plan.price, cur), pricing_model: plan.pricing_model, period: `${plan.period} ${plan.period_unit}`, setup_cost: plan.setup_cost ? fmtMoney(plan.setup_cost, cur) : undefined }, customer: args.customer, money: m },
    effect: sentences.join(' '),
    version: String(plan.resource_version ?? plan.updated_at ?? ''),
  };
}

// ---------------------------------------------------------------- hosted checkout

/** A checkout link changes no billing by itself: the preview states what the customer will be asked to pay. */
export async function checkoutPreview(args: Args, t: TargetReader): Promise<Preview> {
  const prices = (await Promise.all(args.subscription_items.map((i: any) => t.get('/item_prices/{item_price_id}', i)))).map((r: any) => r.item_price);
  prices.forEach((p: any) => {
    if (p.status !== 'active') throw new ToolError(`Item price ${quote(p.id)} is ${p.status}: choose an active price.`);
  });
  const cur = prices[0].currency_code;
  const lines: Line[] = args.subscription_items.map((i: any, n: number) => {
    const p = prices[n];
    const unit = i.unit_price ?? p.price ?? 0;
    const qty = i.quantity ?? 1;
    return { item_price_id: p.id, type: p.item_type, quantity: qty, unit_price: unit, amount: itemAmount(p, unit, qty), pricing_model: p.pricing_model, when: p.item_type === 'charge' ? 'creation' : undefined };
  });
  const { coupons, unread } = await readCoupons(t, args.coupon_ids);
  const o = createOutcome(lines, prices[0], coupons, { trial_end: args.subscription?.trial_end, start_date: args.subscription?.start_date }, nowS());
  const existing = args.customer?.id ? await t.get('/customers', {}, { id: { is: args.customer.id }, limit: 1 }) : undefined;
  const cust = existing?.list?.[0]?.customer;
  const forWhom = cust ? `existing ${who(cust)}` : args.customer?.email ? quote(args.customer.email) : 'whoever opens it';
  const first = o.now ?? o.next;
  const couponText = coupons.length
    ? ` with coupon${coupons.length > 1 ? 's' : ''} ${coupons.map((c: any) => `${quote(c.id)} (${c.discount_type === 'percentage' ? `${c.discount_percentage}% off` : `${fmtMoney(c.discount_amount, cur)} off`}, ${c.duration_type})`).join(', ')}`
    : '';
  const pay = first
    ? ` At checkout the customer is asked for ${fmtMoney(first.total, cur)}${o.now ? ' now' : ` on ${day(o.next!.date)}`}${first.discount ? ` (${fmtMoney(first.sub_total, cur)} less ${fmtMoney(first.discount, cur)} of coupons)` : ''}${o.status === 'in_trial' ? ` after a trial until ${day(o.trial_end)}` : ''}, before tax (computed locally${unread.length ? `, leaving out ${unread.join(', ')}` : ''}).`
    : '';
  return {
    target: {
      items: lines.map((l) => ({ item_price_id: l.item_price_id, type: l.type, pricing_model: l.pricing_model, quantity: l.quantity, unit_price: fmtMoney(l.unit_price, cur), amount: fmtMoney(l.amount, cur), period: periodOf(prices.find((p: any) => p.id === l.item_price_id)) || 'one-time' })),
      coupons: coupons.length ? coupons.map((c: any) => ({ id: c.id, discount_type: c.discount_type, discount_percentage: c.discount_percentage, discount_amount: c.discount_amount, duration_type: c.duration_type })) : undefined,
      customer: cust ? customerSummary(cust) : args.customer,
    },
    effect: `Creates a checkout link for ${forWhom} to subscribe to ${lines.map((l) => `${quote(l.item_price_id)} ×${l.quantity} (${fmtMoney(l.amount, cur)}${l.type === 'charge' ? ' once' : ` ${periodOf(prices.find((p: any) => p.id === l.item_price_id))}`})`).join(', ')}${couponText}.${pay} Nothing is charged until the checkout is completed; anyone with the link can complete it until it expires.`,
    version: null,
  };
}
