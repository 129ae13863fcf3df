/**
 * The parameters Chargebee knows, per route the sandbox serves: wire names without indexes or
 * filter operators, `a[b,c]` for `a[b]` and `a[c]`. GENERATED from the official SDK's schemas
 * (chargebee@3.33.0, made from Chargebee's OpenAPI spec) by test/sdk-schema.test.ts; do not edit:
 *   UPDATE_KNOWN_PARAMS=1 npx vitest run test/sdk-schema.test.ts
 * Kept as data because the sandbox ships in the bundle while `chargebee` is only a devDependency.
 */
export const KNOWN_PARAMS: Readonly<Record<string, string>> = {
  'GET /customers':
    'limit offset include_deleted id first_name last_name email company phone auto_collection taxability created_at updated_at offline_payment_method auto_close_invoices channel business_entity_id sort_by[asc,desc] relationship[parent_id,payment_owner_id,invoice_owner_id]',
  'POST /customers':
    'id first_name last_name email preferred_currency_code phone company auto_collection net_term_days allow_direct_debit vat_number vat_number_prefix entity_identifier_scheme entity_identifier_standard registered_for_gst is_einvoice_enabled einvoicing_method taxability exemption_details customer_type client_profile_id taxjar_exemption_category business_customer_without_vat_number locale entity_code exempt_number meta_data offline_payment_method auto_close_invoices consolidated_invoicing token_id business_entity_id created_from_ip invoice_notes card[gateway,gateway_account_id,tmp_token,first_name,last_name,number,expiry_month,expiry_year,cvv,preferred_scheme,billing_addr1,billing_addr2,billing_city,billing_state_code,billing_state,billing_zip,billing_country,ip_address,additional_information] bank_account[gateway_account_id,iban,first_name,last_name,company,email,phone,bank_name,account_number,routing_number,bank_code,account_type,account_holder_type,echeck_type,issuing_country,swedish_identity_number,billing_address] payment_method[type,gateway,gateway_account_id,reference_id,tmp_token,issuing_country,additional_information] payment_intent[id,gateway_account_id,gw_token,payment_method_type,reference_id,gw_payment_method_id,additional_information] entity_identifiers[id,scheme,value,standard] tax_providers_fields[provider_name,field_id,field_value] billing_address[first_name,last_name,email,company,phone,line1,line2,line3,city,state_code,state,zip,country,validation_status]',
  'GET /customers/{}':
    '',
  'POST /customers/{}':
    'first_name last_name email preferred_currency_code phone company auto_collection allow_direct_debit net_term_days taxability exemption_details customer_type client_profile_id taxjar_exemption_category locale entity_code exempt_number offline_payment_method invoice_notes auto_close_invoices meta_data fraud_flag consolidated_invoicing tax_providers_fields[provider_name,field_id,field_value]',
  'POST /customers/{}/subscription_for_items':
    'id business_entity_id trial_end billing_cycles setup_fee mandatory_items_to_remove net_term_days start_date coupon auto_collection terms_to_charge billing_alignment_mode offline_payment_method po_number coupon_ids payment_source_id override_relationship invoice_notes invoice_date meta_data invoice_immediately replace_primary_payment_source free_period free_period_unit contract_term_billing_cycle_on_renewal create_pending_invoices auto_close_invoices first_invoice_pending trial_end_action payment_initiator shipping_address[first_name,last_name,email,company,phone,line1,line2,line3,city,state_code,state,zip,country,validation_status] statement_descriptor[descriptor] payment_intent[id,gateway_account_id,gw_token,payment_method_type,reference_id,gw_payment_method_id,additional_information] contract_term[action_at_term_end,contract_start,cancellation_cutoff_period] billing_override[max_excess_payment_usage,max_refundable_credits_usage] subscription_items[item_price_id,quantity,quantity_in_decimal,unit_price,unit_price_in_decimal,billing_cycles,trial_end,service_period_days,charge_on_event,charge_once,item_type,charge_on_option,usage_accumulation_reset_frequency] discounts[apply_on,duration_type,percentage,amount,period,period_unit,included_in_mrr,item_price_id,quantity] item_tiers[item_price_id,starting_unit,ending_unit,price,starting_unit_in_decimal,ending_unit_in_decimal,price_in_decimal,pricing_type,package_size] coupons[coupon_id,apply_till]',
  'GET /subscriptions':
    'limit offset include_deleted id customer_id item_id item_price_id status cancel_reason cancel_reason_code remaining_billing_cycles created_at activated_at next_billing_at cancelled_at has_scheduled_changes updated_at offline_payment_method auto_close_invoices override_relationship sort_by[asc,desc] business_entity_id channel decommissioned plan_id',
  'GET /subscriptions/{}':
    '',
  'POST /subscriptions/{}/cancel_for_items':
    'cancel_option end_of_term cancel_at credit_option_for_current_term_charges unbilled_charges_option account_receivables_handling refundable_credits_handling contract_term_cancel_option invoice_date include_cancellation_day_in_billing cancel_reason_code decommissioned subscription_items[item_price_id,quantity,quantity_in_decimal,unit_price,unit_price_in_decimal,service_period_days]',
  'GET /items':
    'limit offset id item_family_id type name item_applicability status is_giftable updated_at enabled_for_checkout enabled_in_portal metered usage_calculation channel business_entity_id include_site_level_resources sort_by[asc,desc] bundle_configuration[type]',
  'GET /items/{}':
    '',
  'GET /item_prices':
    'limit offset id name pricing_model item_id item_family_id item_type currency_code price_variant_id trial_period trial_period_unit status updated_at business_entity_id include_site_level_resources period_unit period channel sort_by[asc,desc]',
  'GET /item_prices/{}':
    '',
  'GET /invoices':
    'limit offset paid_on_after include_deleted id subscription_id customer_id recurring status price_type date paid_at total amount_paid amount_adjusted credits_applied amount_due dunning_status payment_owner updated_at channel voided_at void_reason_code sort_by[asc,desc] einvoice[status]',
  'GET /invoices/{}':
    'line_items_limit line_items_offset line_item[subscription_id,customer_id]',
  'POST /invoices/{}/pdf':
    'disposition_type',
  'GET /credit_notes':
    'limit offset include_deleted id customer_id subscription_id reference_invoice_id type reason_code create_reason_code status date total price_type amount_allocated amount_refunded amount_available voided_at updated_at sort_by[asc,desc] channel einvoice[status]',
  'GET /credit_notes/{}':
    'line_items_limit line_items_offset line_item[subscription_id,customer_id]',
  'POST /hosted_pages/checkout_new_for_items':
    'layout business_entity_id billing_cycles mandatory_items_to_remove terms_to_charge billing_alignment_mode coupon_ids redirect_url cancel_url pass_thru_content allow_offline_payment_methods subscription[id,trial_end,setup_fee,start_date,coupon,auto_collection,offline_payment_method,invoice_notes,po_number,contract_term_billing_cycle_on_renewal] customer[id,email,first_name,last_name,company,phone,locale,taxability,vat_number,vat_number_prefix,is_einvoice_enabled,entity_identifier_scheme,entity_identifier_standard,einvoicing_method] card[gateway,gateway_account_id] billing_address[first_name,last_name,email,company,phone,line1,line2,line3,city,state_code,state,zip,country,validation_status] shipping_address[first_name,last_name,email,company,phone,line1,line2,line3,city,state_code,state,zip,country,validation_status] contract_term[action_at_term_end,cancellation_cutoff_period] subscription_items[item_price_id,quantity,quantity_in_decimal,unit_price,unit_price_in_decimal,billing_cycles,trial_end,service_period_days,charge_on_event,charge_once,item_type,charge_on_option] discounts[apply_on,duration_type,percentage,amount,period,period_unit,included_in_mrr,item_price_id,quantity] item_tiers[item_price_id,starting_unit,ending_unit,price,starting_unit_in_decimal,ending_unit_in_decimal,price_in_decimal,pricing_type,package_size] entity_identifiers[id,scheme,value,operation,standard]',
  'POST /portal_sessions':
    'redirect_url forward_url customer[id]',
  'GET /exports/{}':
    '',
  'POST /exports/revenue_recognition':
    'report_by currency_code report_from_month report_from_year report_to_month report_to_year include_discounts payment_owner item_id item_price_id cancel_reason_code business_entity_id invoice[id,recurring,status,price_type,date,paid_at,total,amount_paid,amount_adjusted,credits_applied,amount_due,dunning_status,updated_at,channel] subscription[id,customer_id,cancel_reason,remaining_billing_cycles,created_at,activated_at,next_billing_at,cancelled_at,has_scheduled_changes,updated_at,offline_payment_method,auto_close_invoices,channel,plan_id] customer[id,first_name,last_name,email,company,phone,auto_collection,taxability,created_at,updated_at,offline_payment_method,auto_close_invoices,channel] relationship[parent_id,payment_owner_id,invoice_owner_id] subscription[status]',
  'POST /exports/deferred_revenue':
    'report_by currency_code report_from_month report_from_year report_to_month report_to_year include_discounts payment_owner item_id item_price_id cancel_reason_code business_entity_id invoice[id,recurring,status,price_type,date,paid_at,total,amount_paid,amount_adjusted,credits_applied,amount_due,dunning_status,updated_at,channel] subscription[id,customer_id,cancel_reason,remaining_billing_cycles,created_at,activated_at,next_billing_at,cancelled_at,has_scheduled_changes,updated_at,offline_payment_method,auto_close_invoices,channel,plan_id] customer[id,first_name,last_name,email,company,phone,auto_collection,taxability,created_at,updated_at,offline_payment_method,auto_close_invoices,channel] relationship[parent_id,payment_owner_id,invoice_owner_id] subscription[status]',
  'POST /exports/coupons':
    'currency_code applicable_item_price_ids coupon[id,name,discount_type,duration_type,status,apply_on,created_at,updated_at]',
  'POST /exports/customers':
    'export_type business_entity_id customer[id,first_name,last_name,email,company,phone,auto_collection,taxability,created_at,updated_at,offline_payment_method,auto_close_invoices,channel] relationship[parent_id,payment_owner_id,invoice_owner_id]',
  'POST /exports/subscriptions':
    'export_type item_id item_price_id cancel_reason_code subscription[id,customer_id,status,cancel_reason,remaining_billing_cycles,created_at,activated_at,next_billing_at,cancelled_at,has_scheduled_changes,updated_at,offline_payment_method,auto_close_invoices,channel,decommissioned,plan_id]',
  'POST /exports/invoices':
    'payment_owner invoice[id,subscription_id,customer_id,recurring,status,price_type,date,paid_at,total,amount_paid,amount_adjusted,credits_applied,amount_due,dunning_status,updated_at,channel]',
  'POST /exports/credit_notes':
    'credit_note[id,customer_id,subscription_id,reference_invoice_id,type,reason_code,create_reason_code,status,date,total,price_type,amount_allocated,amount_refunded,amount_available,voided_at,updated_at,channel]',
  'POST /exports/transactions':
    'transaction[id,customer_id,subscription_id,payment_source_id,payment_method,gateway,gateway_account_id,id_at_gateway,reference_number,type,date,amount,amount_capturable,status,updated_at]',
  'POST /exports/orders':
    'total order[id,subscription_id,customer_id,status,price_type,order_date,shipping_date,shipped_at,delivered_at,cancelled_at,amount_paid,refundable_credits,refundable_credits_issued,updated_at,resent_status,is_resent,original_order_id]',
  'POST /exports/item_families':
    'business_entity_id include_site_level_resources item_family[id,name,updated_at]',
  'POST /exports/items':
    'business_entity_id include_site_level_resources item[id,item_family_id,type,name,item_applicability,status,is_giftable,updated_at,enabled_for_checkout,enabled_in_portal,metered,usage_calculation,channel]',
  'POST /exports/item_prices':
    'item_family_id item_type currency_code business_entity_id include_site_level_resources item_price[id,name,pricing_model,item_id,price_variant_id,trial_period,trial_period_unit,status,updated_at,period_unit,period,channel]',
  'POST /exports/attached_items':
    'item_type attached_item[id,item_id,type,charge_on_event,updated_at,parent_item_id]',
  'POST /exports/differential_prices':
    'item_id differential_price[item_price_id,id,parent_item_id]',
  'POST /customers/{}/create_subscription_for_items_estimate':
    'use_existing_balances invoice_immediately billing_cycles mandatory_items_to_remove terms_to_charge billing_alignment_mode invoice_date coupon_ids subscription[id,trial_end,setup_fee,start_date,offline_payment_method,free_period,free_period_unit,contract_term_billing_cycle_on_renewal,trial_end_action] shipping_address[line1,line2,line3,city,state_code,zip,country,validation_status] billing_address[line1,line2,line3,city,state_code,zip,country,validation_status] contract_term[action_at_term_end,contract_start,cancellation_cutoff_period] billing_override[max_excess_payment_usage,max_refundable_credits_usage] subscription_items[item_price_id,quantity,quantity_in_decimal,unit_price,unit_price_in_decimal,billing_cycles,trial_end,service_period_days,charge_on_event,charge_once,item_type,charge_on_option] discounts[apply_on,duration_type,percentage,amount,period,period_unit,included_in_mrr,item_price_id,quantity] item_tiers[item_price_id,starting_unit,ending_unit,price,starting_unit_in_decimal,ending_unit_in_decimal,price_in_decimal,pricing_type,package_size]',
  'POST /subscriptions/{}/cancel_subscription_for_items_estimate':
    'cancel_option end_of_term cancel_at credit_option_for_current_term_charges unbilled_charges_option account_receivables_handling refundable_credits_handling contract_term_cancel_option invoice_date include_cancellation_day_in_billing cancel_reason_code subscription_items[item_price_id,quantity,quantity_in_decimal,unit_price,unit_price_in_decimal,service_period_days]',
};
