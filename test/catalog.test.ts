import { describe, expect, it } from 'vitest';
import { toolsets } from '../tools/index.js';
import { Engine, catalogueOf } from '../src/engine.js';
import { ConfirmTokens } from '../src/confirm.js';
import { silentLogger } from '../src/log.js';
import { VERSION } from '../src/version.js';
import pkg from '../package.json' with { type: 'json' };

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

  it('describes every parameter and has no top-level unions', () => {
    for (const t of tools) {
      const s = t.inputSchema as { type: string; properties?: Record<string, { description?: string }>; anyOf?: unknown; oneOf?: unknown };
      expect(s.type).toBe('object');
      expect(s.anyOf ?? s.oneOf, t.name).toBeUndefined();
      for (const [p, v] of Object.entries(s.properties ?? {})) expect(v.description, `${t.name}.${p}`).toBeTruthy();
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
      const props = (byName.get(name)!.inputSchema as { properties: Record<string, { description: string }> }).properties;
      expect(props.limit, name).toBeDefined();
      expect(props.offset, name).toBeDefined();
      expect(props.updated_at?.description ?? props.created_at?.description, name).toBe('T');
    }
  });

  it('keeps the schemas agents see unchanged unless reviewed (snapshot)', () => {
    expect(tools).toMatchSnapshot();
  });

  it('keeps src/version.ts equal to package.json', () => {
    expect(VERSION).toBe(pkg.version);
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
    expect(() => engine({ tools: ['customerz'] })).toThrow(/unknown tool or toolset customerz.*Toolsets: customers, subscriptions/);
  });

  it('a hidden tool says why it cannot be called', async () => {
    const e = engine({ readOnly: true });
    await expect(e.call('cancel_subscription_for_items', {}, { caller: 'x', signal: new AbortController().signal })).rejects.toThrow(/--read-only/);
  });
});
