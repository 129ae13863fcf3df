/** Invoice PDF downloads. */
import type { Call } from './chargebee.js';
import { find, INVOICES } from './lists.js';
import { randomId } from './objects.js';
import { choice, decode } from './params.js';
import { simplePdf } from './pdf.js';

const PDF_VALID_S = 3600;

const money = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency}`;

export function invoicePdf({ site, env, pairs, path }: Call) {
  decode({ fields: { disposition_type: choice(['attachment', 'inline']) } }, pairs);
  const invoice = find(INVOICES, site, path.id ?? '');
  const customer = site.customers.get(invoice.customer_id);
  const validTill = env.clock.seconds() + PDF_VALID_S;
  const file = `downloads/${randomId(24)}.pdf`;
  const pdf = simplePdf([
    'SANDBOX - not a real invoice',
    `Invoice ${invoice.id}`,
    `Date: ${new Date(invoice.date * 1000).toISOString().slice(0, 10)}   Status: ${invoice.status}`,
    `Bill to: ${[customer?.first_name, customer?.last_name].filter(Boolean).join(' ')} ${customer?.company ? `(${customer.company})` : ''}`,
    ...invoice.line_items.map((l) => `${l.description} x ${l.quantity}: ${money(l.amount, invoice.currency_code)}`),
    `Total: ${money(invoice.total, invoice.currency_code)}   Amount due: ${money(invoice.amount_due, invoice.currency_code)}`,
  ]);
  env.files.put(file, pdf, 'application/pdf', validTill * 1000);
  return {
    download: { download_url: `${env.baseUrl}/_sandbox/${file}`, valid_till: validTill, mime_type: 'application/pdf', object: 'download' },
  };
}
