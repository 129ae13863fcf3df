/** Chargebee list filters: `attr[op]=value`, their value syntax, and matching rows against them. */
import { paramError } from './http.js';

export type FilterType = 'string' | 'enum' | 'timestamp' | 'number' | 'boolean';
export type Op =
  | 'is' | 'is_not' | 'starts_with' | 'in' | 'not_in' | 'is_present'
  | 'after' | 'before' | 'on' | 'between'
  | 'lt' | 'lte' | 'gt' | 'gte';

export interface FilterSpec {
  kind: 'filter';
  type: FilterType;
  ops: readonly Op[];
  values?: readonly string[];
}

export type FilterValue = string | number | boolean | readonly (string | number)[];
export type Conditions = Partial<Record<Op, FilterValue>>;

// Operator sets as Chargebee documents them.
const S_OPS: readonly Op[] = ['is', 'is_not', 'starts_with'];
const T_OPS: readonly Op[] = ['after', 'before', 'on', 'between'];
const N_OPS: readonly Op[] = ['is', 'is_not', 'lt', 'lte', 'gt', 'gte', 'between'];
const E_OPS: readonly Op[] = ['is', 'is_not', 'in', 'not_in'];

/** String filter: is, is_not, starts_with plus any `extra` (in, not_in, is_present). */
export const str = (...extra: Op[]): FilterSpec => ({ kind: 'filter', type: 'string', ops: [...S_OPS, ...extra] });
export const ts = (...extra: Op[]): FilterSpec => ({ kind: 'filter', type: 'timestamp', ops: [...T_OPS, ...extra] });
export const num = (...extra: Op[]): FilterSpec => ({ kind: 'filter', type: 'number', ops: [...N_OPS, ...extra] });
export const bool = (): FilterSpec => ({ kind: 'filter', type: 'boolean', ops: ['is'] });
export const oneOf = (values: readonly string[], ...extra: Op[]): FilterSpec =>
  ({ kind: 'filter', type: 'enum', ops: [...E_OPS, ...extra], values });

const INTEGER = /^-?\d+$/;
const TEN_DIGITS = /^\d{10}$/;

/** Parses one filter value; `param` names it in errors (e.g. `status[in]`). */
export function parseFilterValue(spec: FilterSpec, op: Op, raw: string, param: string): FilterValue {
  if (op === 'is_present') return parseBoolean(raw, param);
  if (op === 'in' || op === 'not_in') {
    const list = parseJsonArray(raw, param);
    return list.map((v) => checkEnum(spec, typeof v === 'number' ? String(v) : v, param));
  }
  if (op === 'between') {
    const list = parseJsonArray(raw, param);
    if (list.length !== 2) throw paramError(param, 'expects a JSON array of two values, e.g. [1704067200,1717199999]');
    return list.map((v) => (spec.type === 'timestamp' ? parseTimestamp(String(v), param) : parseInteger(String(v), param)));
  }
  switch (spec.type) {
    case 'boolean':
      return parseBoolean(raw, param);
    case 'timestamp':
      return parseTimestamp(raw, param);
    case 'number':
      return parseInteger(raw, param);
    case 'enum':
      return checkEnum(spec, raw, param);
    case 'string':
      return raw;
  }
}

function parseBoolean(raw: string, param: string): boolean {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw paramError(param, `invalid boolean '${raw}', expected true or false`);
}

function parseInteger(raw: string, param: string): number {
  const n = Number(raw);
  if (!INTEGER.test(raw) || !Number.isSafeInteger(n)) throw paramError(param, `invalid integer '${raw}'`);
  return n;
}

/** Chargebee's timestamp filters take 10-digit Unix seconds only. */
function parseTimestamp(raw: string, param: string): number {
  if (!TEN_DIGITS.test(raw)) throw paramError(param, `invalid timestamp '${raw}', expected 10-digit Unix seconds`);
  return Number(raw);
}

function parseJsonArray(raw: string, param: string): (string | number)[] {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw paramError(param, `expects a JSON array such as ["a","b"], got '${raw}'`);
  }
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' || typeof v === 'number')) {
    throw paramError(param, `expects a JSON array of strings or numbers, got '${raw}'`);
  }
  return value as (string | number)[];
}

function checkEnum(spec: FilterSpec, value: string, param: string): string {
  if (spec.values && !spec.values.includes(value)) {
    throw paramError(param, `invalid value '${value}', expected one of ${spec.values.join(', ')}`);
  }
  return value;
}

/**
 * Fields filters can name that are not plain properties of the object, keyed by `object` type.
 * `item_id` / `item_price_id` are "the plan item code" / "the plan item price code" (Chargebee's
 * reference): they match the plan item only, never an addon or charge of the subscription.
 */
const VIRTUAL_FIELDS: Record<string, Record<string, (obj: Record<string, unknown>) => unknown>> = {
  subscription: {
    item_price_id: (s) => planItems(s).map((i) => i.item_price_id),
    item_id: (s) => planItems(s).map((i) => i.item_id),
    plan_id: (s) => planItems(s).map((i) => i.item_price_id),
  },
  invoice: {
    item_price_id: (inv) => planLines(inv).map((l) => l.entity_id),
    item_id: (inv) => planLines(inv).map((l) => l.item_id),
    payment_owner: (inv) => inv.customer_id,
  },
};

type Loose = Record<string, unknown>;
const planItems = (s: Loose) => ((s.subscription_items ?? []) as Loose[]).filter((i) => i.item_type === 'plan');
const planLines = (inv: Loose) => ((inv.line_items ?? []) as Loose[]).filter((l) => l.entity_type === 'plan_item_price');

export function fieldValue(obj: object, field: string): unknown {
  const loose = obj as Loose;
  const virtual = VIRTUAL_FIELDS[String(loose.object)]?.[field];
  return virtual ? virtual(loose) : loose[field];
}

/** True when `obj` satisfies every condition of every filtered field. */
export function matchesAll(obj: object | undefined, filters: Record<string, Conditions>): boolean {
  return Object.entries(filters).every(([field, cond]) => matches(obj ? fieldValue(obj, field) : undefined, cond));
}

const DAY = 86_400;

/** One field against its conditions. Array-valued fields match when any element does (none, for negations). */
export function matches(value: unknown, cond: Conditions): boolean {
  const values = (Array.isArray(value) ? value : value === undefined || value === null ? [] : [value]) as unknown[];
  const any = (test: (v: unknown) => boolean) => values.some(test);
  const number = (v: unknown) => (typeof v === 'number' ? v : Number.NaN);
  return Object.entries(cond).every(([op, x]) => {
    switch (op as Op) {
      case 'is':
        return typeof x === 'boolean' ? Boolean(values[0] ?? false) === x : any((v) => String(v) === String(x));
      case 'is_not':
        return typeof x === 'boolean' ? Boolean(values[0] ?? false) !== x : !any((v) => String(v) === String(x));
      case 'starts_with':
        return any((v) => String(v).startsWith(String(x)));
      case 'in':
        return any((v) => (x as (string | number)[]).map(String).includes(String(v)));
      case 'not_in':
        return !any((v) => (x as (string | number)[]).map(String).includes(String(v)));
      case 'is_present':
        return any((v) => v !== '') === x;
      case 'after':
      case 'gt':
        return any((v) => number(v) > Number(x));
      case 'gte':
        return any((v) => number(v) >= Number(x));
      case 'before':
      case 'lt':
        return any((v) => number(v) < Number(x));
      case 'lte':
        return any((v) => number(v) <= Number(x));
      case 'on':
        // Same UTC calendar day as the given timestamp.
        return any((v) => Math.floor(number(v) / DAY) === Math.floor(Number(x) / DAY));
      case 'between': {
        const [lo, hi] = x as number[];
        return any((v) => number(v) >= Number(lo) && number(v) <= Number(hi));
      }
    }
  });
}
