import * as z from 'zod';
import type { ToolDef } from '../src/catalog.js';
import { UNIX_SECONDS, id } from '../src/schema.js';
import { checkoutPreview } from '../src/preview/subscriptions.js';
import { address } from './customers.js';

export const hostedPageTools = [
  {
    name: 'checkout_new_subscription',
    title: 'Create checkout link',
    description: 'Mints a hosted checkout link where a customer pays and subscribes to item prices (first: a plan price). No charge until completed. Preview, then confirm with its token.',
    kind: 'write',
    method: 'POST',
    path: '/hosted_pages/checkout_new_for_items',
    input: z.strictObject({
      subscription_items: z
        .array(
          z.strictObject({
            item_price_id: id('Item price id'),
            quantity: z.number().int().min(1).optional(),
            unit_price: z.number().int().min(0).optional(),
          }),
        )
        .min(1)
        .max(50)
        .describe('[{item_price_id, quantity?, unit_price? (minor units)}], first a plan price'),
      customer: z
        .strictObject({
          id: id('Existing or new customer id', 50).optional(),
          email: z.string().max(70).optional(),
          first_name: z.string().max(150).optional(),
          last_name: z.string().max(150).optional(),
          company: z.string().max(250).optional(),
          phone: z.string().max(50).optional(),
        })
        .optional()
        .describe('Prefill: id (existing customer), email, first_name, last_name, company, phone'),
      subscription: z
        .strictObject({
          id: id('Subscription id', 50).optional(),
          trial_end: UNIX_SECONDS.optional(),
          start_date: UNIX_SECONDS.optional(),
          auto_collection: z.enum(['on', 'off']).optional(),
          po_number: z.string().max(100).optional(),
          invoice_notes: z.string().max(2000).optional(),
        })
        .optional()
        .describe('id, trial_end, start_date (Unix seconds), auto_collection (on|off), po_number, invoice_notes'),
      billing_address: address('Prefill billing address'),
      shipping_address: address('Shipping address'),
      coupon_ids: z.array(id('Coupon id')).max(20).optional().describe('Ids of coupons to apply'),
      redirect_url: z.url().max(250).optional().describe('Where to send the customer after checkout'),
      cancel_url: z.url().max(250).optional().describe('Where to send the customer on cancel'),
      pass_thru_content: z.string().max(2048).optional().describe('Opaque text returned with the result'),
      layout: z.enum(['in_app', 'full_page']).optional().describe('Checkout page layout: in_app (over your page) or full_page'),
    }),
    preview: checkoutPreview,
  },
] as const satisfies readonly ToolDef[];
