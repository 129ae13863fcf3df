/** One generic list handler and one generic retrieve handler, parameterised per resource. */
import {
  CREDIT_NOTE_FILTERS, CUSTOMER_FILTERS, INVOICE_FILTERS, ITEM_FILTERS, ITEM_PRICE_FILTERS, SUBSCRIPTION_FILTERS, SUBSCRIPTION_ITEM_FILTERS,
} from './catalog.js';
import type { Call } from './chargebee.js';
import { matchesAll, str, type Conditions, type FilterSpec } from './filters.js';
import { notFound, paramError } from './http.js';
import { boolean, choice, decode, integer, object, text, type Fields, type Schema } from './params.js';
import type { Collection, Row, Site } from './store.js';
import type { Coupon, CreditNote, Customer, Invoice, Item, ItemPrice, Subscription } from './types.js';

interface ListSpec<T extends { id: string }> {
  /** Resource name in messages: `Customer cust_x not found`. */
  label: string;
  collection: (site: Site) => Collection<T>;
  filters: Record<string, FilterSpec>;
  /** Fields accepted by `sort_by[asc|desc]` (none: no sort_by parameter). */
  sortable: readonly string[];
  /** Default order: this field, descending. */
  order: string;
  extra?: Fields;
  visible?: (value: T, params: Record<string, unknown>) => boolean;
  entry: (value: T, site: Site) => object;
}

export function customerEntry(customer: Customer, site: Site) {
  return { customer, card: site.cards.get(customer.id) };
}

export function subscriptionEntry(subscription: Subscription, site: Site) {
  return { subscription, customer: site.customers.get(subscription.customer_id), card: site.cards.get(subscription.customer_id) };
}

export const CUSTOMERS: ListSpec<Customer> = {
  label: 'Customer',
  collection: (site) => site.customers,
  filters: CUSTOMER_FILTERS,
  sortable: ['created_at', 'updated_at'],
  order: 'created_at',
  extra: { include_deleted: boolean() },
  visible: (c, p) => p.include_deleted === true || !c.deleted,
  entry: customerEntry,
};

export const SUBSCRIPTIONS: ListSpec<Subscription> = {
  label: 'Subscription',
  collection: (site) => site.subscriptions,
  filters: { ...SUBSCRIPTION_FILTERS, ...SUBSCRIPTION_ITEM_FILTERS, plan_id: str('in', 'not_in') },
  sortable: ['created_at', 'updated_at'],
  order: 'created_at',
  entry: subscriptionEntry,
};

export const ITEMS: ListSpec<Item> = {
  label: 'Item',
  collection: (site) => site.items,
  filters: ITEM_FILTERS,
  sortable: ['name', 'id', 'updated_at'],
  order: 'updated_at',
  entry: (item) => ({ item }),
};

export const ITEM_PRICES: ListSpec<ItemPrice> = {
  label: 'Item price',
  collection: (site) => site.itemPrices,
  filters: ITEM_PRICE_FILTERS,
  sortable: ['name', 'id', 'updated_at'],
  order: 'updated_at',
  entry: (item_price) => ({ item_price }),
};

/** Retrieve only (GET /coupons/{id}): previews read a coupon to state its discount. */
export const COUPONS: ListSpec<Coupon> = {
  label: 'Coupon',
  collection: (site) => site.coupons,
  filters: {},
  sortable: [],
  order: 'updated_at',
  entry: (coupon) => ({ coupon }),
};

export const INVOICES: ListSpec<Invoice> = {
  label: 'Invoice',
  collection: (site) => site.invoices,
  filters: INVOICE_FILTERS,
  sortable: ['date', 'updated_at'],
  order: 'date',
  entry: (invoice) => ({ invoice }),
};

export const CREDIT_NOTES: ListSpec<CreditNote> = {
  label: 'Credit note',
  collection: (site) => site.creditNotes,
  filters: CREDIT_NOTE_FILTERS,
  sortable: ['date'],
  order: 'date',
  entry: (credit_note) => ({ credit_note }),
};

const DEFAULT_LIMIT = 10;

/** `next_offset` is a JSON array of two digit strings: the sort value in ms and the row's sequence number. */
type Cursor = [value: number, seq: number];

function parseOffset(raw: string): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // reported below
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || !parsed.every((p) => typeof p === 'string' && /^\d{1,16}$/.test(p))) {
    throw paramError('offset', 'invalid offset: pass back the next_offset of the previous page unchanged');
  }
  return [Number(parsed[0]), Number(parsed[1])];
}

export function listHandler<T extends { id: string }>(spec: ListSpec<T>) {
  const sortBy: Fields = spec.sortable.length ? { sort_by: object({ asc: choice(spec.sortable), desc: choice(spec.sortable) }) } : {};
  const schema: Schema = { fields: { limit: integer(1, 100), offset: text(), ...sortBy, ...spec.extra, ...spec.filters } };

  return ({ site, pairs }: Call) => {
    const params = decode(schema, pairs);
    const sort = params.sort_by as { asc?: string; desc?: string } | undefined;
    if (sort?.asc && sort.desc) throw paramError('sort_by', 'give either sort_by[asc] or sort_by[desc], not both');
    const field = sort?.asc ?? sort?.desc ?? spec.order;
    const dir = sort?.asc ? 1 : -1;
    const filters = Object.fromEntries(Object.entries(params).filter(([k]) => k in spec.filters)) as Record<string, Conditions>;

    const valueOf = (row: Row<T>) => (row.value as Record<string, unknown>)[field];
    // Text sorts (name, id): the cursor holds the last row's position in the sorted list instead of its value.
    const textSort = field === 'name' || field === 'id';
    const key = (row: Row<T>): Cursor => [Number(valueOf(row) ?? 0) * 1000, row.seq];
    const compare = (a: Cursor, b: Cursor) => dir * (a[0] - b[0] || a[1] - b[1]);
    let rows = spec.collection(site).rows()
      .filter((r) => (spec.visible?.(r.value, params) ?? true) && matchesAll(r.value, filters))
      .sort((a, b) => (textSort ? dir * (String(valueOf(a)).localeCompare(String(valueOf(b))) || a.seq - b.seq) : compare(key(a), key(b))));
    const all = rows;
    if (typeof params.offset === 'string') {
      const cursor = parseOffset(params.offset);
      rows = textSort ? rows.slice(cursor[0] + 1) : rows.filter((r) => compare(key(r), cursor) > 0);
    }
    const limit = (params.limit as number | undefined) ?? DEFAULT_LIMIT;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      list: page.map((r) => spec.entry(r.value, site)),
      next_offset: rows.length > limit && last ? JSON.stringify((textSort ? [all.indexOf(last), last.seq] : key(last)).map(String)) : undefined,
    };
  };
}

export function retrieveHandler<T extends { id: string }>(spec: ListSpec<T>) {
  return ({ site, pairs, path }: Call) => {
    decode({ fields: {} }, pairs);
    return spec.entry(find(spec, site, path.id ?? ''), site);
  };
}

export function find<T extends { id: string }>(spec: ListSpec<T>, site: Site, id: string, param?: string): T {
  const value = spec.collection(site).get(id);
  if (!value) throw notFound(`${spec.label} ${id}`, param);
  return value;
}
