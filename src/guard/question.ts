/**
 * The question a person reads before a write goes out: one headline sentence (verb, customer,
 * money), then a few short facts in words. The elicitation message and the approval card both
 * show it; the preview text for the model (text.ts) keeps the machine detail.
 *
 * Built from the preview's structured target (target.money, customer, items, changes…) and the
 * tool's name, the same way for every write: no template per tool. Unknown target fields are
 * ignored, so previews may grow without breaking the question.
 *
 * Customer-typed data (names, companies, changed values) is untrusted: a plain personal name is
 * shown as it is (letters, spaces, dots, hyphens and apostrophes cannot pose as a sentence); any
 * other value is shown on one line, capped, inside “curly quotes” whose own quote marks are
 * replaced, so it can never close its quotes, start a line or read as the server's own words.
 */
import { money as fmtMoney } from '../summary.js';
import { oneLine } from './text.js';
import type { WriteFacts } from './text.js';

export interface Question {
  /** One sentence, at most 200 characters (after `SANDBOX — ` in the sandbox, which it then starts with). */
  headline: string;
  /** Short sentences in words: when, money, changes, connection. */
  facts: string[];
  /** Headline and facts as one paragraph (clients may collapse line breaks). */
  text: string;
}

/** The whole question stays under this, leaving room for the elicitation's closing line within 1,000. */
const TEXT_MAX = 930;
const HEADLINE_MAX = 200;
const FACT_MAX = 220;
const SANDBOX_PREFIX = 'SANDBOX — ';

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** First words of tool names that are not verbs on their own. */
const VERBS: Record<string, string> = { checkout: 'Open a checkout for' };
/** Words of tool names that say how, not what (Product Catalog 2.0 routes). */
const NOT_NOUNS = new Set(['for', 'items']);
/** Statuses in words (others: underscores become spaces). */
const STATUS_WORDS: Record<string, string> = { non_renewing: 'set not to renew', in_trial: 'in trial', future: 'scheduled to start later' };

/** A value a customer or admin typed: one line, capped, in curly quotes it cannot close. */
export function untrusted(v: unknown, max = 60): string {
  // Its own quote marks become apostrophes (it cannot close the quotes); braces and brackets become
  // parentheses (nothing in the question looks like JSON).
  let s = oneLine(String(v)).replace(/[“”"]/g, "'").replace(/[{[]/g, '(').replace(/[}\]]/g, ')');
  if (s.length > max) s = `${s.slice(0, max - 1).trimEnd()}…`;
  return `“${s}”`;
}

/** A plain personal name shown as it is; anything else untrusted-quoted. */
function nameText(v: string): string {
  const s = oneLine(v);
  return /^\p{L}[\p{L}\p{M} .'’-]{0,47}$/u.test(s) ? s : untrusted(s, 48);
}

/** An id or email: shown as it is when it looks like one, else quoted. */
function idText(v: string): string {
  const s = oneLine(v);
  return /^[\w.@+-]{1,64}$/.test(s) ? s : untrusted(s, 48);
}

/** Field names and enum values in words: `auto_collection` → `auto collection`. */
export function words(s: string): string {
  return s.replace(/_/g, ' ');
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const today = () => new Date().toISOString().slice(0, 10);

/** Who the write is about: the customer (by name, else email, else id) or, for connections, the connection. */
function subject(target: Rec): { who?: string; kind?: 'customer' | 'connection' } {
  const sub = rec(target.subscription);
  const c = rec(target.customer) ?? rec(target.new_customer) ?? rec(sub?.customer);
  if (c) {
    const name = str(c.name) ?? str([c.first_name, c.last_name].filter((x) => typeof x === 'string').join(' '));
    if (name) return { who: nameText(name), kind: 'customer' };
    const id = str(c.email) ?? str(c.id);
    if (id) return { who: idText(id), kind: 'customer' };
  }
  const custId = str(target.customer) ?? str(sub?.customer);
  if (custId) return { who: idText(custId), kind: 'customer' };
  const conn = rec(target.connection);
  if (conn && str(conn.connection_id)) return { who: idText(str(conn.connection_id)!), kind: 'connection' };
  return {};
}

function itemsOf(target: Rec): Rec[] {
  const items = target.items ?? rec(target.subscription)?.items;
  return Array.isArray(items) ? items.map(rec).filter((x): x is Rec => x !== undefined) : [];
}

/** `pro-USD-monthly ×2 and 1 more` */
function planText(items: Rec[]): string | undefined {
  const first = items[0];
  const id = first && str(first.item_price_id);
  if (!id) return undefined;
  const q = num(first.quantity);
  return `${idText(id)}${q !== undefined && q > 1 ? ` ×${q}` : ''}${items.length > 1 ? ` and ${items.length - 1} more` : ''}`;
}

/** The recurring price in words: `$49.00 per month`. */
function priceText(target: Rec, items: Rec[]): string | undefined {
  const recurring = str(rec(target.subscription)?.recurring_amount);
  if (recurring) return oneLine(recurring.replace(/ before discounts and tax$/, '')).slice(0, 60);
  const first = items[0];
  if (items.length === 1 && first && str(first.amount) && str(first.period)) return `${oneLine(str(first.amount)!)} ${oneLine(str(first.period)!)}`.slice(0, 60);
  return undefined;
}

interface Money {
  currency?: string;
  source?: string;
  status_after?: string;
  cancels_on?: string;
  invoice_now?: { total?: number; amount_due?: number; discount?: number; collection?: string; status?: string; due_date?: string } | null;
  next_invoice?: { total?: number; date?: string } | null;
  unbilled?: number;
  credit?: { total?: number; type?: string; reference_invoice_id?: string } | null;
  credit_option?: string;
  credit_if_site_default?: { prorate?: number; full?: number };
  contract_term_end?: string;
  renewals_until_cancel?: { count?: number; amount_each?: number; total?: number; first?: string; last?: string };
  receivables?: { handling?: string; total?: number; written_off?: number; charged?: number; left_due?: number };
  refundable_credits?: { available?: number; refund?: number; handling?: string };
  invoice_immediately?: boolean | string;
  not_included?: string[];
}

const DATE = /^\d{4}-\d\d-\d\d$/;

function headlineOf(f: WriteFacts, m: Money | undefined, cur: (n: number | undefined) => string): string {
  const [first = 'change', ...rest] = f.tool.split('_');
  const verb = VERBS[first] ?? capitalize(first);
  const noun = rest.filter((w) => !NOT_NOUNS.has(w)).join(' ') || 'billing record';
  const { who, kind } = subject(f.target);
  let base: string;
  if (who && kind === noun) base = `${verb} ${noun} ${who}`;
  else if (who && kind === 'customer') base = `${verb} ${who}'s ${noun}`;
  else base = `${verb} ${/^new /.test(noun) ? 'a' : /^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;
  const items = itemsOf(f.target);
  const plan = planText(items);
  const price = priceText(f.target, items);
  let when = '';
  if (m?.cancels_on && DATE.test(m.cancels_on)) when = m.cancels_on === today() ? ' today' : ` on ${m.cancels_on}`;
  let paid = '';
  if (m?.credit && num(m.credit.total)) paid = ` and credit ${cur(m.credit.total)}`;
  else if (m?.invoice_now && num(m.invoice_now.total)) paid = ` and invoice ${cur(m.invoice_now.total)} now`;
  else if (m?.next_invoice && num(m.next_invoice.total) !== undefined && !price) paid = `, first invoice ${cur(m.next_invoice.total)}${m.next_invoice.date && DATE.test(m.next_invoice.date) ? ` on ${m.next_invoice.date}` : ''}`;
  const variants = [
    `${base}${plan ? ` ${plan}` : ''}${price ? ` (${price})` : ''}${when}${paid}.`,
    `${base}${price ? ` (${price})` : ''}${when}${paid}.`,
    `${base}${when}${paid}.`,
  ];
  const fits = variants.find((h) => h.length <= HEADLINE_MAX) ?? `${variants[2]!.slice(0, HEADLINE_MAX - 2)}….`;
  return fits;
}

/**
 * Sentences of the effect that need no quoting: no customer data, no braces, no epoch numbers.
 * Clauses joined by semicolons become sentences of their own, so each fact stays short.
 */
function plainSentences(effect: string, keep: (s: string) => boolean): string[] {
  return oneLine(effect)
    .split(/(?<=[^\s.][.!?])\s+(?=[A-Za-z])/)
    .flatMap((s) => clauses(s).map((c, i, all) => `${capitalize(c)}${i < all.length - 1 ? '.' : ''}`))
    .filter((s) => s.length <= FACT_MAX && balanced(s))
    .map((s) => s.replace(/(\d{4}-\d\d-\d\d)T[\d:.]+Z?/g, '$1').replace(/\b[a-z]+(?:_[a-z]+)+\b/g, words).replace(/\(s\)/g, 's'))
    .filter((s) => !/["“”{}[\]]/.test(s) && !/\b\d{10,}\b/.test(s) && !/\b\w*_\w*\b/.test(s) && keep(s));
}

/** Effect sentences the money facts already say in words. */
/** A sentence split at its semicolons outside parentheses. */
function clauses(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')') depth = Math.max(0, depth - 1);
    else if (s[i] === ';' && depth === 0 && s[i + 1] === ' ') {
      out.push(s.slice(start, i));
      start = i + 2;
    }
  }
  return [...out, s.slice(start)];
}

const balanced = (s: string) => (s.match(/\(/g)?.length ?? 0) === (s.match(/\)/g)?.length ?? 0);

const ABOUT_MONEY = /[$€£¥]\s?\d|\d[\d,]*\.\d\d\b|invoice|credit|refund|status|figures/i;

/** The person's question for a write, built from its preview. */
export function personQuestion(f: WriteFacts): Question {
  const m = rec(f.target.money) as Money | undefined;
  const cur = (n: number | undefined) => fmtMoney(n, m?.currency);
  const headline = headlineOf(f, m, cur);
  const noun = f.tool.split('_').slice(1).filter((w) => !NOT_NOUNS.has(w)).join(' ') || 'record';

  /** Facts with a priority: when the question is too long, the lowest go first. */
  const facts: Array<{ text: string; rank: number }> = [];
  const add = (text: string | undefined, rank: number) => {
    if (!text || facts.some((x) => x.text === text)) return;
    facts.push({ text: text.length > FACT_MAX ? `${text.slice(0, FACT_MAX - 2).trimEnd()}….` : text, rank });
  };

  if (m) {
    const status = m.status_after ? (STATUS_WORDS[m.status_after] ?? words(m.status_after)) : undefined;
    const ends = m.cancels_on && DATE.test(m.cancels_on) ? m.cancels_on : undefined;
    if (status) add(`Afterwards the ${noun} is ${status}${ends ? `; it ends on ${ends}` : ''}.`, 9);
    const inv = m.invoice_now;
    if (inv && num(inv.total) !== undefined) {
      const due = num(inv.amount_due);
      const how =
        inv.status === 'posted'
          ? `due${inv.due_date && DATE.test(inv.due_date) ? ` on ${inv.due_date}` : ''} under the customer's payment terms`
          : inv.collection === 'payment_due'
            ? 'left for the customer to pay'
            : 'charged to the payment method on file';
      add(`Invoiced now: ${cur(inv.total)}${num(inv.discount) ? ` after a discount of ${cur(inv.discount)}` : ''}${due !== undefined && due !== inv.total ? ` (${cur(due)} to pay after the customer's credits)` : ''}, ${how}.`, 9);
    } else if (inv === null) add('Nothing is invoiced now.', 6);
    const next = m.next_invoice;
    if (next && num(next.total) !== undefined) add(`Next invoice: ${cur(next.total)}${next.date && DATE.test(next.date) ? ` on ${next.date}` : ''}.`, 8);
    if (num(m.unbilled)) add(`Charges left for the next invoice: ${cur(m.unbilled)}.`, 7);
    const credit = m.credit;
    if (credit && num(credit.total) !== undefined) {
      const kind = credit.type === 'refundable' ? 'a refundable credit note' : credit.type === 'adjustment' ? 'a credit note that lowers what is still due' : `a ${words(String(credit.type ?? 'credit'))} credit note`;
      add(`Credit: ${cur(credit.total)} as ${kind}${str(credit.reference_invoice_id) ? ` against invoice ${idText(credit.reference_invoice_id!)}` : ''}.`, 9);
    } else if (credit === null && ends) add('No credit or refund.', 7);
    // Chargebee's documented rules that move money beyond this write's own invoice (issue 17).
    const renewals = m.renewals_until_cancel;
    if (m.contract_term_end && DATE.test(m.contract_term_end) && renewals && num(renewals.count) !== undefined) {
      add(`The contract term ends on ${m.contract_term_end}; until then ${renewals.count} renewal invoice${renewals.count === 1 ? '' : 's'}${num(renewals.amount_each) ? ` of ${cur(renewals.amount_each)}` : ''} ${renewals.count === 1 ? 'is' : 'are'} still billed${num(renewals.total) ? ` (${cur(renewals.total)} in all)` : ''}.`, 9);
    }
    if (m.credit_option === 'site default') {
      const d = m.credit_if_site_default;
      add(`No credit option was given, so the site's default applies, which this server cannot see${d ? `: no credit, a prorated ${cur(d.prorate)} or the full ${cur(d.full)}` : ''}.`, 9);
    }
    const r = m.receivables;
    if (r && num(r.total)) {
      const what =
        r.handling === 'write_off'
          ? `${cur(r.written_off)} is written off and never collected`
          : r.handling === 'schedule_payment_collection'
            ? num(r.charged) ? `${cur(r.charged)} is charged to the payment method on file` : `${cur(r.left_due)} stays due`
            : 'they stay due';
      add(`Past-due invoices of ${cur(r.total)}: ${what}.`, 9);
    }
    const rc = m.refundable_credits;
    if (rc && num(rc.available)) {
      add(rc.handling === 'schedule_refund' ? (num(rc.refund) ? `Refunded to the customer: ${cur(rc.refund)} of refundable credits.` : 'No refundable credit is left to refund.') : `Refundable credits of ${cur(rc.available)} stay on the customer's account.`, 8);
    }
    if (m.invoice_immediately === 'site setting') add("Whether this is invoiced at once or with the next invoice depends on a site setting this server cannot see.", 8);
    if (m.source === 'local') {
      const left = (m.not_included ?? []).map((x) => words(oneLine(String(x))).replace(/["“”{}[\]]/g, '')).slice(0, 4);
      add(`These figures are this server's own reckoning, not Chargebee's estimate${left.length ? `; they leave out ${left.join(', ')}` : ''}.`, 8);
    } else if (m.source === 'estimate') add("These figures are Chargebee's own estimate.", 5);
  }

  const changes = rec(f.target.changes);
  if (changes) {
    for (const [field, ch] of Object.entries(changes).slice(0, 4)) {
      const c = rec(ch);
      const shown = (v: unknown) => (v === undefined || v === null || v === '' ? 'nothing' : typeof v === 'boolean' ? (v ? 'yes' : 'no') : typeof v === 'number' ? String(v) : untrusted(typeof v === 'object' ? Object.values(v as Rec).join(', ') : v, 48));
      if (c && ('from' in c || 'to' in c)) add(`${capitalize(words(field))}: ${shown(c.from)} becomes ${shown(c.to)}.`, 8);
    }
  }

  const dueNow = Array.isArray(f.target.invoices_due) ? (f.target.invoices_due as unknown[]).map(rec).filter((x): x is Rec => x !== undefined) : [];
  if (dueNow.length) {
    const list = dueNow.slice(0, 4).map((i) => `${idText(String(i.id))}${str(i.amount_due) ? ` ${oneLine(String(i.amount_due)).slice(0, 20)}` : ''}`);
    add(`Invoices already due: ${list.join(', ')}${dueNow.length > 4 ? ` and ${dueNow.length - 4} more` : ''}; whether turning automatic collection on charges them now is documented both ways by Chargebee.`, 9);
  }

  const items = itemsOf(f.target);
  if (items.length > 1 || (items.length === 1 && !m)) {
    const list = items.slice(0, 3).map((i) => `${idText(String(i.item_price_id ?? i.id ?? 'item'))}${num(i.quantity) ? ` ×${i.quantity}` : ''}${str(i.amount) ? ` at ${oneLine(String(i.amount)).slice(0, 20)}` : ''}`);
    add(`Items: ${list.join(', ')}${items.length > 3 ? ` and ${items.length - 3} more` : ''}.`, 6);
  }

  // What the preview's author said in words, where it needs no quoting (consequences, warnings).
  const money = facts.length > 0 && m !== undefined;
  for (const s of plainSentences(f.effect, (s) => !(money && ABOUT_MONEY.test(s))).slice(0, 4)) add(s, 4);
  if (f.warning) for (const s of plainSentences(f.warning, () => true).slice(0, 1)) add(`Warning: ${s}`, 10);

  add(f.connection ? `Chargebee connection: ${idText(f.connection)}.` : 'Where: your Maton account.', 10);
  if (f.sandbox) add('This is the sandbox: made-up data, nothing real is billed.', 10);

  const lead = `${f.sandbox ? SANDBOX_PREFIX : ''}${headline}`;
  const join = (fs: typeof facts) => [lead, ...fs.map((x) => x.text)].join(' ');
  const kept = [...facts];
  while (join(kept).length > TEXT_MAX && kept.length) {
    const lowest = kept.reduce((lo, x, i) => (x.rank <= kept[lo]!.rank ? i : lo), 0);
    kept.splice(lowest, 1);
  }
  const list = kept.map((x) => x.text);
  return { headline: lead, facts: list, text: join(kept) };
}

/** The elicitation message: the question, then what approving means. */
export function approvalMessage(f: WriteFacts): string {
  return `${personQuestion(f).text} Approve only if you want exactly this to happen.`;
}
