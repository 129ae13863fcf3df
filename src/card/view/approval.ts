/**
 * The approval card's script (runs in the host's sandboxed iframe; scripts/card.mjs bundles it into
 * approval.html with the ext-apps App bridge). The host hands it the write tool's result; for a
 * preview it shows the person's question with Approve / Decline, which call the app-only tool,
 * and then the outcome. Everything shown comes from the result and goes in as text (textContent),
 * never as markup: names, emails and companies are the customer's own words.
 */
import { App, applyDocumentTheme, applyHostStyleVariables } from '@modelcontextprotocol/ext-apps';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { APPROVE_TOOL } from '../ui.js';

interface Question {
  headline?: unknown;
  facts?: unknown;
}
interface Shown {
  status?: unknown;
  confirm_token?: unknown;
  expires_at?: unknown;
  action?: unknown;
  effect?: unknown;
  connection_id?: unknown;
  sandbox?: unknown;
  replay?: unknown;
  approval?: unknown;
  question?: Question;
  error?: { message?: unknown };
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  sandbox: $('sandbox'),
  headline: $('headline'),
  facts: $<HTMLUListElement>('facts'),
  connection: $('connection'),
  actions: $('actions'),
  approve: $<HTMLButtonElement>('approve'),
  decline: $<HTMLButtonElement>('decline'),
  outcome: $('outcome'),
};

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

function textOf(r: CallToolResult): string {
  return r.content
    .map((c) => (c.type === 'text' ? c.text : ''))
    .join(' ')
    .trim();
}

/** The structured content, or the JSON text a result carries when a host dropped it. */
function shownOf(r: CallToolResult): Shown {
  if (r.structuredContent && typeof r.structuredContent === 'object') return r.structuredContent as Shown;
  try {
    const parsed: unknown = JSON.parse(textOf(r));
    return parsed && typeof parsed === 'object' ? (parsed as Shown) : {};
  } catch {
    return {};
  }
}

type McpUiHostContext = NonNullable<ReturnType<App['getHostContext']>>;
let context: McpUiHostContext | undefined;

function applyContext(c: McpUiHostContext | undefined): void {
  if (!c) return;
  context = { ...context, ...c };
  if (c.theme) applyDocumentTheme(c.theme);
  if (c.styles?.variables) applyHostStyleVariables(c.styles.variables);
}

function timeOf(iso: string): string | undefined {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return undefined;
  try {
    return d.toLocaleTimeString(context?.locale, { hour: '2-digit', minute: '2-digit', ...(context?.timeZone ? { timeZone: context.timeZone } : {}) });
  } catch {
    return d.toISOString().slice(11, 16) + ' UTC';
  }
}

function setOutcome(text: string, tone: 'ok' | 'bad' | '' = ''): void {
  ui.outcome.textContent = text;
  ui.outcome.className = tone;
  ui.outcome.hidden = text === '';
}

/** An outcome in words, for every result a write or the approval tool returns. */
function outcomeOf(r: CallToolResult): { text: string; tone: 'ok' | 'bad' | '' } {
  const s = shownOf(r);
  const again = s.replay === true ? ' (decided earlier: nothing was sent again)' : '';
  if (r.isError) return { text: `Not done: ${str(s.error?.message) ?? (textOf(r) || 'the server refused this change.')}`, tone: 'bad' };
  switch (s.status) {
    case 'done':
      return { text: `Approved and done: the change was made${s.sandbox === true ? ' in the sandbox' : ' in Chargebee'}${again}.`, tone: 'ok' };
    case 'declined':
      return { text: `Declined: nothing was sent to Chargebee${again}.`, tone: '' };
    case 'awaiting_approval':
      return { text: 'Waiting for the person to approve or decline this change in its card.', tone: '' };
    case 'confirmation_required':
      // --approval token: the server asks nobody, so the card has no buttons to offer.
      return { text: 'Previewed only: nothing has been written. On this server the agent confirms changes itself (no approval card).', tone: '' };
    default:
      return { text: textOf(r).slice(0, 500) || 'The server answered without an outcome.', tone: '' };
  }
}

let token: string | undefined;
let asked: Shown | undefined;

/** The question (headline, facts, connection); the deadline only while a decision is open. */
function showQuestion(s: Shown, open: boolean): void {
  const facts = Array.isArray(s.question?.facts) ? s.question.facts.filter((f): f is string => typeof f === 'string') : [];
  // The card says SANDBOX in its own badge; the question's text for other channels may open with it too.
  const given = str(s.question?.headline);
  const headline = given && s.sandbox === true ? given.replace(/^SANDBOX\s*[—–-]\s*/, '') || given : given;
  ui.headline.textContent = headline ?? str(s.effect) ?? 'An AI agent asks to make a billing change.';
  // The effect stands in for a headline only when the result has no question: a paragraph, not a title.
  ui.headline.className = headline ? '' : 'long';
  ui.facts.replaceChildren(
    ...facts.map((f) => {
      const li = document.createElement('li');
      li.textContent = f;
      return li;
    }),
  );
  ui.facts.hidden = facts.length === 0;
  const conn = str(s.connection_id);
  const parts = [];
  if (!conn || !facts.some((f) => f.includes(conn))) parts.push(`Connection: ${conn ?? 'the Maton account'}`);
  const until = open && str(s.expires_at) && timeOf(s.expires_at as string);
  if (until) parts.push(`${parts.length ? 'decide' : 'Decide'} before ${until}`);
  ui.connection.textContent = parts.join(' · ');
  ui.connection.hidden = parts.length === 0;
}

function render(r: CallToolResult): void {
  const s = shownOf(r);
  ui.sandbox.hidden = s.sandbox !== true;
  const asks = !r.isError && (s.status === 'confirmation_required' || s.status === 'awaiting_approval') && s.approval !== 'token' && str(s.confirm_token) !== undefined;
  if (asks) {
    token = s.confirm_token as string;
    asked = s;
    showQuestion(s, true);
    ui.actions.hidden = false;
    ui.approve.disabled = ui.decline.disabled = false;
    setOutcome(s.status === 'awaiting_approval' ? 'The agent is waiting for your decision.' : '');
    return;
  }
  token = undefined;
  ui.actions.hidden = true;
  if (str(s.effect)) showQuestion(s, false);
  else {
    ui.headline.textContent = r.isError ? 'This billing change was not made.' : 'Billing change';
    ui.facts.hidden = ui.connection.hidden = true;
  }
  const o = outcomeOf(r);
  setOutcome(o.text, o.tone);
}

const app = new App({ name: 'chargebee-mcp approval card', version: '1' }, {}, { autoResize: true });

async function decide(decision: 'approve' | 'decline'): Promise<void> {
  if (!token) return;
  // One decision per card: both buttons stay disabled once the server has answered.
  ui.approve.disabled = ui.decline.disabled = true;
  setOutcome(decision === 'approve' ? 'Approving…' : 'Declining…');
  let result: CallToolResult;
  try {
    result = await app.callServerTool({ name: APPROVE_TOOL, arguments: { confirm_token: token, decision } });
  } catch (e) {
    // The call did not come back (host or server unreachable): the server decides once per token, so pressing again is safe.
    const why = (e instanceof Error ? e.message : String(e)).replace(/[.\s]+$/, '');
    setOutcome(`Your decision did not reach the server (${why}). Press a button again.`, 'bad');
    ui.approve.disabled = ui.decline.disabled = false;
    return;
  }
  ui.actions.hidden = true;
  if (asked) showQuestion(asked, false);
  const o = outcomeOf(result);
  setOutcome(o.text, o.tone);
  // Let the agent know without another call (where the host takes model context).
  if (app.getHostCapabilities()?.updateModelContext) {
    app.updateModelContext({ content: [{ type: 'text', text: `In the approval card, the person chose to ${decision} the billing change. Outcome: ${o.text}` }] }).catch(() => {});
  }
}

ui.approve.addEventListener('click', () => void decide('approve'));
ui.decline.addEventListener('click', () => void decide('decline'));

app.ontoolresult = (r) => render(r as CallToolResult);
app.ontoolcancelled = () => {
  if (token === undefined) setOutcome('The tool call was cancelled: nothing was changed.');
};
app.onhostcontextchanged = (c) => applyContext(c);
app.onteardown = async () => ({});

app.connect().then(
  () => applyContext(app.getHostContext()),
  () => setOutcome('This card could not connect to its host.', 'bad'),
);
