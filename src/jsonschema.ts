import * as z from 'zod';
import { filterRegistry, type FilterMeta } from './schema.js';

type Json = Record<string, any>;

/**
 * What agents see of a tool's input: the JSON Schema zod generates from the very schema
 * that validates calls, every parameter typed, made small for the context it costs:
 *
 * - bounds, patterns and formats go (the validator keeps them and its errors name them);
 *   a tuple of like items becomes a typed array of that length, as strict-mode converters
 *   accept no prefixItems;
 * - closed objects say `additionalProperties: false`; free-form ones (meta_data,
 *   custom_fields) say `true`, and nothing else about their keys;
 * - a shape used more than once in a tool (a filter kind, an enum) is written once under
 *   the tool's own `$defs` and referenced where it was, when that saves bytes. Filters
 *   are named by kind (`text`, `time`, …), enums by the field they belong to.
 *
 * Only metadata and types are dropped: what the listing accepts is what the validator
 * accepts, up to bounds and refinements.
 */
export function advertise(schema: z.ZodType, description: string): { inputSchema: Json; description: string } {
  const names = new Map<Json, string>();
  const js = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    override(ctx) {
      const meta = filterRegistry.get(ctx.zodSchema as unknown as z.ZodType);
      if (meta) (ctx.jsonSchema as Json)[NAME] = filterName(meta);
    },
  }) as Json;
  delete js.$schema;
  return { inputSchema: share(compact(js, names), names), description };
}

/** A marker zod's override leaves on filter nodes, read (and removed) by compact(). */
const NAME = 'x-def-name';

/** Keywords a model needs no help with: the server checks them and says what is wrong. */
const DROPPED = new Set(['$schema', 'pattern', 'minLength', 'maxLength', 'format', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'propertyNames', 'minItems', 'maxItems', 'default']);

/**
 * Filter shapes are named by kind, as short as a name can be (they recur in every listing):
 * S string, Si string with in/not_in, T timestamp, N number, B boolean, p: also is_present;
 * an enum filter is E_ and its field's name (share() adds the field).
 */
function filterName(m: FilterMeta): string {
  return m.kind + (m.kind === 'S' && m.ops.includes('in') ? 'i' : '') + (m.ops.includes('is_present') ? 'p' : '');
}

/** A copy of a zod-generated schema without what DROPPED lists, tuples as typed arrays, open objects as `true`. */
function compact(node: unknown, names: Map<Json, string>): any {
  if (Array.isArray(node)) return node.map((n) => compact(n, names));
  if (!node || typeof node !== 'object') return node;
  const src = node as Json;
  const out: Json = {};
  for (const [k, v] of Object.entries(src)) {
    if (DROPPED.has(k) || k === NAME) continue;
    out[k] = k === 'properties' ? mapValues(v as Json, (p) => compact(p, names)) : compact(v, names);
  }
  if (Array.isArray(src.prefixItems)) {
    const items = out.prefixItems as unknown[];
    if (!items.every((i) => JSON.stringify(i) === JSON.stringify(items[0]))) throw new Error('advertise: a tuple of unlike items has no compact form');
    delete out.prefixItems;
    out.items = items[0];
    out.minItems = out.maxItems = items.length;
  }
  if (out.type === 'object' && out.additionalProperties !== false) out.additionalProperties = true;
  if (out.properties) for (const [k, p] of Object.entries(out.properties as Json)) dropRestated(k, p);
  if (out.type === 'array' && typeof out.description === 'string') dropRestated(out.description, out.items);
  // The description first: share() compares shapes without it and finds them inside their parents.
  const shaped = typeof out.description === 'string' ? { description: out.description, ...out } : out;
  if (typeof src[NAME] === 'string') names.set(shaped, src[NAME]);
  return shaped;
}

/** Drops a description that only restates its parameter's name ("Customer id" on customer_id). */
function dropRestated(name: string, schema: Json): void {
  const norm = (s: string) => s.toLowerCase().replace(/[^a-z]/g, '').replace(/s$/, '');
  if (typeof schema?.description === 'string' && norm(schema.description) === norm(name)) delete schema.description;
}

const REF_BYTES = '{"$ref":"#/$defs/"}'.length;

/**
 * Moves shapes that occur more than once in a tool into its `$defs`, greedily, the biggest
 * saving first, while that makes the schema smaller. Deterministic: ties go to first use.
 * A shape is compared without its own description (what the field is, e.g. "When the
 * customer was created (Unix seconds)"), which stays beside the `$ref` that replaces it.
 */
function share(root: Json, names: Map<Json, string>): Json {
  const defs: Json = {};
  const taken = new Set<string>();
  /** The field each definition was first found under: names what it holds. */
  const defField = new Map<string, string>();
  // JSON text by node: nodes are never mutated, and a swap keeps the nodes it does not change.
  const keys = new WeakMap<object, string>();
  const keyOf = (n: object): string => {
    let k = keys.get(n);
    if (k === undefined) keys.set(n, (k = JSON.stringify(bare(n as Json))));
    return k;
  };
  let tree = root;
  for (;;) {
    // Every candidate shape in the tree and in each definition (once), by its JSON.
    const seen = new Map<string, { count: number; name: string; field: string; order: number }>();
    // An enum (or a list of one, under in/not_in) is named by the field it constrains; any other shape by its own property name.
    const visit = (node: unknown, prop: string, field: string): void => {
      if (!node || typeof node !== 'object') return;
      if (Array.isArray(node)) return node.forEach((n) => visit(n, prop, field));
      const n = node as Json;
      if (n !== tree && !n.$ref && (n.type || n.enum)) {
        const key = keyOf(n);
        const e = seen.get(key);
        if (e) e.count++;
        else seen.set(key, { count: 1, name: defName(names.get(n), n, prop, field), field, order: seen.size });
      }
      for (const [k, v] of Object.entries(n)) {
        if (k === 'properties') for (const [p, s] of Object.entries(v as Json)) visit(s, p, OPERATORS.has(p) ? field : p);
        else if (k === '$defs') continue;
        else visit(v, prop, field);
      }
    };
    visit(tree, 'arg', 'arg');
    for (const [k, d] of Object.entries(defs)) visit(d, k, defField.get(k)!);
    let best: { key: string; name: string; field: string; saving: number; order: number } | undefined;
    for (const [key, e] of seen) {
      if (e.count < 2) continue;
      const saving = (e.count - 1) * key.length - e.count * (REF_BYTES + e.name.length) - e.name.length - 4;
      if (saving > 0 && (!best || saving > best.saving || (saving === best.saving && e.order < best.order))) best = { key, name: e.name, field: e.field, saving, order: e.order };
    }
    if (!best) break;
    const name = unique(best.name, taken);
    defField.set(name, best.field);
    const ref = { $ref: `#/$defs/${name}` };
    const target = best.key;
    let body: Json | undefined;
    const swap = (node: unknown, top: boolean): any => {
      if (!node || typeof node !== 'object') return node;
      if (Array.isArray(node)) {
        const out = node.map((n) => swap(n, false));
        return out.every((o, i) => o === node[i]) ? node : out;
      }
      const n = node as Json;
      if (!top && keyOf(n) === target) {
        if (!body) {
          body = bare(n);
          if (names.has(n)) names.set(body, names.get(n)!);
        }
        return typeof n.description === 'string' ? { description: n.description, ...ref } : ref;
      }
      // A described copy of the target holds it after its description, without the opening brace.
      if (!keyOf(n).includes(target.slice(1))) return n;
      const out = mapValues(n, (v, k) => (k === 'properties' ? mapValues(v as Json, (p) => swap(p, false)) : swap(v, false)));
      if (names.has(n)) names.set(out, names.get(n)!);
      return out;
    };
    for (const [k, d] of Object.entries(defs)) defs[k] = swap(d, true);
    tree = swap(tree, true);
    defs[name] = swap(body!, true);
  }
  if (Object.keys(defs).length) tree = { ...tree, $defs: defs };
  return tree;
}

/** A node without its own description (the same node when it has none). */
function bare(n: Json): Json {
  if (typeof n.description !== 'string') return n;
  const { description: _, ...rest } = n;
  return rest;
}

const OPERATORS = new Set(['is', 'is_not', 'starts_with', 'in', 'not_in', 'is_present', 'after', 'before', 'on', 'between', 'lt', 'lte', 'gt', 'gte', 'asc', 'desc']);

function defName(kind: string | undefined, n: Json, prop: string, field: string): string {
  if (kind?.startsWith('E')) return `E_${field}${kind.slice(1)}`;
  if (kind) return kind;
  if (n.enum) return field;
  return n.type === 'array' && OPERATORS.has(prop) && prop !== 'between' ? `${field}_list` : prop;
}

function unique(name: string, taken: Set<string>): string {
  let n = name;
  for (let i = 2; taken.has(n); i++) n = `${name}_${i}`;
  taken.add(n);
  return n;
}

function mapValues(o: Json, f: (v: any, k: string) => any): Json {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v, k)]));
}
