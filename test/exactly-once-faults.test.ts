/**
 * Exactly once when the disk, the clock or the catalogue fail (issue 18): each case counts the
 * write requests that reached the sandbox gateway. The Redis cases (bad keys, a killed holder) are
 * in takeover-redis.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, UsageError } from '../src/config.js';
import { catalogueOf, Engine, type Catalogue } from '../src/engine.js';
import { ConfirmTokens } from '../src/confirm.js';
import { ConnectionResolver } from '../src/connections.js';
import { Gateway } from '../src/gateway.js';
import type { AuditEvent, AuditLog } from '../src/guard/audit.js';
import type { MemoryLedger } from '../src/guard/ledger.js';
import { silentLogger } from '../src/log.js';
import { toolsets } from '../tools/index.js';
import { startHarness, text, type Harness } from './helpers/harness.js';

/** An audit log on a disk that fills up: the events in `failOn` fail with ENOSPC, the rest are kept. */
class FullDisk implements AuditLog {
  failOn = new Set<AuditEvent['event']>();
  lines: AuditEvent[] = [];
  async record(e: AuditEvent): Promise<void> {
    if (this.failOn.has(e.event)) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    this.lines.push(e);
  }
  async close(): Promise<void> {}
}

/** The write guard's collaborators, for planting faults the public surface cannot reach. */
const guardOf = (h: Harness) => (h.rt.engine as any).guard.o as { audit: AuditLog; ledger: MemoryLedger };
/** The nonce inside a confirm token (its ledger key). */
const nonceOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')).n as string;

let h: Harness;
let disk: FullDisk;
beforeAll(async () => {
  h = await startHarness({ config: { connectionId: 'sandbox-acme' } });
  disk = new FullDisk();
  guardOf(h).audit = disk;
});
afterAll(async () => h?.close());
beforeEach(async () => {
  disk.failOn.clear();
  await h.reset();
});

const writesTo = async (path: string) => (await h.requests()).filter((r) => r.method !== 'GET' && r.path === path);
const preview = async (hh: Harness, tool: string, args: Record<string, unknown>) => {
  const r = await hh.call(tool, args);
  expect(r.isError, text(r)).toBeFalsy();
  return r.structuredContent.confirm_token as string;
};

describe('the audit log fails after the request left', () => {
  const CUSTOMERS = '/chargebee/api/v2/customers';

  it('done line fails (ENOSPC): the real outcome with a warning, replays return it, the next preview names it, and no second customer', async () => {
    const args = { first_name: 'Disk', last_name: 'Full', email: 'disk.full@example.com' };
    const token = await preview(h, 'create_customer', args);
    disk.failOn.add('done');
    const r = await h.call('create_customer', { ...args, confirm_token: token });
    expect(r.isError, text(r)).toBeFalsy();
    expect(r.structuredContent.status).toBe('done');
    expect(r.structuredContent.result.customer.email).toBe('disk.full@example.com');
    expect(r.structuredContent.warning).toMatch(/sent and this is its real outcome, but the audit log could not record it \(ENOSPC\)/);
    expect(text(r)).not.toMatch(/nothing was sent/i);
    expect(await writesTo(CUSTOMERS)).toHaveLength(1);

    // A retry with the same token returns that outcome (recorded in the ledger before the audit line).
    const again = await h.call('create_customer', { ...args, confirm_token: token });
    expect(again.structuredContent.replay).toBe(true);
    expect(again.structuredContent.result.customer.id).toBe(r.structuredContent.result.customer.id);
    expect(again.structuredContent.warning).toMatch(/audit log could not record it/);

    // The next preview of that target names the unaudited write.
    const next = await h.call('create_customer', args);
    expect(next.structuredContent.warning).toMatch(/An earlier create_customer on this target at 20\d\d-.* was sent and was applied, but the audit log could not record it \(audit log: ENOSPC\)/);
    // The disk is still full: confirming that preview is refused before anything leaves.
    disk.failOn = new Set(['approved', 'sent', 'done', 'outcome_unknown', 'refused']);
    const refused = await h.call('create_customer', { ...args, confirm_token: next.structuredContent.confirm_token });
    expect(refused.isError).toBe(true);
    expect(refused.structuredContent.error.reason).toBe('audit_failed');
    expect(text(refused)).toMatch(/nothing was sent/);
    expect(await writesTo(CUSTOMERS)).toHaveLength(1);
    const list = await h.call('list_customers', { email: { is: 'disk.full@example.com' } });
    expect(list.structuredContent.customers ?? list.structuredContent.list).toHaveLength(1);
  });

  it('outcome_unknown line fails: the answer says the request went out (never "nothing was sent"), and the token is not stuck', async () => {
    const path = '/chargebee/api/v2/customers/cust_acme_09';
    const args = { customer_id: 'cust_acme_09', company: 'Unaudited Ltd' };
    const token = await preview(h, 'update_customer', args);
    await h.fault({ match: { method: 'POST', path }, times: 4, fault: { reset: true } });
    disk.failOn.add('outcome_unknown');
    const lost = await h.call('update_customer', { ...args, confirm_token: token });
    expect(lost.isError).toBe(true);
    expect(text(lost)).not.toMatch(/audit log could not be written[^]*nothing was sent/);
    expect(text(lost)).toMatch(/Warning: The request was sent and this is its real outcome, but the audit log could not record it \(ENOSPC\)/);
    const lostPosts = (await writesTo(path)).length;
    expect(lostPosts).toBeGreaterThanOrEqual(1);
    // The ledger recorded the unknown outcome first: the same token resends once, under its idempotency key.
    disk.failOn.clear();
    const resent = await h.call('update_customer', { ...args, confirm_token: token });
    expect(resent.structuredContent.status, text(resent)).toBe('done');
    expect(await writesTo(path)).toHaveLength(lostPosts + 1);
  });

  it('the sent line fails: refused before the request leaves, nothing sent, the token still usable', async () => {
    const path = '/chargebee/api/v2/customers/cust_acme_10';
    const args = { customer_id: 'cust_acme_10', company: 'Not Yet' };
    const token = await preview(h, 'update_customer', args);
    disk.failOn.add('sent');
    const refused = await h.call('update_customer', { ...args, confirm_token: token });
    expect(refused.structuredContent.error.reason).toBe('audit_failed');
    expect(text(refused)).toMatch(/nothing was sent/);
    expect(await writesTo(path)).toHaveLength(0);
    disk.failOn.clear();
    const done = await h.call('update_customer', { ...args, confirm_token: token });
    expect(done.structuredContent.status, text(done)).toBe('done');
    expect(await writesTo(path)).toHaveLength(1);
  });
});

describe('a write held longer than the lease', () => {
  it('lease 600 ms, the gateway holds the write 2.5 s: the lock and claim are renewed, a second token on the target waits and is refused, 1 POST', async () => {
    const short = await startHarness({ config: { connectionId: 'sandbox-acme', leaseMs: 600 } });
    try {
      const path = '/chargebee/api/v2/customers/cust_acme_11';
      const a = { customer_id: 'cust_acme_11', email: 'held-a@example.com' };
      const b = { customer_id: 'cust_acme_11', email: 'held-b@example.com' };
      const [ta, tb] = [await preview(short, 'update_customer', a), await preview(short, 'update_customer', b)];
      await short.fault({ match: { method: 'POST', path }, times: 1, fault: { delay_ms: 2500 } });
      const started = Date.now();
      const first = short.call('update_customer', { ...a, confirm_token: ta });
      await new Promise((r) => setTimeout(r, 400));
      // While A's request is held (4 leases long): the same token again, and another token on the same target.
      const [same, other] = [short.call('update_customer', { ...a, confirm_token: ta }), short.call('update_customer', { ...b, confirm_token: tb })];
      const [ra, rs, rb] = await Promise.all([first, same, other]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(2400);
      expect(ra.structuredContent.status, text(ra)).toBe('done');
      expect(rs.structuredContent.replay, text(rs)).toBe(true);
      expect(rb.isError).toBe(true);
      expect(text(rb)).toMatch(/changed since the preview/);
      const posts = (await short.requests()).filter((r) => r.method === 'POST' && r.path === path);
      expect(posts).toHaveLength(1);
      expect((await short.call('get_customer', { customer_id: 'cust_acme_11' })).structuredContent.customer.email).toBe('held-a@example.com');
    } finally {
      await short.close();
    }
  });
});

describe('ledger records of the wrong shape (in-process ledger)', () => {
  const shapes: Array<[string, unknown]> = [
    ['garbage', 'not json {'],
    ['no outcome', { state: 'final', at: 1, sent: true }],
    ['content: []', { state: 'final', at: 1, outcome: { content: [] } }],
    ['unknown state', { state: 'done', at: 1 }],
    ['outcome text not JSON', { state: 'final', at: 1, outcome: { content: [{ type: 'text', text: 'x' }] } }],
  ];
  for (const [name, raw] of shapes) {
    it(`${name}: a tool error naming the shared state, nothing sent`, async () => {
      const args = { customer_id: 'cust_acme_12', company: `Shape ${name}` };
      const token = await preview(h, 'update_customer', args);
      (guardOf(h).ledger as any).tokens.set(nonceOf(token), raw, Date.now() + 60_000);
      const r = await h.call('update_customer', { ...args, confirm_token: token });
      expect(r.isError).toBe(true);
      expect(r.structuredContent.error.reason).toBe('ledger_corrupt');
      expect(text(r)).toMatch(/shared state of this server \(the in-process ledger: .+\) holds a record of the wrong shape.*Nothing was sent/);
      expect(await writesTo('/chargebee/api/v2/customers/cust_acme_12')).toHaveLength(0);
    });
  }

  it('a bad unknown-outcome note: the preview of that target is a tool error, other targets still preview', async () => {
    (guardOf(h).ledger as any).notes.set('chargebee|sandbox-acme|/customers/cust_acme_13', { at: 5, tool: null }, Date.now() + 60_000);
    const r = await h.call('update_customer', { customer_id: 'cust_acme_13', company: 'Noted' });
    expect(r.isError).toBe(true);
    expect(r.structuredContent.error.reason).toBe('ledger_corrupt');
    expect(text(r)).toMatch(/unknown-outcome note/);
    await preview(h, 'update_customer', { customer_id: 'cust_acme_01', company: 'Fine' });
    (guardOf(h).ledger as any).notes.delete('chargebee|sandbox-acme|/customers/cust_acme_13');
  });
});

describe('the catalogue', () => {
  it('a part that fails to load is a tool error (not -32603), and is loaded again on the next call', async () => {
    const good = catalogueOf(toolsets);
    let loads = 0;
    const flaky: Catalogue = {
      ...good,
      load: async () => {
        loads++;
        if (loads === 1) throw new Error("Cannot find module './tools/customers.js'");
        return good.load();
      },
    };
    const gateway = new Gateway({ baseUrl: 'http://127.0.0.1:9', apiKey: 'k', timeoutMs: 1000, rateLimit: 0, logger: silentLogger() });
    const engine = new Engine(flaky, {
      gateway,
      tokens: new ConfirmTokens(Buffer.from('catalogue-test-secret-0123456789'), 60),
      connections: new ConnectionResolver(gateway, 'conn-1'),
      logger: silentLogger(),
      sandbox: false,
      readOnly: false,
      pollMs: 1000,
    });
    const ctx = { caller: 't', signal: new AbortController().signal };
    const first = await engine.call('get_customer', { customer_id: 'c1' }, ctx);
    expect(first.isError).toBe(true);
    expect((first.structuredContent as any).error.reason).toBe('catalogue_unavailable');
    expect(first.content[0]).toMatchObject({ type: 'text', text: expect.stringMatching(/could not be loaded \(Cannot find module .*\)\. Nothing was sent\. Call the tool again/) });
    // Loaded on the next call: the arguments are checked against the tool's schema again.
    const second = await engine.call('get_customer', { customer_id: 'c1', bogus: 1 }, ctx);
    expect((second.structuredContent as any).error.reason).toBe('invalid_arguments');
    expect(loads).toBe(2);
    await gateway.close();
  });
});

describe('lease settings', () => {
  const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
  for (const bad of ['1000', '30000', 'soon']) {
    it(`CHARGEBEE_MCP_LEASE_MS=${bad}: exit 2 with one line saying the bounds and why, nothing started`, () => {
      expect(() => loadConfig({ sandbox: true }, { CHARGEBEE_MCP_LEASE_MS: bad })).toThrow(UsageError);
      const r = spawnSync(process.execPath, [cli, '--sandbox'], { env: { PATH: process.env.PATH ?? '', CHARGEBEE_MCP_LEASE_MS: bad, LOG_LEVEL: 'info' }, encoding: 'utf8', input: '', timeout: 15_000 });
      expect(r.status, r.stderr).toBe(2);
      const lines = r.stderr.split('\n').filter(Boolean);
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`CHARGEBEE_MCP_LEASE_MS must be an integer from 6000 to 25000 \\(got "${bad}"\\): .*renews its lease every third.*within 30 s`));
    });
  }
  it('default 15 s; 6-25 s accepted', () => {
    expect(loadConfig({ sandbox: true }, {}).leaseMs).toBe(15_000);
    expect(loadConfig({ sandbox: true }, { CHARGEBEE_MCP_LEASE_MS: '6000' }).leaseMs).toBe(6000);
    expect(loadConfig({ sandbox: true }, { CHARGEBEE_MCP_LEASE_MS: '25000' }).leaseMs).toBe(25_000);
  });
});

describe('the fence', () => {
  it('a call whose claim is taken over while its request is out stops (no retry after), reports an unknown outcome, 1 POST', async () => {
    const short = await startHarness({ config: { connectionId: 'sandbox-acme', leaseMs: 600 } });
    try {
      const ledger = guardOf(short).ledger;
      const path = '/chargebee/api/v2/customers/cust_acme_02';
      const args = { customer_id: 'cust_acme_02', company: 'Fenced' };
      const token = await preview(short, 'update_customer', args);
      // The POST is held 3 s: this call would wait for it (and retry it on a failure) if nothing stopped it.
      await short.fault({ match: { method: 'POST', path }, times: 1, fault: { delay_ms: 3000 } });
      // Another instance takes the claim over once the request is out (as if this one had stopped renewing).
      const renew = ledger.renew.bind(ledger);
      let taken = false;
      ledger.renew = async (n, owner, until) => {
        if ((await ledger.get(n))?.state === 'sent') taken = true;
        return taken ? false : renew(n, owner, until);
      };
      const started = Date.now();
      const r = await short.call('update_customer', { ...args, confirm_token: token });
      expect(Date.now() - started).toBeLessThan(2500);
      expect(r.isError).toBe(true);
      expect(r.structuredContent.error.reason).toBe('outcome_unknown');
      expect(text(r)).toMatch(/lost its hold on the write while the request was out \(the confirm token claim was taken over by another call/);
      await new Promise((res) => setTimeout(res, 3200));
      expect((await short.requests()).filter((x) => x.method === 'POST' && x.path === path)).toHaveLength(1);
    } finally {
      await short.close();
    }
  });
});

describe('a dead holder (its lease ran out) in the in-process ledger', () => {
  const plantDead = (token: string, state: 'claimed' | 'sent') =>
    guardOf(h).ledger.swap(nonceOf(token), undefined, { state, at: Date.now() - 60_000, owner: 'dead-holder', lease: Date.now() - 1, ...(state === 'sent' ? { sent: true } : {}) }, Date.now() + 60_000);

  it('claimed (nothing sent): the next confirm takes the token over at once and writes once', async () => {
    const path = '/chargebee/api/v2/customers/cust_acme_03';
    const args = { customer_id: 'cust_acme_03', company: 'Taken Over' };
    const token = await preview(h, 'update_customer', args);
    await plantDead(token, 'claimed');
    const started = Date.now();
    const r = await h.call('update_customer', { ...args, confirm_token: token });
    expect(r.structuredContent.status, text(r)).toBe('done');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await writesTo(path)).toHaveLength(1);
  });

  it('sent, a Chargebee write: resent under the same idempotency key (the target is unchanged), once', async () => {
    const path = '/chargebee/api/v2/customers/cust_acme_04';
    const args = { customer_id: 'cust_acme_04', company: 'Resent' };
    const token = await preview(h, 'update_customer', args);
    await plantDead(token, 'sent');
    const r = await h.call('update_customer', { ...args, confirm_token: token });
    expect(r.structuredContent.status, text(r)).toBe('done');
    const posts = await writesTo(path);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.headers['chargebee-idempotency-key']).toMatch(/^cbmcp-/);
  });

  it('sent, a Maton connection write (no idempotency key): never sent again, the outcome is unknown', async () => {
    const token = await preview(h, 'create_connection', {});
    await plantDead(token, 'sent');
    const r = await h.call('create_connection', { confirm_token: token });
    expect(r.isError).toBe(true);
    expect(r.structuredContent.error.reason).toBe('outcome_unknown');
    expect(text(r)).toMatch(/stopped before recording its answer.*will not send it again/s);
    const all = await (await h.sandboxFetch('/_sandbox/requests')).json();
    expect(all.requests.filter((x: any) => x.method === 'POST' && x.path === '/connections')).toHaveLength(0);
    // The same token again: the recorded outcome, still nothing sent.
    const again = await h.call('create_connection', { confirm_token: token });
    expect(again.structuredContent.error.reason).toBe('outcome_unknown');
  });
});
