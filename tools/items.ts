import * as z from 'zod';
import type { ToolDef } from '../src/catalog.js';
import { f, filters, paging, sortBy } from '../src/schema.js';

export const itemTools = [
  {
    name: 'list_items',
    title: 'List items',
    description: `Lists Product Catalog 2.0 items (plans, addons, charges); their prices: list_item_prices.`,
    kind: 'read',
    method: 'GET',
    path: '/items',
    input: z.strictObject({
      ...paging,
      ...filters(
        'item',
        {
          id: f.sIn(),
          item_family_id: f.sIn(),
          name: f.s(),
          type: f.e(['plan', 'addon', 'charge']),
          status: f.e(['active', 'archived', 'deleted']),
          is_giftable: f.b(),
          enabled_for_checkout: f.b(),
          enabled_in_portal: f.b(),
          metered: f.b(),
          channel: f.e(['web', 'app_store', 'play_store']),
          updated_at: f.t(),
        },
      ),
      sort_by: sortBy(['name', 'id', 'updated_at']),
    }),
  },
] as const satisfies readonly ToolDef[];
