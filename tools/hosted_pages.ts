import * as z from 'zod';
import type { ToolDef } from '../src/catalog.js';
import { ToolError } from '../src/errors.js';
import { UNIX_SECONDS, id } from '../src/schema.js';
import { customerSummary, money } from '../src/summary.js';
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
      coupon_ids: z.array(id('Coupon id')).max(20).optional().describe('Coupon ids'),
      redirect_url: z.url().max(250).optional().describe('Where to send the customer after checkout'),
      cancel_url: z.url().max(250).optional().describe('Where to send the customer on cancel'),
      pass_thru_content: z.string().max(2048).optional().describe('Opaque text returned with the result'),
      layout: z.enum(['in_app', 'full_page']).optional().describe('Checkout layout'),
    }),
    async preview(args, t) {
      const prices = await Promise.all(args.subscription_items.map((i: any) => t.get('/item_prices/{item_price_id}', i)));
      const items = args.subscription_items.map((i: any, n: number) => {
        const p = prices[n].item_price;
        if (p.status !== 'active') throw new ToolError(`Item price ${p.id} is ${p.status}: choose an active price.`);
        return { item_price_id: p.id, quantity: i.quantity ?? 1, price: money(i.unit_price ?? p.price, p.currency_code), period: p.period_unit ? `${p.period ?? 1} ${p.period_unit}` : 'one-time' };
      });
      const existing = args.customer?.id ? await t.get('/customers', {}, { id: { is: args.customer.id }, limit: 1 }) : undefined;
      const cust = existing?.list?.[0]?.customer;
      const forWhom = cust ? `existing customer ${customerSummary(cust).name ?? cust.id} <${cust.email ?? ''}>` : args.customer?.email ? `${args.customer.email}` : 'whoever opens it';
      return {
        target: { items, customer: cust ? customerSummary(cust) : args.customer },
        effect: `Creates a checkout link for ${forWhom} to subscribe to ${items.map((i: any) => `${i.item_price_id} ×${i.quantity} at ${i.price} (${i.period})`).join(', ')}. Nothing is charged until the checkout is completed; anyone with the link can complete it until it expires.`,
        version: null,
      };
    },
  },
] as const satisfies readonly ToolDef[];
