/**
 * The approval card in a real browser: headless Debian chromium (playwright-core) shows a host page
 * that renders the card through ext-apps' AppBridge, with the built bin (dist/cli.js --transport
 * http --sandbox) behind a real MCP client that declared the io.modelcontextprotocol/ui extension
 * (test/helpers/card-host). Every test also checks that the page and the card logged no console
 * error and reached no origin but the host page's own.
 *
 * Without /usr/bin/chromium these tests are skipped with a message, except under CI=true, where
 * they must run (.ci/run installs chromium).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { APPROVE_TOOL } from '../src/card/ui.js';
import { CHROMIUM, haveChromium, startCardHost } from './helpers/card-host/index.mjs';
import { isEstimate } from './helpers/harness.js';

function chromiumOrSkip(): boolean {
  if (haveChromium) return true;
  if (process.env.CI) throw new Error(`${CHROMIUM} is not installed, and CI is set: the approval card's browser tests must run (apt-get install -y chromium).`);
  process.stderr.write(`SKIPPED: approval card browser tests — ${CHROMIUM} is not installed (apt-get install -y chromium to run them).\n`);
  return false;
}

const TOOL = 'cancel_subscription_for_items';
const ARGS = { subscription_id: 'sub_acme_01', cancel_option: 'immediately' };
const CANCEL = '/chargebee/api/v2/subscriptions/sub_acme_01/cancel_for_items';
type Req = { method: string; path: string };
const writesOf = (r: Req[]) => r.filter((x) => x.method !== 'GET' && !isEstimate(x.path));
const MONEY = /\$\d[\d,]*\.\d\d/;

describe.runIf(chromiumOrSkip())('approval card in a real browser', () => {
  let host: Awaited<ReturnType<typeof startCardHost>>;
  beforeAll(async () => {
    host = await startCardHost();
  }, 60_000);
  afterAll(async () => {
    await host?.close();
  });
  beforeEach(async () => {
    await host.reset();
    host.relayed.length = 0;
  });
  afterEach(() => {
    expect(host.consoleErrors, 'console errors in the host page or the card').toEqual([]);
    expect(host.outside, 'requests that left the host page for another origin').toEqual([]);
    expect(host.requests.filter((u: string) => new URL(u).origin !== host.origin)).toEqual([]);
  });

  const preview = async () => {
    const pv = (await host.call(TOOL, ARGS)) as any;
    expect(pv.isError, JSON.stringify(pv.content)).toBeFalsy();
    expect(pv.structuredContent.status).toBe('confirmation_required');
    return pv;
  };
  const button = (name: 'Approve' | 'Decline') => host.card.getByRole('button', { name, exact: true });
  const outcome = () => host.card.locator('#outcome');

  /** The contract the card's buttons rely on: the server lists the app-only tool to this client. */
  async function approveToolListed() {
    const names = (await host.tools()).map((t: { name: string }) => t.name);
    expect(names, `${APPROVE_TOOL} is not listed for a client that declared io.modelcontextprotocol/ui: the card's buttons have nothing to call (the guard's side of issue 16 builds it)`).toContain(APPROVE_TOOL);
    const tool = (await host.tools()).find((t: { name: string }) => t.name === APPROVE_TOOL);
    expect(tool._meta?.ui?.visibility).toEqual(['app']);
  }

  it('shows the preview: SANDBOX, the headline with the customer’s name and money, the facts, the connection, Approve and Decline', async () => {
    const pv = await preview();
    await host.show(TOOL, ARGS, pv);
    await button('Approve').waitFor();
    const sc = pv.structuredContent;
    const headline = await host.card.locator('h1').innerText();
    // The card's own badge says SANDBOX, so the headline does not repeat it.
    expect(headline).toBe((sc.question?.headline ?? sc.effect).replace(/^SANDBOX\s*[—–-]\s*/, ''));
    expect(headline).toContain('Ada Lovelace');
    expect(headline).toMatch(MONEY);
    if (sc.question) expect(await host.card.locator('#facts li').allInnerTexts()).toEqual(sc.question.facts);
    expect(await host.card.locator('#sandbox').isVisible()).toBe(true);
    expect(await host.card.locator('main').innerText()).toContain('sandbox-acme');
    expect(await button('Approve').isEnabled()).toBe(true);
    expect(await button('Decline').isEnabled()).toBe(true);
    expect(writesOf(await host.sandboxRequests())).toEqual([]);
  });

  it('Approve writes once, shows the outcome, and the model’s confirm afterwards gets the same outcome', async () => {
    await approveToolListed();
    const pv = await preview();
    await host.show(TOOL, ARGS, pv);
    await button('Approve').click();
    // One decision: the other button is disabled at once (by id: once decided, the buttons are hidden, out of the role tree).
    expect(await host.card.locator('#decline').isDisabled()).toBe(true);
    await outcome().filter({ hasText: /^Approved and done/ }).waitFor({ timeout: 15_000 });
    expect(await host.card.locator('#actions').isHidden()).toBe(true);
    expect(host.relayed.map((c: { name: string; arguments: unknown }) => [c.name, c.arguments])).toEqual([[APPROVE_TOOL, { confirm_token: pv.structuredContent.confirm_token, decision: 'approve' }]]);
    expect(writesOf(await host.sandboxRequests())).toEqual([expect.objectContaining({ method: 'POST', path: CANCEL })]);
    // The card told the model what happened.
    expect(JSON.stringify(await host.modelContext())).toMatch(/approve the billing change/);
    // The model confirming the same token now gets the person's outcome; nothing is sent again.
    const again = (await host.call(TOOL, { ...ARGS, confirm_token: pv.structuredContent.confirm_token })) as any;
    expect(again.structuredContent).toMatchObject({ status: 'done', approval: 'app', replay: true });
    expect(writesOf(await host.sandboxRequests())).toHaveLength(1);
  });

  it('Decline sends nothing and shows the outcome', async () => {
    await approveToolListed();
    const pv = await preview();
    await host.show(TOOL, ARGS, pv);
    await button('Decline').click();
    expect(await host.card.locator('#approve').isDisabled()).toBe(true);
    await outcome().filter({ hasText: /^Declined/ }).waitFor({ timeout: 15_000 });
    expect(host.relayed.map((c: { name: string; arguments: unknown }) => [c.name, c.arguments])).toEqual([[APPROVE_TOOL, { confirm_token: pv.structuredContent.confirm_token, decision: 'decline' }]]);
    const again = (await host.call(TOOL, { ...ARGS, confirm_token: pv.structuredContent.confirm_token })) as any;
    expect(again.structuredContent).toMatchObject({ status: 'declined' });
    expect(writesOf(await host.sandboxRequests())).toEqual([]);
  });

  it('a model’s confirm before the person decided sends nothing, and its card says the person is awaited', async () => {
    await approveToolListed();
    const pv = await preview();
    const args = { ...ARGS, confirm_token: pv.structuredContent.confirm_token };
    const waiting = (await host.call(TOOL, args)) as any;
    expect(waiting.isError, JSON.stringify(waiting.content)).toBeFalsy();
    expect(waiting.structuredContent.status).toBe('awaiting_approval');
    await host.show(TOOL, args, waiting);
    await outcome().filter({ hasText: /waiting/i }).waitFor();
    expect(writesOf(await host.sandboxRequests())).toEqual([]);
  });

  it('shows a refusal in words, with no buttons', async () => {
    const pv = await preview();
    const token = pv.structuredContent.confirm_token as string;
    const tampered = `${token.slice(0, -4)}${token.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    const refused = (await host.call(TOOL, { ...ARGS, confirm_token: tampered })) as any;
    expect(refused.isError).toBe(true);
    await host.show(TOOL, { ...ARGS, confirm_token: tampered }, refused);
    await outcome().filter({ hasText: /^Not done: / }).waitFor();
    expect(await host.card.locator('#actions').isHidden()).toBe(true);
    expect(writesOf(await host.sandboxRequests())).toEqual([]);
  });

  it('under --approval token (the preview says approval "token") shows the change with no buttons: nobody is asked there', async () => {
    const pv = await preview();
    const tokenOnly = { ...pv, structuredContent: { ...pv.structuredContent, approval: 'token' } };
    await host.show(TOOL, ARGS, tokenOnly);
    await outcome().filter({ hasText: /^Previewed only/ }).waitFor();
    expect(await host.card.locator('#actions').isHidden()).toBe(true);
    expect(await host.card.locator('main').innerText()).not.toContain(pv.structuredContent.confirm_token);
    expect(writesOf(await host.sandboxRequests())).toEqual([]);
  });

  it('shows the customer’s own words as text, never as markup', async () => {
    const name = '<img src=x onerror=alert(1)><b>Ada</b>';
    // The sandbox is the fixture here: its Chargebee API renames the customer directly.
    const res = await fetch(`${(host as any).sandboxUrl}/chargebee/api/v2/customers/cust_acme_01`, {
      method: 'POST',
      headers: { authorization: 'Bearer sandbox', 'maton-connection': 'sandbox-acme', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ first_name: name }).toString(),
    });
    expect(res.status, await res.text()).toBe(200);
    const pv = await preview();
    await host.show(TOOL, ARGS, pv);
    await button('Approve').waitFor();
    expect(await host.card.locator('h1').innerText()).toContain(name);
    expect(await host.card.locator('img, b').count()).toBe(0);
  });
});
