/** Customer previews: which changed fields change billing, and how. */

export type Changes = Record<string, { from: unknown; to: unknown }>;

/** What a customer change does to billing, field by field (Chargebee applies them to invoices raised from now on). */
export function billingConsequences(changes: Changes): string[] {
  const to = (k: string) => changes[k]?.to;
  const out: string[] = [];
  if (changes.auto_collection) out.push(to('auto_collection') === 'off'
    ? 'future invoices will no longer be charged automatically: they are left payment_due for the customer to pay. Subscriptions with their own auto_collection keep it (it overrides the customer\'s).'
    : 'future invoices will be charged to the payment method on file automatically (subscriptions with their own auto_collection keep it: it overrides the customer\'s).');
  if (changes.net_term_days) out.push(`invoices raised from now on are due ${to('net_term_days')} day(s) after their date (was ${JSON.stringify(changes.net_term_days.from)}); existing invoices keep their due dates.`);
  if (changes.taxability) out.push(to('taxability') === 'exempt'
    ? 'invoices raised from now on carry no tax (tax-exempt customer).'
    : "invoices raised from now on are taxed per the site's tax settings.");
  if (changes.preferred_currency_code) out.push(`new subscriptions and invoices default to ${JSON.stringify(to('preferred_currency_code'))}; existing subscriptions keep their currency.`);
  if (changes.offline_payment_method) out.push(`invoices that are not charged automatically are expected to be paid by ${JSON.stringify(to('offline_payment_method'))}.`);
  if (changes.vat_number) out.push('the VAT number changes how tax is computed on invoices raised from now on (e.g. reverse charge for a valid EU VAT number).');
  if (changes.allow_direct_debit) out.push(`direct debit payment methods are ${to('allow_direct_debit') ? 'allowed' : 'no longer allowed'} for this customer.`);
  if (changes.consolidated_invoicing) out.push(`charges of several subscriptions are ${to('consolidated_invoicing') ? 'consolidated into one invoice' : 'invoiced separately'} from now on.`);
  if (changes.auto_close_invoices) out.push(`invoices are ${to('auto_close_invoices') ? 'closed automatically' : 'left open for more charges'} from now on.`);
  if (changes.invoice_notes) out.push('the new invoice notes appear on invoices raised from now on.');
  if (changes.email) out.push('invoices and payment notifications go to the new email address.');
  if (changes.billing_address) out.push('the billing address on future invoices changes, and with it possibly the tax applied.');
  return out;
}

/**
 * The invoices already due of a customer, named (ids and amounts), for a preview that turns
 * auto_collection on: Chargebee's API reference ("update a customer", auto_collection) says invoices
 * due are attempted by dunning once it is on; its help article on auto collection says existing
 * unpaid invoices need "Collect Now". The sentence names them and says it depends.
 */
export function dueInvoicesSentence(invoices: { id: string; amount_due: number; currency_code?: string; status?: string; subscription_id?: string }[], quote: (s: unknown) => string, money: (n: number, c?: string) => string): string | undefined {
  const due = invoices.filter((i) => (i.status === 'payment_due' || i.status === 'not_paid') && i.amount_due > 0);
  if (!due.length) return undefined;
  const list = due.map((i) => `${quote(i.id)} ${money(i.amount_due, i.currency_code)}`).join(', ');
  return `Invoices already due: ${list}. Whether turning auto_collection on charges them now depends (Chargebee's API reference says dunning attempts them; its help pages say they need "Collect Now"); subscriptions with their own auto_collection off keep it.`;
}
