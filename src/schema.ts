import * as z from 'zod';

/**
 * Zod helpers the catalogue is written in. Every schema here validates strictly on the
 * server, and tools/list is generated from the same schemas (src/jsonschema.ts); filters are
 * registered with their kind and operators, for short shared names in the listing and for
 * error messages that list the allowed operators.
 */

/** Characters a path id may hold: anything else could change the route. */
export const ID_CHARS = /^[A-Za-z0-9_\-.~@+:=]+$/;

export function id(description: string, max = 100) {
  return z
    .string()
    .min(1)
    .max(max)
    .regex(ID_CHARS, { message: 'may only contain letters, digits and _ - . ~ @ + : = (no /, ?, #, spaces or control characters)' })
    .refine((s) => s !== '.' && s !== '..', { message: 'cannot be "." or ".."' })
    .describe(description);
}

export const UNIX_SECONDS = z.number().int().min(0).max(9_999_999_999);

/** Filter values: Chargebee takes only 10-digit Unix seconds (2001-09-09 .. 2286-11-20). */
const TEN_DIGITS = { message: 'a 10-digit Unix time in seconds, e.g. 1704067200' };
export const FILTER_SECONDS = z.number().int().min(1_000_000_000, TEN_DIGITS).max(9_999_999_999, TEN_DIGITS);

export type Op =
  | 'is' | 'is_not' | 'starts_with' | 'in' | 'not_in' | 'is_present'
  | 'after' | 'before' | 'on' | 'between'
  | 'lt' | 'lte' | 'gt' | 'gte';

export type FilterKind = 'S' | 'E' | 'T' | 'N' | 'B';

export interface FilterMeta {
  kind: FilterKind;
  ops: readonly Op[];
  values?: readonly string[];
}

/** Registry of filter schemas → their kind and operators. */
export const filterRegistry = new WeakMap<z.ZodType, FilterMeta>();

export const BASE_OPS: Record<FilterKind, readonly Op[]> = {
  S: ['is', 'is_not', 'starts_with'],
  E: ['is', 'is_not', 'in', 'not_in'],
  T: ['after', 'before', 'on', 'between'],
  N: ['is', 'is_not', 'lt', 'lte', 'gt', 'gte', 'between'],
  B: ['is'],
};

function rangePair(v: z.ZodType<number>) {
  return z
    .tuple([v, v])
    .refine(([a, b]) => a <= b, { message: 'between takes [from, to] with from <= to' });
}

function opSchema(kind: FilterKind, op: Op, values?: readonly string[]): z.ZodType {
  if (op === 'is_present') return z.boolean();
  switch (kind) {
    case 'B':
      return z.boolean();
    case 'T':
      return op === 'between' ? rangePair(FILTER_SECONDS) : FILTER_SECONDS;
    case 'N': {
      const n = z.number().int();
      return op === 'between' ? rangePair(n) : n;
    }
    case 'E': {
      const e = z.enum(values as [string, ...string[]]);
      return op === 'in' || op === 'not_in' ? z.array(e).min(1).max(50) : e;
    }
    case 'S': {
      const s = z.string().min(1).max(500);
      return op === 'in' || op === 'not_in' ? z.array(s).min(1).max(100) : s;
    }
  }
}

/**
 * Filters are immutable and the catalogue declares the same ones many times (some 200 fields,
 * mostly in export tools): build each distinct filter once. Start-up time and memory.
 */
const filterCache = new Map<string, ReturnType<typeof buildFilter>>();

function filter(kind: FilterKind, extra: readonly Op[], values?: readonly string[]) {
  const key = `${kind}|${extra.join(',')}|${values?.join('\u0000') ?? ''}`;
  let schema = filterCache.get(key);
  if (!schema) filterCache.set(key, (schema = buildFilter(kind, extra, values)));
  return schema;
}

function buildFilter(kind: FilterKind, extra: readonly Op[], values?: readonly string[]) {
  const ops = [...BASE_OPS[kind], ...extra.filter((o) => !BASE_OPS[kind].includes(o))];
  const shape = Object.fromEntries(ops.map((op) => [op, opSchema(kind, op, values).optional()]));
  const schema = z
    .strictObject(shape)
    .refine((o) => Object.values(o).some((v) => v !== undefined), { message: `needs one operator: ${ops.join(', ')}` })
    .optional();
  filterRegistry.set(schema, { kind, ops, values });
  return schema;
}

/** Filter builders: the operators Chargebee documents per field kind, plus extras. */
export const f = {
  /** string: is, is_not, starts_with (+extra, e.g. 'in', 'not_in', 'is_present') */
  s: (...extra: Op[]) => filter('S', extra),
  /** string with in/not_in */
  sIn: (...extra: Op[]) => filter('S', ['in', 'not_in', ...extra]),
  /** enumerated string: is, is_not, in, not_in */
  e: (values: readonly string[], ...extra: Op[]) => filter('E', extra, values),
  /** timestamp (Unix seconds): after, before, on, between */
  t: (...extra: Op[]) => filter('T', extra),
  /** number (integer; money in minor units): is, is_not, lt, lte, gt, gte, between */
  n: (...extra: Op[]) => filter('N', extra),
  /** boolean: is */
  b: () => filter('B', []),
};

type AnyFilter = ReturnType<typeof filter>;

/**
 * What a filter field is, by its name ({r}: the resource it belongs to, {R}: the same
 * capitalised). Units: a time field's text gets " (Unix seconds)" from its kind; money
 * fields say minor units themselves. Every filter in the catalogue is described from here
 * (or from its tool's own text): filters() refuses a field with neither.
 */
const FIELD_TEXT: Record<string, string> = {
  id: '{R} id',
  name: '{R} name',
  type: '{R} type',
  status: '{R} status',
  channel: 'Channel the {r} came from: web, or an app store',
  created_at: 'When the {r} was created',
  updated_at: 'When the {r} last changed',
  cancelled_at: 'When the {r} was (or will be) cancelled',
  date: '{R} date',
  customer_id: 'Id of the customer',
  subscription_id: 'Id of the subscription',
  item_id: 'Id of the item',
  item_price_id: 'Id of the item price',
  item_family_id: 'Id of the item family',
  item_type: 'Kind of item: plan, addon or charge',
  currency_code: 'ISO 4217 currency code, e.g. USD',
  business_entity_id: 'Id of the business entity (multi-entity sites)',
  payment_owner: 'Id of the customer who pays',
  cancel_reason_code: 'Cancellation reason code, as configured in Chargebee',
  first_name: "Customer's first name",
  last_name: "Customer's last name",
  email: "Customer's email address",
  company: "Customer's company name",
  phone: "Customer's phone number",
  auto_collection: 'on: payments are collected automatically; off: paid manually',
  auto_close_invoices: "Whether the {r}'s invoices close automatically",
  taxability: 'Whether the customer is taxable or exempt',
  offline_payment_method: 'How the {r} pays when not charged automatically',
  cancel_reason: 'Why Chargebee cancelled the subscription',
  remaining_billing_cycles: 'Billing cycles left before the subscription ends (a count)',
  activated_at: 'When the subscription became active',
  next_billing_at: 'When the subscription next renews and bills',
  has_scheduled_changes: 'Whether the subscription has changes scheduled for the end of its term',
  recurring: 'Whether the invoice is for a subscription (not one-off charges)',
  price_type: 'Whether prices include tax: tax_exclusive or tax_inclusive',
  paid_at: 'When the {r} was paid in full',
  total: '{R} total, in minor units (cents)',
  amount: '{R} amount, in minor units (cents)',
  amount_paid: 'Amount paid, in minor units (cents)',
  amount_adjusted: 'Amount adjusted by credit notes, in minor units (cents)',
  credits_applied: 'Credits applied, in minor units (cents)',
  amount_due: 'Amount still due, in minor units (cents)',
  dunning_status: 'Stage of the invoice in dunning (automatic payment retries)',
  is_giftable: 'Whether the item can be bought as a gift',
  enabled_for_checkout: 'Whether the item is offered on hosted checkout pages',
  enabled_in_portal: 'Whether customers see the item in their self-serve portal',
  metered: 'Whether the item is billed on recorded usage',
  usage_calculation: 'How metered usage is totalled for billing',
  item_applicability: 'Which items may be added to this plan: all or restricted',
  pricing_model: 'How the price is computed from the quantity',
  period: 'Billing period length, in period_unit',
  period_unit: 'Unit of the billing period',
  trial_period: 'Trial length, in trial_period_unit',
  trial_period_unit: 'Unit of the trial period',
  discount_type: 'How the coupon discounts: fixed amount, percentage or free quantity',
  duration_type: 'How long the coupon applies',
  apply_on: 'What the coupon discount applies to',
  reference_invoice_id: 'Id of the invoice the credit note is against',
  reason_code: 'Why the credit note was issued',
  create_reason_code: 'Reason code given when the credit note was created, as configured in Chargebee',
  amount_allocated: 'Amount applied to invoices, in minor units (cents)',
  amount_refunded: 'Amount refunded, in minor units (cents)',
  amount_available: 'Amount still available to apply or refund, in minor units (cents)',
  voided_at: 'When the {r} was voided',
  payment_source_id: 'Id of the payment source (card, bank account) used',
  payment_method: 'Payment method used',
  gateway: 'Payment gateway that processed the transaction',
  gateway_account_id: 'Id of the gateway account in Chargebee',
  id_at_gateway: "The transaction's id at the payment gateway",
  reference_number: 'Reference number of an offline payment',
  amount_capturable: 'Authorised amount still capturable, in minor units (cents)',
  order_date: 'When the order was placed',
  shipping_date: 'Planned shipping date',
  shipped_at: 'When the order shipped',
  delivered_at: 'When the order was delivered',
  refundable_credits: 'Credits that can still be refunded, in minor units (cents)',
  refundable_credits_issued: 'Refundable credits already issued, in minor units (cents)',
  resent_status: 'Whether the order was resent in full or in part',
  is_resent: 'Whether the order is a resend of an earlier one',
  original_order_id: 'Id of the order this one resends',
  charge_on_event: 'When an attached charge is billed',
  parent_item_id: 'Id of the plan the item is attached to',
  parent_id: 'Id of the parent customer in the account hierarchy',
  payment_owner_id: 'Id of the customer who pays for this customer',
  invoice_owner_id: 'Id of the customer invoiced for this customer',
};

/** The described copy of a filter: still registered, for its $defs name and its error messages. */
function describedFilter(schema: AnyFilter, text: string): AnyFilter {
  const meta = filterRegistry.get(schema)!;
  const out = schema.describe(meta.kind === 'T' ? `${text} (Unix seconds)` : text);
  filterRegistry.set(out, meta);
  return out;
}

/**
 * Filters of one resource, each described: by `own` text where given, otherwise by FIELD_TEXT
 * with the resource's name filled in. A field described by neither is a programming error.
 */
export function filters<T extends Record<string, AnyFilter>>(resource: string, fields: T, own: Partial<Record<keyof T & string, string>> = {}): T {
  const R = resource.charAt(0).toUpperCase() + resource.slice(1);
  return Object.fromEntries(
    Object.entries(fields).map(([name, schema]) => {
      const text = own[name] ?? FIELD_TEXT[name];
      if (!text) throw new Error(`filter ${resource}.${name} has no description: add it to FIELD_TEXT or pass it`);
      return [name, describedFilter(schema, text.replaceAll('{r}', resource).replaceAll('{R}', R))];
    }),
  ) as T;
}

/**
 * A nested filter group (export params like subscription[status][in]=...). The group says
 * whose fields they are and their units; its fields are typed but not described one by one
 * (some 200 of them in the export tools: 12.5 KB more of tools/list).
 */
export function group(resource: string, fields: Record<string, AnyFilter>, text = `Only ${resource.replace(/y$/, 'ie')}s matching all of these filters on ${resource} fields`) {
  const kinds = Object.entries(fields).map(([name, schema]) => ({ name, kind: filterRegistry.get(schema)!.kind }));
  const units = [
    kinds.some((k) => k.kind === 'T') && 'times in Unix seconds',
    kinds.some((k) => k.kind === 'N' && /minor units/.test(FIELD_TEXT[k.name] ?? '')) && 'amounts in minor units, e.g. cents',
  ].filter(Boolean);
  return z.strictObject(fields).optional().describe(units.length ? `${text} (${units.join('; ')})` : text);
}

/** sort_by: {asc|desc: field} */
export function sortBy(fields: readonly [string, ...string[]]) {
  return z
    .strictObject({ asc: z.enum(fields).optional(), desc: z.enum(fields).optional() })
    .refine((o) => (o.asc === undefined) !== (o.desc === undefined), { message: 'give exactly one of asc or desc' })
    .optional()
    .describe('Sort order: {"asc": field} or {"desc": field}');
}

/** The paging parameters every list tool takes. */
export const paging = {
  limit: z.number().int().min(1).max(100).optional().describe('Page size 1-100 (default 10)'),
  offset: z
    .string()
    .min(1)
    .max(1000)
    .optional()
    .describe('next_offset from the previous page, passed back unchanged'),
};

/** Customer/subscription metadata: a JSON object, sent as JSON text. */
export const metaData = z
  .record(z.string(), z.unknown())
  .optional()
  .refine((v) => v === undefined || JSON.stringify(v).length <= 65_535, { message: 'meta_data is limited to 65,535 characters of JSON' })
  .describe('JSON object stored on the resource (not filterable)');

/** Custom fields: keys must start with cf_. */
export const customFields = z
  .record(z.string().regex(/^cf_[a-z0-9_]+$/, { message: 'custom field keys look like cf_region' }), z.union([z.string().max(1000), z.number(), z.boolean()]))
  .optional()
  .describe('Custom fields defined in Chargebee, e.g. {"cf_region":"emea"}');

export const currency = z.string().length(3).regex(/^[A-Z]{3}$/, { message: 'an ISO 4217 code like USD' });

/**
 * Null means omitted: strict-mode tool converters (OpenAI's among them) make every optional
 * parameter required-but-nullable and send null for the ones the model leaves out. Drops the
 * nulls given for optional keys, at any depth of the schema's objects, arrays and filters,
 * before validation; never inside free-form objects (meta_data, custom_fields), whose values
 * are the caller's own. A null for a required key stays, for the validator to refuse.
 */
export function omitNulls(schema: z.ZodType, value: unknown): unknown {
  const def = (schema as unknown as { def: Record<string, any> }).def;
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'readonly':
      return omitNulls(def.innerType, value);
    case 'array':
      return Array.isArray(value) ? value.map((v) => omitNulls(def.element, v)) : value;
    case 'object': {
      if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const field: z.ZodType | undefined = Object.hasOwn(def.shape, k) ? def.shape[k] : undefined;
        if (v === null && field && omittable(field)) continue;
        out[k] = field ? omitNulls(field, v) : v;
      }
      return out;
    }
    default:
      return value;
  }
}

/** Optional and not itself accepting null. */
function omittable(schema: z.ZodType): boolean {
  const def = (schema as unknown as { def: Record<string, any> }).def;
  return (def.type === 'optional' || def.type === 'default') && (def.innerType as { def: { type: string } }).def.type !== 'nullable';
}
