/** Enums of Chargebee's API shared by the catalogue (tools/) and the sandbox: one list each. */

/** Transaction payment methods and gateways, as Chargebee's API spec lists them. */
export const PAYMENT_METHODS = [
  'card', 'cash', 'check', 'chargeback', 'bank_transfer', 'amazon_payments', 'paypal_express_checkout',
  'direct_debit', 'alipay', 'unionpay', 'apple_pay', 'wechat_pay', 'ach_credit', 'sepa_credit', 'ideal',
  'google_pay', 'sofort', 'bancontact', 'giropay', 'dotpay', 'other', 'app_store', 'upi', 'netbanking_emandates',
  'play_store', 'custom', 'boleto', 'venmo', 'pay_to', 'faster_payments', 'sepa_instant_transfer',
  'automated_bank_transfer', 'klarna_pay_now', 'online_banking_poland', 'payconiq_by_bancontact',
  'electronic_payment_standard', 'kbc_payment_button', 'pay_by_bank', 'trustly', 'stablecoin', 'kakao_pay',
  'naver_pay', 'revolut_pay', 'cash_app_pay', 'pix', 'twint', 'go_pay', 'grab_pay', 'pay_co', 'after_pay', 'swish',
  'payme', 'klarna', 'alipay_hk', 'paypay', 'gcash', 'south_korean_cards', 'paynow', 'bizum', 'promptpay', 'dana',
  'touch_n_go', 'tamara', 'qpay',
] as const;
export const GATEWAYS = [
  'chargebee', 'chargebee_payments', 'adyen', 'stripe', 'wepay', 'braintree', 'authorize_net', 'paypal_pro', 'pin',
  'eway', 'eway_rapid', 'worldpay', 'balanced_payments', 'beanstream', 'bluepay', 'elavon', 'first_data_global',
  'hdfc', 'migs', 'nmi', 'ogone', 'paymill', 'paypal_payflow_pro', 'sage_pay', 'tco', 'wirecard', 'amazon_payments',
  'paypal_express_checkout', 'gocardless', 'orbital', 'moneris_us', 'moneris', 'bluesnap', 'cybersource', 'vantiv',
  'checkout_com', 'paypal', 'ingenico_direct', 'exact', 'mollie', 'quickbooks', 'razorpay', 'global_payments',
  'bank_of_america', 'ecentric', 'metrics_global', 'windcave', 'pay_com', 'ebanx', 'dlocal', 'nuvei', 'solidgate',
  'paystack', 'jp_morgan', 'deutsche_bank', 'ezidebit', 'twikey', 'tempus', 'moyasar', 'payway', 'not_applicable',
] as const;
