/**
 * Chargebee's Export API: 14 export kinds (parameters as in the Export API reference), jobs that
 * turn `completed` a fixed delay after creation (computed from the clock when read), and real ZIP
 * downloads holding CSV files built from the site's data when the job was created.
 */
import {
  ATTACHED_ITEM_FILTERS, COUPON_FILTERS, CREDIT_NOTE_FILTERS, CUSTOMER_FILTERS, DIFFERENTIAL_PRICE_FILTERS,
  INVOICE_FILTERS, ITEM_FAMILY_FILTERS, ITEM_FILTERS, ITEM_PRICE_FILTERS, ITEM_TYPES, omit, ORDER_FILTERS, pick,
  RELATIONSHIP_FILTERS, SUBSCRIPTION_FILTERS, TRANSACTION_FILTERS,
} from './catalog.js';
import { fieldValue, matches, matchesAll, num, oneOf, str, type Conditions } from './filters.js';
import { chargebeeError, notFound, paramError, routeNotFound } from './http.js';
import { randomId } from './objects.js';
import { boolean, choice, decode, integer, object, required, text, type Fields, type Params } from './params.js';
import type { Env, Site } from './store.js';
import type { Invoice, LineItem } from './types.js';
import { zip, type ZipEntry } from './zip.js';
import type { Call } from './chargebee.js';

export interface ExportJob {
  id: string;
  operation_type: string;
  createdMs: number;
  /** Set by the `export_fails` fault: the job ends `failed`. */
  fails: boolean;
  files: ZipEntry[];
  /** Path under /_sandbox/ once the completed job's zip has been published. */
  downloadPath?: string;
}

export const MAX_EXPORTS_IN_PROCESS = 5;
const DOWNLOAD_VALID_S = 4 * 3600;

/** Related objects of one exported row, by the group name filters use (`customer[email][is]`). */
type ExportRow = Record<string, object | undefined>;

interface ExportSpec {
  operationType: string;
  params: Fields;
  /** The group that top-level filters (`item_id[is]`, `currency_code[is]`…) apply to. */
  self: string;
  rows: (site: Site) => ExportRow[];
  files: (rows: ExportRow[], params: Params) => ZipEntry[];
  validate?: (params: Params) => void;
}

// ---------------------------------------------------------------- CSV

const csvCell = (v: unknown): string => {
  const s = v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
const csv = (rows: unknown[][]): Buffer => Buffer.from(rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n', 'utf8');

const get = (obj: object | undefined, path: string): unknown =>
  path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);

/** One CSV of the `self` objects: header `customers.id,customers.email,…`, plus any `cf_*` columns found. */
function table(file: string, prefix: string, self: string, columns: string[]) {
  return (rows: ExportRow[]): ZipEntry[] => {
    const objects = rows.map((r) => r[self]).filter((o): o is object => o !== undefined);
    const custom = [...new Set(objects.flatMap((o) => Object.keys(o).filter((k) => k.startsWith('cf_'))))].sort();
    const all = [...columns, ...custom];
    return [{ name: file, data: csv([all.map((c) => `${prefix}.${c}`), ...objects.map((o) => all.map((c) => get(o, c)))]) }];
  };
}

// ---------------------------------------------------------------- revenue reports

const REPORT_KEY: Record<string, string> = { customer: 'Customer Id', invoice: 'Invoice Number', product: 'Item Price Id', subscription: 'Subscription Id' };

/** Part of a line's amount earned within [from, to): spread evenly over its service period; one-off lines at their date. */
function earned(line: LineItem, amount: number, from: number, to: number): number {
  if (line.date_to <= line.date_from) return line.date_from >= from && line.date_from < to ? amount : 0;
  const overlap = Math.min(to, line.date_to) - Math.max(from, line.date_from);
  return overlap > 0 ? (amount * overlap) / (line.date_to - line.date_from) : 0;
}

/**
 * Recognized revenue per month, or the deferred balance (invoiced, not yet earned) at each month end,
 * grouped by `report_by`. Voided invoices are left out; with include_discounts (default) amounts are net of coupons.
 */
function revenueReport(file: string, deferred: boolean) {
  return (rows: ExportRow[], p: Params): ZipEntry[] => {
    const months: [start: number, end: number, label: string][] = [];
    for (let y = p.report_from_year as number, m = p.report_from_month as number; y * 12 + m <= (p.report_to_year as number) * 12 + (p.report_to_month as number); m === 12 ? (y++, m = 1) : m++) {
      months.push([Date.UTC(y, m - 1, 1) / 1000, Date.UTC(y, m, 1) / 1000, `${y}-${String(m).padStart(2, '0')}`]);
    }
    const groups = new Map<string, { currency: string; amounts: number[] }>();
    for (const { invoice } of rows as { invoice: Invoice }[]) {
      if (invoice.status === 'voided' || (p.currency_code && invoice.currency_code !== p.currency_code)) continue;
      const discount = p.include_discounts === false ? 0 : (invoice.discounts ?? []).reduce((s, d) => s + d.amount, 0);
      for (const line of invoice.line_items) {
        const key = { customer: invoice.customer_id, invoice: invoice.id, product: line.entity_id, subscription: invoice.subscription_id ?? '' }[p.report_by as string] ?? '';
        const amount = line.amount - (invoice.sub_total ? (discount * line.amount) / invoice.sub_total : 0);
        const group = groups.get(key) ?? { currency: invoice.currency_code, amounts: months.map(() => 0) };
        months.forEach(([start, end], i) => {
          group.amounts[i]! += deferred ? (invoice.date < end ? earned(line, amount, end, Infinity) : 0) : earned(line, amount, start, end);
        });
        groups.set(key, group);
      }
    }
    const header = [REPORT_KEY[p.report_by as string], 'Currency', ...months.map(([, , label]) => label), ...(deferred ? [] : ['Total'])];
    const body = [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([key, g]) => {
      const cents = g.amounts.map(Math.round);
      return [key, g.currency, ...cents, ...(deferred ? [] : [cents.reduce((s, c) => s + c, 0)])];
    });
    return [{ name: file, data: csv([header, ...body]) }];
  };
}

function validateReportRange(p: Params): void {
  const from = (p.report_from_year as number) * 12 + (p.report_from_month as number);
  const to = (p.report_to_year as number) * 12 + (p.report_to_month as number);
  if (from > to) throw paramError('report_to_month', 'the report period must not end before it starts');
}

// ---------------------------------------------------------------- the 14 exports

const EXPORT_TYPE = choice(['data', 'import_friendly_data']);

function revenueExport(operationType: string, file: string, deferred: boolean): ExportSpec {
  return {
    operationType,
    params: {
      report_by: required(choice(['customer', 'invoice', 'product', 'subscription'])),
      currency_code: text(3),
      report_from_month: required(integer(1, 12)),
      report_from_year: required(integer(2000, 2100)),
      report_to_month: required(integer(1, 12)),
      report_to_year: required(integer(2000, 2100)),
      include_discounts: boolean(),
      payment_owner: str('in', 'not_in'),
      item_id: str('in', 'not_in'),
      item_price_id: str('in', 'not_in'),
      cancel_reason_code: str('in', 'not_in'),
      business_entity_id: str(),
      invoice: object(omit(INVOICE_FILTERS, 'subscription_id', 'customer_id')),
      subscription: object(SUBSCRIPTION_FILTERS),
      customer: object(CUSTOMER_FILTERS),
      relationship: object(RELATIONSHIP_FILTERS),
    },
    self: 'invoice',
    rows: (site) => site.invoices.values().map((invoice) => ({
      invoice,
      subscription: invoice.subscription_id ? site.subscriptions.get(invoice.subscription_id) : undefined,
      customer: site.customers.get(invoice.customer_id),
    })),
    files: revenueReport(file, deferred),
    validate: validateReportRange,
  };
}

const each = (collection: (site: Site) => { values(): object[] }, group: string) => (site: Site) =>
  collection(site).values().map((value) => ({ [group]: value }));
const none = () => [];

export const EXPORTS: Record<string, ExportSpec> = {
  revenue_recognition: revenueExport('Revenue Recognition Report', 'RevenueRecognition.csv', false),
  deferred_revenue: revenueExport('Deferred Revenue Report', 'DeferredRevenue.csv', true),
  coupons: {
    operationType: 'Coupons',
    params: { currency_code: str('in', 'not_in'), coupon: object(COUPON_FILTERS) },
    self: 'coupon',
    rows: each((s) => s.coupons, 'coupon'),
    files: table('Coupons.csv', 'coupons', 'coupon', ['id', 'name', 'discount_type', 'discount_percentage', 'discount_amount', 'currency_code', 'duration_type', 'duration_month', 'status', 'apply_on', 'created_at']),
  },
  customers: {
    operationType: 'Customers',
    params: { export_type: EXPORT_TYPE, business_entity_id: str(), customer: object(CUSTOMER_FILTERS), relationship: object(RELATIONSHIP_FILTERS) },
    self: 'customer',
    rows: each((s) => s.customers, 'customer'),
    files: table('Customers.csv', 'customers', 'customer', ['id', 'first_name', 'last_name', 'email', 'company', 'phone', 'auto_collection', 'net_term_days', 'taxability', 'preferred_currency_code', 'card_status', 'billing_address.line1', 'billing_address.city', 'billing_address.state_code', 'billing_address.zip', 'billing_address.country', 'created_at', 'updated_at', 'meta_data']),
  },
  subscriptions: {
    operationType: 'Subscriptions',
    params: { export_type: EXPORT_TYPE, item_id: str('in', 'not_in'), item_price_id: str('in', 'not_in'), cancel_reason_code: str('in', 'not_in'), subscription: object(SUBSCRIPTION_FILTERS) },
    self: 'subscription',
    rows: each((s) => s.subscriptions, 'subscription'),
    files: table('Subscriptions.csv', 'subscriptions', 'subscription', ['id', 'customer_id', 'status', 'currency_code', 'subscription_items', 'billing_period', 'billing_period_unit', 'mrr', 'current_term_start', 'current_term_end', 'next_billing_at', 'created_at', 'activated_at', 'cancelled_at', 'cancel_reason_code', 'updated_at']),
  },
  invoices: {
    operationType: 'Invoices',
    params: { payment_owner: str('in', 'not_in'), invoice: object(INVOICE_FILTERS) },
    self: 'invoice',
    rows: each((s) => s.invoices, 'invoice'),
    files: table('Invoices.csv', 'invoices', 'invoice', ['id', 'customer_id', 'subscription_id', 'status', 'recurring', 'date', 'due_date', 'currency_code', 'sub_total', 'total', 'amount_paid', 'amount_due', 'paid_at', 'dunning_status']),
  },
  credit_notes: {
    operationType: 'Credit Notes',
    params: { credit_note: object(CREDIT_NOTE_FILTERS) },
    self: 'credit_note',
    rows: each((s) => s.creditNotes, 'credit_note'),
    files: table('CreditNotes.csv', 'credit_notes', 'credit_note', ['id', 'customer_id', 'subscription_id', 'reference_invoice_id', 'type', 'reason_code', 'status', 'date', 'currency_code', 'total', 'amount_allocated', 'amount_refunded', 'amount_available']),
  },
  transactions: {
    operationType: 'Transactions',
    params: { transaction: object(TRANSACTION_FILTERS) },
    self: 'transaction',
    rows: none,
    files: table('Transactions.csv', 'transactions', 'transaction', ['id', 'customer_id', 'subscription_id', 'payment_method', 'gateway', 'type', 'date', 'amount', 'currency_code', 'status']),
  },
  orders: {
    operationType: 'Orders',
    params: { total: num(), order: object(ORDER_FILTERS) },
    self: 'order',
    rows: none,
    files: table('Orders.csv', 'orders', 'order', ['id', 'document_number', 'invoice_id', 'subscription_id', 'customer_id', 'status', 'order_date', 'shipping_date', 'total', 'amount_paid']),
  },
  item_families: {
    operationType: 'Item Families',
    params: { item_family: object(ITEM_FAMILY_FILTERS) },
    self: 'item_family',
    rows: each((s) => s.itemFamilies, 'item_family'),
    files: table('ItemFamilies.csv', 'item_families', 'item_family', ['id', 'name', 'status', 'updated_at']),
  },
  items: {
    operationType: 'Items',
    params: { item: object(ITEM_FILTERS) },
    self: 'item',
    rows: each((s) => s.items, 'item'),
    files: table('Items.csv', 'items', 'item', ['id', 'name', 'external_name', 'type', 'status', 'item_family_id', 'enabled_for_checkout', 'enabled_in_portal', 'metered', 'updated_at']),
  },
  item_prices: {
    operationType: 'Item Prices',
    params: {
      ...pick(ITEM_PRICE_FILTERS, 'item_family_id', 'item_type', 'currency_code'),
      item_price: object(omit(ITEM_PRICE_FILTERS, 'item_family_id', 'item_type', 'currency_code')),
    },
    self: 'item_price',
    rows: each((s) => s.itemPrices, 'item_price'),
    files: table('ItemPrices.csv', 'item_prices', 'item_price', ['id', 'name', 'item_id', 'item_family_id', 'item_type', 'status', 'pricing_model', 'price', 'currency_code', 'period', 'period_unit', 'trial_period', 'trial_period_unit', 'updated_at']),
  },
  attached_items: {
    operationType: 'Attached Items',
    params: { item_type: oneOf(ITEM_TYPES), attached_item: object(ATTACHED_ITEM_FILTERS) },
    self: 'attached_item',
    rows: none,
    files: table('AttachedItems.csv', 'attached_items', 'attached_item', ['id', 'parent_item_id', 'item_id', 'type', 'quantity', 'charge_on_event', 'updated_at']),
  },
  differential_prices: {
    operationType: 'Differential Prices',
    params: { item_id: str('in', 'not_in'), differential_price: object(DIFFERENTIAL_PRICE_FILTERS) },
    self: 'differential_price',
    rows: none,
    files: table('DifferentialPrices.csv', 'differential_prices', 'differential_price', ['id', 'item_price_id', 'parent_item_id', 'price', 'currency_code', 'updated_at']),
  },
};

/** Every declared filter is applied: top-level ones to the `self` object, `group[field][op]` to that group's object. */
function rowMatches(spec: ExportSpec, row: ExportRow, params: Params): boolean {
  return Object.entries(params).every(([name, value]) => {
    const kind = spec.params[name]?.kind;
    if (kind === 'filter') {
      const self = row[spec.self];
      return matches(self ? fieldValue(self, name) : undefined, value as Conditions);
    }
    if (kind === 'object') return matchesAll(row[name], value as Record<string, Conditions>);
    return true;
  });
}

// ---------------------------------------------------------------- jobs

type ExportStatus = 'in_process' | 'completed' | 'failed';

function statusOf(job: ExportJob, env: Env): ExportStatus {
  if (env.clock.now() < job.createdMs + env.exportCompleteMs) return 'in_process';
  return job.fails ? 'failed' : 'completed';
}

/** The `export` resource as of now; publishes the zip the first time the job is seen completed. */
function exportResource(job: ExportJob, env: Env) {
  const status = statusOf(job, env);
  let download;
  if (status === 'completed') {
    const completedMs = job.createdMs + env.exportCompleteMs;
    const validTill = Math.floor(completedMs / 1000) + DOWNLOAD_VALID_S;
    if (!job.downloadPath) {
      job.downloadPath = `downloads/${randomId(24)}.zip`;
      env.files.put(job.downloadPath, zip(job.files, completedMs), 'application/zip', validTill * 1000);
    }
    download = { download_url: `${env.baseUrl}/_sandbox/${job.downloadPath}`, valid_till: validTill, mime_type: 'application/zip' };
  }
  return {
    id: job.id, operation_type: job.operation_type, mime_type: 'zip', status,
    created_at: Math.floor(job.createdMs / 1000), download, object: 'export',
  };
}

export function createExport({ site, env, pairs, path, exportFails }: Call) {
  const spec = EXPORTS[path.name ?? ''];
  if (!spec) throw routeNotFound();
  const params = decode({ fields: spec.params }, pairs);
  spec.validate?.(params);
  const running = site.exports.values().filter((job) => statusOf(job, env) === 'in_process').length;
  if (running >= MAX_EXPORTS_IN_PROCESS) {
    throw chargebeeError(429, {
      code: 'api_request_limit_exceeded',
      message: `Sorry, only ${MAX_EXPORTS_IN_PROCESS} export jobs can be processed at a time. Please try after some time.`,
    });
  }
  const rows = spec.rows(site).filter((row) => rowMatches(spec, row, params));
  const job = site.exports.add({
    id: `__sandbox__${randomId(14)}`, operation_type: spec.operationType, createdMs: env.clock.now(),
    fails: exportFails, files: spec.files(rows, params),
  });
  return { export: exportResource(job, env) };
}

export function retrieveExport({ site, env, pairs, path }: Call) {
  decode({ fields: {} }, pairs);
  const job = site.exports.get(path.id ?? '');
  if (!job) throw notFound(`Export ${path.id}`);
  return { export: exportResource(job, env) };
}
