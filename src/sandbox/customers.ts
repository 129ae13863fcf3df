/** Customer writes and portal sessions. */
import { OFFLINE_PAYMENT_METHODS } from './catalog.js';
import type { Call } from './chargebee.js';
import { sandboxPage } from './downloads.js';
import { chargebeeError, paramError } from './http.js';
import { CUSTOMERS, customerEntry, find } from './lists.js';
import { applyCustomerInput, newCustomer, randomId, type CustomerInput } from './objects.js';
import { boolean, choice, decode, email, integer, json, object, required, text, type Fields, type Schema } from './params.js';
import type { PortalSession } from './types.js';

export const ADDRESS_FIELDS: Fields = {
  first_name: text(150), last_name: text(150), email: email(70), company: text(250), phone: text(50),
  line1: text(150), line2: text(150), line3: text(150), city: text(50), state_code: text(50), state: text(50),
  zip: text(20), country: text(50),
};

const CUSTOMER_FIELDS: Fields = {
  first_name: text(150),
  last_name: text(150),
  email: email(70),
  company: text(250),
  phone: text(50),
  auto_collection: choice(['on', 'off']),
  net_term_days: integer(0, 365),
  preferred_currency_code: text(3),
  locale: text(50),
  taxability: choice(['taxable', 'exempt']),
  offline_payment_method: choice(OFFLINE_PAYMENT_METHODS),
  invoice_notes: text(2000),
  auto_close_invoices: boolean(),
  allow_direct_debit: boolean(),
  consolidated_invoicing: boolean(),
  meta_data: json(),
};

/** billing_address and vat_number only on create: Chargebee's update ignores them (update_billing_info changes them). */
const CREATE: Schema = { fields: { id: text(50), ...CUSTOMER_FIELDS, vat_number: text(20), billing_address: object(ADDRESS_FIELDS) }, customFields: true };
const UPDATE: Schema = { fields: CUSTOMER_FIELDS, customFields: true };

export function createCustomer({ site, env, pairs }: Call) {
  const { id = randomId(), ...input } = decode<CustomerInput & { id?: string }>(CREATE, pairs);
  if (id === '') throw paramError('id', 'cannot be blank');
  if (site.customers.has(id)) {
    throw chargebeeError(400, { code: 'duplicate_entry', param: 'id', message: `id : The value ${id} is already present.` });
  }
  const customer = site.customers.add(newCustomer(id, input, env.clock.seconds(), env.clock.version()));
  return customerEntry(customer, site);
}

export function updateCustomer({ site, env, pairs, path }: Call) {
  const input = decode<CustomerInput>(UPDATE, pairs);
  const customer = find(CUSTOMERS, site, path.id ?? '');
  applyCustomerInput(customer, input);
  env.clock.touch(customer);
  return customerEntry(customer, site);
}

const PORTAL: Schema = {
  fields: { customer: required(object({ id: required(text(50)) })), redirect_url: text(250), forward_url: text(250) },
};
const PORTAL_VALID_S = 3600;

interface PortalInput {
  customer: { id: string };
  redirect_url?: string;
  forward_url?: string;
}

export function createPortalSession({ site, env, pairs }: Call) {
  const p = decode<PortalInput>(PORTAL, pairs);
  const customer = find(CUSTOMERS, site, p.customer.id, 'customer[id]');
  const now = env.clock.seconds();
  const token = randomId(32);
  const session: PortalSession = {
    id: `portal_${randomId()}`, token, access_url: `${env.baseUrl}/_sandbox/portal/${token}`,
    redirect_url: p.redirect_url, status: 'created', created_at: now, expires_at: now + PORTAL_VALID_S,
    customer_id: customer.id, object: 'portal_session',
  };
  site.portalSessions.add(session);
  env.files.put(`portal/${token}`, sandboxPage(`Self-serve portal of ${customer.id}`, `Signed in as ${customer.email ?? customer.id}.`), 'text/html;charset=utf-8', session.expires_at * 1000);
  return { portal_session: session };
}
