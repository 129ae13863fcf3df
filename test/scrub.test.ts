/**
 * Scrubbing never changes data: configured secrets are taken out of upstream error text and log
 * lines only, as whole tokens, and a short value such as the sandbox key `sandbox` is left alone
 * (it would turn the id sandbox-acme into [redacted]-acme). Checked on the rule, on Results, and
 * through the built bin pointed at a standalone sandbox whose key is `sandbox`.
 */
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Results } from '../src/calls.js';
import { ToolError } from '../src/errors.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { scrubber } from '../src/scrub.js';

const KEY = 'sk-live-0123456789abcdef';

describe('the rule', () => {
  const scrub = scrubber(() => ['sandbox', KEY, undefined]);

  it('a configured value goes where it stands as a whole token, raw or JSON-escaped', () => {
    expect(scrub(`invalid key ${KEY}.`)).toBe('invalid key [redacted].');
    expect(scrub(`key=${KEY}&x=1`)).toBe('key=[redacted]&x=1');
    expect(scrub(JSON.stringify({ msg: `line\n${KEY}` }))).toBe('{"msg":"line\\n[redacted]"}');
    expect(scrub(`Authorization: Bearer anything`)).toBe('Authorization: Bearer [redacted]');
    expect(scrub(`{"authorization":"abc"}`)).toBe('{"authorization":"[redacted]"}');
  });

  it('never mangles ids: short values are left alone, and a value glued to id characters is another word', () => {
    expect(scrub('sandbox-acme, sandbox-globex and the sandbox')).toBe('sandbox-acme, sandbox-globex and the sandbox');
    expect(scrub(`cust_${KEY}`)).toBe(`cust_${KEY}`);
    expect(scrub(`${KEY}-2`)).toBe(`${KEY}-2`);
  });

  it('confirm tokens only in logs (a result may carry one to its caller)', () => {
    expect(scrub('cbt1.abc.def')).toBe('cbt1.abc.def');
    expect(scrubber(() => [], { logs: true })('cbt1.abc.def')).toBe('cbt1.[redacted]');
  });
});

describe('Results', () => {
  const results = new Results(false, ['sandbox', KEY]);

  it('successful data is never rewritten, whatever it holds', () => {
    const body = { connection: 'sandbox-acme', note: `echo ${KEY}` };
    const r = results.ok(body);
    expect(r.structuredContent).toEqual(body);
    expect(r.content[0]).toEqual({ type: 'text', text: JSON.stringify(body) });
  });

  it('error text from upstream loses the secret, not the ids around it', () => {
    const r = results.error(new ToolError(`Maton gateway 401: key ${KEY} is not valid for sandbox-acme`, { reason: 'upstream' }));
    const all = JSON.stringify(r);
    expect(all).not.toContain(KEY);
    expect(all).toContain('key [redacted] is not valid for sandbox-acme');
  });
});

describe('MATON_API_KEY=sandbox against the standalone sandbox (its own hint)', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ apiKey: 'sandbox', rateLimit: 0 });
  });
  afterAll(async () => sb?.close());

  it('connection ids, results and the error that names connection_id all read sandbox-acme', async () => {
    const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(MATON_|CHARGEBEE_MCP_|MCP_HTTP_|LOG_LEVEL$)/.test(k))) as Record<string, string>;
    const transport = new StdioClientTransport({ command: process.execPath, args: [cli], env: { ...env, MATON_API_KEY: 'sandbox', MATON_BASE_URL: sb.url, LOG_LEVEL: 'debug' }, stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (d) => (stderr += d));
    const client = new Client({ name: 'scrub', version: '1.0.0' });
    await client.connect(transport);
    try {
      const list = await client.callTool({ name: 'list_connections', arguments: {} });
      const unpinned = await client.callTool({ name: 'update_customer', arguments: { customer_id: 'cust_acme_01', company: 'Acme' } });
      const read = await client.callTool({ name: 'get_customer', arguments: { customer_id: 'cust_acme_01', connection_id: 'sandbox-acme' } });
      const all = JSON.stringify([list, unpinned, read]);
      expect(all).not.toContain('[redacted]');
      expect(JSON.stringify(list)).toContain('sandbox-acme');
      expect(unpinned.isError).toBe(true);
      expect(JSON.stringify(unpinned.content)).toMatch(/Several ACTIVE Chargebee connections exist: sandbox-acme.*pass connection_id/);
      expect(read.isError).toBeFalsy();
      expect(stderr).not.toContain('[redacted]-acme');
      expect(stderr).toContain('sandbox-acme');
    } finally {
      await client.close();
    }
  }, 30_000);
});
