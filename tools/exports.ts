import * as z from 'zod';
import type { ToolDef } from '../src/catalog.js';
import { currency, f, filters, group, id } from '../src/schema.js';
import { OFFLINE, customerFilters } from './customers.js';
import { GATEWAYS, PAYMENT_METHODS } from '../src/enums.js';

/**
 * The 14 Export API jobs (seed 004). Each starts an asynchronous job that
 * changes no billing data; get_export / wait_for_export follow it to its
 * download URL. Filters are exactly the ones the Export reference documents.
 */

const CHANNEL = ['web', 'app_store', 'play_store'] as const;
const INVOICE_STATUS = ['paid', 'posted', 'payment_due', 'not_paid', 'voided', 'pending'] as const;
const PRICE_TYPE = ['tax_exclusive', 'tax_inclusive'] as const;

const customer = () => group('customer', { ...customerFilters, auto_close_invoices: f.b() });

const relationship = () =>
  group('customer', { parent_id: f.s(), payment_owner_id: f.s(), invoice_owner_id: f.s() }, 'Only customers whose account hierarchy matches all of these filters (parent_id, payment_owner_id, invoice_owner_id: customer ids)');

const subscription = () =>
  group('subscription', {
    id: f.sIn(),
    customer_id: f.sIn(),
    status: f.e(['future', 'in_trial', 'active', 'non_renewing', 'paused', 'cancelled', 'transferred']),
    cancel_reason: f.e(
      ['not_paid', 'no_card', 'fraud_review_failed', 'non_compliant_eu_customer', 'tax_calculation_failed', 'currency_incompatible_with_gateway', 'non_compliant_customer'],
      'is_present',
    ),
    remaining_billing_cycles: f.n('is_present'),
    created_at: f.t(),
    activated_at: f.t('is_present'),
    next_billing_at: f.t(),
    cancelled_at: f.t(),
    has_scheduled_changes: f.b(),
    updated_at: f.t(),
    offline_payment_method: f.e(OFFLINE),
    auto_close_invoices: f.b(),
    channel: f.e(CHANNEL),
  });

const invoiceFields = {
  id: f.sIn(),
  recurring: f.b(),
  status: f.e(INVOICE_STATUS),
  price_type: f.e(PRICE_TYPE),
  date: f.t(),
  paid_at: f.t(),
  total: f.n(),
  amount_paid: f.n(),
  amount_adjusted: f.n(),
  credits_applied: f.n(),
  amount_due: f.n(),
  dunning_status: f.e(['in_progress', 'exhausted', 'stopped', 'success'], 'is_present'),
  updated_at: f.t(),
  channel: f.e(CHANNEL),
};

const month = z.number().int().min(1).max(12);
const year = z.number().int().min(2000).max(2100);

/** Parameters of the two revenue reports (required period, validated from <= to). */
const reportParams = {
  report_by: z.enum(['customer', 'invoice', 'product', 'subscription']).describe('What the report is grouped by'),
  report_from_month: month.describe('First month of the report period (1-12)'),
  report_from_year: year.describe('Year of report_from_month'),
  report_to_month: month.describe('Last month of the report period (1-12)'),
  report_to_year: year.describe('Year of report_to_month'),
  include_discounts: z.boolean().optional().describe('Amounts after discounts (default true)'),
  ...filters('revenue', { payment_owner: f.sIn(), item_id: f.sIn(), item_price_id: f.sIn(), cancel_reason_code: f.sIn(), business_entity_id: f.s() }),
  invoice: group('invoice', invoiceFields),
  subscription: subscription(),
  customer: customer(),
  relationship: relationship(),
};

const periodInOrder = (a: any) => a.report_from_year * 12 + a.report_from_month <= a.report_to_year * 12 + a.report_to_month;
const periodMessage = { message: 'the report period must not end before it starts (report_from_* <= report_to_*)', path: ['report_to_month'] };

const exportType = z.enum(['data', 'import_friendly_data']).optional().describe('data (default) or import_friendly_data (CSV for bulk import)');

function exportTool(name: string, what: string, input: z.ZodObject): ToolDef {
  return {
    name: `export_${name}`,
    title: `Export ${what}`,
    description: `Starts an export of ${what} (zip of CSVs; no billing change; max 5 running); then wait_for_export.`,
    kind: 'read',
    idempotent: false,
    method: 'POST',
    path: `/exports/${name}`,
    input,
  };
}

const STATUS_TEXT = (e: any) => `export ${e?.id} is ${e?.status}`;

export const exportTools = [
  {
    name: 'get_export',
    title: 'Get export',
    description: 'Gets an export job: in_process, completed (download.download_url, valid_till) or failed. To wait, use wait_for_export.',
    kind: 'read',
    method: 'GET',
    path: '/exports/{export_id}',
    input: z.strictObject({ export_id: id('Export id from an export_* call') }),
  },
  {
    name: 'wait_for_export',
    title: 'Wait for export',
    description: 'Waits for an export job, polling it (every 10 s, with progress notifications), and returns it with its download URL. If max_wait_s passes first, returns it still in_process: call again.',
    kind: 'read',
    method: 'GET',
    path: '/exports/{export_id}',
    input: z.strictObject({
      export_id: id('Export id from an export_* call'),
      max_wait_s: z.number().int().min(1).max(3600).optional().describe('Longest wait in seconds (default 50)'),
    }),
    poll: {
      done: (b: any) => b?.export?.status !== 'in_process',
      failed: (b: any) =>
        b?.export?.status === 'failed' ? `Export ${b.export.id} (${b.export.operation_type ?? 'export'}) failed at Chargebee; no file was produced. Start the export again; if it keeps failing, narrow its filters.` : undefined,
      progress: (b: any) => STATUS_TEXT(b?.export),
    },
  },
  exportTool(
    'revenue_recognition',
    'revenue recognition',
    z.strictObject({ ...reportParams, currency_code: currency.optional().describe('ISO 4217; default: consolidated in base currency') }).refine(periodInOrder, periodMessage),
  ),
  exportTool('deferred_revenue', 'deferred revenue', z.strictObject(reportParams).refine(periodInOrder, periodMessage)),
  exportTool(
    'coupons',
    'coupons',
    z.strictObject({
      ...filters('coupon', { currency_code: f.sIn() }, { currency_code: 'ISO 4217 code of fixed-amount coupons, e.g. USD' }),
      coupon: group('coupon', {
        id: f.sIn(),
        name: f.sIn(),
        discount_type: f.e(['fixed_amount', 'percentage', 'offer_quantity']),
        duration_type: f.e(['one_time', 'forever', 'limited_period']),
        status: f.e(['active', 'expired', 'archived', 'deleted', 'future']),
        apply_on: f.e(['invoice_amount', 'specified_items_total', 'each_specified_item', 'each_unit_of_specified_items']),
        created_at: f.t(),
        updated_at: f.t(),
      }),
    }),
  ),
  exportTool(
    'customers',
    'customers',
    z.strictObject({ export_type: exportType, ...filters('customer', { business_entity_id: f.s() }), customer: customer(), relationship: relationship() }),
  ),
  exportTool(
    'subscriptions',
    'subscriptions',
    z.strictObject({
      export_type: exportType,
      ...filters(
        'subscription',
        { item_id: f.sIn(), item_price_id: f.sIn(), cancel_reason_code: f.sIn() },
        { item_id: 'Id of an item the subscription has', item_price_id: 'Id of an item price the subscription has' },
      ),
      subscription: subscription(),
    }),
  ),
  exportTool(
    'invoices',
    'invoices',
    z.strictObject({
      ...filters('invoice', { payment_owner: f.sIn() }),
      invoice: group('invoice', { ...invoiceFields, subscription_id: f.sIn('is_present'), customer_id: f.sIn() }),
    }),
  ),
  exportTool(
    'credit_notes',
    'credit notes',
    z.strictObject({
      credit_note: group('credit note', {
        id: f.sIn(),
        customer_id: f.sIn(),
        subscription_id: f.sIn('is_present'),
        reference_invoice_id: f.sIn(),
        type: f.e(['adjustment', 'refundable', 'store']),
        reason_code: f.e(['write_off', 'subscription_change', 'subscription_cancellation', 'subscription_pause', 'chargeback', 'product_unsatisfactory', 'service_unsatisfactory', 'order_change', 'order_cancellation', 'waiver', 'other', 'fraudulent']),
        create_reason_code: f.sIn(),
        status: f.e(['adjusted', 'refunded', 'refund_due', 'voided']),
        date: f.t(),
        total: f.n(),
        price_type: f.e(PRICE_TYPE),
        amount_allocated: f.n(),
        amount_refunded: f.n(),
        amount_available: f.n(),
        voided_at: f.t(),
        updated_at: f.t(),
        channel: f.e(CHANNEL),
      }),
    }),
  ),
  exportTool(
    'transactions',
    'transactions',
    z.strictObject({
      transaction: group('transaction', {
        id: f.sIn(),
        customer_id: f.sIn('is_present'),
        subscription_id: f.sIn('is_present'),
        payment_source_id: f.sIn('is_present'),
        payment_method: f.e(PAYMENT_METHODS),
        gateway: f.e(GATEWAYS),
        gateway_account_id: f.sIn(),
        id_at_gateway: f.s(),
        reference_number: f.s('is_present'),
        type: f.e(['authorization', 'payment', 'refund', 'payment_reversal']),
        date: f.t(),
        amount: f.n(),
        amount_capturable: f.n(),
        status: f.e(['in_progress', 'success', 'voided', 'failure', 'timeout', 'needs_attention', 'late_failure']),
        updated_at: f.t(),
      }),
    }),
  ),
  exportTool(
    'orders',
    'orders',
    z.strictObject({
      ...filters('order', { total: f.n() }),
      order: group('order', {
        id: f.sIn(),
        subscription_id: f.sIn('is_present'),
        customer_id: f.sIn(),
        status: f.e(['new', 'processing', 'complete', 'cancelled', 'voided', 'queued', 'awaiting_shipment', 'on_hold', 'delivered', 'shipped', 'partially_delivered', 'returned']),
        price_type: f.e(PRICE_TYPE),
        order_date: f.t(),
        shipping_date: f.t(),
        shipped_at: f.t(),
        delivered_at: f.t(),
        cancelled_at: f.t(),
        amount_paid: f.n(),
        refundable_credits: f.n(),
        refundable_credits_issued: f.n(),
        updated_at: f.t(),
        resent_status: f.e(['fully_resent', 'partially_resent']),
        is_resent: f.b(),
        original_order_id: f.s(),
      }),
    }),
  ),
  exportTool('item_families', 'item families', z.strictObject({ item_family: group('item family', { id: f.sIn(), name: f.s(), updated_at: f.t() }) })),
  exportTool(
    'items',
    'items',
    z.strictObject({
      item: group('item', {
        id: f.sIn(),
        item_family_id: f.sIn(),
        type: f.e(['plan', 'addon', 'charge']),
        name: f.s(),
        item_applicability: f.e(['all', 'restricted']),
        status: f.e(['active', 'archived', 'deleted']),
        is_giftable: f.b(),
        updated_at: f.t(),
        enabled_for_checkout: f.b(),
        enabled_in_portal: f.b(),
        metered: f.b(),
        usage_calculation: f.e(['sum_of_usages', 'last_usage', 'max_usage']),
        channel: f.e(CHANNEL),
      }),
    }),
  ),
  exportTool(
    'item_prices',
    'item prices',
    z.strictObject({
      ...filters('item price', { item_family_id: f.sIn(), item_type: f.e(['plan', 'addon', 'charge']), currency_code: f.sIn() }),
      item_price: group('item price', {
        id: f.sIn(),
        name: f.sIn(),
        pricing_model: f.e(['flat_fee', 'per_unit', 'tiered', 'volume', 'stairstep']),
        item_id: f.sIn(),
        trial_period: f.n(),
        trial_period_unit: f.e(['day', 'month']),
        status: f.e(['active', 'archived', 'deleted']),
        updated_at: f.t(),
        period_unit: f.e(['day', 'week', 'month', 'year']),
        period: f.n(),
        channel: f.e(CHANNEL),
      }),
    }),
  ),
  exportTool(
    'attached_items',
    'attached items',
    z.strictObject({
      ...filters('attached item', { item_type: f.e(['plan', 'addon', 'charge']) }, { item_type: 'Kind of the attached item: plan, addon or charge' }),
      attached_item: group('attached item', {
        id: f.sIn(),
        item_id: f.sIn(),
        type: f.e(['recommended', 'mandatory', 'optional']),
        charge_on_event: f.e(['subscription_creation', 'subscription_trial_start', 'plan_activation', 'subscription_activation', 'contract_termination', 'on_demand']),
        updated_at: f.t(),
        parent_item_id: f.sIn(),
      }),
    }),
  ),
  exportTool(
    'differential_prices',
    'differential prices',
    z.strictObject({
      ...filters('differential price', { item_id: f.sIn() }, { item_id: 'Id of the addon or charge item the differential price is for' }),
      differential_price: group('differential price', { item_price_id: f.sIn(), id: f.sIn(), parent_item_id: f.sIn() }),
    }),
  ),
] as const satisfies readonly ToolDef[];
