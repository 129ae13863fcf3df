/**
 * Decoding of Chargebee request parameters against a declared schema, as Chargebee does it:
 * parameters Chargebee does not know for the route (KNOWN_PARAMS, from its API spec) are ignored
 * and reported (`unknownParams`, which the request log records as `unknown_params`, so tests can
 * catch a client sending them); parameters it knows but the sandbox does not model are accepted
 * and ignored; the modelled ones are validated strictly: mistyped or malformed is a 400 naming it.
 */
import { keyPath, type Pair } from './form.js';
import { paramError } from './http.js';
import { parseFilterValue, type FilterSpec, type Op } from './filters.js';
import { KNOWN_PARAMS } from './known-params.js';

interface Base { required?: boolean }
export type ScalarSpec = Base & (
  | { kind: 'string'; max?: number; email?: boolean }
  | { kind: 'integer'; min?: number; max?: number }
  | { kind: 'boolean' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'json' }
);
export type Spec =
  | ScalarSpec
  | (Base & { kind: 'object'; fields: Fields }) // k[field]=v
  | (Base & { kind: 'list'; fields: Record<string, ScalarSpec> }) // k[field][i]=v
  | (Base & { kind: 'array'; of: ScalarSpec }) // k[i]=v
  | (Base & FilterSpec); // k[op]=v
export type Fields = Record<string, Spec>;

export interface Schema {
  fields: Fields;
  /** Accept top-level `cf_*` custom fields (strings). */
  customFields?: boolean;
  /** Parameters refused with a specific reason (e.g. a PC 1.0 parameter on a PC 2.0 route). */
  refused?: Record<string, string>;
}

export type Params = Record<string, unknown>;

export const text = (max?: number): ScalarSpec => ({ kind: 'string', max });
export const email = (max: number): ScalarSpec => ({ kind: 'string', max, email: true });
export const integer = (min?: number, max?: number): ScalarSpec => ({ kind: 'integer', min, max });
export const timestamp = (): ScalarSpec => integer(0);
export const boolean = (): ScalarSpec => ({ kind: 'boolean' });
export const choice = (values: readonly string[]): ScalarSpec => ({ kind: 'enum', values });
export const json = (): ScalarSpec => ({ kind: 'json' });
export const object = (fields: Fields): Spec => ({ kind: 'object', fields });
export const list = (fields: Record<string, ScalarSpec>): Spec => ({ kind: 'list', fields });
export const array = (of: ScalarSpec): Spec => ({ kind: 'array', of });
export const required = <S extends Spec>(spec: S): S => ({ ...spec, required: true });

const CUSTOM_FIELD: ScalarSpec = { kind: 'string', max: 250 };
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const INDEX = /^(0|[1-9]\d{0,3})$/;

/** `a b[c,d]` → `['a', 'b[c]', 'b[d]']` (the KNOWN_PARAMS notation). */
export function expandKnown(names: string): string[] {
  return names.split(' ').filter(Boolean).flatMap((token) => {
    const m = /^(\w+)\[([\w,]+)\]$/.exec(token);
    return m ? m[2]!.split(',').map((f) => `${m[1]}[${f}]`) : [token];
  });
}

const knownRoutes = Object.entries(KNOWN_PARAMS).map(([key, names]) => {
  const [method, route] = key.split(' ') as [string, string];
  return { method, segments: route.slice(1).split('/'), names, set: undefined as Set<string> | undefined };
});

/** The parameters Chargebee knows for a request (subPath without the /api/v2/ prefix); undefined for routes not listed. */
export function knownParamsFor(method: string, subPath: string): ReadonlySet<string> | undefined {
  const segments = subPath.split('/');
  let best: (typeof knownRoutes)[number] | undefined;
  let literals = -1;
  for (const r of knownRoutes) {
    if (r.method !== method || r.segments.length !== segments.length) continue;
    if (!r.segments.every((s, i) => s === '{}' || s === segments[i])) continue;
    const n = r.segments.filter((s) => s !== '{}').length;
    if (n > literals) [best, literals] = [r, n];
  }
  if (!best) return undefined;
  return (best.set ??= new Set(expandKnown(best.names)));
}

/**
 * The keys of `pairs` Chargebee does not know: neither the key (indexes dropped) nor a prefix of it
 * is a known name (a prefix: `created_at[after]` is the known filter `created_at`, `meta_data` JSON).
 * Custom fields (`cf_*`) depend on the site's configuration and count as known.
 */
export function unknownParams(pairs: readonly Pair[], known: ReadonlySet<string>): string[] {
  return pairs
    .map(([key]) => key)
    .filter((key) => {
      if (key.startsWith('cf_')) return false;
      const path = keyPath(key)?.filter((s) => !/^\d+$/.test(s));
      if (!path?.length) return true;
      let name = path[0]!;
      if (known.has(name)) return false;
      for (const s of path.slice(1)) if (known.has((name = `${name}[${s}]`))) return false;
      return true;
    });
}

/** Set while a route with KNOWN_PARAMS runs: parameters it knows but the schema does not model are ignored. */
let ignoreUnmodelled = false;

/** Runs `handle` with known-but-unmodelled parameters accepted and ignored (unknown ones are already removed). */
export function withKnownParams<T>(handle: () => T): T {
  const before = ignoreUnmodelled;
  ignoreUnmodelled = true;
  try {
    return handle();
  } finally {
    ignoreUnmodelled = before;
  }
}

/** Decodes and validates `pairs`; the result has the shape the schema describes (hence the type parameter). */
export function decode<T = Params>(schema: Schema, pairs: readonly Pair[]): T {
  const out: Params = {};
  const seen = new Set<string>();
  for (const [key, value] of pairs) {
    const path = keyPath(key);
    if (!path) throw paramError(key, 'malformed parameter name');
    if (seen.has(key)) throw paramError(key, 'parameter given more than once');
    seen.add(key);
    const [name, ...rest] = path as [string, ...string[]];
    const refusal = schema.refused?.[name];
    if (refusal) throw paramError(key, refusal);
    const spec = schema.fields[name] ?? (schema.customFields && name.startsWith('cf_') ? CUSTOM_FIELD : undefined);
    if (!spec && ignoreUnmodelled) continue;
    if (!spec) throw paramError(key, 'unknown parameter');
    place(out, name, spec, rest, key, value);
  }
  checkComplete(schema.fields, out, (name) => name);
  return out as T;
}

function place(target: Params, name: string, spec: Spec, rest: string[], key: string, raw: string): void {
  switch (spec.kind) {
    case 'object': {
      const [field, ...more] = rest;
      const fieldSpec = field === undefined ? undefined : spec.fields[field];
      if (field !== undefined && !fieldSpec && ignoreUnmodelled) return;
      if (field === undefined || !fieldSpec) throw paramError(key, `unknown parameter (expected ${name}[field] with field one of ${Object.keys(spec.fields).join(', ')})`);
      place(child(target, name, {}), field, fieldSpec, more, key, raw);
      return;
    }
    case 'list': {
      const [field, index, ...more] = rest;
      const fieldSpec = field === undefined ? undefined : spec.fields[field];
      if (field !== undefined && !fieldSpec && ignoreUnmodelled) return;
      if (field === undefined || !fieldSpec || index === undefined || more.length) {
        throw paramError(key, `unknown parameter (expected ${name}[field][index])`);
      }
      const items = child(target, name, [] as (Params | undefined)[]);
      const i = parseIndex(index, key);
      (items[i] ??= {})[field] = scalar(fieldSpec, raw, key);
      return;
    }
    case 'array': {
      const [index, ...more] = rest;
      if (index === undefined || more.length) throw paramError(key, `unknown parameter (expected ${name}[index])`);
      child(target, name, [] as unknown[])[parseIndex(index, key)] = scalar(spec.of, raw, key);
      return;
    }
    case 'filter': {
      const [op, ...more] = rest;
      if (op === undefined) throw paramError(key, `a filter needs an operator, e.g. ${key}[${spec.ops[0]}]=...`);
      if (more.length || !spec.ops.includes(op as Op)) {
        throw paramError(key, `unsupported filter operator '${[op, ...more].join('][')}', supported: ${spec.ops.join(', ')}`);
      }
      child(target, name, {} as Params)[op] = parseFilterValue(spec, op as Op, raw, key);
      return;
    }
    default:
      if (rest.length) throw paramError(key, 'unknown parameter');
      target[name] = scalar(spec, raw, key);
  }
}

function child<T>(target: Params, name: string, empty: T): T {
  if (target[name] === undefined) target[name] = empty;
  return target[name] as T;
}

function parseIndex(index: string, key: string): number {
  if (!INDEX.test(index)) throw paramError(key, `invalid index '${index}'`);
  return Number(index);
}

function scalar(spec: ScalarSpec, raw: string, key: string): unknown {
  switch (spec.kind) {
    case 'string':
      if (spec.max !== undefined && raw.length > spec.max) throw paramError(key, `cannot be longer than ${spec.max} characters`);
      if (spec.email && raw !== '' && !EMAIL.test(raw)) throw paramError(key, 'invalid email address');
      return raw;
    case 'integer': {
      const n = Number(raw);
      if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(n)) throw paramError(key, `invalid integer '${raw}'`);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        throw paramError(key, `must be between ${spec.min ?? '-∞'} and ${spec.max ?? '∞'}`);
      }
      return n;
    }
    case 'boolean':
      if (raw === 'true' || raw === 'false') return raw === 'true';
      throw paramError(key, `invalid boolean '${raw}', expected true or false`);
    case 'enum':
      if (!spec.values.includes(raw)) throw paramError(key, `invalid value '${raw}', expected one of ${spec.values.join(', ')}`);
      return raw;
    case 'json':
      try {
        const value: unknown = JSON.parse(raw);
        if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value;
      } catch {
        // reported below
      }
      throw paramError(key, 'must be a JSON object');
  }
}

/** Required parameters present, list/array indexes contiguous from 0. */
function checkComplete(fields: Fields, values: Params, nameOf: (field: string) => string): void {
  for (const [field, spec] of Object.entries(fields)) {
    const value = values[field];
    if (value === undefined) {
      if (spec.required) throw paramError(missingName(nameOf(field), spec), 'cannot be blank');
      continue;
    }
    if (spec.kind === 'object') {
      checkComplete(spec.fields, value as Params, (f) => `${nameOf(field)}[${f}]`);
    } else if (spec.kind === 'list' || spec.kind === 'array') {
      const items = value as unknown[];
      for (let i = 0; i < items.length; i++) {
        if (items[i] === undefined) throw paramError(`${nameOf(field)}[${i}]`, 'missing index: indexes must run from 0 without gaps');
        if (spec.kind === 'list') checkComplete(spec.fields, items[i] as Params, (f) => `${nameOf(field)}[${f}][${i}]`);
      }
    }
  }
}

/** How Chargebee names a missing parameter: the first required field of a missing object or list. */
function missingName(name: string, spec: Spec): string {
  if (spec.kind !== 'object' && spec.kind !== 'list') return name;
  const fields: Fields = spec.fields;
  const first = Object.entries(fields).find(([, s]) => s.required)?.[0] ?? Object.keys(fields)[0];
  return spec.kind === 'list' ? `${name}[${first}][0]` : `${name}[${first}]`;
}
