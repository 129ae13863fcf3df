import * as z from 'zod';
import type { ToolDef } from '../src/catalog.js';
import { customFields, f, filters, id, metaData, paging, sortBy, currency } from '../src/schema.js';
import { billingConsequences, dueInvoicesSentence } from '../src/preview/customers.js';
import { customerSummary, fullName, money, quote, who } from '../src/summary.js';

const CHANNELS = ['web', 'app_store', 'play_store'] as const;
export const OFFLINE = [
  'no_preference', 'cash', 'check', 'bank_transfer', 'ach_credit', 'sepa_credit', 'boleto', 'us_automated_bank_transfer',
  'eu_automated_bank_transfer', 'uk_automated_bank_transfer', 'jp_automated_bank_transfer', 'mx_automated_bank_transfer', 'custom',
] as const;

const email = z.string().max(70).regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, { message: 'an email address like ada@example.com' });

/** Chargebee's address fields (billing_address, shipping_address). */
export const address = (what: string) => z
  .strictObject({
    first_name: z.string().max(150).optional(),
    last_name: z.string().max(150).optional(),
    email: email.optional(),
    company: z.string().max(250).optional(),
    phone: z.string().max(50).optional(),
    line1: z.string().max(150).optional(),
    line2: z.string().max(150).optional(),
    line3: z.string().max(150).optional(),
    city: z.string().max(50).optional(),
    state_code: z.string().max(50).optional(),
    state: z.string().max(50).optional(),
    zip: z.string().max(20).optional(),
    country: z.string().length(2).regex(/^[A-Z]{2}$/, { message: 'an ISO 3166 alpha-2 code like US' }).optional(),
  })
  .optional()
  .describe(`${what}: first_name, last_name, email, company, phone, line1-3, city, state_code, state, zip, country (ISO alpha-2)`);

/**
 * The customer fields both POST /customers and POST /customers/{id} take. Not billing_address
 * or vat_number: Chargebee's update ignores them (they change through update_billing_info).
 */
const customerFields = {
  first_name: z.string().max(150).optional().describe("Customer's first name"),
  last_name: z.string().max(150).optional().describe("Customer's last name"),
  email: email.optional().describe('Email (invoices and notifications go here)'),
  company: z.string().max(250).optional().describe("Customer's company name"),
  phone: z.string().max(50).optional().describe("Customer's phone number"),
  auto_collection: z.enum(['on', 'off']).optional().describe('on: charge automatically; off: manual payment'),
  net_term_days: z.number().int().min(0).max(365).optional().describe('Days until invoices are due'),
  preferred_currency_code: currency.optional().describe('ISO 4217, e.g. USD'),
  locale: z.string().max(50).optional().describe('Language of emails and invoices, e.g. en, fr-CA'),
  taxability: z.enum(['taxable', 'exempt']).optional().describe('Whether the customer is charged tax'),
  offline_payment_method: z.enum(OFFLINE).optional().describe('For manual payments'),
  invoice_notes: z.string().max(2000).optional().describe('Printed on invoices'),
  auto_close_invoices: z.boolean().optional().describe('Close invoices automatically'),
  allow_direct_debit: z.boolean().optional().describe('Whether the customer may pay by direct debit'),
  consolidated_invoicing: z.boolean().optional().describe('One invoice for all subscriptions'),
};
const extraFields = { meta_data: metaData, custom_fields: customFields };

/** The customer fields Chargebee filters on (list_customers; exports add auto_close_invoices). */
export const customerFilters = {
  id: f.sIn(),
  first_name: f.s('is_present'),
  last_name: f.s('is_present'),
  email: f.s('is_present'),
  company: f.s('is_present'),
  phone: f.s('is_present'),
  auto_collection: f.e(['on', 'off']),
  taxability: f.e(['taxable', 'exempt']),
  offline_payment_method: f.e(OFFLINE),
  channel: f.e(CHANNELS),
  created_at: f.t(),
  updated_at: f.t(),
};

export const customerTools = [
  {
    name: 'list_customers',
    title: 'List customers',
    description: `Lists customers, newest first: find a customer's id by email, name or company.`,
    kind: 'read',
    method: 'GET',
    path: '/customers',
    input: z.strictObject({
      ...paging,
      ...filters('customer', customerFilters),
      include_deleted: z.boolean().optional().describe('Include deleted customers'),
      sort_by: sortBy(['created_at', 'updated_at']),
    }),
  },
  {
    name: 'get_customer',
    title: 'Get customer',
    description: 'Gets a customer by id: billing address, card summary, credits, custom fields.',
    kind: 'read',
    method: 'GET',
    path: '/customers/{customer_id}',
    input: z.strictObject({ customer_id: id('Id of the customer (list_customers finds it)') }),
  },
  {
    name: 'create_customer',
    title: 'Create customer',
    description: 'Creates a customer (no subscription, no charge). Preview first (it warns of customers with the same email), then confirm with its token.',
    kind: 'write',
    method: 'POST',
    path: '/customers',
    input: z.strictObject({
      id: id('Customer id to use (default: generated)', 50).optional(),
      ...customerFields,
      vat_number: z.string().max(20).optional().describe('VAT number, without country prefix'),
      billing_address: address('Billing address'),
      ...extraFields,
    }),
    async preview(args, t) {
      const existing = args.email ? await t.get('/customers', {}, { email: { is: args.email }, limit: 5 }) : { list: [] };
      const dupes = (existing.list ?? []).map((e: any) => customerSummary(e.customer));
      const name = fullName(args) ?? args.company ?? args.email ?? 'a new customer';
      return {
        target: { new_customer: { id: args.id, name: fullName(args), email: args.email, company: args.company }, existing_with_same_email: dupes.length ? dupes : undefined },
        effect: `Creates customer ${quote(name)}${args.email ? ` <${quote(args.email)}>` : ''}${args.id ? ` with id ${quote(args.id)}` : ''}. Nothing is charged.${dupes.length ? ` Note: ${dupes.length} customer(s) already use this email (${dupes.map((d: any) => quote(d.id)).join(', ')}).` : ''}`,
        version: null,
      };
    },
  },
  {
    name: 'update_customer',
    title: 'Update customer',
    description: 'Changes only the fields passed (name, email, auto_collection, invoicing, meta_data, custom fields; not the address). Preview shows old → new; then confirm with its token.',
    kind: 'write',
    destructive: true,
    idempotent: true,
    method: 'POST',
    path: '/customers/{customer_id}',
    input: z.strictObject({ customer_id: id('Id of the customer (list_customers finds it)'), ...customerFields, ...extraFields }),
    async preview(args, t) {
      const { customer, card } = await t.get('/customers/{customer_id}', args);
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      const { customer_id: _id, connection_id: _c, confirm_token: _t, custom_fields, ...fields } = args;
      for (const [k, v] of Object.entries({ ...fields, ...(custom_fields ?? {}) })) {
        if (v === undefined) continue;
        const before = customer[k];
        if (JSON.stringify(before) !== JSON.stringify(v)) changes[k] = { from: before ?? null, to: v };
      }
      const list = Object.entries(changes).map(([k, c]) => `${k} ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`);
      const billing = billingConsequences(changes);
      // Turning auto_collection on: name the invoices already due (what Chargebee does with them is documented two ways).
      let due: { id: string; amount_due: number; currency_code?: string; status?: string }[] | undefined;
      if (changes.auto_collection?.to === 'on') {
        const res = await t.get('/invoices', {}, { customer_id: { is: customer.id }, status: { in: ['payment_due', 'not_paid'] }, limit: 100 });
        due = (res.list ?? []).map((e: any) => e.invoice);
        billing.push(dueInvoicesSentence(due!, quote, money) ?? 'No invoice of this customer is due now.');
      }
      const billingText = billing.length ? ` Billing: ${billing.join(' ')}` : ' No billing change: none of these fields affects invoices, taxes or payment collection.';
      return {
        target: { customer: customerSummary(customer, card), changes, ...(due?.length ? { invoices_due: due.map((i) => ({ id: i.id, amount_due: money(i.amount_due, i.currency_code) })) } : {}) },
        effect: list.length ? `Updates ${who(customer)}: ${list.join('; ')}.${billingText}` : `No field of ${who(customer)} would change.`,
        version: String(customer.resource_version ?? customer.updated_at ?? ''),
      };
    },
  },
] as const satisfies readonly ToolDef[];
