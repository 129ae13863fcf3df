/**
 * Human approval through MCP elicitation, driven by the official SDK Client with an elicitation
 * handler (the person), against the embedded sandbox. Every case counts the writes that reached
 * the sandbox: on a client that can ask its user, no write goes out without the person's accept.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ElicitRequest, ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { startHarness, text, writesOf, type ElicitHandler, type Harness } from './helpers/harness.js';

type Asked = ElicitRequest['params'] & { message: string; requestedSchema?: any };

/** A person whose answer each test sets; every question they were asked is kept. */
function person() {
  const asked: Asked[] = [];
  let answer: ElicitHandler = () => ({ action: 'accept', content: { confirm: true } });
  const handler: ElicitHandler = async (req) => {
    asked.push(req as Asked);
    return answer(req);
  };
  return { asked, handler, answer: (a: ElicitHandler) => void (answer = a) };
}

const SUB = { subscription_id: 'sub_acme_01', cancel_option: 'end_of_term' };
const CANCEL_PATH = '/chargebee/api/v2/subscriptions/sub_acme_01/cancel_for_items';

describe('approval auto, a client that can ask its user', () => {
  let h: Harness;
  const p = person();
  const dir = mkdtempSync(join(tmpdir(), 'cbmcp-audit-'));
  const auditPath = join(dir, 'audit.jsonl');
  const writes = async () => (await h.requests()).filter((r) => r.method === 'POST' && r.path === CANCEL_PATH);

  beforeAll(async () => {
    h = await startHarness({ config: { connectionId: 'sandbox-acme', auditLog: auditPath }, onElicit: p.handler });
  });
  afterAll(async () => h?.close());
  beforeEach(async () => {
    await h.reset();
    p.asked.length = 0;
    p.answer(() => ({ action: 'accept', content: { confirm: true } }));
  });

  const preview = async (args: Record<string, unknown> = SUB) => {
    const r = await h.call('cancel_subscription_for_items', args);
    expect(r.isError, text(r)).toBeFalsy();
    return r.structuredContent;
  };
  const confirm = (token: string, args: Record<string, unknown> = SUB) => h.call('cancel_subscription_for_items', { ...args, confirm_token: token });

  it('accept with confirm:true: the person sees who, what, money, connection and SANDBOX; the write goes out once', async () => {
    const pv = await preview();
    expect(pv.approval).toBe('elicitation');
    expect(p.asked).toHaveLength(0);
    expect(await writes()).toHaveLength(0);
    const done = await confirm(pv.confirm_token);
    expect(done.isError, text(done)).toBeFalsy();
    expect(done.structuredContent).toMatchObject({ status: 'done', approval: 'elicitation', action: 'cancel_subscription_for_items' });
    expect(p.asked).toHaveLength(1);
    const q = p.asked[0]!;
    expect(q.message).toMatch(/^SANDBOX — Cancel Ada Lovelace's subscription basic-USD-monthly \(\$49\.00 per month\) on \d{4}-\d\d-\d\d\. /);
    expect(q.message).toMatch(/Chargebee connection: sandbox-acme\./);
    expect(q.message).toBe(`${pv.question.text} Approve only if you want exactly this to happen.`);
    expect(q.requestedSchema).toMatchObject({ type: 'object', required: ['confirm'], properties: { confirm: { type: 'boolean' } } });
    const box = q.requestedSchema.properties.confirm;
    expect(`${box.title} ${box.description}`).not.toMatch(/\btrue\b|\bfalse\b/i);
    expect(await writes()).toHaveLength(1);
  });

  for (const [name, answer] of [
    ['decline', { action: 'decline' }],
    ['cancel', { action: 'cancel' }],
    ['accept with confirm:false', { action: 'accept', content: { confirm: false } }],
    ['accept without confirm', { action: 'accept', content: {} }],
  ] as Array<[string, ElicitResult]>) {
    it(`${name}: nothing is sent, a normal "declined" result, and the spent token asks nobody again`, async () => {
      p.answer(() => answer);
      const pv = await preview();
      const r = await confirm(pv.confirm_token);
      expect(r.isError).toBeFalsy();
      expect(r.structuredContent).toMatchObject({ status: 'declined', action: 'cancel_subscription_for_items', target: expect.any(Object), effect: expect.any(String) });
      expect(text(r)).toMatch(/declined.*nothing was sent.*Do not retry unless they ask/s);
      p.answer(() => ({ action: 'accept', content: { confirm: true } }));
      const again = await confirm(pv.confirm_token);
      expect(again.isError).toBeFalsy();
      expect(again.structuredContent).toMatchObject({ status: 'declined', replay: true });
      expect(p.asked).toHaveLength(1);
      expect(await writes()).toHaveLength(0);
    });
  }

  it('the target changed while the person decided: refused after the answer, nothing sent', async () => {
    const args = { customer_id: 'cust_acme_04', company: 'Asked Co' };
    const pv = await h.call('update_customer', args);
    p.answer(async () => {
      // Someone else changes the customer while the dialog is open.
      const res = await h.sandboxFetch('/chargebee/api/v2/customers/cust_acme_04', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'maton-connection': 'sandbox-acme' },
        body: 'phone=%2B1%20555%200199',
      });
      expect(res.status).toBe(200);
      return { action: 'accept', content: { confirm: true } };
    });
    const r = await h.call('update_customer', { ...args, confirm_token: pv.structuredContent.confirm_token });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/changed since the preview/);
    expect(p.asked).toHaveLength(1);
    const updates = (await h.requests()).filter((q) => q.method === 'POST' && q.path.endsWith('/customers/cust_acme_04'));
    expect(updates).toHaveLength(1); // only the other person's change
  });

  it('a target that changed before the confirm is refused before anyone is asked', async () => {
    const a = await h.call('update_customer', { customer_id: 'cust_acme_03', company: 'First Co' });
    const b = await h.call('update_customer', { customer_id: 'cust_acme_03', company: 'Second Co' });
    const done = await h.call('update_customer', { customer_id: 'cust_acme_03', company: 'Second Co', confirm_token: b.structuredContent.confirm_token });
    expect(done.structuredContent.status).toBe('done');
    p.asked.length = 0;
    const stale = await h.call('update_customer', { customer_id: 'cust_acme_03', company: 'First Co', confirm_token: a.structuredContent.confirm_token });
    expect(stale.isError).toBe(true);
    expect(p.asked).toHaveLength(0);
  });

  it('an elicitation that fails on the client side sends nothing and leaves the token unspent', async () => {
    p.answer(() => {
      throw new Error('dialog crashed');
    });
    const pv = await preview();
    const r = await confirm(pv.confirm_token);
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/could not ask its user.*still unused/s);
    expect(await writes()).toHaveLength(0);
    p.answer(() => ({ action: 'accept', content: { confirm: true } }));
    const done = await confirm(pv.confirm_token);
    expect(done.structuredContent).toMatchObject({ status: 'done', approval: 'elicitation' });
    expect(await writes()).toHaveLength(1);
  });

  it('sends progress notifications while the person takes their time', async () => {
    p.answer(async () => {
      await new Promise((r) => setTimeout(r, 5600));
      return { action: 'accept', content: { confirm: true } };
    });
    const pv = await preview();
    const progress: string[] = [];
    const r = await h.client.callTool({ name: 'cancel_subscription_for_items', arguments: { ...SUB, confirm_token: pv.confirm_token } }, undefined, {
      onprogress: (pr) => void progress.push(pr.message ?? ''),
      timeout: 60_000,
    });
    expect((r.structuredContent as any).status).toBe('done');
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress[0]).toMatch(/Waiting for the person/);
  }, 20_000);

  it('the audit log: 0600, one JSON line per decision, no secret, the sent line before done', async () => {
    const pv = await preview();
    await confirm(pv.confirm_token);
    const lines = readFileSync(auditPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(statSync(auditPath).mode & 0o777).toBe(0o600);
    const mine = lines.filter((l) => l.token_id === lines.at(-1).token_id);
    expect(mine.map((l) => l.event)).toEqual(['preview', 'approved', 'sent', 'done']);
    for (const l of mine) {
      expect(l).toMatchObject({ tool: 'cancel_subscription_for_items', connection: 'sandbox-acme', caller: 'test-caller' });
      expect(Date.parse(l.time)).not.toBeNaN();
    }
    expect(mine[1].approval).toBe('elicitation');
    expect(mine[2].idempotency_key).toMatch(/^cbmcp-/);
    expect(mine[3].idempotency_key).toBe(mine[2].idempotency_key);
    const raw = readFileSync(auditPath, 'utf8');
    expect(raw).not.toContain(pv.confirm_token);
    expect(raw).not.toMatch(/cbt1\./);
    expect(lines.some((l) => l.event === 'declined')).toBe(true);
    expect(lines.some((l) => l.event === 'refused' && l.error)).toBe(true);
  });

  it('the sent line is on disk before the request leaves', async () => {
    const pv = await preview();
    await h.fault({ match: { method: 'POST', path: CANCEL_PATH }, times: 1, fault: { delay_ms: 800 } });
    const before = readFileSync(auditPath, 'utf8').length;
    const pending = confirm(pv.confirm_token);
    await new Promise((r) => setTimeout(r, 400));
    const during = readFileSync(auditPath, 'utf8').slice(before);
    expect(during).toMatch(/"event":"sent"/);
    expect(during).not.toMatch(/"event":"done"/);
    expect((await pending).structuredContent.status).toBe('done');
  });
});

describe('no answer within the token lifetime', () => {
  let h: Harness;
  afterAll(async () => h?.close());
  it('sends nothing, says so, and the audit line is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cbmcp-audit-'));
    const auditPath = join(dir, 'a.jsonl');
    h = await startHarness({
      config: { connectionId: 'sandbox-acme', auditLog: auditPath },
      env: { CHARGEBEE_MCP_CONFIRM_TTL_S: '2' },
      onElicit: () => new Promise<ElicitResult>(() => {}),
    });
    const pv = await h.call('cancel_subscription_for_items', SUB);
    const r = await h.call('cancel_subscription_for_items', { ...SUB, confirm_token: pv.structuredContent.confirm_token });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/No answer from the person before the confirm token expired.*Nothing was sent/s);
    expect(writesOf(await h.requests())).toHaveLength(0);
    const events = readFileSync(auditPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l).event);
    expect(events).toEqual(['preview', 'refused']);
  });
});

describe('approval modes', () => {
  const hs: Harness[] = [];
  afterAll(async () => Promise.all(hs.map((h) => h.close())));
  const start = async (approval: 'auto' | 'human' | 'token', onElicit?: ElicitHandler) => {
    const h = await startHarness({ config: { connectionId: 'sandbox-acme', approval }, onElicit });
    hs.push(h);
    return h;
  };
  const writes = async (h: Harness) => writesOf(await h.requests()); // previews' estimate POSTs change nothing

  it('auto with a client that cannot ask: the token alone writes, marked approval "token"', async () => {
    const h = await start('auto');
    const pv = await h.call('cancel_subscription_for_items', SUB);
    expect(pv.structuredContent.approval).toBe('token');
    const done = await h.call('cancel_subscription_for_items', { ...SUB, confirm_token: pv.structuredContent.confirm_token });
    expect(done.structuredContent).toMatchObject({ status: 'done', approval: 'token' });
    expect(await writes(h)).toHaveLength(1);
  });

  it('human with a client that cannot ask: the preview is refused, no token, nothing sent; a confirm from such a client too', async () => {
    const asker = person();
    const h = await start('human', asker.handler);
    const pv = await h.call('cancel_subscription_for_items', SUB);
    expect(pv.structuredContent.approval).toBe('elicitation');
    // Same caller, another client that cannot ask.
    const mute = await h.connectAs('test-caller');
    const refused = await mute.callTool({ name: 'cancel_subscription_for_items', arguments: SUB });
    expect(refused.isError).toBe(true);
    expect(JSON.stringify(refused.content)).toMatch(/requires a person to approve.*--approval/);
    expect((refused.structuredContent as any)?.confirm_token).toBeUndefined();
    const confirm = await mute.callTool({ name: 'cancel_subscription_for_items', arguments: { ...SUB, confirm_token: pv.structuredContent.confirm_token } });
    expect(confirm.isError).toBe(true);
    expect(await writes(h)).toHaveLength(0);
    expect(asker.asked).toHaveLength(0);
  });

  it('token with a client that can ask: nobody is asked, the token writes', async () => {
    const asker = person();
    const h = await start('token', asker.handler);
    const pv = await h.call('cancel_subscription_for_items', SUB);
    const done = await h.call('cancel_subscription_for_items', { ...SUB, confirm_token: pv.structuredContent.confirm_token });
    expect(done.structuredContent).toMatchObject({ status: 'done', approval: 'token' });
    expect(asker.asked).toHaveLength(0);
    expect(await writes(h)).toHaveLength(1);
  });
});
