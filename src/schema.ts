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

/** A nested filter group (export params like subscription[status][in]=...). */
export function group(fields: Record<string, AnyFilter>) {
  return z.strictObject(fields).optional();
}

/** sort_by: {asc|desc: field} */
export function sortBy(fields: readonly [string, ...string[]]) {
  return z
    .strictObject({ asc: z.enum(fields).optional(), desc: z.enum(fields).optional() })
    .refine((o) => (o.asc === undefined) !== (o.desc === undefined), { message: 'give exactly one of asc or desc' })
    .optional()
    .describe('One of asc or desc');
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
