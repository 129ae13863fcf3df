#!/usr/bin/env node
// A scripted agent session: the official MCP client drives the built server over
// stdio against the embedded sandbox, and prints what an operator would see.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const out = (s = '') => process.stdout.write(`${s}\n`);
const rule = (title) => out(`\n── ${title} ${'─'.repeat(Math.max(0, 66 - title.length))}`);
/** Word-wraps at 96 columns; a word longer than a line stays whole on its own line. */
const wrap = (s, indent = '   ') => {
  const lines = [];
  let line = '';
  for (const word of s.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > 96) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l) => indent + l).join('\n');
};

const transport = new StdioClientTransport({
  command: process.execPath,
  args: [cli, '--sandbox', '--connection', 'sandbox-acme'],
  env: { ...process.env, LOG_LEVEL: 'warn' },
  stderr: 'ignore',
});
const client = new Client({ name: 'demo-agent', version: '1.0.0' });
await client.connect(transport);

/** An agent's tool call, printed as the transcript shows it (the token abbreviated); the raw result. */
const attempt = (c) => async (name, args) => {
  const shown = args.confirm_token ? { ...args, confirm_token: `${args.confirm_token.slice(0, 16)}…` } : args;
  out(`\n▶ agent calls ${name} ${JSON.stringify(shown)}`);
  return c.callTool({ name, arguments: args });
};
/** The same, for a call that must succeed: its structured result. */
const caller = (c) => async (name, args) => {
  const res = await attempt(c)(name, args);
  if (res.isError) throw new Error(`${name} failed: ${res.content[0]?.text}`);
  return res.structuredContent;
};
const call = caller(client);

rule('Connected');
const { tools } = await client.listTools();
out(`Server: ${client.getServerVersion()?.name} ${client.getServerVersion()?.version} — ${tools.length} tools`);
out(wrap(client.getInstructions()?.split('\n')[0] ?? ''));

rule('1. Who are our customers?');
const customers = await call('list_customers', { limit: 5 });
for (const c of customers.customers) out(`   ${c.id.padEnd(14)} ${`${c.first_name ?? ''} ${c.last_name ?? ''}`.padEnd(22)} ${c.email ?? ''}`);
out(`   … more pages: next_offset=${customers.next_offset ?? '(none)'}`);

rule('2. Which subscriptions are active? (oldest first)');
const subs = await call('list_subscriptions', { status: { in: ['active'] }, sort_by: { asc: 'created_at' }, limit: 5 });
for (const s of subs.subscriptions) {
  const items = (s.subscription_items ?? []).map((i) => `${i.item_price_id}×${i.quantity ?? 1}`).join(', ');
  out(`   ${s.id.padEnd(12)} ${s.status.padEnd(8)} ${s.customer_id.padEnd(14)} ${items}`);
}
// The user picks the oldest one from the list; the later steps use the next two.
const [first, second, third] = subs.subscriptions.map((s) => s.id);

rule(`3. Preview: cancel ${first} at the end of its term`);
const args = { subscription_id: first, cancel_option: 'end_of_term' };
const preview = await call('cancel_subscription_for_items', args);
out(`   status:   ${preview.status}  (nothing written yet)`);
out(`   target:   ${preview.target.customer.name} <${preview.target.customer.email}>, ${preview.target.subscription.status}, ${preview.target.subscription.recurring_amount}`);
out('   effect:');
out(wrap(preview.effect, '     '));
out(`   token:    ${preview.confirm_token.slice(0, 24)}… (expires ${preview.expires_at})`);

rule('4. The user agrees: confirm with the token');
const done = await call('cancel_subscription_for_items', { ...args, confirm_token: preview.confirm_token });
out(`   status:   ${done.status}; subscription is now ${done.result.subscription.status}, cancels on ${new Date(done.result.subscription.cancelled_at * 1000).toISOString().slice(0, 10)}`);

rule('5. Check the subscription');
const after = await call('get_subscription', { subscription_id: first });
out(`   ${after.subscription.id}: ${after.subscription.status}`);

rule('6. Replay the same token');
const replay = await call('cancel_subscription_for_items', { ...args, confirm_token: preview.confirm_token });
out(`   replay: ${replay.replay} — ${replay.note}`);

rule('7. A token does not stretch to other arguments');
const other = await attempt(client)('cancel_subscription_for_items', { subscription_id: second, cancel_option: 'immediately', confirm_token: preview.confirm_token });
out(`   refused: ${other.isError === true}`);
out(wrap(other.content[0].text.split('\n')[0]));

await client.close();

// ---- Part two: a client that can ask its user (MCP elicitation), e.g. Claude Code or VS Code ----
const answers = [
  { action: 'decline' },
  { action: 'accept', content: { confirm: true } },
];
const asking = new Client({ name: 'demo-agent-with-a-person', version: '1.0.0' }, { capabilities: { elicitation: {} } });
asking.setRequestHandler(ElicitRequestSchema, async (req) => {
  out('   ┌─ the server asks the person, in their client ─────────────────────');
  for (const line of req.params.message.split('\n')) out(wrap(line, '   │ ') || '   │');
  out(`   │ [ ] ${req.params.requestedSchema.properties.confirm.title}`);
  const answer = answers.shift() ?? { action: 'cancel' };
  out(`   └─ the person answers: ${answer.action === 'accept' ? `accept, confirm=${answer.content.confirm}` : answer.action}`);
  return answer;
});
await asking.connect(
  new StdioClientTransport({ command: process.execPath, args: [cli, '--sandbox', '--connection', 'sandbox-acme'], env: { ...process.env, LOG_LEVEL: 'warn' }, stderr: 'ignore' }),
);
const ask = caller(asking);

rule('8. A client that can ask its user: the agent previews and confirms…');
const now = { subscription_id: third, cancel_option: 'immediately', credit_option_for_current_term_charges: 'prorate' };
const p8 = await ask('cancel_subscription_for_items', now);
out(`   status:   ${p8.status}; approval at confirm: ${p8.approval} (the person will be asked)`);
const declined = await ask('cancel_subscription_for_items', { ...now, confirm_token: p8.confirm_token });
out(`   status:   ${declined.status} — nothing was sent; the token is spent`);

rule('9. …and the person approves the next one');
const upd = { customer_id: 'cust_acme_02', company: 'Compiler Systems International' };
const p9 = await ask('update_customer', upd);
out(`   status:   ${p9.status}; approval at confirm: ${p9.approval} (the person will be asked)`);
const approved = await ask('update_customer', { ...upd, confirm_token: p9.confirm_token });
out(`   status:   ${approved.status} (approval: ${approved.approval}); company is now "${approved.result.customer.company}"`);
await asking.close();

out('\nDone. Everything above ran against the built-in sandbox: no real billing data was touched.');
