// OpenAI Agents SDK (@openai/agents): its MCP integration with convertSchemasToStrict, the path
// an agent built on it takes. Every tool without a free-form parameter must convert to a strict
// tool (no fallback), and converted tools must work when called as strict mode calls them:
// every parameter present, optionals as null.
import { MCPServerStdio, RunContext, mcpToFunctionTool } from '@openai/agents';
import { check, done, hasFreeForm, resultText, server, strictArgs } from '../lib.mjs';

const mcp = new MCPServerStdio({ name: 'chargebee', command: server.command, args: server.args, env: server.env });
await mcp.connect();
try {
  const tools = await mcp.listTools();
  check('lists 36 tools', tools.length === 36, `${tools.length}`);
  const converted = new Map();
  let strict = 0;
  for (const t of tools) {
    const ft = mcpToFunctionTool(t, mcp, true);
    converted.set(t.name, { ft, tool: t });
    const expected = !hasFreeForm(t.inputSchema);
    if (ft.strict) strict++;
    if (ft.strict !== expected) check(`${t.name}: strict conversion ${expected ? 'succeeds' : 'is refused (free-form parameter)'}`, false, `strict=${ft.strict}`);
    if (ft.strict) {
      const p = ft.parameters;
      const closed = JSON.stringify(p).includes('"additionalProperties":true') === false;
      const allRequired = Object.keys(p.properties ?? {}).every((k) => p.required?.includes(k));
      if (!closed || !allRequired) check(`${t.name}: strict schema is closed and lists every property as required`, false);
    }
  }
  const freeForm = tools.filter((t) => hasFreeForm(t.inputSchema)).map((t) => t.name);
  check(`strict conversion: ${strict} tools strict, ${freeForm.length} refused for a free-form parameter (${freeForm.join(', ')})`, strict + freeForm.length === tools.length && strict > 0);

  const ctx = new RunContext();
  const call = async (name, given) => {
    const { ft, tool } = converted.get(name);
    const args = strictArgs(tool.inputSchema, given);
    const out = await ft.invoke(ctx, JSON.stringify(args));
    return resultText(out);
  };
  // A read as strict mode sends it.
  const subs = await call('list_subscriptions', { limit: 5, status: { is: null, is_not: null, in: ['active', 'in_trial'], not_in: null } });
  const rows = JSON.parse(subs).subscriptions ?? [];
  check('list_subscriptions via the strict tool, optionals and unused operators null', rows.length > 0 && rows.every((r) => ['active', 'in_trial'].includes(r.status)), subs.slice(0, 160));
  const cust = await call('list_customers', { limit: 2 });
  check('list_customers via the strict tool', (JSON.parse(cust).customers ?? []).length === 2, cust.slice(0, 160));
  // A write preview (no free-form parameter: converted to strict) with nulls.
  const prev = await call('cancel_subscription_for_items', { subscription_id: 'sub_acme_01', cancel_option: 'end_of_term' });
  check('cancel_subscription_for_items preview via the strict tool', /CONFIRMATION REQUIRED/.test(prev), prev.slice(0, 160));
  // What older strict converters send straight to the server: nulls, unstripped.
  const raw = await mcp.callTool('list_customers', { limit: null, offset: null, connection_id: null, email: null, sort_by: null });
  const rawText = resultText(raw);
  check('raw nulls for optionals are treated as omitted by the server', !/Invalid arguments/.test(rawText) && /customers/.test(rawText), rawText.slice(0, 160));
} finally {
  await mcp.close();
}
done('openai-agents');
