/** Chargebee resource shapes the sandbox stores and serves (the subset of fields it models). */

export type CustomFields = { [cf: `cf_${string}`]: string | undefined };
export type Meta = Record<string, unknown>;

export interface BillingAddress {
  first_name?: string;
  last_name?: string;
  email?: string;
  company?: string;
  phone?: string;
  line1?: string;
  line2?: string;
  line3?: string;
  city?: string;
  state_code?: string;
  state?: string;
  zip?: string;
  country?: string;
  validation_status: 'not_validated';
  object: 'billing_address';
}

export interface Customer extends CustomFields {
  id: string;
  first_name?: string;
  last_name?: string;
  email?: string;
  phone?: string;
  company?: string;
  auto_collection: 'on' | 'off';
  offline_payment_method?: string;
  net_term_days: number;
  allow_direct_debit: boolean;
  created_at: number;
  taxability: 'taxable' | 'exempt';
  updated_at: number;
  locale?: string;
  pii_cleared: 'active';
  channel: 'web';
  resource_version: number;
  deleted: boolean;
  object: 'customer';
  billing_address?: BillingAddress;
  card_status: 'valid' | 'no_card';
  primary_payment_source_id?: string;
  payment_method?: { type: 'card'; reference_id: string; gateway: string; gateway_account_id: string; status: 'valid'; object: 'payment_method' };
  promotional_credits: number;
  refundable_credits: number;
  excess_payments: number;
  unbilled_charges: number;
  preferred_currency_code?: string;
  auto_close_invoices?: boolean;
  vat_number?: string;
  invoice_notes?: string;
  consolidated_invoicing?: boolean;
  meta_data?: Meta;
}

export interface Card {
  payment_source_id: string;
  status: 'valid';
  gateway: string;
  gateway_account_id: string;
  first_name?: string;
  last_name?: string;
  iin: string;
  last4: string;
  card_type: string;
  funding_type: 'credit' | 'debit';
  expiry_month: number;
  expiry_year: number;
  masked_number: string;
  customer_id: string;
  created_at: number;
  object: 'card';
}

export type ItemType = 'plan' | 'addon' | 'charge';
export type Status = 'active' | 'archived' | 'deleted';

export interface ItemFamily {
  id: string;
  name: string;
  status: 'active';
  resource_version: number;
  updated_at: number;
  channel: 'web';
  object: 'item_family';
}

export interface Item {
  id: string;
  name: string;
  external_name: string;
  status: Status;
  resource_version: number;
  updated_at: number;
  item_family_id: string;
  type: ItemType;
  is_shippable: boolean;
  is_giftable: boolean;
  enabled_for_checkout: boolean;
  enabled_in_portal: boolean;
  item_applicability: 'all';
  metered: boolean;
  archived_at?: number;
  channel: 'web';
  deleted: boolean;
  object: 'item';
}

export type PricingModel = 'flat_fee' | 'per_unit' | 'tiered' | 'volume' | 'stairstep';

/** One quantity range of a tiered, volume or stairstep price (Chargebee's `item_price.tiers[]`). */
export interface Tier {
  starting_unit: number;
  /** Absent on the last tier. */
  ending_unit?: number;
  price: number;
  /** per_unit (default), flat_fee, or package: `price` per whole package of `package_size` units. */
  pricing_type?: 'per_unit' | 'flat_fee' | 'package';
  package_size?: number;
  object: 'tier';
}

export interface ItemPrice {
  id: string;
  name: string;
  external_name: string;
  item_family_id: string;
  item_id: string;
  status: Status;
  pricing_model: PricingModel;
  /** flat_fee and per_unit: the price; the tiered models: absent (0), the tiers say. */
  price: number;
  /** tiered, volume, stairstep: the quantity ranges (a tier with package pricing bills whole packages). */
  tiers?: Tier[];
  /** What happens when a trial on this price ends (Chargebee: site_default, activate_subscription, cancel_subscription). */
  trial_end_action?: 'site_default' | 'activate_subscription' | 'cancel_subscription';
  period?: number;
  period_unit?: 'day' | 'week' | 'month' | 'year';
  trial_period?: number;
  trial_period_unit?: 'day' | 'month';
  currency_code: string;
  free_quantity: number;
  is_taxable: boolean;
  created_at: number;
  updated_at: number;
  resource_version: number;
  archived_at?: number;
  item_type: ItemType;
  channel: 'web';
  deleted: boolean;
  object: 'item_price';
}

export interface Coupon {
  id: string;
  name: string;
  invoice_name: string;
  discount_type: 'percentage' | 'fixed_amount';
  discount_percentage?: number;
  discount_amount?: number;
  currency_code?: string;
  duration_type: 'one_time' | 'forever' | 'limited_period';
  duration_month?: number;
  /** limited_period: how long it lasts from the first invoice it applies to. */
  period?: number;
  period_unit?: 'day' | 'week' | 'month' | 'year';
  status: 'active';
  /** invoice_amount: the whole invoice; each_specified_item: only the items `item_constraints` names. */
  apply_on: 'invoice_amount' | 'each_specified_item';
  item_constraints?: { item_type: 'plan' | 'addon' | 'charge'; constraint: 'all' | 'specific' | 'none'; item_price_ids?: string[] }[];
  created_at: number;
  updated_at: number;
  resource_version: number;
  object: 'coupon';
}

export interface SubscriptionItem {
  item_price_id: string;
  item_id: string;
  item_type: ItemType;
  quantity: number;
  unit_price: number;
  amount: number;
  free_quantity: number;
  billing_cycles?: number;
  trial_end?: number;
  charge_once?: boolean;
  charge_on_option?: 'immediately' | 'on_event';
  charge_on_event?: ChargeEvent;
  object: 'subscription_item';
}

/** A subscription's contract term (Chargebee: `contract_term`), for sites with contract terms enabled. */
export interface ContractTerm {
  id: string;
  status: 'active' | 'completed' | 'cancelled' | 'terminated';
  contract_start: number;
  contract_end: number;
  billing_cycle: number;
  action_at_term_end: 'renew' | 'evergreen' | 'cancel' | 'renew_once';
  total_contract_value: number;
  cancellation_cutoff_period?: number;
  created_at: number;
  subscription_id: string;
  remaining_billing_cycles?: number;
  object: 'contract_term';
}

export type ChargeEvent = 'subscription_creation' | 'subscription_trial_start' | 'plan_activation' | 'subscription_activation' | 'contract_termination';

export type SubscriptionStatus = 'future' | 'in_trial' | 'active' | 'non_renewing' | 'paused' | 'cancelled' | 'transferred';

export interface Subscription extends CustomFields {
  id: string;
  customer_id: string;
  status: SubscriptionStatus;
  currency_code: string;
  billing_period: number;
  billing_period_unit: 'day' | 'week' | 'month' | 'year';
  subscription_items: SubscriptionItem[];
  coupons?: { coupon_id: string; applied_count: number; apply_till?: number; object: 'coupon' }[];
  trial_end_action?: 'site_default' | 'activate_subscription' | 'cancel_subscription';
  start_date?: number;
  trial_start?: number;
  trial_end?: number;
  current_term_start?: number;
  current_term_end?: number;
  next_billing_at?: number;
  remaining_billing_cycles?: number;
  po_number?: string;
  auto_collection?: 'on' | 'off';
  contract_term?: ContractTerm;
  created_at: number;
  started_at?: number;
  activated_at?: number;
  pause_date?: number;
  resume_date?: number;
  cancelled_at?: number;
  cancel_reason?: string;
  cancel_reason_code?: string;
  updated_at: number;
  has_scheduled_changes: boolean;
  has_scheduled_advance_invoices: boolean;
  decommissioned: boolean;
  channel: 'web';
  resource_version: number;
  deleted: boolean;
  object: 'subscription';
  due_invoices_count: number;
  mrr: number;
  exchange_rate: number;
  base_currency_code: string;
  meta_data?: Meta;
}

export interface LineItem {
  id: string;
  date_from: number;
  date_to: number;
  unit_amount: number;
  quantity: number;
  amount: number;
  pricing_model: string;
  is_taxed: boolean;
  tax_amount: number;
  discount_amount: number;
  item_level_discount_amount: number;
  description: string;
  entity_type: 'plan_item_price' | 'addon_item_price' | 'charge_item_price';
  entity_id: string;
  item_id: string;
  subscription_id?: string;
  customer_id: string;
  object: 'line_item';
}

export type InvoiceStatus = 'paid' | 'posted' | 'payment_due' | 'not_paid' | 'voided' | 'pending';

export interface Invoice {
  id: string;
  customer_id: string;
  subscription_id?: string;
  recurring: boolean;
  status: InvoiceStatus;
  price_type: 'tax_exclusive';
  date: number;
  due_date: number;
  net_term_days: number;
  exchange_rate: number;
  currency_code: string;
  base_currency_code: string;
  total: number;
  amount_paid: number;
  amount_adjusted: number;
  write_off_amount: number;
  credits_applied: number;
  amount_due: number;
  paid_at?: number;
  voided_at?: number;
  dunning_status?: 'in_progress' | 'exhausted' | 'stopped' | 'success';
  first_invoice: boolean;
  generated_at: number;
  updated_at: number;
  resource_version: number;
  deleted: boolean;
  channel: 'web';
  sub_total: number;
  tax: number;
  line_items: LineItem[];
  discounts?: { amount: number; description: string; entity_type: 'document_level_coupon' | 'item_level_coupon'; entity_id: string; object: 'discount' }[];
  billing_address?: BillingAddress;
  term_finalized: boolean;
  is_gifted: boolean;
  object: 'invoice';
}

export interface CreditNote {
  id: string;
  customer_id: string;
  subscription_id: string;
  reference_invoice_id?: string;
  type: 'adjustment' | 'refundable';
  reason_code: 'subscription_cancellation';
  create_reason_code?: string;
  status: 'adjusted' | 'refunded' | 'refund_due' | 'voided';
  date: number;
  price_type: 'tax_exclusive';
  currency_code: string;
  total: number;
  amount_allocated: number;
  amount_refunded: number;
  amount_available: number;
  sub_total: number;
  line_items: LineItem[];
  updated_at: number;
  resource_version: number;
  deleted: boolean;
  channel: 'web';
  object: 'credit_note';
}

export interface HostedPage {
  id: string;
  type: 'checkout_new';
  url: string;
  state: 'created';
  embed: boolean;
  created_at: number;
  expires_at: number;
  updated_at: number;
  resource_version: number;
  pass_thru_content?: string;
  object: 'hosted_page';
}

export interface PortalSession {
  id: string;
  token: string;
  access_url: string;
  redirect_url?: string;
  status: 'created';
  created_at: number;
  expires_at: number;
  customer_id: string;
  object: 'portal_session';
}
