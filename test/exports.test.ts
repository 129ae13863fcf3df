import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import { startHarness, text, type Harness } from './helpers/harness.js';

/** Exports end to end, at the sandbox's real pace: jobs complete ~3 s after start, polled every 1 s. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { exportCompleteMs: 3000 } });
});
afterAll(async () => h?.close());
beforeEach(async () => h.reset());

const exportPolls = async (id: string) => (await h.requests()).filter((r) => r.method === 'GET' && r.path.endsWith(`/exports/${id}`)).length;

describe('exports', () => {
  it('start → wait with progress notifications → completed, with a download that works', async () => {
    const started = (await h.call('export_subscriptions', { subscription: { status: { in: ['active'] } } })).structuredContent;
    expect(started.export).toMatchObject({ status: 'in_process', operation_type: expect.any(String) });
    const [post] = (await h.requests()).filter((r) => r.method === 'POST');
    expect(decodeURIComponent(post!.body)).toBe('subscription[status][in]=["active"]');

    const progress: Progress[] = [];
    const t0 = Date.now();
    const done = await h.client.callTool({ name: 'wait_for_export', arguments: { export_id: started.export.id } }, undefined, { onprogress: (p) => progress.push(p) });
    const waited = Date.now() - t0;
    expect(done.isError).toBeFalsy();
    const exp = (done.structuredContent as any).export;
    expect(exp.status).toBe('completed');
    expect(exp.download.valid_till).toBeGreaterThan(Date.now() / 1000);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.map((p) => p.progress)).toEqual([...progress.map((p) => p.progress)].sort((a, b) => a - b));
    expect(progress[0]!.message).toMatch(/in_process/);
    expect(waited).toBeGreaterThan(1500);
    expect(waited).toBeLessThan(6000);
    process.stderr.write(`wait_for_export: ${waited} ms, ${progress.length} progress notifications, ${await exportPolls(started.export.id)} polls\n`);

    const zip = Buffer.from(await (await fetch(exp.download.download_url)).arrayBuffer());
    expect(zip.subarray(0, 4).toString('latin1')).toBe('PK\u0003\u0004');
    expect(zip.toString('latin1')).toMatch(/\.csv/);
  });

  it('a cancelled wait stops within a second, stops polling, and leaves the server healthy', async () => {
    const started = (await h.call('export_customers', {})).structuredContent;
    const ac = new AbortController();
    const t0 = Date.now();
    const waiting = h.client.callTool({ name: 'wait_for_export', arguments: { export_id: started.export.id } }, undefined, { signal: ac.signal });
    setTimeout(() => ac.abort('user cancelled'), 1200);
    await expect(waiting).rejects.toThrow();
    const returned = Date.now() - t0;
    expect(returned - 1200).toBeLessThan(1000);
    const pollsAtCancel = await exportPolls(started.export.id);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await exportPolls(started.export.id)).toBe(pollsAtCancel);
    const after = await h.call('list_customers', { limit: 1 });
    expect(after.isError).toBeFalsy();
    process.stderr.write(`cancel: call returned ${returned - 1200} ms after abort, ${pollsAtCancel} polls before\n`);
  });

  it('a failed job is reported as a clear error', async () => {
    await h.fault({ match: { method: 'POST', path: '/chargebee/api/v2/exports/invoices' }, fault: { export_fails: true } });
    const started = (await h.call('export_invoices', {})).structuredContent;
    const r = await h.call('wait_for_export', { export_id: started.export.id });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(new RegExp(`Export ${started.export.id} .*failed`));
  });

  it('max_wait_s returns the job still running, with the id to resume, not an error', async () => {
    const started = (await h.call('export_items', {})).structuredContent;
    const r = await h.call('wait_for_export', { export_id: started.export.id, max_wait_s: 1 });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent.export).toMatchObject({ id: started.export.id, status: 'in_process' });
    expect(r.structuredContent.wait).toMatchObject({ timed_out: true });
    const resumed = await h.call('wait_for_export', { export_id: started.export.id });
    expect(resumed.structuredContent.export.status).toBe('completed');
  });

  it('a sixth concurrent job is refused clearly', async () => {
    for (let i = 0; i < 5; i++) expect((await h.call('export_item_families', {})).isError).toBeFalsy();
    const t0 = Date.now();
    const sixth = await h.call('export_item_families', {});
    expect(sixth.isError).toBe(true);
    expect(text(sixth)).toMatch(/429 api_request_limit_exceeded/);
    expect(text(sixth)).toMatch(/only 5 export jobs/);
    // Refused at once: no retry can free a slot (jobs run for minutes), so the 6th went out once.
    expect((await h.requests()).filter((q) => q.method === 'POST')).toHaveLength(6);
    process.stderr.write(`6th export refused after ${Date.now() - t0} ms\n`);
  });

  it('every one of the 14 export tools starts a job the sandbox accepts', async () => {
    const report = { report_by: 'subscription', report_from_month: 1, report_from_year: 2026, report_to_month: 12, report_to_year: 2026 };
    const names = (await h.client.listTools()).tools.map((t) => t.name).filter((n) => n.startsWith('export_'));
    expect(names).toHaveLength(14);
    for (const name of names) {
      await h.reset();
      const r = await h.call(name, name.endsWith('revenue') || name.endsWith('recognition') ? report : {});
      expect(r.isError, `${name}: ${text(r)}`).toBeFalsy();
      expect(r.structuredContent.export.status, name).toBe('in_process');
      const [post] = (await h.requests()).filter((q) => q.method === 'POST');
      expect(post!.path).toBe(`/chargebee/api/v2/exports/${name.slice('export_'.length)}`);
    }
  });

  it('revenue reports send the documented report parameters and nested filters', async () => {
    const r = await h.call('export_revenue_recognition', {
      report_by: 'invoice',
      report_from_month: 6,
      report_from_year: 2026,
      report_to_month: 7,
      report_to_year: 2026,
      invoice: { status: { is_not: 'paid' }, total: { lt: 1000 } },
      customer: { email: { is: 'john@test.com' } },
    });
    expect(r.isError, text(r)).toBeFalsy();
    const [post] = (await h.requests()).filter((q) => q.method === 'POST');
    expect(decodeURIComponent(post!.body)).toBe(
      'report_by=invoice&report_from_month=6&report_from_year=2026&report_to_month=7&report_to_year=2026&invoice[status][is_not]=paid&invoice[total][lt]=1000&customer[email][is]=john@test.com',
    );
  });
});
