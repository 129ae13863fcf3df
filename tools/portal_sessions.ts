import * as z from 'zod';
import type { ToolDef } from '../src/catalog.js';
import { id } from '../src/schema.js';
import { customerSummary, who } from '../src/summary.js';

export const portalSessionTools = [
  {
    name: 'create_portal_session',
    title: 'Create customer portal link',
    description: 'Mints a link that signs in as the customer to their self-service portal (cards, invoices, subscriptions). Share it only with them. Preview, then confirm with its token.',
    kind: 'write',
    method: 'POST',
    path: '/portal_sessions',
    input: z.strictObject({
      customer: z.strictObject({ id: id('Customer id', 50) }).describe('{id}: the customer to sign in as'),
      redirect_url: z.url().max(250).optional().describe('Where the portal sends them on logout'),
      forward_url: z.url().max(250).optional().describe('Portal page to open first'),
    }),
    async preview(args, t) {
      const { customer, card } = await t.get('/customers/{id}', args.customer);
      return {
        target: { customer: customerSummary(customer, card) },
        effect: `Mints a portal link that signs in as ${who(customer)}. Anyone holding it can view invoices, change payment methods and change or cancel that customer's subscriptions until it expires (about 1 hour) or is used. No billing change by itself.`,
        version: String(customer.resource_version ?? ''),
      };
    },
  },
] as const satisfies readonly ToolDef[];
