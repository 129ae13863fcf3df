/**
 * Chargebee wire encoding (API v2), byte-compatible with Chargebee's official Node SDK
 * (`chargebee` v3: `encodeParams`, `serialize` and `encodeListParams` in its `util.js`).
 *
 * POST bodies (`encodeForm`, `flattenParams`), as the SDK's `encodeParams`:
 *  - scalars `k=v`; booleans `true`/`false`; numbers in decimal; `''` kept as `k=`;
 *    `null`/`undefined` dropped (also inside arrays, whose other items keep their index);
 *  - objects `k[sub]=v`, recursively;
 *  - arrays of scalars `k[0]=a&k[1]=b`; an empty array sends nothing;
 *  - arrays of objects `k[field][i]=v` (field first, index last, `i` = the item's position, so
 *    an item without `quantity` leaves a gap in `k[quantity][i]`, it never shifts indexes);
 *  - JSON_FIELDS (matched on the parameter's own name, at any depth) are one field of JSON text;
 *  - filter operators `in`, `not_in`, `between` take one JSON-array value (an empty one is left out).
 *
 * GET queries (`encodeQuery`), as the SDK's list requests (`encodeListParams(serialize(p))`):
 * objects are flattened breadth-first (scalars keep their place, each object's entries move to
 * the end), every array is one JSON-text value (`ids=["a","b"]`, `status[in]=[]` is kept) and
 * `'` is sent as `%27` (the WHATWG URL parser the SDK's fetch goes through does that).
 *
 * Deliberate differences from the SDK (each one a bug or a silent data loss there):
 *  - GET objects with several entries: the SDK sends `created_at[after]=1&created_at[after][before]=2`
 *    (its `serialize` keeps appending to the key); we send `created_at[before]=2`.
 *  - `null`/`undefined` are always dropped; the SDK sends `meta_data=` for `meta_data: null`,
 *    `meta_data=undefined` for `undefined`, and `status[in]=null` for a GET `{in: null}`.
 *  - Integers at or beyond 1e21 are written out in full (the SDK sends `1e+21`); NaN, Infinity,
 *    functions, symbols and non-plain objects (Date, Map, class instances...) throw a TypeError
 *    instead of being sent as `NaN` or silently dropped.
 *  - `in`/`not_in`/`between` are list operators only inside a filter object (see isFilterObject);
 *    the SDK goes by the key name alone, which differs only for made-up mixed objects.
 *  - The SDK has per-endpoint JSON-field lists; JSON_FIELDS is their union for the endpoints in
 *    scope (it does not include e.g. `bank_account[billing_address]` of customers.create).
 */

/** Parameter names whose value is sent as one field holding JSON text (rule 5). */
export const JSON_FIELDS: ReadonlySet<string> = new Set([
  'meta_data',
  'metadata',
  'exemption_details',
  'additional_information',
]);

/** Filter operators Chargebee accepts as `attr[op]`. */
const FILTER_OPERATORS: ReadonlySet<string> = new Set([
  'is',
  'is_not',
  'starts_with',
  'in',
  'not_in',
  'is_present',
  'after',
  'before',
  'on',
  'between',
  'lt',
  'lte',
  'gt',
  'gte',
]);

/** Operators whose value is the whole list, sent as one JSON-array field. */
const ARRAY_OPERATORS: ReadonlySet<string> = new Set(['in', 'not_in', 'between']);

type Pair = [string, string];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The filter rule: an object is a filter (`{in: [...]}`, `{after: 1, before: 2}`) when it has at
 * least one key and every key is a filter operator. It applies at any depth, so the nested export
 * filter `subscription: {status: {in: ['active']}}` is one too, while `billing_address: {city}`
 * or `sort_by: {asc}` (no operator keys) never are.
 */
function isFilterObject(value: Record<string, unknown>): boolean {
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => FILTER_OPERATORS.has(k));
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) {
    throw new TypeError(`Chargebee parameters cannot hold the number ${String(n)}`);
  }
  // String() switches to exponent notation from 1e21; a whole number is sent in full.
  if (Number.isInteger(n) && Math.abs(n) >= 1e21) return BigInt(n).toString();
  return String(n);
}

function scalarText(value: unknown, key: string): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return formatNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    default:
      throw new TypeError(`Chargebee parameter ${key} has an unsupported value (${typeof value})`);
  }
}

function unsupported(key: string): TypeError {
  return new TypeError(
    `Chargebee parameter ${key} is not a plain object, array or scalar (Dates and class instances are not sent)`,
  );
}

function toJson(value: unknown, key: string): string {
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) throw unsupported(key);
  return text;
}

/** A JSON field's value: a string is taken as JSON text already and sent as is (like the SDK). */
function jsonFieldText(value: unknown, key: string): string {
  return typeof value === 'string' ? value : toJson(value, key);
}

/**
 * The SDK's `encodeParams` recursion: `container` is an object or an array, `scope` the key it
 * lives under, `index` the position of `container` in its parent array (appended after the field).
 */
function walkForm(container: object, scope: string, index: number | undefined, out: Pair[]): void {
  const isArray = Array.isArray(container);
  const entries: Array<[string, unknown]> = isArray
    ? (container as unknown[]).map((v, i): [string, unknown] => [String(i), v])
    : Object.entries(container);
  const filter = !isArray && isFilterObject(container as Record<string, unknown>);
  for (const [name, value] of entries) {
    let key = scope === '' ? name : `${scope}[${name}]`;
    if (index !== undefined) key = `${key}[${index}]`;
    if (value === null || value === undefined) continue;
    if (!isArray && JSON_FIELDS.has(name)) {
      out.push([key, jsonFieldText(value, key)]);
    } else if (Array.isArray(value)) {
      if (filter && ARRAY_OPERATORS.has(name)) {
        if (value.length > 0) out.push([key, toJson(value, key)]);
        continue;
      }
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (item === null || item === undefined) continue;
        if (Array.isArray(item) || isPlainObject(item)) {
          walkForm(item, key, i, out);
        } else if (typeof item === 'object') {
          throw unsupported(`${key}[${i}]`);
        } else {
          out.push([`${key}[${i}]`, scalarText(item, `${key}[${i}]`)]);
        }
      }
    } else if (isPlainObject(value)) {
      walkForm(value, key, undefined, out);
    } else if (typeof value === 'object') {
      throw unsupported(key);
    } else {
      out.push([key, scalarText(value, key)]);
    }
  }
}

/**
 * Flatten params into ordered [key, value] pairs exactly as Chargebee's official SDK does for a
 * POST body (rules 1-6 of CHARGEBEE_API.md): objects `k[sub]`, scalar arrays `k[i]`, arrays of
 * objects `k[field][i]`, null/undefined dropped, '' kept, booleans 'true'/'false', numbers as
 * decimal strings, empty arrays dropped, JSON_FIELDS as JSON text, filter `in`/`not_in`/`between`
 * as one JSON array (`status[in]=["active","in_trial"]`).
 */
export function flattenParams(params: Record<string, unknown>): Array<[string, string]> {
  const out: Pair[] = [];
  walkForm(params, '', undefined, out);
  return out;
}

/** The SDK's escaping: encodeURIComponent, then `%20` as `+`. */
function escapeForm(text: string): string {
  return encodeURIComponent(text).replace(/%20/g, '+');
}

/**
 * application/x-www-form-urlencoded body, byte-identical to what the official SDK sends for the
 * same params (brackets as %5B/%5D, spaces as `+`, `+` as %2B, `@` as %40, UTF-8 percent-escapes;
 * `!'()*~` stay literal).
 */
export function encodeForm(params: Record<string, unknown>): string {
  return flattenParams(params)
    .map(([k, v]) => `${escapeForm(k)}=${escapeForm(v)}`)
    .join('&');
}

/** GET pairs, as the SDK's `encodeListParams(serialize(params))` (see the module comment). */
function flattenQuery(params: Record<string, unknown>): Pair[] {
  const queue: Array<[string, unknown]> = Object.entries(params);
  let i = 0;
  while (i < queue.length) {
    const [key, value] = queue[i] as [string, unknown];
    if (!isPlainObject(value)) {
      i++;
      continue;
    }
    // Breadth-first like the SDK: the object's entries go to the end of the list.
    queue.splice(i, 1);
    const filter = isFilterObject(value);
    for (const [name, child] of Object.entries(value)) {
      const childKey = `${key}[${name}]`;
      const isList = filter && ARRAY_OPERATORS.has(name) && child !== null && child !== undefined;
      queue.push([childKey, isList ? toJson(child, childKey) : child]);
    }
  }
  const out: Pair[] = [];
  for (const [key, value] of queue) {
    if (value === null || value === undefined) continue;
    if (Array.isArray(value)) {
      out.push([key, toJson(value, key)]);
    } else if (typeof value === 'object') {
      throw unsupported(key);
    } else {
      out.push([key, scalarText(value, key)]);
    }
  }
  return out;
}

/** Query escaping: the form escaping plus `'` as %27 (what the URL parser does to the SDK's URL). */
function escapeQuery(text: string): string {
  return escapeForm(text).replace(/'/g, '%27');
}

/**
 * Query string (without leading '?') for GET, byte-identical to the SDK's GET query for the same
 * params (its list requests: every array is one JSON value); '' when empty.
 */
export function encodeQuery(params: Record<string, unknown>): string {
  return flattenQuery(params)
    .map(([k, v]) => `${escapeQuery(k)}=${escapeQuery(v)}`)
    .join('&');
}
