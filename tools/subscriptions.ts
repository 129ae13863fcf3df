import * as z from 'zod';
import type { ToolDef } from '../src/catalog.js';
import { cancelPreview, createForItemsPreview, createPc1Preview } from '../src/preview/subscriptions.js';
import { UNIX_SECONDS, customFields, f, filters, id, metaData, paging, sortBy } from '../src/schema.js';
import { OFFLINE, address } from './customers.js';

const STATUSES = ['future', 'in_trial', 'active', 'non_renewing', 'paused', 'cancelled', 'transferred'] as const;
const CANCEL_REASONS = ['not_paid', 'no_card', 'fraud_review_failed', 'non_compliant_eu_customer', 'tax_calculation_failed', 'currency_incompatible_with_gateway', 'non_compliant_customer'] as const;
const CANCEL_OPTIONS = ['immediately', 'end_of_term', 'specific_date', 'end_of_billing_term'] as const;
const CONTRACT_TERM_CANCEL_OPTIONS = ['terminate_immediately', 'end_of_contract_term', 'specific_date', 'end_of_subscription_billing_term'] as const;
const CHARGE_EVENTS = ['subscription_creation', 'subscription_trial_start', 'plan_activation', 'subscription_activation', 'contract_termination'] as const;

/** Options shared by both cancel endpoints (PC 1.0 cancel and PC 2.0 cancel_for_items). */
const cancelOptions = {
  cancel_at: UNIX_SECONDS.optional().describe('Unix s, for specific_date'),
  credit_option_for_current_term_charges: z
    .enum(['none', 'prorate', 'full', 'consumption_based'])
    .optional()
    .describe('Immediate cancels: credit for the unused term'),
  unbilled_charges_option: z.enum(['invoice', 'delete']).optional().describe('What happens to charges not yet invoiced'),
  account_receivables_handling: z
    .enum(['no_action', 'schedule_payment_collection', 'write_off'])
    .optional()
    .describe("What happens to the subscription's unpaid invoices"),
  refundable_credits_handling: z.enum(['no_action', 'schedule_refund']).optional().describe("What happens to the customer's refundable credits"),
  cancel_reason_code: z.string().min(1).max(100).optional().describe('Reason code configured in Chargebee'),
  contract_term_cancel_option: z.enum(CONTRACT_TERM_CANCEL_OPTIONS).optional().describe('For subscriptions on a contract term (instead of cancel_option)'),
};

type CancelArgs = { cancel_option?: string; contract_term_cancel_option?: string; cancel_at?: number };
const requireCancelAt = (a: CancelArgs) => (a.cancel_option === 'specific_date' || a.contract_term_cancel_option === 'specific_date') === (a.cancel_at !== undefined);
const cancelAtMessage = { message: 'cancel_at is required with cancel_option or contract_term_cancel_option specific_date, and only then', path: ['cancel_at'] };
const oneCancelOption = (a: CancelArgs) => (a.cancel_option === undefined) !== (a.contract_term_cancel_option === undefined);
const oneCancelOptionMessage = {
  message: 'give cancel_option, or contract_term_cancel_option for a subscription on a contract term (not both)',
  path: ['cancel_option'],
};

const subscriptionItem = z.strictObject({
  item_price_id: id('Item price id (first entry: a plan price)'),
  quantity: z.number().int().min(1).max(1_000_000).optional().describe('Units, for per-unit prices'),
  unit_price: z.number().int().min(0).optional().describe('Override price in minor units (cents)'),
  billing_cycles: z.number().int().min(0).optional().describe('Cycles to bill this item'),
  trial_end: UNIX_SECONDS.optional().describe('Item trial end, Unix seconds'),
  charge_on_event: z.enum(CHARGE_EVENTS).optional().describe('Charge items: when to charge'),
  charge_once: z.boolean().optional().describe('Charge items: only once'),
});

export const subscriptionTools = [
  {
    name: 'list_subscriptions',
    title: 'List subscriptions',
    description: `Lists subscriptions, each with its customer, newest first.`,
    kind: 'read',
    method: 'GET',
    path: '/subscriptions',
    input: z.strictObject({
      ...paging,
      ...filters(
        'subscription',
        {
          id: f.sIn(),
          customer_id: f.sIn(),
          item_id: f.sIn(),
          item_price_id: f.sIn(),
          status: f.e(STATUSES),
          cancel_reason: f.e(CANCEL_REASONS, 'is_present'),
          remaining_billing_cycles: f.n('is_present'),
          created_at: f.t(),
          activated_at: f.t('is_present'),
          next_billing_at: f.t(),
          cancelled_at: f.t(),
          updated_at: f.t(),
          has_scheduled_changes: f.b(),
          offline_payment_method: f.e(OFFLINE),
          auto_close_invoices: f.b(),
          channel: f.e(['web', 'app_store', 'play_store']),
        },
        { item_id: 'Id of the plan item (addons never match)', item_price_id: 'Id of the plan item price (addons never match)' },
      ),
      sort_by: sortBy(['created_at', 'updated_at']),
    }),
  },
  {
    name: 'get_subscription',
    title: 'Get subscription',
    description: 'Gets a subscription by id with its customer: status, items and prices, current term, next billing.',
    kind: 'read',
    method: 'GET',
    path: '/subscriptions/{subscription_id}',
    input: z.strictObject({ subscription_id: id('Id of the subscription (list_subscriptions finds it)') }),
  },
  {
    name: 'create_subscription',
    title: 'Create subscription (Product Catalog 1.0)',
    description: 'Product Catalog 1.0 sites: creates a customer with a plan subscription (on PC 2.0 use create_subscription_for_items). Preview states the first charge; then confirm with its token.',
    kind: 'write',
    method: 'POST',
    path: '/subscriptions',
    input: z.strictObject({
      plan_id: id('Id of the Product Catalog 1.0 plan'),
      plan_quantity: z.number().int().min(1).optional().describe('Units of the plan (per-unit plans)'),
      plan_unit_price: z.number().int().min(0).optional().describe('Override plan price, minor units'),
      id: id('Subscription id (default: generated)', 50).optional(),
      trial_end: UNIX_SECONDS.optional().describe('Trial end, Unix seconds (0: no trial)'),
      billing_cycles: z.number().int().min(0).optional().describe('Cycles before the subscription ends'),
      start_date: UNIX_SECONDS.optional().describe('Future start, Unix seconds'),
      auto_collection: z.enum(['on', 'off']).optional().describe('Charge automatically'),
      coupon_ids: z.array(id('Coupon id')).max(20).optional().describe('Ids of coupons to apply'),
      customer: z
        .strictObject({
          email: z.string().max(70).optional(),
          first_name: z.string().max(150).optional(),
          last_name: z.string().max(150).optional(),
          company: z.string().max(250).optional(),
          phone: z.string().max(50).optional(),
          auto_collection: z.enum(['on', 'off']).optional(),
        })
        .optional()
        .describe('The new customer: email, first_name, last_name, company, phone, auto_collection'),
      addons: z
        .array(z.strictObject({ id: id('Addon id'), quantity: z.number().int().min(1).optional(), unit_price: z.number().int().min(0).optional() }))
        .max(50)
        .optional()
        .describe('Addons to subscribe to: [{id, quantity?, unit_price? (minor units)}]'),
      meta_data: metaData,
      custom_fields: customFields,
    }),
    preview: createPc1Preview,
  },
  {
    name: 'create_subscription_for_items',
    title: 'Create subscription for items',
    description: 'Subscribes a customer to item prices (Product Catalog 2.0); the first must be a plan price. Ids: list_customers, list_item_prices. Preview shows prices and the first charge; then confirm with its token.',
    kind: 'write',
    method: 'POST',
    path: '/customers/{customer_id}/subscription_for_items',
    input: z.strictObject({
      customer_id: id('Id of the customer (list_customers finds it)'),
      subscription_items: z
        .array(subscriptionItem)
        .min(1)
        .max(50)
        .describe('Item prices to subscribe to, a plan price first: [{item_price_id, quantity?, unit_price?, billing_cycles?, trial_end?, charge_on_event?, charge_once?}]'),
      id: id('Subscription id (default: generated)', 50).optional(),
      trial_end: UNIX_SECONDS.optional().describe('Trial end, Unix seconds'),
      billing_cycles: z.number().int().min(0).optional().describe('Cycles before the subscription ends'),
      start_date: UNIX_SECONDS.optional().describe('Future start, Unix seconds'),
      auto_collection: z.enum(['on', 'off']).optional().describe('Charge automatically'),
      coupon_ids: z.array(id('Coupon id')).max(20).optional().describe('Ids of coupons to apply'),
      invoice_immediately: z.boolean().optional().describe('Invoice now (default true) or with the next renewal'),
      po_number: z.string().max(100).optional().describe('Purchase order number'),
      payment_source_id: id('Payment source to charge', 40).optional(),
      net_term_days: z.number().int().min(0).max(365).optional().describe('Days until invoices are due'),
      invoice_notes: z.string().max(2000).optional().describe('Printed on invoices'),
      shipping_address: address('Shipping address'),
      contract_term: z
        .strictObject({
          action_at_term_end: z.enum(['renew', 'evergreen', 'cancel']).optional(),
          cancellation_cutoff_period: z.number().int().min(0).optional(),
          contract_start: UNIX_SECONDS.optional(),
        })
        .optional()
        .describe('Contract term: action_at_term_end (renew|evergreen|cancel), cancellation_cutoff_period (days), contract_start'),
      meta_data: metaData,
      custom_fields: customFields,
    }),
    preview: createForItemsPreview,
  },
  {
    name: 'cancel_subscription',
    title: 'Cancel subscription (Product Catalog 1.0)',
    description: 'Product Catalog 1.0 sites: cancels a plan subscription (on PC 2.0 use cancel_subscription_for_items). Preview states when billing stops; then confirm with its token.',
    kind: 'write',
    destructive: true,
    method: 'POST',
    path: '/subscriptions/{subscription_id}/cancel',
    input: z
      .strictObject({
        subscription_id: id('Id of the subscription (list_subscriptions finds it)'),
        end_of_term: z.boolean().optional().describe('true: cancel at the end of the current term'),
        cancel_option: z.enum(CANCEL_OPTIONS).optional().describe('When to cancel (instead of end_of_term)'),
        ...cancelOptions,
      })
      .refine((a) => [a.end_of_term, a.cancel_option, a.contract_term_cancel_option].filter((v) => v !== undefined).length <= 1, {
        message: 'give one of end_of_term, cancel_option or contract_term_cancel_option',
        path: ['cancel_option'],
      })
      .refine(requireCancelAt, cancelAtMessage) as unknown as z.ZodObject,
    preview: (args, t) => cancelPreview(args, t, 1),
  },
  {
    name: 'cancel_subscription_for_items',
    title: 'Cancel subscription',
    description: 'Cancels a subscription (Product Catalog 2.0) now or later. Preview states when billing stops, the invoice not raised and any credit; then confirm with its token.',
    kind: 'write',
    destructive: true,
    method: 'POST',
    path: '/subscriptions/{subscription_id}/cancel_for_items',
    input: z
      .strictObject({
        subscription_id: id('Id of the subscription (list_subscriptions finds it)'),
        cancel_option: z.enum(CANCEL_OPTIONS).optional().describe('When (specific_date needs cancel_at)'),
        ...cancelOptions,
      })
      .refine(oneCancelOption, oneCancelOptionMessage)
      .refine(requireCancelAt, cancelAtMessage) as unknown as z.ZodObject,
    preview: (args, t) => cancelPreview(args, t, 2),
  },
] as const satisfies readonly ToolDef[];
