import * as z from 'zod';
import type { ToolDef } from '../src/catalog.js';
import { f, filters, id, paging, sortBy } from '../src/schema.js';

export const invoiceTools = [
  {
    name: 'list_invoices',
    title: 'List invoices',
    description: `Lists invoices, newest first; amounts in cents.`,
    kind: 'read',
    method: 'GET',
    path: '/invoices',
    input: z.strictObject({
      ...paging,
      ...filters(
        'invoice',
        {
          id: f.sIn(),
          customer_id: f.sIn(),
          subscription_id: f.sIn('is_present'),
          status: f.e(['paid', 'posted', 'payment_due', 'not_paid', 'voided', 'pending']),
          dunning_status: f.e(['in_progress', 'exhausted', 'stopped', 'success'], 'is_present'),
          price_type: f.e(['tax_exclusive', 'tax_inclusive']),
          recurring: f.b(),
          date: f.t(),
          paid_at: f.t(),
          updated_at: f.t(),
          total: f.n(),
          amount_paid: f.n(),
          amount_adjusted: f.n(),
          credits_applied: f.n(),
          amount_due: f.n(),
          channel: f.e(['web', 'app_store', 'play_store']),
        },
      ),
      sort_by: sortBy(['date', 'updated_at']),
    }),
  },
  {
    name: 'download_invoice_pdf',
    title: 'Download invoice PDF',
    description: 'Returns a temporary (about 60 min) download URL for an invoice PDF. No billing change.',
    kind: 'read',
    idempotent: true,
    method: 'POST',
    path: '/invoices/{invoice_id}/pdf',
    input: z.strictObject({
      invoice_id: id('Invoice id (number)'),
      disposition_type: z.enum(['attachment', 'inline']).optional().describe('attachment (download) or inline (open in browser)'),
    }),
  },
] as const satisfies readonly ToolDef[];
