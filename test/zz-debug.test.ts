import { it } from 'vitest';
import { startHarness, text } from './helpers/harness.js';
it('debug', async () => {
  const h = await startHarness({ config: { connectionId: 'sandbox-acme' }, sandbox: { now: () => Date.UTC(2026, 10, 21, 12) } });
  for (const [tool, args] of [
    ['cancel_subscription_for_items', { subscription_id: 'sub_acme_16', cancel_option: 'immediately', credit_option_for_current_term_charges: 'full' }],
    ['cancel_subscription_for_items', { subscription_id: 'sub_acme_07', cancel_option: 'end_of_term' }],
    ['cancel_subscription_for_items', { subscription_id: 'sub_acme_05', cancel_option: 'end_of_term' }],
    ['create_subscription_for_items', { customer_id: 'cust_acme_02', subscription_items: [{ item_price_id: 'basic-USD-monthly', quantity: 3 }], coupon_ids: ['WELCOME10'] }],
    ['create_subscription_for_items', { customer_id: 'cust_acme_02', subscription_items: [{ item_price_id: 'pro-USD-monthly' }, { item_price_id: 'setup-fee-USD' }] }],
  ] as const) {
    const r = await h.call(tool, args as any);
    console.log(tool, r.isError ? 'ERROR' : '', text(r).split('\n').filter(l => !l.startsWith('To go')).join('\n'));
  }
  await h.close();
});
