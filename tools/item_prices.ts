import * as z from 'zod';
import type { ToolDef } from '../src/catalog.js';
import { f, filters, paging, sortBy } from '../src/schema.js';

export const itemPriceTools = [
  {
    name: 'list_item_prices',
    title: 'List item prices',
    description: `Lists Product Catalog 2.0 item prices (price in cents, currency, period), for create_subscription_for_items and checkout_new_subscription.`,
    kind: 'read',
    method: 'GET',
    path: '/item_prices',
    input: z.strictObject({
      ...paging,
      ...filters(
        'item price',
        {
          id: f.sIn(),
          name: f.sIn(),
          item_id: f.sIn(),
          item_family_id: f.sIn(),
          currency_code: f.sIn(),
          item_type: f.e(['plan', 'addon', 'charge']),
          status: f.e(['active', 'archived', 'deleted']),
          pricing_model: f.e(['flat_fee', 'per_unit', 'tiered', 'volume', 'stairstep']),
          period_unit: f.e(['day', 'week', 'month', 'year']),
          period: f.n(),
          trial_period_unit: f.e(['day', 'month']),
          trial_period: f.n(),
          channel: f.e(['web', 'app_store', 'play_store']),
          updated_at: f.t(),
        },
        { item_id: 'Id of the item this is a price of' },
      ),
      sort_by: sortBy(['name', 'id', 'updated_at']),
    }),
  },
] as const satisfies readonly ToolDef[];
