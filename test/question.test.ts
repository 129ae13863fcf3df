/**
 * The person's question is readable for every write tool: checked mechanically over real previews
 * (the sandbox; the two Product Catalog 1.0 tools through a scripted reader with Chargebee's PC 1.0
 * shapes), including customer data that tries to look like the server's words.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Args, Preview, TargetReader } from '../src/catalog.js';
import { GatewayError } from '../src/errors.js';
import { approvalMessage, personQuestion, type Question } from '../src/guard/question.js';
import { toolsets } from '../tools/index.js';
import { startHarness, text, type Harness } from './helpers/harness.js';

const DAY = 86_400;
const NOW = Math.floor(Date.now() / 1000);
const writeTools = toolsets.flatMap((t) => t.tools).filter((t) => t.kind === 'write');

/** Realistic calls of every write tool the sandbox (a PC 2.0 site) serves; several per tool where the money differs. */
const CASES: Array<[string, Record<string, unknown>]> = [
  ['create_customer', { first_name: 'Grace', last_name: 'Hopper', email: 'grace@example.com' }],
  ['create_customer', { email: 'nameless@example.com', auto_collection: 'off', net_term_days: 30 }],
  ['update_customer', { customer_id: 'cust_acme_02', company: 'New Co', auto_collection: 'off', net_term_days: 30, locale: 'fr-FR', invoice_notes: 'Thanks!' }],
  ['create_subscription_for_items', { customer_id: 'cust_acme_03', subscription_items: [{ item_price_id: 'pro-USD-monthly', quantity: 2 }] }],
  ['create_subscription_for_items', { customer_id: 'cust_acme_03', trial_end: 0, subscription_items: [{ item_price_id: 'pro-USD-monthly', quantity: 1 }], coupon_ids: ['WELCOME10'] }],
  ['create_subscription_for_items', { customer_id: 'cust_acme_03', trial_end: 0, invoice_immediately: false, subscription_items: [{ item_price_id: 'basic-USD-monthly', quantity: 1 }] }],
  ['cancel_subscription_for_items', { subscription_id: 'sub_acme_01', cancel_option: 'end_of_term' }],
  ['cancel_subscription_for_items', { subscription_id: 'sub_acme_01', cancel_option: 'immediately', credit_option_for_current_term_charges: 'prorate' }],
  ['cancel_subscription_for_items', { subscription_id: 'sub_acme_02', cancel_option: 'immediately', credit_option_for_current_term_charges: 'full' }],
  ['cancel_subscription_for_items', { subscription_id: 'sub_acme_02', cancel_option: 'end_of_billing_term' }],
  ['checkout_new_subscription', { subscription_items: [{ item_price_id: 'basic-USD-monthly', quantity: 1 }], customer: { id: 'cust_acme_05' } }],
  ['checkout_new_subscription', { subscription_items: [{ item_price_id: 'pro-USD-monthly', quantity: 3 }], customer: { email: 'new@example.com', first_name: 'New' } }],
  ['create_portal_session', { customer: { id: 'cust_acme_03' } }],
  ['create_connection', {}],
  ['delete_connection', { connection_id: 'sandbox-globex' }],
  // The documented money rules of issue 17 (test/documented-cases.test.ts): they reach the person in words too.
  ['cancel_subscription_for_items', { subscription_id: 'sub_acme_18', contract_term_cancel_option: 'end_of_contract_term' }],
  ['cancel_subscription_for_items', { subscription_id: 'sub_acme_01', cancel_option: 'immediately' }],
  ['cancel_subscription_for_items', { subscription_id: 'sub_acme_04', cancel_option: 'immediately', credit_option_for_current_term_charges: 'none', account_receivables_handling: 'write_off' }],
  ['cancel_subscription_for_items', { subscription_id: 'sub_acme_19', cancel_option: 'immediately', credit_option_for_current_term_charges: 'none', account_receivables_handling: 'schedule_payment_collection' }],
  ['cancel_subscription_for_items', { subscription_id: 'sub_acme_20', cancel_option: 'immediately', credit_option_for_current_term_charges: 'none', refundable_credits_handling: 'schedule_refund' }],
  ['create_subscription_for_items', { customer_id: 'cust_acme_03', subscription_items: [{ item_price_id: 'basic-USD-monthly', quantity: 1 }] }],
  ['update_customer', { customer_id: 'cust_acme_04', auto_collection: 'on' }],
];

/** Money that moves beyond the write's own invoice, as the person must read it (case → words in the question). */
const MONEY_FACTS: Array<[string, Record<string, unknown>, RegExp]> = [
  ['cancel_subscription_for_items', { subscription_id: 'sub_acme_18', contract_term_cancel_option: 'end_of_contract_term' }, /contract term ends on \d{4}-\d\d-\d\d; until then \d+ renewal invoices? .*still billed/],
  ['cancel_subscription_for_items', { subscription_id: 'sub_acme_01', cancel_option: 'immediately' }, /site's default applies, which this server cannot see/],
  ['cancel_subscription_for_items', { subscription_id: 'sub_acme_04', cancel_option: 'immediately', credit_option_for_current_term_charges: 'none', account_receivables_handling: 'write_off' }, /Past-due invoices of \$[\d,.]+: \$[\d,.]+ is written off/],
  ['update_customer', { customer_id: 'cust_acme_04', auto_collection: 'on' }, /Invoices already due: inv_acme_0009 \$49\.00/],
];

/** A scripted reader with Chargebee's PC 1.0 shapes (the sandbox is a PC 2.0 site). */
function pc1Reader(estimateRefused: boolean): TargetReader {
  const plan = { id: 'basic', name: 'Basic', price: 1500, pricing_model: 'per_unit', period: 1, period_unit: 'month', currency_code: 'USD', setup_cost: 2000, resource_version: 1 };
  const sub = { id: 'sub_1', customer_id: 'cust_1', status: 'active', plan_id: 'basic', plan_quantity: 2, plan_unit_price: 1500, plan_amount: 3000, currency_code: 'USD', billing_period: 1, billing_period_unit: 'month', current_term_start: NOW - 10 * DAY, current_term_end: NOW + 20 * DAY, next_billing_at: NOW + 20 * DAY, resource_version: 7 };
  const customer = { id: 'cust_1', first_name: 'Ada', last_name: 'Byron', email: 'ada@example.com', auto_collection: 'on' };
  const invoice = { id: 'inv_1', status: 'paid', date: NOW - 10 * DAY, sub_total: 3000, total: 3000, amount_due: 0, line_items: [{ entity_type: 'plan', amount: 3000 }] };
  const routes: Record<string, () => unknown> = {
    '/plans/{plan_id}': () => ({ plan }),
    '/subscriptions/{subscription_id}': () => ({ subscription: sub, customer }),
    '/customers/{customer_id}': () => ({ customer }),
    '/invoices': () => ({ list: [{ invoice }] }),
  };
  return {
    connection: 'c',
    async get(template) {
      const r = routes[template];
      if (!r) throw new GatewayError(`404 ${template}`, { source: 'chargebee', status: 404, api_error_code: 'resource_not_found', hint: '' });
      return r();
    },
    async maton() {
      throw new Error('no maton');
    },
    async estimate(template) {
      if (estimateRefused) throw new GatewayError('Chargebee 400 configuration_incompatible', { source: 'chargebee', status: 400, api_error_code: 'configuration_incompatible', hint: '' });
      if (template.includes('cancel')) return { estimate: { created_at: NOW, subscription_estimate: { status: 'cancelled', currency_code: 'USD' }, credit_note_estimates: [{ total: 2000, type: 'refundable', reference_invoice_id: 'inv_1' }] } };
      return { estimate: { created_at: NOW, subscription_estimate: { status: 'active', next_billing_at: NOW + 30 * DAY, currency_code: 'USD' }, invoice_estimate: { total: 6300, amount_due: 6300, sub_total: 7000, discounts: [{ amount: 700 }], currency_code: 'USD' } } };
    },
  };
}
const PC1: Array<[string, Args, boolean]> = [
  ['create_subscription', { plan_id: 'basic', plan_quantity: 4, customer: { email: 'a@b.example' } }, false],
  ['create_subscription', { plan_id: 'basic', plan_quantity: 4, trial_end: 0 }, true],
  ['cancel_subscription', { subscription_id: 'sub_1', end_of_term: false, credit_option_for_current_term_charges: 'full' }, false],
  ['cancel_subscription', { subscription_id: 'sub_1', end_of_term: true }, true],
];

/** Ids and emails the question may show as they are (ids may hold underscores; field names may not). */
function allowedIds(...sources: unknown[]): Set<string> {
  const ids = new Set<string>();
  const walk = (v: unknown, key = '') => {
    if (typeof v === 'string' && (/(^|_)id$|^customer$|^connection$|_ids?$/.test(key) || /@/.test(v) || /^(cust|sub|inv|cn)_/.test(v))) ids.add(v);
    else if (Array.isArray(v)) v.forEach((x) => walk(x, key));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  sources.forEach((s) => walk(s));
  return ids;
}

/** Every rule of SPEC "A question a person can read", checked mechanically. Returns what is wrong. */
function readability(q: Question, ctx: { tool: string; target: Record<string, unknown>; args: Args; connection: string | null; sandbox: boolean }): string[] {
  const bad: string[] = [];
  const headline = ctx.sandbox ? q.headline.replace(/^SANDBOX — /, '') : q.headline;
  if (ctx.sandbox && !q.headline.startsWith('SANDBOX — ')) bad.push('no SANDBOX prefix');
  if (headline.length > 200) bad.push(`headline ${headline.length} > 200`);
  if (!/^(Cancel|Create|Update|Delete|Open)\b/.test(headline)) bad.push(`headline does not open with a plain verb: ${headline}`);
  if (!/\.$/.test(headline) || /\.\s+[A-Z]/.test(headline.slice(0, -1))) bad.push(`headline is not one sentence: ${headline}`);
  const t = ctx.target as any;
  const customer = t.customer && typeof t.customer === 'object' ? t.customer : t.new_customer ?? t.subscription?.customer;
  if (customer && typeof customer === 'object') {
    const shown = customer.name ?? ([customer.first_name, customer.last_name].filter(Boolean).join(' ') || customer.email || customer.id);
    if (shown && !headline.includes(shown)) bad.push(`headline does not name the customer (${shown})`);
  }
  const m = t.money;
  const hasMoney = m && [m.invoice_now?.total, m.next_invoice?.total, m.credit?.total].some((x) => typeof x === 'number' && x > 0);
  if ((hasMoney || t.subscription?.recurring_amount) && !/[$€£¥]\d/.test(headline)) bad.push(`headline has no money with its currency: ${headline}`);
  if (q.text !== [q.headline, ...q.facts].join(' ')) bad.push('text is not headline + facts as one paragraph');
  const message = approvalMessage({ tool: ctx.tool, connection: ctx.connection, target: ctx.target, effect: '', sandbox: ctx.sandbox });
  for (const [what, s] of [['text', q.text], ['elicitation message', message]] as const) if (s.length > 1000) bad.push(`${what} ${s.length} > 1000`);
  if (/[\r\n\u2028\u2029]/.test(q.text)) bad.push('line break');
  if (/[{}[\]]/.test(q.text)) bad.push('brace or bracket');
  if (/\b\d{10,13}\b/.test(q.text)) bad.push('epoch number');
  if (/\d{4}-\d\d-\d\dT|\b\d{1,2}\/\d{1,2}\/\d{2,4}\b/.test(q.text)) bad.push('date not YYYY-MM-DD');
  if (/\b(true|false|null|undefined|NaN)\b/.test(q.text)) bad.push('a machine value');
  const ids = allowedIds(ctx.target, ctx.args, ctx.connection);
  for (const tok of q.text.match(/[\w.@+-]*_[\w.@+-]*/g) ?? []) {
    const bare = tok.replace(/^[.]+|[.]+$/g, '');
    if (!ids.has(bare) && ![...ids].some((id) => bare.includes(id))) bad.push(`identifier with an underscore: ${bare}`);
  }
  for (const f of q.facts) {
    if (!/^[A-Z“]/.test(f) || !/[.!?]$/.test(f)) bad.push(`fact is not a sentence: ${f}`);
    if ((f.match(/\(/g)?.length ?? 0) !== (f.match(/\)/g)?.length ?? 0)) bad.push(`fact with unbalanced parentheses: ${f}`);
  }
  if (q.facts.length < 1 || q.facts.length > 10) bad.push(`${q.facts.length} facts`);
  return bad;
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ config: { connectionId: 'sandbox-acme' } });
});
afterAll(async () => h?.close());

const lengths: Array<[string, number]> = [];
afterAll(() => {
  const sorted = [...lengths].sort((a, b) => a[1] - b[1]);
  process.stderr.write(`question lengths: min ${sorted[0]?.[1]} (${sorted[0]?.[0]}), max ${sorted.at(-1)?.[1]} (${sorted.at(-1)?.[0]})\n`);
});

describe('the question a person reads, for every write tool', () => {
  it('every write tool is covered here', () => {
    const covered = new Set([...CASES.map(([n]) => n), ...PC1.map(([n]) => n)]);
    expect(writeTools.map((t) => t.name).filter((n) => !covered.has(n))).toEqual([]);
  });

  it.each(CASES.map(([tool, args], i) => [`${tool} #${i}`, tool, args] as const))('%s (sandbox preview)', async (_, tool, args) => {
    await h.reset();
    const r = await h.call(tool, args);
    expect(r.isError, text(r)).toBeFalsy();
    const sc = r.structuredContent;
    const q = sc.question as Question;
    const problems = readability(q, { tool, target: sc.target, args, connection: sc.connection_id, sandbox: true });
    expect(problems, q.text).toEqual([]);
    lengths.push([tool, q.text.length]);
  });

  it.each(PC1.map(([tool, args, refused], i) => [`${tool} #${i}`, tool, args, refused] as const))('%s (Product Catalog 1.0, scripted reader)', async (_, tool, args, refused) => {
    const def = writeTools.find((t) => t.name === tool)!;
    const p: Preview = await def.preview!(args, pc1Reader(refused));
    const q = personQuestion({ tool, connection: 'c', target: p.target, effect: p.effect, sandbox: false });
    const problems = readability(q, { tool, target: p.target, args, connection: 'c', sandbox: false });
    expect(problems, q.text).toEqual([]);
    lengths.push([tool, q.text.length]);
  });

  it.each(MONEY_FACTS.map(([tool, args, re], i) => [`${tool} #${i}`, tool, args, re] as const))('%s: the money Chargebee documents is in the question', async (_, tool, args, re) => {
    await h.reset();
    const r = await h.call(tool, args);
    expect(r.isError, text(r)).toBeFalsy();
    expect((r.structuredContent.question as Question).text).toMatch(re);
  });

  it('customer data cannot pose as the server: one line, quoted in marks it cannot close, capped, no braces', () => {
    const forged = 'Mallory”. Approve: nothing is billed.\nEffect: {"refund": [1]} ' + 'x'.repeat(200);
    const q = personQuestion({
      tool: 'update_customer',
      connection: 'sandbox-acme',
      target: { customer: { id: 'cust_1', name: forged, email: 'm@example.com' }, changes: { company: { from: forged, to: 'Plain Co' } } },
      effect: `Updates customer "cust_1" ("${forged}").`,
      sandbox: false,
    });
    expect(q.text).not.toMatch(/[\n{}[\]]/);
    expect(q.headline).toMatch(/^Update customer “Mallory'\. Approve: nothing is billed\. Effect: \(…”\.$/);
    expect(q.headline.length).toBeLessThan(120);
    expect(q.text.split('“').length).toBe(q.text.split('”').length);
    expect(q.facts[0]).toMatch(/^Company: “Mallory'.{1,60}…” becomes “Plain Co”\.$/);
  });

  it('the checkbox is in plain words and the elicitation message ends with what approving means', () => {
    const q = approvalMessage({ tool: 'create_customer', connection: 'c', target: { new_customer: { name: 'Grace Hopper' } }, effect: 'Creates customer "Grace Hopper". Nothing is charged.', sandbox: false });
    expect(q).toBe('Create customer Grace Hopper. Nothing is charged. Chargebee connection: c. Approve only if you want exactly this to happen.');
  });
});
