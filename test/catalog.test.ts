import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { toolsets } from '../tools/index.js';
import { Engine, catalogueOf } from '../src/engine.js';
import { ConfirmTokens } from '../src/confirm.js';
import { silentLogger } from '../src/log.js';
import { VERSION } from '../src/version.js';
import { advertise } from '../src/jsonschema.js';
import { f, filterRegistry, filters } from '../src/schema.js';
import pkg from '../package.json' with { type: 'json' };
import { startHarness, text, writesOf, type Harness } from './helpers/harness.js';

const PINNED: Record<string, 'read' | 'write'> = {
  list_customers: 'read',
  get_customer: 'read',
  create_customer: 'write',
  update_customer: 'write',
  list_subscriptions: 'read',
  get_subscription: 'read',
  create_subscription: 'write',
  create_subscription_for_items: 'write',
  cancel_subscription: 'write',
  cancel_subscription_for_items: 'write',
  list_items: 'read',
  list_item_prices: 'read',
  list_invoices: 'read',
  download_invoice_pdf: 'read',
  checkout_new_subscription: 'write',
  create_portal_session: 'write',
  get_export: 'read',
  wait_for_export: 'read',
  export_revenue_recognition: 'read',
  export_deferred_revenue: 'read',
  export_coupons: 'read',
  export_customers: 'read',
  export_subscriptions: 'read',
  export_invoices: 'read',
  export_credit_notes: 'read',
  export_transactions: 'read',
  export_orders: 'read',
  export_item_families: 'read',
  export_items: 'read',
  export_item_prices: 'read',
  export_attached_items: 'read',
  export_differential_prices: 'read',
  list_connections: 'read',
  get_connection: 'read',
  create_connection: 'write',
  delete_connection: 'write',
};
const DESTRUCTIVE = ['update_customer', 'cancel_subscription', 'cancel_subscription_for_items', 'delete_connection'];

const noGateway = new Proxy({}, { get: () => () => { throw new Error('no gateway in catalogue tests'); } }) as never;

function engine(opts: { readOnly?: boolean; tools?: string[] } = {}) {
  return new Engine(catalogueOf(toolsets), {
    gateway: noGateway,
    tokens: new ConfirmTokens(Buffer.alloc(32, 1), 300),
    connections: noGateway,
    logger: silentLogger(),
    sandbox: false,
    readOnly: opts.readOnly ?? false,
    tools: opts.tools,
    pollMs: 10,
  });
}

const tools = engine().listTools();
const byName = new Map(tools.map((t) => [t.name, t]));

describe('the catalogue', () => {
  it('has exactly the 36 tools SPEC pins, names unique', () => {
    expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(PINNED).sort());
    expect(new Set(tools.map((t) => t.name)).size).toBe(36);
  });

  it('gives every tool a title, a description and all four annotations', () => {
    for (const t of tools) {
      expect(t.title, t.name).toBeTruthy();
      expect(t.description!.length, t.name).toBeGreaterThan(40);
      const a = t.annotations!;
      for (const k of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) expect(typeof a[k], `${t.name}.${k}`).toBe('boolean');
      expect(a.readOnlyHint, t.name).toBe(PINNED[t.name] === 'read');
      expect(a.destructiveHint, t.name).toBe(DESTRUCTIVE.includes(t.name));
    }
  });

  it('has no top-level unions, and describes every top-level parameter, filters included (SPEC "What agents see")', () => {
    let described = 0;
    for (const t of tools) {
      const s = t.inputSchema as { type: string; properties?: Record<string, { description?: string }>; anyOf?: unknown; oneOf?: unknown };
      expect(s.type).toBe('object');
      expect(s.anyOf ?? s.oneOf, t.name).toBeUndefined();
      for (const [k, p] of Object.entries(s.properties ?? {})) {
        // Says what the field is: more than its own name (a restatement like "Customer id" on customer_id is dropped from the listing).
        expect(p.description, `${t.name}.${k} has no description`).toMatch(/\w+ \w+/);
        described++;
      }
    }
    expect(described).toBeGreaterThanOrEqual(295);
  });

  it('gives units where a field has them: times in Unix seconds, money in minor units', () => {
    for (const t of tools) {
      const root = t.inputSchema as Json;
      for (const [k, p] of Object.entries(root.properties as Record<string, Json>)) {
        const shape = deref(root, p);
        if (shape.properties?.after) expect(p.description, `${t.name}.${k}`).toMatch(/\(Unix seconds\)$/);
        if (shape.properties?.lt && /^(total|amount)/.test(k)) expect(p.description, `${t.name}.${k}`).toMatch(/minor units/);
        const nested = Object.values((shape.properties ?? {}) as Record<string, Json>).map((n) => deref(root, n));
        if (shape.type === 'object' && nested.some((n) => n.properties?.after)) expect(p.description, `${t.name}.${k}`).toMatch(/times in Unix seconds/);
      }
    }
  });

  it('gives writes a confirm_token and reads none; Chargebee tools a connection_id', () => {
    for (const t of tools) {
      const schema = t.inputSchema as { properties?: object; required?: string[] };
      const props = Object.keys(schema.properties ?? {});
      expect(props.includes('confirm_token'), t.name).toBe(PINNED[t.name] === 'write');
      const maton = t.name.endsWith('_connection') || t.name === 'list_connections';
      // On Maton's own routes connection_id is the path id (required), never a routing option.
      expect(props.includes('connection_id'), t.name).toBe(!maton || ['get_connection', 'delete_connection'].includes(t.name));
      expect(schema.required?.includes('connection_id') ?? false, t.name).toBe(maton && props.includes('connection_id'));
    }
  });

  it('takes limit, offset and typed filters on every list tool', () => {
    for (const name of ['list_customers', 'list_subscriptions', 'list_items', 'list_item_prices', 'list_invoices']) {
      const schema = byName.get(name)!.inputSchema as Json;
      expect(schema.properties.limit, name).toMatchObject({ type: 'integer' });
      expect(schema.properties.offset, name).toMatchObject({ type: 'string' });
      const { description: _, ...updated } = deref(schema, schema.properties.updated_at);
      expect(schema.properties.updated_at.description, name).toMatch(/ last changed \(Unix seconds\)$/);
      expect(updated, name).toEqual({
        type: 'object',
        properties: { after: { type: 'integer' }, before: { type: 'integer' }, on: { type: 'integer' }, between: { type: 'array', items: { type: 'integer' }, minItems: 2, maxItems: 2 } },
        additionalProperties: false,
      });
    }
  });

  it('keeps the schemas agents see unchanged unless reviewed (snapshot)', () => {
    expect(tools).toMatchSnapshot();
  });

  it('keeps src/version.ts equal to package.json', () => {
    expect(VERSION).toBe(pkg.version);
  });
});

type Json = Record<string, any>;

/** A listing node with its local $ref (one level, or a chain) resolved. */
function resolve(root: Json, node: Json): Json {
  while (node && typeof node.$ref === 'string') {
    const m = /^#\/\$defs\/(.+)$/.exec(node.$ref);
    expect(m, `unresolvable $ref ${node.$ref}`).toBeTruthy();
    node = root.$defs?.[m![1]!];
    expect(node, `dangling $ref`).toBeDefined();
  }
  return node;
}

/** A listing node with every $ref in it resolved. */
function deref(root: Json, node: unknown): any {
  if (Array.isArray(node)) return node.map((n) => deref(root, n));
  if (!node || typeof node !== 'object') return node;
  const n = resolve(root, node as Json);
  return Object.fromEntries(Object.entries(n).map(([k, v]) => [k, k === 'enum' ? v : deref(root, v)]));
}

function unwrap(s: z.ZodType): z.ZodType {
  let x = s as any;
  while (['optional', 'default', 'readonly', 'nullable'].includes(x.def.type)) x = x.def.innerType;
  return x;
}

/**
 * Walks a tool's validator and its listing together: the listing must accept exactly the
 * validator's parameters and operators, with the same types and complete enums, closed where
 * the validator is strict, open (additionalProperties: true) only where it takes any key.
 */
function sameShape(root: Json, zs: z.ZodType, js: Json, where: string): void {
  const s = unwrap(zs) as any;
  const j = resolve(root, js);
  const def = s.def;
  switch (def.type) {
    case 'object': {
      expect(j.type, where).toBe('object');
      expect(j.additionalProperties, `${where}: closed`).toBe(false);
      expect(Object.keys(j.properties ?? {}).sort(), `${where}: properties`).toEqual(Object.keys(def.shape).sort());
      const required = Object.entries(def.shape as Record<string, any>).filter(([, v]) => !['optional', 'default'].includes(v.def.type)).map(([k]) => k);
      expect([...(j.required ?? [])].sort(), `${where}: required`).toEqual(required.sort());
      for (const [k, v] of Object.entries(def.shape as Record<string, z.ZodType>)) sameShape(root, v, j.properties[k], `${where}.${k}`);
      if (filterRegistry.get(zs) || filterRegistry.get(s)) expect(Object.keys(j.properties).length, `${where}: a filter has operators`).toBeGreaterThan(0);
      return;
    }
    case 'record':
      expect(j, where).toMatchObject({ type: 'object', additionalProperties: true });
      expect(j.properties, where).toBeUndefined();
      return;
    case 'array':
      expect(j.type, where).toBe('array');
      return sameShape(root, def.element, j.items, `${where}[]`);
    case 'tuple':
      expect(j, where).toMatchObject({ type: 'array', minItems: def.items.length, maxItems: def.items.length });
      for (const item of def.items) sameShape(root, item, j.items, `${where}[]`);
      return;
    case 'enum':
      expect(j.enum, `${where}: enum`).toEqual(Object.values(def.entries));
      return;
    case 'literal':
      expect(j.const !== undefined ? [j.const] : j.enum, `${where}: literal`).toEqual(def.values);
      return;
    case 'union':
      expect(j.anyOf?.length ?? j.oneOf?.length, `${where}: union`).toBe(def.options.length);
      def.options.forEach((o: z.ZodType, i: number) => sameShape(root, o, (j.anyOf ?? j.oneOf)[i], `${where}|${i}`));
      return;
    case 'pipe':
      return sameShape(root, def.in, js, where);
    case 'string':
      expect(j.type, where).toBe('string');
      return;
    case 'number':
      expect(j.type, where).toBe(s.isInt ? 'integer' : 'number');
      return;
    case 'boolean':
      expect(j.type, where).toBe('boolean');
      return;
    default:
      throw new Error(`${where}: no check for zod type ${def.type}`);
  }
}

/** Every schema node of a listing, $defs included. */
function nodes(js: unknown, out: Json[] = []): Json[] {
  if (Array.isArray(js)) js.forEach((n) => nodes(n, out));
  else if (js && typeof js === 'object') {
    out.push(js as Json);
    for (const [k, v] of Object.entries(js)) if (k !== 'enum' && k !== 'required') nodes(k === 'properties' || k === '$defs' ? Object.values(v as Json) : v, out);
  }
  return out;
}

const LOCAL = new Set(['connection_id', 'confirm_token']);

describe('what agents see tells the truth (issue 11)', () => {
  const defs = toolsets.flatMap((ts) => ts.tools);

  it('each listing accepts exactly what its validator accepts: parameters, operators, types, complete enums', () => {
    for (const def of defs) {
      const listing = byName.get(def.name)!.inputSchema as Json;
      const own = { ...listing, properties: Object.fromEntries(Object.entries(listing.properties).filter(([k]) => !LOCAL.has(k) || k in (def.input as any).shape)) };
      sameShape(listing, def.input, own, def.name);
    }
  });

  it('has no property-less object without additionalProperties, no dangling $ref, nothing cut short', () => {
    for (const t of tools) {
      const root = t.inputSchema as Json;
      for (const n of nodes(root)) {
        if (n.$ref) resolve(root, n);
        if (n.type === 'object') expect(n.properties !== undefined || n.additionalProperties !== undefined, `${t.name}: ${JSON.stringify(n).slice(0, 80)}`).toBe(true);
        if (n.type === 'object' && n.additionalProperties !== false) expect(n.additionalProperties, t.name).toBe(true);
      }
    }
    expect(JSON.stringify(tools)).not.toMatch(/…|\.\.\.\]|\|…/);
    // The old compact codes and legends are gone: filters are typed, not described.
    expect(JSON.stringify(tools)).not.toMatch(/Filters \{op:value\}/);
  });

  it('marks free-form objects open and everything else closed', () => {
    const open = tools.flatMap((t) => nodes(t.inputSchema).filter((n) => n.additionalProperties === true).map(() => t.name));
    const withFreeForm = defs.filter((d) => 'meta_data' in (d.input as any).shape || 'custom_fields' in (d.input as any).shape).map((d) => d.name);
    expect([...new Set(open)].sort()).toEqual(withFreeForm.sort());
  });

  it('lists tools in the catalogue order, identically on every computation', () => {
    expect(tools.map((t) => t.name)).toEqual(defs.map((d) => d.name));
    expect(JSON.stringify(engine().listTools())).toBe(JSON.stringify(tools));
  });

  it('shares a filter shape within a tool under $defs, named by kind', () => {
    const list = byName.get('list_subscriptions')!.inputSchema as Json;
    // The shape is shared; what the field is stays beside the reference.
    expect(list.properties.created_at).toEqual({ description: 'When the subscription was created (Unix seconds)', $ref: '#/$defs/T' });
    expect(list.properties.customer_id).toEqual({ description: 'Id of the customer', $ref: '#/$defs/Si' });
    const status = resolve(list, list.properties.status);
    expect(Object.keys(status.properties)).toEqual(['is', 'is_not', 'in', 'not_in']);
    expect(resolve(list, status.properties.in.items).enum).toEqual(['future', 'in_trial', 'active', 'non_renewing', 'paused', 'cancelled', 'transferred']);
    // A shape used once stays inline; a one-filter schema needs no $defs.
    expect(advertise(f.t().unwrap() as never, 'x').inputSchema.$defs).toBeUndefined();
  });
});

describe('null means omitted (issue 11), through an MCP client against the sandbox', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ config: { connectionId: 'sandbox-acme' } });
  });
  afterAll(async () => h?.close());

  it('a read with every optional parameter null works like the same read without them', async () => {
    await h.reset();
    const nulls = await h.call('list_customers', { limit: null, offset: null, connection_id: null, email: null, sort_by: null, include_deleted: null });
    const plain = await h.call('list_customers', {});
    expect(nulls.isError, text(nulls)).toBeFalsy();
    expect(nulls.structuredContent).toEqual(plain.structuredContent);
    // Nulls inside a filter too, as strict converters send them: only "in" goes out.
    const filtered = await h.call('list_subscriptions', { status: { is: null, is_not: null, in: ['active', 'in_trial'], not_in: null }, limit: null });
    expect(filtered.isError, text(filtered)).toBeFalsy();
    const rows = filtered.structuredContent.subscriptions as Array<{ status: string }>;
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(['active', 'in_trial']).toContain(r.status);
    const sent = (await h.requests()).filter((r) => r.path.endsWith('/subscriptions'));
    expect(decodeURIComponent(sent.at(-1)!.query)).toMatch(/status\[in\]=\["active","in_trial"\]/);
    expect(sent.at(-1)!.query).not.toMatch(/null|is_not|limit/);
  });

  it('a write preview with nulls binds the same token as without them, and confirms', async () => {
    await h.reset();
    const args = { customer_id: 'cust_acme_04', subscription_items: [{ item_price_id: 'basic-USD-monthly', quantity: null, unit_price: null, billing_cycles: null, trial_end: null }] };
    const preview = await h.call('create_subscription_for_items', { ...args, id: null, trial_end: null, coupon_ids: null, po_number: null, connection_id: null, confirm_token: null });
    expect(preview.isError, text(preview)).toBeFalsy();
    expect(preview.structuredContent.status).toBe('confirmation_required');
    const token = preview.structuredContent.confirm_token as string;
    const writesBefore = writesOf(await h.requests()).length;
    expect(writesBefore).toBe(0);
    const done = await h.call('create_subscription_for_items', { customer_id: 'cust_acme_04', subscription_items: [{ item_price_id: 'basic-USD-monthly' }], confirm_token: token });
    expect(done.isError, text(done)).toBeFalsy();
    expect(done.structuredContent.status).toBe('done');
    const posts = writesOf(await h.requests());
    expect(posts).toHaveLength(1);
    expect(posts[0]!.body).not.toMatch(/null/);
  });

  it('a null for a required parameter, or inside meta_data, is not dropped', async () => {
    const r = await h.call('get_customer', { customer_id: null });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/customer_id/);
    const p = await h.call('create_customer', { first_name: 'Nul', meta_data: { keep: null } });
    expect(p.isError, text(p)).toBeFalsy();
    const ok = await h.call('create_customer', { first_name: 'Nul', meta_data: { keep: null }, confirm_token: p.structuredContent.confirm_token });
    expect(ok.isError, text(ok)).toBeFalsy();
    const post = (await h.requests()).filter((r) => r.method === 'POST').at(-1)!;
    expect(decodeURIComponent(post.body.replace(/\+/g, ' '))).toContain('{"keep":null}');
  });
});

describe('catalogue filters', () => {
  it('--read-only lists only reads, derived from the entries', () => {
    const names = engine({ readOnly: true }).listTools().map((t) => t.name);
    expect(names.sort()).toEqual(Object.keys(PINNED).filter((n) => PINNED[n] === 'read').sort());
  });

  it('--tools takes tool names and toolset (file) names', () => {
    const names = engine({ tools: ['customers', 'get_export'] }).listTools().map((t) => t.name);
    expect(names.sort()).toEqual(['create_customer', 'get_customer', 'get_export', 'list_customers', 'update_customer']);
    expect(engine({ tools: ['customers'], readOnly: true }).listTools().map((t) => t.name).sort()).toEqual(['get_customer', 'list_customers']);
  });

  it('--tools refuses unknown names, listing the toolsets', () => {
    expect(() => engine({ tools: ['customerz'] })).toThrow(/unknown tool or toolset customerz\. Did you mean customers\? Toolsets: customers, subscriptions/);
    expect(() => engine({ tools: ['cancel_subscription_item', 'zzz'] })).toThrow(/unknown tool or toolset cancel_subscription_item \(did you mean cancel_subscription or cancel_subscription_for_items\?\), zzz\. Toolsets/);
  });

  it('a filter nothing describes is refused when the catalogue is built', () => {
    expect(() => filters('customer', { favourite_colour: f.s() })).toThrow(/filter customer\.favourite_colour has no description/);
    const own = filters('customer', { favourite_colour: f.s(), created_at: f.t() }, { favourite_colour: 'Colour the customer likes' });
    expect(own.favourite_colour.description).toBe('Colour the customer likes');
    expect(own.created_at.description).toBe('When the customer was created (Unix seconds)');
    // Still a registered filter: its $defs name and its operators in error messages.
    expect(filterRegistry.get(own.created_at)?.ops).toEqual(['after', 'before', 'on', 'between']);
  });

  it('a hidden tool says why it cannot be called', async () => {
    const e = engine({ readOnly: true });
    await expect(e.call('cancel_subscription_for_items', {}, { caller: 'x', signal: new AbortController().signal })).rejects.toThrow(/--read-only/);
  });
});
