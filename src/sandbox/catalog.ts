/**
 * Filterable fields per Chargebee resource, with the operators Chargebee documents for them
 * (the Export API reference lists them per resource; list endpoints take the same ones).
 */
import { bool, num, oneOf, str, ts, type FilterSpec } from './filters.js';
import { GATEWAYS, PAYMENT_METHODS } from '../enums.js';

type Filters = Record<string, FilterSpec>;

export const CHANNELS = ['web', 'app_store', 'play_store'] as const;
export const OFFLINE_PAYMENT_METHODS = [
  'no_preference', 'cash', 'check', 'bank_transfer', 'ach_credit', 'sepa_credit', 'boleto', 'us_automated_bank_transfer',
  'eu_automated_bank_transfer', 'uk_automated_bank_transfer', 'jp_automated_bank_transfer', 'mx_automated_bank_transfer', 'custom',
] as const;
export const SUBSCRIPTION_STATUSES = ['future', 'in_trial', 'active', 'non_renewing', 'paused', 'cancelled', 'transferred'] as const;
export const CANCEL_REASONS = ['not_paid', 'no_card', 'fraud_review_failed', 'non_compliant_eu_customer', 'tax_calculation_failed', 'currency_incompatible_with_gateway', 'non_compliant_customer'] as const;
export const INVOICE_STATUSES = ['paid', 'posted', 'payment_due', 'not_paid', 'voided', 'pending'] as const;
export const ITEM_TYPES = ['plan', 'addon', 'charge'] as const;
export const CATALOGUE_STATUSES = ['active', 'archived', 'deleted'] as const;
export const PRICE_TYPES = ['tax_exclusive', 'tax_inclusive'] as const;

export const CUSTOMER_FILTERS: Filters = {
  id: str('in', 'not_in'),
  first_name: str('is_present'),
  last_name: str('is_present'),
  email: str('is_present'),
  company: str('is_present'),
  phone: str('is_present'),
  auto_collection: oneOf(['on', 'off']),
  taxability: oneOf(['taxable', 'exempt']),
  created_at: ts(),
  updated_at: ts(),
  offline_payment_method: oneOf(OFFLINE_PAYMENT_METHODS),
  auto_close_invoices: bool(),
  channel: oneOf(CHANNELS),
};

export const SUBSCRIPTION_FILTERS: Filters = {
  id: str('in', 'not_in'),
  customer_id: str('in', 'not_in'),
  status: oneOf(SUBSCRIPTION_STATUSES),
  cancel_reason: oneOf(CANCEL_REASONS, 'is_present'),
  remaining_billing_cycles: num('is_present'),
  created_at: ts(),
  activated_at: ts('is_present'),
  next_billing_at: ts(),
  cancelled_at: ts(),
  has_scheduled_changes: bool(),
  updated_at: ts(),
  offline_payment_method: oneOf(OFFLINE_PAYMENT_METHODS),
  auto_close_invoices: bool(),
  channel: oneOf(CHANNELS),
};

/** Filters on a subscription's items (matched against any of its subscription_items). */
export const SUBSCRIPTION_ITEM_FILTERS: Filters = {
  item_id: str('in', 'not_in'),
  item_price_id: str('in', 'not_in'),
};

export const INVOICE_FILTERS: Filters = {
  id: str('in', 'not_in'),
  subscription_id: str('is_present', 'in', 'not_in'),
  customer_id: str('in', 'not_in'),
  recurring: bool(),
  status: oneOf(INVOICE_STATUSES),
  price_type: oneOf(PRICE_TYPES),
  date: ts(),
  paid_at: ts(),
  total: num(),
  amount_paid: num(),
  amount_adjusted: num(),
  credits_applied: num(),
  amount_due: num(),
  dunning_status: oneOf(['in_progress', 'exhausted', 'stopped', 'success'], 'is_present'),
  updated_at: ts(),
  channel: oneOf(CHANNELS),
};

export const ITEM_FILTERS: Filters = {
  id: str('in', 'not_in'),
  item_family_id: str('in', 'not_in'),
  type: oneOf(ITEM_TYPES),
  name: str(),
  item_applicability: oneOf(['all', 'restricted']),
  status: oneOf(CATALOGUE_STATUSES),
  is_giftable: bool(),
  updated_at: ts(),
  enabled_for_checkout: bool(),
  enabled_in_portal: bool(),
  metered: bool(),
  usage_calculation: oneOf(['sum_of_usages', 'last_usage', 'max_usage']),
  channel: oneOf(CHANNELS),
};

export const ITEM_PRICE_FILTERS: Filters = {
  id: str('in', 'not_in'),
  name: str('in', 'not_in'),
  item_family_id: str('in', 'not_in'),
  item_id: str('in', 'not_in'),
  currency_code: str('in', 'not_in'),
  item_type: oneOf(ITEM_TYPES),
  pricing_model: oneOf(['flat_fee', 'per_unit', 'tiered', 'volume', 'stairstep']),
  trial_period: num(),
  trial_period_unit: oneOf(['day', 'month']),
  status: oneOf(CATALOGUE_STATUSES),
  updated_at: ts(),
  period_unit: oneOf(['day', 'week', 'month', 'year']),
  period: num(),
  channel: oneOf(CHANNELS),
};

export const RELATIONSHIP_FILTERS: Filters = {
  parent_id: str(),
  payment_owner_id: str(),
  invoice_owner_id: str(),
};

export const COUPON_FILTERS: Filters = {
  id: str('in', 'not_in'),
  name: str('in', 'not_in'),
  discount_type: oneOf(['fixed_amount', 'percentage', 'offer_quantity']),
  duration_type: oneOf(['one_time', 'forever', 'limited_period']),
  status: oneOf(['active', 'expired', 'archived', 'deleted', 'future']),
  apply_on: oneOf(['invoice_amount', 'specified_items_total', 'each_specified_item', 'each_unit_of_specified_items']),
  created_at: ts(),
  updated_at: ts(),
};

export const CREDIT_NOTE_FILTERS: Filters = {
  id: str('in', 'not_in'),
  customer_id: str('in', 'not_in'),
  subscription_id: str('is_present', 'in', 'not_in'),
  reference_invoice_id: str('in', 'not_in'),
  type: oneOf(['adjustment', 'refundable', 'store']),
  reason_code: oneOf(['write_off', 'subscription_change', 'subscription_cancellation', 'subscription_pause', 'chargeback', 'product_unsatisfactory', 'service_unsatisfactory', 'order_change', 'order_cancellation', 'waiver', 'other', 'fraudulent']),
  create_reason_code: str('in', 'not_in'),
  status: oneOf(['adjusted', 'refunded', 'refund_due', 'voided']),
  date: ts(),
  total: num(),
  price_type: oneOf(PRICE_TYPES),
  amount_allocated: num(),
  amount_refunded: num(),
  amount_available: num(),
  voided_at: ts(),
  updated_at: ts(),
  channel: oneOf(CHANNELS),
};

export const TRANSACTION_FILTERS: Filters = {
  id: str('in', 'not_in'),
  customer_id: str('is_present', 'in', 'not_in'),
  subscription_id: str('is_present', 'in', 'not_in'),
  payment_source_id: str('is_present', 'in', 'not_in'),
  payment_method: oneOf(PAYMENT_METHODS),
  gateway: oneOf(GATEWAYS),
  gateway_account_id: str('in', 'not_in'),
  id_at_gateway: str(),
  reference_number: str('is_present'),
  type: oneOf(['authorization', 'payment', 'refund', 'payment_reversal']),
  date: ts(),
  amount: num(),
  amount_capturable: num(),
  status: oneOf(['in_progress', 'success', 'voided', 'failure', 'timeout', 'needs_attention', 'late_failure']),
  updated_at: ts(),
};

export const ORDER_FILTERS: Filters = {
  id: str('in', 'not_in'),
  subscription_id: str('is_present', 'in', 'not_in'),
  customer_id: str('in', 'not_in'),
  status: oneOf(['new', 'processing', 'complete', 'cancelled', 'voided', 'queued', 'awaiting_shipment', 'on_hold', 'delivered', 'shipped', 'partially_delivered', 'returned']),
  price_type: oneOf(PRICE_TYPES),
  order_date: ts(),
  shipping_date: ts(),
  shipped_at: ts(),
  delivered_at: ts(),
  cancelled_at: ts(),
  amount_paid: num(),
  refundable_credits: num(),
  refundable_credits_issued: num(),
  updated_at: ts(),
  resent_status: oneOf(['fully_resent', 'partially_resent']),
  is_resent: bool(),
  original_order_id: str(),
};

export const ITEM_FAMILY_FILTERS: Filters = {
  id: str('in', 'not_in'),
  name: str(),
  updated_at: ts(),
};

export const ATTACHED_ITEM_FILTERS: Filters = {
  id: str('in', 'not_in'),
  item_id: str('in', 'not_in'),
  type: oneOf(['recommended', 'mandatory', 'optional']),
  charge_on_event: oneOf(['subscription_creation', 'subscription_trial_start', 'plan_activation', 'subscription_activation', 'contract_termination', 'on_demand']),
  updated_at: ts(),
  parent_item_id: str('in', 'not_in'),
};

export const DIFFERENTIAL_PRICE_FILTERS: Filters = {
  item_price_id: str('in', 'not_in'),
  id: str('in', 'not_in'),
  parent_item_id: str('in', 'not_in'),
};

export function pick(filters: Filters, ...names: string[]): Filters {
  return Object.fromEntries(names.map((n) => {
    const spec = filters[n];
    if (!spec) throw new Error(`no filter ${n}`);
    return [n, spec];
  }));
}

export function omit(filters: Filters, ...names: string[]): Filters {
  return Object.fromEntries(Object.entries(filters).filter(([n]) => !names.includes(n)));
}
