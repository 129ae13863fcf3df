import type { Toolset } from '../src/catalog.js';
import { connectionTools } from './connections.js';
import { customerTools } from './customers.js';
import { exportTools } from './exports.js';
import { hostedPageTools } from './hosted_pages.js';
import { invoiceTools } from './invoices.js';
import { itemPriceTools } from './item_prices.js';
import { itemTools } from './items.js';
import { portalSessionTools } from './portal_sessions.js';
import { subscriptionTools } from './subscriptions.js';

/** The whole catalogue; a toolset's name is its file name in tools/. */
export const toolsets: readonly Toolset[] = [
  { name: 'customers', tools: customerTools },
  { name: 'subscriptions', tools: subscriptionTools },
  { name: 'items', tools: itemTools },
  { name: 'item_prices', tools: itemPriceTools },
  { name: 'invoices', tools: invoiceTools },
  { name: 'hosted_pages', tools: hostedPageTools },
  { name: 'portal_sessions', tools: portalSessionTools },
  { name: 'exports', tools: exportTools },
  { name: 'connections', tools: connectionTools },
];
