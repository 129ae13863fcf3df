// mcp-use (its MCP client and LangChain tool adapter, the path an MCPAgent takes), the Vercel
// AI SDK MCP client, and LangChain's MCP adapters: each lists the tools and calls a filtered
// list_subscriptions and a create_subscription_for_items preview through its own tool objects,
// i.e. with its own client-side argument validation.
import * as z from 'zod';
import { check, done, resultText, server } from '../lib.mjs';

const FILTERED = { status: { in: ['active', 'in_trial'] }, limit: 5 };
const PREVIEW = { customer_id: 'cust_acme_04', subscription_items: [{ item_price_id: 'basic-USD-monthly', quantity: 1 }] };
const only = new Set((process.env.COMPAT_ONLY ?? 'mcp-use,ai-sdk,langchain').split(','));

function checkFiltered(fw, text) {
  let rows = [];
  try {
    rows = JSON.parse(text).subscriptions ?? [];
  } catch {}
  check(`${fw}: list_subscriptions ${JSON.stringify(FILTERED)}`, rows.length > 0 && rows.every((r) => ['active', 'in_trial'].includes(r.status)), text.slice(0, 160));
}
/** The status filter of list_subscriptions as the framework hands it to its model: typed operators, complete enum. */
function checkTyped(fw, schema) {
  const status = schema?.properties?.status;
  const values = status?.properties?.in?.items?.enum ?? [];
  check(`${fw}: its model sees status typed: operators ${Object.keys(status?.properties ?? {}).join(',')}, in: [${values.length} statuses]`, values.length === 7 && status?.additionalProperties === false, JSON.stringify(status ?? null).slice(0, 160));
}
function checkPreview(fw, text) {
  check(`${fw}: create_subscription_for_items preview`, /CONFIRMATION REQUIRED|confirmation_required/.test(text), text.slice(0, 160));
}
/** How many schema nodes a framework's zod conversion left untyped (`{}`): what its model then sees. */
function untyped(zodSchema) {
  const js = JSON.stringify(z.toJSONSchema(zodSchema, { unrepresentable: 'any' }));
  return (js.match(/:\{\}/g) ?? []).length;
}

if (only.has('mcp-use')) {
  const { MCPClient } = await import('mcp-use');
  const { LangChainAdapter } = await import('mcp-use/adapters');
  const client = new MCPClient({ mcpServers: { chargebee: { command: server.command, args: server.args, env: server.env } } });
  try {
    const session = await client.createSession('chargebee');
    const tools = await new LangChainAdapter().createToolsFromConnectors([session.connector]);
    check('mcp-use: lists 36 tools', tools.length === 36, `${tools.length}`);
    const byName = new Map(tools.map((t) => [t.name, t]));
    checkFiltered('mcp-use', resultText(JSON.parse(await byName.get('list_subscriptions').invoke(FILTERED))));
    checkPreview('mcp-use', resultText(JSON.parse(await byName.get('create_subscription_for_items').invoke(PREVIEW))));
    const lost = tools.reduce((n, t) => n + untyped(t.schema), 0);
    process.stdout.write(`info mcp-use: its JSON Schema → zod conversion has no $ref support: ${lost} schema nodes reach its model untyped ({}), across ${tools.filter((t) => untyped(t.schema)).length} tools (calls still validate on the server)\n`);
  } finally {
    await client.closeAllSessions();
  }
}

if (only.has('ai-sdk')) {
  const { createMCPClient } = await import('@ai-sdk/mcp');
  const { StdioMCPTransport } = await import('@ai-sdk/mcp/mcp-stdio');
  const client = await createMCPClient({ transport: new StdioMCPTransport({ command: server.command, args: server.args, env: server.env }) });
  try {
    const tools = await client.tools();
    check('ai-sdk: lists 36 tools', Object.keys(tools).length === 36, `${Object.keys(tools).length}`);
    const opts = { toolCallId: 'compat', messages: [] };
    // The AI SDK hands the listed JSON Schema to the provider as it is ($defs included): resolve to look.
    const js = await tools.list_subscriptions.inputSchema.jsonSchema;
    const ref = (n) => (n?.$ref ? js.$defs[n.$ref.split('/').pop()] : n);
    const st = ref(js.properties.status);
    checkTyped('ai-sdk', { properties: { status: { ...st, properties: { ...st.properties, in: { ...st.properties.in, items: ref(st.properties.in.items) } } } } });
    checkFiltered('ai-sdk', resultText(await tools.list_subscriptions.execute(FILTERED, opts)));
    checkPreview('ai-sdk', resultText(await tools.create_subscription_for_items.execute(PREVIEW, opts)));
  } finally {
    await client.close();
  }
}

if (only.has('langchain')) {
  const { MultiServerMCPClient } = await import('@langchain/mcp-adapters');
  const client = new MultiServerMCPClient({ mcpServers: { chargebee: { transport: 'stdio', command: server.command, args: server.args, env: server.env } } });
  try {
    const tools = await client.getTools();
    check('langchain: lists 36 tools', tools.length === 36, `${tools.length}`);
    const byName = new Map(tools.map((t) => [t.name.replace(/^.*__/, ''), t]));
    checkFiltered('langchain', resultText(await byName.get('list_subscriptions').invoke(FILTERED)));
    checkPreview('langchain', resultText(await byName.get('create_subscription_for_items').invoke(PREVIEW)));
    checkTyped('langchain', byName.get('list_subscriptions').schema);
    const refsLeft = tools.filter((t) => JSON.stringify(t.schema).includes('$ref')).length;
    check('langchain: $refs are resolved in the schemas its model sees', refsLeft === 0, `${refsLeft} tools keep $ref`);
  } finally {
    await client.close();
  }
}
done('frameworks');
