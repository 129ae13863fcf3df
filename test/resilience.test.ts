import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { createServer } from '../src/server.js';
import type { SandboxOptions } from '../src/sandbox/index.js';
import { noUnknownParams, text, writesOf } from './helpers/harness.js';

/**
 * Issue #4: the gateway client under faults. Every test runs the whole server
 * in-process (official SDK Client → MCP server → engine → gateway client) against
 * the embedded sandbox over real HTTP, injects faults with POST /_sandbox/faults,
 * and checks what a user notices (result, error text, time taken) and what the
 * sandbox received (attempts, one idempotency key, one applied write).
 */

type Result = CallToolResult & { structuredContent?: any };
interface Req { method: string; path: string; query: string; headers: Record<string, string>; body: string }

interface Rig {
  rt: Runtime;
  client: Client;
  logs: any[];
  call(name: string, args?: Record<string, unknown>, signal?: AbortSignal): Promise<Result>;
  requests(): Promise<Req[]>;
  fault(spec: unknown): Promise<void>;
  clearFaults(): Promise<void>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** The server with a log-capturing logger (the shared harness runs silent). */
async function rig(opts: { env?: Record<string, string>; sandbox?: SandboxOptions } = {}): Promise<Rig> {
  const logs: any[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const config = loadConfig({ sandbox: true, connectionId: 'sandbox-acme' }, { CHARGEBEE_MCP_RATE_LIMIT: '0', ...opts.env });
  const rt = await createRuntime(config, logger, { rateLimit: 0, exportCompleteMs: 300, ...opts.sandbox });
  const sb = rt.sandbox!;
  const [ct, st] = InMemoryTransport.createLinkedPair();
  await createServer(rt, 'resilience-test').connect(st);
  const client = new Client({ name: 'resilience', version: '1.0.0' });
  await client.connect(ct);
  const sbFetch = (path: string, init: RequestInit = {}) =>
    fetch(sb.url + path, { ...init, headers: { authorization: `Bearer ${sb.apiKey}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) } });
  return {
    rt,
    client,
    logs,
    call: (name, args = {}, signal) => client.callTool({ name, arguments: args }, undefined, signal ? { signal } : undefined) as Promise<Result>,
    async requests() {
      const body = (await (await sbFetch('/_sandbox/requests')).json()) as { requests: Req[] };
      return body.requests.filter((r) => r.path !== '/connections');
    },
    async fault(spec) {
      const res = await sbFetch('/_sandbox/faults', { method: 'POST', body: JSON.stringify(spec) });
      if (!res.ok) throw new Error(`fault refused: ${res.status} ${await res.text()}`);
    },
    async clearFaults() {
      await sbFetch('/_sandbox/faults', { method: 'DELETE' });
    },
    async reset() {
      await noUnknownParams(sbFetch, () => sbFetch('/_sandbox/reset', { method: 'POST' }));
      logs.length = 0;
    },
    async close() {
      try {
        await noUnknownParams(sbFetch);
      } finally {
        await client.close();
        await rt.close();
      }
    },
  };
}

const CUSTOMERS = '/chargebee/api/v2/customers';
const gwLines = (r: Rig) => r.logs.filter((l) => l.msg === 'gateway call').map((l) => l.gw);

/** fault → outcome → time, printed after the suite (the closing table). */
const table: Array<{ fault: string; outcome: string; ms: number }> = [];
async function timed<T>(fault: string, fn: () => Promise<T>, outcome: (v: T) => string): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  const ms = Math.round(performance.now() - t0);
  table.push({ fault, outcome: outcome(value), ms });
  return { value, ms };
}
const summary = (r: Result) => (r.isError ? `error: ${text(r).split('\n')[0]!.slice(0, 150)}` : 'success');

afterAll(() => {
  const rows = table.map((t) => `| ${t.fault} | ${t.outcome.replace(/\|/g, '\\|')} | ${(t.ms / 1000).toFixed(2)} s |`);
  process.stderr.write(['', '| fault | outcome | time |', '|---|---|---|', ...rows, ''].join('\n') + '\n');
});

describe('reads under faults (default timeout and budget)', () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig();
  });
  afterAll(async () => r?.close());
  beforeEach(async () => r.reset());

  it('429 with Retry-After: 1 (Chargebee) is waited out, then the read succeeds', async () => {
    await r.fault({ match: { method: 'GET', path: CUSTOMERS }, times: 1, fault: { status: 429, retry_after: 1 } });
    const { value: res, ms } = await timed('read: Chargebee 429, Retry-After 1', () => r.call('list_customers', { limit: 2 }), (v) => `${summary(v)} after waiting Retry-After, 2 requests`);
    expect(res.isError, text(res)).toBeFalsy();
    expect(res.structuredContent.customers).toHaveLength(2);
    expect(ms).toBeGreaterThanOrEqual(1000);
    expect(await r.requests()).toHaveLength(2);
    const lines = gwLines(r);
    expect(lines[0]).toMatchObject({ method: 'GET', route: 'GET /customers', status: 429, attempt: 1 });
    expect(lines[0].retry_in_ms).toBeGreaterThanOrEqual(1000);
    expect(lines[1]).toMatchObject({ status: 200, attempt: 2 });
  });

  it('Maton\'s own 429 (10 requests/s per account) is waited out: a burst with the client limiter off still all succeeds', async () => {
    const m = await rig({ sandbox: { rateLimit: 10 } });
    try {
      const { value: results } = await timed(
        'read: Maton 429 (sandbox at 10 rps, client limiter off), 15 parallel',
        () => Promise.all(Array.from({ length: 15 }, () => m.call('list_customers', { limit: 1 }))),
        (v) => `${v.filter((x) => !x.isError).length}/15 succeeded after Maton 429s were waited out`,
      );
      for (const res of results) expect(res.isError, text(res)).toBeFalsy();
      const limited = gwLines(m).filter((l) => l.status === 429);
      expect(limited.length).toBeGreaterThan(0);
      for (const l of limited) expect(l.retry_in_ms).toBeGreaterThanOrEqual(1000);
    } finally {
      await m.close();
    }
  });

  it('503 twice, then the read succeeds on the third attempt', async () => {
    await r.fault({ match: { method: 'GET', path: CUSTOMERS }, times: 2, fault: { status: 503 } });
    const { value: res } = await timed('read: 503 ×2', () => r.call('list_customers', { limit: 1 }), (v) => `${summary(v)} on attempt 3`);
    expect(res.isError, text(res)).toBeFalsy();
    expect(await r.requests()).toHaveLength(3);
    expect(gwLines(r).map((l) => l.status)).toEqual([503, 503, 200]);
  });

  it('a connection reset, then the read succeeds', async () => {
    await r.fault({ match: { method: 'GET', path: `${CUSTOMERS}/cust_acme_01` }, times: 1, fault: { reset: true } });
    const { value: res } = await timed('read: connection reset ×1', () => r.call('get_customer', { customer_id: 'cust_acme_01' }), (v) => `${summary(v)} on attempt 2`);
    expect(res.isError, text(res)).toBeFalsy();
    expect(res.structuredContent.customer.id).toBe('cust_acme_01');
    expect(await r.requests()).toHaveLength(2);
    expect(gwLines(r)[0]).toMatchObject({ attempt: 1, error: 'UND_ERR_SOCKET' });
    expect(gwLines(r)[0].status).toBeUndefined();
  });

  it('a persistent 502 HTML page gives a short, clear error without the HTML, after the capped attempts', async () => {
    const html = `<html><head><title>502 Bad Gateway</title></head><body>${'<p>nginx</p>'.repeat(200)}</body></html>`;
    await r.fault({ match: { method: 'GET', path: CUSTOMERS }, times: 50, fault: { status: 502, body: html } });
    const { value: res } = await timed('read: persistent 502 HTML', () => r.call('list_customers', {}), (v) => summary(v));
    expect(res.isError).toBe(true);
    const t = text(res);
    expect(t).not.toMatch(/<html|nginx|<p>/i);
    expect(t.length).toBeLessThan(400);
    expect(t).toMatch(/HTTP 502 with a non-JSON body/);
    expect(t).toMatch(/4 attempts/);
    expect(res.structuredContent.error).toMatchObject({ source: 'upstream', status: 502, attempts: 4, retryable: true });
    expect(await r.requests()).toHaveLength(4);
  });

  it('non-retryable 4xx are sent once: 404, 400, Maton 401', async () => {
    const notFound = await r.call('get_customer', { customer_id: 'nobody' });
    expect(text(notFound)).toMatch(/Chargebee 404 resource_not_found/);
    expect(await r.requests()).toHaveLength(1);
    await r.reset();
    await r.fault({ match: { method: 'GET', path: CUSTOMERS }, times: 5, fault: { status: 400 } });
    const { value: bad } = await timed('read: 400', () => r.call('list_customers', {}), (v) => `${summary(v)}; 1 request, not retried`);
    expect(bad.isError).toBe(true);
    expect(await r.requests()).toHaveLength(1);
    await r.reset();
    await r.fault({ match: { method: 'GET', path: CUSTOMERS }, times: 5, fault: { status: 401, body: '{"error":{"status":401,"message":"Invalid API key"}}' } });
    const unauth = await r.call('list_customers', {});
    expect(unauth.isError).toBe(true);
    expect(await r.requests()).toHaveLength(1);
  });

  it('a Retry-After longer than the server will wait fails at once with a clear error, instead of sleeping', async () => {
    await r.fault({ match: { method: 'GET', path: CUSTOMERS }, times: 5, fault: { status: 429, retry_after: 120 } });
    const { value: res, ms } = await timed('read: 429, Retry-After 120', () => r.call('list_customers', {}), (v) => `${summary(v)} (fails fast)`);
    expect(res.isError).toBe(true);
    expect(text(res)).toMatch(/Chargebee 429 api_request_limit_exceeded/);
    expect(text(res)).toMatch(/asked to retry after 120 s/);
    expect(ms).toBeLessThan(1000);
    expect(await r.requests()).toHaveLength(1);
  });
});

describe('per-attempt timeout (CHARGEBEE_MCP_TIMEOUT_MS=300, budget 2 s)', () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig({ env: { CHARGEBEE_MCP_TIMEOUT_MS: '300', CHARGEBEE_MCP_RETRY_BUDGET_MS: '2000' } });
  });
  afterAll(async () => r?.close());
  beforeEach(async () => r.reset());

  it('a hang past the timeout is abandoned and retried: the read succeeds', async () => {
    await r.fault({ match: { method: 'GET', path: CUSTOMERS }, times: 1, fault: { delay_ms: 1500 } });
    const { value: res, ms } = await timed('read: hang 1.5 s once (timeout 0.3 s)', () => r.call('list_customers', { limit: 1 }), (v) => `${summary(v)} on attempt 2`);
    expect(res.isError, text(res)).toBeFalsy();
    expect(ms).toBeLessThan(1200);
    expect(gwLines(r)[0]).toMatchObject({ attempt: 1, error: 'timeout' });
    expect(gwLines(r)[0].ms).toBeLessThan(600);
  });

  it('a persistent hang fails clearly within the budget', async () => {
    await r.fault({ match: { method: 'GET', path: CUSTOMERS }, times: 50, fault: { delay_ms: 5000 } });
    const { value: res, ms } = await timed('read: persistent hang (timeout 0.3 s, budget 2 s)', () => r.call('list_customers', {}), (v) => summary(v));
    expect(res.isError).toBe(true);
    expect(text(res)).toMatch(/timed out: no answer within 0\.3 s \(CHARGEBEE_MCP_TIMEOUT_MS\)/);
    expect(ms).toBeLessThan(2300);
    expect(res.structuredContent.error).toMatchObject({ source: 'network', retryable: true });
  });

  it('a confirmed write that hangs past the timeout is retried under the same key and lands once', async () => {
    const args = { first_name: 'Slow', email: 'slow@example.com' };
    const p = await r.call('create_customer', args);
    await r.fault({ match: { method: 'POST', path: CUSTOMERS }, times: 1, fault: { delay_ms: 1500 } });
    const { value: done } = await timed('write: hang 1.5 s once (timeout 0.3 s)', () => r.call('create_customer', { ...args, confirm_token: p.structuredContent.confirm_token }), (v) => `${summary(v)}, 1 customer, 1 key`);
    expect(done.isError, text(done)).toBeFalsy();
    await expectOneWrite(r, 'slow@example.com', 2);
  });
});

/** The sandbox saw `attempts` POSTs, all under one idempotency key, and holds exactly one customer with this email. */
async function expectOneWrite(r: Rig, email: string, attempts: number) {
  const posts = (await r.requests()).filter((q) => q.method === 'POST');
  expect(posts).toHaveLength(attempts);
  const keys = new Set(posts.map((q) => q.headers['chargebee-idempotency-key']));
  expect(keys.size).toBe(1);
  expect([...keys][0]).toMatch(/^cbmcp-/);
  const list = await r.call('list_customers', { email: { is: email } });
  expect(list.structuredContent.customers).toHaveLength(1);
}

describe('confirmed writes under faults: exactly once, one idempotency key', () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig();
  });
  afterAll(async () => r?.close());
  beforeEach(async () => r.reset());

  const confirmUnder = async (label: string, email: string, fault: object, times = 1) => {
    const args = { first_name: 'Faulty', email };
    const p = await r.call('create_customer', args);
    expect(p.structuredContent.status).toBe('confirmation_required');
    await r.fault({ match: { method: 'POST', path: CUSTOMERS }, times, fault });
    const { value } = await timed(label, () => r.call('create_customer', { ...args, confirm_token: p.structuredContent.confirm_token }), (v) =>
      `${summary(v)}${v.structuredContent?.idempotent_replay ? ' (replayed answer)' : ''}, 1 customer, 1 key`,
    );
    return { done: value, token: p.structuredContent.confirm_token as string, args };
  };

  it('503 twice: retried under the same key, applied once', async () => {
    const { done } = await confirmUnder('write: 503 ×2', 'w503@example.com', { status: 503 }, 2);
    expect(done.isError, text(done)).toBeFalsy();
    expect(done.structuredContent.result.customer.email).toBe('w503@example.com');
    await expectOneWrite(r, 'w503@example.com', 3);
  });

  it('response lost (drop_response): the retry under the same key gets the replayed answer, applied once', async () => {
    const { done, token, args } = await confirmUnder('write: response lost (drop_response ×1)', 'wdrop@example.com', { drop_response: true });
    expect(done.isError, text(done)).toBeFalsy();
    expect(done.structuredContent).toMatchObject({ status: 'done', idempotent_replay: true });
    expect(done.structuredContent.result.customer.email).toBe('wdrop@example.com');
    await expectOneWrite(r, 'wdrop@example.com', 2);
    // The token is now spent: using it again sends nothing.
    const again = await r.call('create_customer', { ...args, confirm_token: token });
    expect(again.structuredContent.replay).toBe(true);
    expect((await r.requests()).filter((q) => q.method === 'POST')).toHaveLength(2);
  });

  it('429 with Retry-After: waited, then applied once', async () => {
    const { done } = await confirmUnder('write: 429, Retry-After 1', 'w429@example.com', { status: 429, retry_after: 1 });
    expect(done.isError, text(done)).toBeFalsy();
    await expectOneWrite(r, 'w429@example.com', 2);
  });

  it('connection reset before handling: retried under the same key, applied once', async () => {
    const { done } = await confirmUnder('write: connection reset ×1', 'wreset@example.com', { reset: true });
    expect(done.isError, text(done)).toBeFalsy();
    await expectOneWrite(r, 'wreset@example.com', 2);
  });

  it('every response lost: a clear "may have been applied, safe to call again" error; calling again with the same token lands it once', async () => {
    const { done, token, args } = await confirmUnder('write: response lost on every attempt', 'wlost@example.com', { drop_response: true }, 50);
    expect(done.isError).toBe(true);
    expect(text(done)).toMatch(/POST \/customers failed: the connection was closed before a response arrived \(4 attempts/);
    expect(text(done)).toMatch(/same confirm_token\) is safe/);
    await r.clearFaults();
    const again = await r.call('create_customer', { ...args, confirm_token: token });
    expect(again.isError, text(again)).toBeFalsy();
    expect(again.structuredContent.idempotent_replay).toBe(true);
    await expectOneWrite(r, 'wlost@example.com', 5);
  });

  it('a cancellation whose every response is lost: the same token re-checks the target, finds it changed, and sends nothing again', async () => {
    const args = { subscription_id: 'sub_acme_13', cancel_option: 'immediately' };
    const path = '/chargebee/api/v2/subscriptions/sub_acme_13/cancel_for_items';
    const p = await r.call('cancel_subscription_for_items', args);
    await r.fault({ match: { method: 'POST', path }, times: 50, fault: { drop_response: true } });
    const lost = await r.call('cancel_subscription_for_items', { ...args, confirm_token: p.structuredContent.confirm_token });
    expect(lost.isError).toBe(true);
    await r.clearFaults();
    const sentFirst = writesOf(await r.requests()).length;
    const { value: again } = await timed('write: cancellation, every response lost, then the same token again', () => r.call('cancel_subscription_for_items', { ...args, confirm_token: p.structuredContent.confirm_token }), (v) =>
      `${v.isError ? 'refused' : 'sent'}: ${text(v).split('\n')[0]!.slice(0, 90)}`,
    );
    // The lost attempts were applied (once, under one key): the target changed, so nothing is resent.
    expect(again.isError).toBe(true);
    expect(text(again)).toMatch(/may or may not have been applied\. Nothing was sent again/);
    const posts = writesOf(await r.requests()); // the previews' estimate POSTs change nothing
    expect(posts).toHaveLength(sentFirst);
    expect(posts.every((q) => q.path === path)).toBe(true);
    expect(new Set(posts.map((q) => q.headers['chargebee-idempotency-key'])).size).toBe(1);
    const sub = await r.call('get_subscription', { subscription_id: 'sub_acme_13' });
    expect(sub.structuredContent.subscription.status).toBe('cancelled');
  });

  it('the sandbox honours idempotency keys as Chargebee does: a repeat is replayed, another payload under the key is a 422', async () => {
    const gw = r.rt.gateway;
    const base = { api: 'chargebee' as const, method: 'POST' as const, route: 'POST /customers', path: '/customers', connection: 'sandbox-acme', idempotencyKey: 'cbmcp-test-key-1' };
    const first = await gw.call({ ...base, form: 'first_name=Idem&email=idem%40example.com' });
    const repeat = await gw.call({ ...base, form: 'first_name=Idem&email=idem%40example.com' });
    expect(first.replayed).toBe(false);
    expect(repeat.replayed).toBe(true);
    expect((repeat.body as any).customer.id).toBe((first.body as any).customer.id);
    const other = await gw.call({ ...base, form: 'first_name=Other' }).catch((e: unknown) => e);
    expect(other).toMatchObject({ info: { source: 'chargebee', status: 422, api_error_code: 'unable_to_process_request' } });
    expect(String((other as Error).message)).toMatch(/Chargebee 422 unable_to_process_request/);
    const list = await r.call('list_customers', { email: { is: 'idem@example.com' } });
    expect(list.structuredContent.customers).toHaveLength(1);
  });

  it('a cancellation under drop_response: the subscription is cancelled once', async () => {
    const args = { subscription_id: 'sub_acme_02', cancel_option: 'end_of_term' };
    const p = await r.call('cancel_subscription_for_items', args);
    await r.fault({ match: { method: 'POST', path: '/chargebee/api/v2/subscriptions/sub_acme_02/cancel_for_items' }, times: 1, fault: { drop_response: true } });
    const done = await r.call('cancel_subscription_for_items', { ...args, confirm_token: p.structuredContent.confirm_token });
    expect(done.isError, text(done)).toBeFalsy();
    expect(done.structuredContent.result.subscription.status).toBe('non_renewing');
    const posts = writesOf(await r.requests());
    expect(posts).toHaveLength(2);
    expect(new Set(posts.map((q) => q.headers['chargebee-idempotency-key'])).size).toBe(1);
  });
});

describe('client-side rate limit (CHARGEBEE_MCP_RATE_LIMIT=10) against the sandbox at 10 requests/s', () => {
  it('a 40-call concurrent burst all succeeds, queued, with no 429 at the sandbox', async () => {
    const r = await rig({ env: { CHARGEBEE_MCP_RATE_LIMIT: '10' }, sandbox: { rateLimit: 10 } });
    try {
      const { value: results, ms } = await timed(
        'burst: 40 parallel reads, 10 rps client limit, sandbox limit 10 rps',
        () => Promise.all(Array.from({ length: 40 }, (_, i) => r.call('get_customer', { customer_id: `cust_acme_${String((i % 13) + 1).padStart(2, '0')}` }))),
        (v) => `${v.filter((x) => !x.isError).length}/40 succeeded, 0 × 429`,
      );
      for (const res of results) expect(res.isError, text(res)).toBeFalsy();
      expect(await r.requests()).toHaveLength(40);
      expect(gwLines(r).filter((l) => l.status === 429)).toEqual([]);
      expect(ms).toBeGreaterThanOrEqual(3000);
      expect(ms).toBeLessThan(6000);
    } finally {
      await r.close();
    }
  });

  it('when the queue is longer than the budget, the calls that cannot be served in time fail fast with a clear error', async () => {
    const r = await rig({ env: { CHARGEBEE_MCP_RATE_LIMIT: '10', CHARGEBEE_MCP_RETRY_BUDGET_MS: '1500' }, sandbox: { rateLimit: 10 } });
    try {
      const t0 = performance.now();
      const settled: Array<{ res: Result; ms: number }> = [];
      const { value: results } = await timed(
        'burst: 40 parallel reads, 10 rps, budget 1.5 s',
        () =>
          Promise.all(
            Array.from({ length: 40 }, async () => {
              const res = await r.call('list_customers', { limit: 1 });
              settled.push({ res, ms: performance.now() - t0 });
              return res;
            }),
          ),
        (v) => `${v.filter((x) => !x.isError).length} served, ${v.filter((x) => x.isError).length} refused with the budget error (none sent)`,
      );
      const ok = results.filter((x) => !x.isError);
      const refused = results.filter((x) => x.isError);
      expect(ok.length).toBeGreaterThanOrEqual(10);
      expect(refused.length).toBeGreaterThanOrEqual(10);
      for (const res of refused) {
        expect(text(res)).toMatch(/not sent — waiting for a slot under the client rate limit \(10 requests\/s.*would exceed the 1\.5 s time budget/);
        expect(res.structuredContent.error).toMatchObject({ source: 'client', retryable: true });
      }
      // Nobody waited past the budget; those certain to miss it were refused at once.
      for (const s of settled) expect(s.ms).toBeLessThan(1500 + 300);
      expect(settled.filter((s) => s.res.isError && s.ms < 200).length).toBeGreaterThan(0);
      expect(await r.requests()).toHaveLength(ok.length);
      expect(gwLines(r).filter((l) => l.status === 429)).toEqual([]);
    } finally {
      await r.close();
    }
  });
});

describe('concurrency limit', () => {
  it('at most 16 requests are in flight at once; the rest queue and all succeed', async () => {
    const r = await rig();
    try {
      await r.fault({ match: { method: 'GET', path: CUSTOMERS }, times: 40, fault: { delay_ms: 250 } });
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, r.rt.gateway.stats().inFlight)), 5);
      const { value: results, ms } = await timed(
        'concurrency: 40 parallel reads, each delayed 0.25 s, limit 16 in flight',
        () => Promise.all(Array.from({ length: 40 }, () => r.call('list_customers', { limit: 1 }))),
        (v) => `${v.filter((x) => !x.isError).length}/40 succeeded, peak in flight ${peak}`,
      );
      clearInterval(sampler);
      for (const res of results) expect(res.isError, text(res)).toBeFalsy();
      expect(peak).toBe(16);
      expect(ms).toBeGreaterThanOrEqual(3 * 250 - 50);
    } finally {
      await r.close();
    }
  });
});

describe('cancellation', () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig();
  });
  afterAll(async () => r?.close());
  beforeEach(async () => r.reset());

  it('an MCP cancel aborts the in-flight gateway request; the server keeps serving', async () => {
    await r.fault({ match: { method: 'GET', path: CUSTOMERS }, times: 1, fault: { delay_ms: 5000 } });
    const ac = new AbortController();
    const t0 = performance.now();
    const pending = r.call('list_customers', {}, ac.signal);
    await until(() => r.rt.gateway.stats().inFlight === 1);
    setTimeout(() => ac.abort(), 200);
    await expect(pending).rejects.toThrow();
    const rejectedAfter = performance.now() - t0;
    expect(rejectedAfter).toBeLessThan(1000);
    // The server saw notifications/cancelled and aborted the undici request: nothing in flight any more.
    await until(() => r.rt.gateway.stats().inFlight === 0, 1000);
    await until(() => gwLines(r).some((l) => l.cancelled), 1000);
    expect(gwLines(r).find((l) => l.cancelled).ms).toBeLessThan(1000);
    const { value: next, ms } = await timed('cancel: MCP cancel during a 5 s hang, then the next call', () => r.call('list_customers', { limit: 1 }), (v) => `call rejected after ${Math.round(rejectedAfter)} ms; next call ${summary(v)}`);
    expect(next.isError, text(next)).toBeFalsy();
    expect(ms).toBeLessThan(1000);
    expect(await r.requests()).toHaveLength(2);
  });

  it('an MCP cancel also ends the wait before a retry: no further attempt is sent', async () => {
    await r.fault({ match: { method: 'GET', path: CUSTOMERS }, times: 1, fault: { status: 429, retry_after: 1 } });
    const ac = new AbortController();
    const pending = r.call('list_customers', {}, ac.signal);
    await until(() => gwLines(r).some((l) => l.status === 429));
    ac.abort();
    await expect(pending).rejects.toThrow();
    await new Promise((res) => setTimeout(res, 1300));
    expect(await r.requests()).toHaveLength(1);
  });

  it('a confirmed write cancelled in flight can be confirmed again with the same token and lands once', async () => {
    const args = { first_name: 'Cancelled', email: 'wcancel@example.com' };
    const p = await r.call('create_customer', args);
    const token = p.structuredContent.confirm_token;
    await r.fault({ match: { method: 'POST', path: CUSTOMERS }, times: 1, fault: { delay_ms: 5000 } });
    const ac = new AbortController();
    const pending = r.call('create_customer', { ...args, confirm_token: token }, ac.signal);
    // Abort once the write itself (not the target re-check before it) has reached the gateway.
    for (const t0 = Date.now(); !(await r.requests()).some((q) => q.method === 'POST' && q.path === CUSTOMERS); ) {
      if (Date.now() - t0 > 4000) throw new Error('the write never reached the sandbox');
      await new Promise((res) => setTimeout(res, 20));
    }
    ac.abort();
    await expect(pending).rejects.toThrow();
    await until(() => r.rt.gateway.stats().inFlight === 0, 1000);
    const again = await r.call('create_customer', { ...args, confirm_token: token });
    expect(again.isError, text(again)).toBeFalsy();
    expect(again.structuredContent.result.customer.email).toBe('wcancel@example.com');
    await expectOneWrite(r, 'wcancel@example.com', 2);
  });
});

async function until(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('condition not met in time');
    await new Promise((res) => setTimeout(res, 10));
  }
}
