/**
 * Chargebee's official Node SDK (`chargebee`, a devDependency) as an oracle for the catalogue:
 * its route table (esm/resources/api_endpoints.js) and the zod schemas it generates per
 * operation from Chargebee's OpenAPI spec (esm/schema/*.schema.js, the same zod 4 as ours).
 * Both schema trees are flattened to wire parameter names (`billing_address[city]`,
 * `subscription_items[item_price_id]`, `created_at` as a filter) so they can be compared.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as z from 'zod';
import { filterRegistry } from '../../src/schema.js';

const req = createRequire(import.meta.url);
const main = req.resolve('chargebee');
const sdkRoot = main.slice(0, main.lastIndexOf('/chargebee/') + '/chargebee'.length);
const load = (path: string) => import(pathToFileURL(join(sdkRoot, 'esm', path)).href) as Promise<Record<string, any>>;
export const sdkSchemas = await load('schema/index.js');
const { Endpoints } = (await load('resources/api_endpoints.js')) as { Endpoints: Record<string, unknown[][]> };
export const sdkVersion = (req(join(sdkRoot, 'package.json')) as { version: string }).version;

export const FILTER_OPS = new Set(['is', 'is_not', 'starts_with', 'in', 'not_in', 'is_present', 'after', 'before', 'on', 'between', 'lt', 'lte', 'gt', 'gte']);

export interface Leaf {
  kind: 'string' | 'number' | 'boolean' | 'enum' | 'json' | 'filter' | 'other';
  values?: readonly string[];
  max?: number;
  min?: number;
  pattern?: RegExp;
  /** filters: operator → value leaf */
  ops?: Record<string, Leaf>;
}
export type Flat = Map<string, Leaf>;

export interface SdkOperation {
  resource: string;
  action: string;
  method: string;
  /** Route with `{}` for the id, e.g. `/subscriptions/{}/cancel_for_items`. */
  route: string;
  schemaName: string;
  schema: z.ZodType | undefined;
}

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Every operation in the SDK's route table, with its body schema where the SDK has one. */
export const sdkOperations: SdkOperation[] = Object.entries(Endpoints).flatMap(([resource, ops]) =>
  ops.map(([action, method, prefix, suffix, hasId]) => {
    const route = `${prefix as string}${hasId ? '/{}' : ''}${(suffix as string | null) ?? ''}`;
    const schemaName = `${pascal(action as string)}${pascal(resource)}BodySchema`;
    return { resource, action: action as string, method: method as string, route, schemaName, schema: sdkSchemas[schemaName] as z.ZodType | undefined };
  }),
);

/** The SDK operation for a route template such as `/customers/{customer_id}`. */
export function sdkOperation(method: string, path: string): SdkOperation | undefined {
  const route = path.replace(/\{\w+\}/g, '{}');
  return sdkOperations.find((o) => o.method === method && o.route === route);
}

const def = (s: any) => s._zod.def as any;

function unwrap(s: any): any {
  for (;;) {
    const d = def(s);
    if (d.type === 'optional' || d.type === 'default' || d.type === 'nullable' || d.type === 'readonly' || d.type === 'prefault') s = d.innerType;
    else if (d.type === 'pipe') s = d.in;
    else return s;
  }
}

/** Bounds and pattern of a scalar, from its checks (zod 4 keeps them in def.checks). */
function scalarLeaf(s: any): Leaf {
  const d = def(s);
  switch (d.type) {
    case 'enum':
      return { kind: 'enum', values: Object.values(d.entries) as string[] };
    case 'literal':
      return { kind: 'enum', values: d.values.map(String) };
    case 'boolean':
      return { kind: 'boolean' };
    case 'string':
    case 'number': {
      const leaf: Leaf = { kind: d.type };
      for (const c of (d.checks ?? []) as any[]) {
        const cd = c._zod.def;
        if (cd.check === 'max_length') leaf.max = cd.maximum;
        if (cd.check === 'length_equals') leaf.max = cd.length;
        if (cd.check === 'less_than') leaf.max = cd.value;
        if (cd.check === 'greater_than') leaf.min = cd.value;
        if (cd.check === 'string_format' && cd.format === 'regex') leaf.pattern = cd.pattern;
      }
      return leaf;
    }
    case 'record':
      return { kind: 'json' };
    default:
      return { kind: 'other' };
  }
}

function isFilterShape(shape: Record<string, unknown>): boolean {
  const keys = Object.keys(shape);
  return keys.length > 0 && keys.every((k) => FILTER_OPS.has(k));
}

/** Flattens an SDK operation schema: arrays (columnar `k[field][i]` or scalar `k[i]`) take their element. */
export function flattenSdk(schema: z.ZodType | undefined): Flat {
  const out: Flat = new Map();
  const walk = (s: any, name: string) => {
    s = unwrap(s);
    const d = def(s);
    if (d.type === 'array') return walk(d.element, name);
    if (d.type === 'object') {
      const shape = d.shape as Record<string, any>;
      if (name && Object.keys(shape).length === 0) return void out.set(name, { kind: 'json' });
      if (name && isFilterShape(shape)) {
        const ops: Record<string, Leaf> = {};
        for (const [op, v] of Object.entries(shape)) ops[op] = scalarLeaf(unwrap(v));
        return void out.set(name, { kind: 'filter', ops });
      }
      for (const [k, v] of Object.entries(shape)) walk(v, name ? `${name}[${k}]` : k);
      return;
    }
    out.set(name, scalarLeaf(s));
  };
  if (schema) walk(schema, '');
  return out;
}

/** Flattens one of our tool input schemas the same way (filters from src/schema.ts's registry). */
export function flattenTool(schema: z.ZodType): Flat {
  const out: Flat = new Map();
  const walk = (s: any, name: string) => {
    const meta = filterRegistry.get(s);
    if (meta) {
      const obj = unwrapAll(s);
      const ops: Record<string, Leaf> = {};
      for (const op of meta.ops) {
        let v = unwrap(def(obj).shape[op]);
        if (def(v).type === 'array') v = unwrap(def(v).element);
        let leaf: Leaf;
        if (def(v).type === 'tuple') leaf = { ...scalarLeaf(unwrap(def(v).items[0])), pattern: /tuple/ };
        else leaf = scalarLeaf(v);
        ops[op] = leaf;
      }
      return void out.set(name, { kind: 'filter', ops });
    }
    s = unwrapAll(s);
    const d = def(s);
    if (d.type === 'array') return walk(d.element, name);
    if (d.type === 'object') {
      for (const [k, v] of Object.entries(d.shape as Record<string, any>)) walk(v, name ? `${name}[${k}]` : k);
      return;
    }
    out.set(name, scalarLeaf(s));
  };
  walk(schema, '');
  return out;
}

/** unwrap + refinements (zod 4 keeps a refined schema's type, so only wrappers need peeling). */
function unwrapAll(s: any): any {
  return unwrap(s);
}

/**
 * Where the SDK's generated schema loses a structure (its generator reuses one schema name for
 * two different parameters), the real structure, taken from another operation with the same type.
 */
export const SDK_REPAIRS: Array<{ route: string; param: string; from: string; fromParam: string; reason: string }> = [
  {
    route: 'POST /customers',
    param: 'billing_address',
    from: 'POST /hosted_pages/checkout_new_for_items',
    fromParam: 'billing_address',
    reason: 'the SDK types customers.create billing_address as an empty object (its generator reuses the name of bank_account[billing_address]); the address type is the one checkout takes',
  },
  {
    route: 'POST /exports/revenue_recognition',
    param: 'subscription[status]',
    from: 'POST /exports/subscriptions',
    fromParam: 'subscription[status]',
    reason: "the SDK's revenue-report schemas reuse invoice[status] for subscription[status] (generator name clash); subscription statuses are the ones exports/subscriptions takes",
  },
  {
    route: 'POST /exports/deferred_revenue',
    param: 'subscription[status]',
    from: 'POST /exports/subscriptions',
    fromParam: 'subscription[status]',
    reason: "the SDK's revenue-report schemas reuse invoice[status] for subscription[status] (generator name clash); subscription statuses are the ones exports/subscriptions takes",
  },
];

const opKey = (o: { method: string; route: string }) => `${o.method} ${o.route}`;

/** An SDK operation's flattened parameters with SDK_REPAIRS applied. */
export function sdkParams(op: SdkOperation): Flat {
  const flat = flattenSdk(op.schema);
  for (const r of SDK_REPAIRS.filter((r) => r.route === opKey(op))) {
    const [method, route] = r.from.split(' ') as [string, string];
    const from = flattenSdk(sdkOperations.find((o) => o.method === method && o.route === route)!.schema);
    flat.delete(r.param);
    for (const [k, leaf] of from) if (k === r.fromParam || k.startsWith(`${r.fromParam}[`)) flat.set(r.param + k.slice(r.fromParam.length), leaf);
  }
  return flat;
}

export const routeKey = opKey;

/**
 * The fields the SDK's response types mark required (no `?`) for a resource, e.g.
 * requiredFields('Subscription') or requiredFields('Subscription', 'SubscriptionItem').
 */
export function requiredFields(resource: string, nested?: string): string[] {
  const { readFileSync } = req('node:fs') as typeof import('node:fs');
  const text = readFileSync(join(sdkRoot, 'types', 'resources', `${resource}.d.ts`), 'utf8');
  const indent = nested ? '    ' : '  ';
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l === `${indent}export interface ${nested ?? resource} {`);
  if (start < 0) throw new Error(`no interface ${nested ?? resource} in ${resource}.d.ts`);
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line === `${indent}}`) break;
    const m = new RegExp(`^${indent}  (\\w+)(\\??):`).exec(line);
    if (m && !m[2]) out.push(m[1]!);
  }
  return out;
}
