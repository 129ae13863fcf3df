import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describe, expect, it } from 'vitest';

/** The built package, spawned as an MCP client would spawn it. */
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MATON_') && !k.startsWith('CHARGEBEE_MCP_'))) as Record<string, string>;

/** Spawn the bin and resolve once it logged that it is ready on stdio. */
async function spawnReady(args: string[]) {
  const child = spawn(process.execPath, [cli, ...args], { env: { ...baseEnv, LOG_LEVEL: 'info' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      if (stderr.includes('ready on stdio')) resolve();
    });
    child.on('exit', () => reject(new Error(`exited early: ${stderr}`)));
  });
  return child;
}

describe('the built bin over stdio', () => {
  it('serves 36 tools and calls list_customers against --sandbox, logging only to stderr', async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [cli, '--sandbox'], env: { ...baseEnv, LOG_LEVEL: 'info' }, stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (d) => (stderr += d));
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(transport);
    expect(client.getInstructions()).toMatch(/SANDBOX/);
    const { tools } = await client.listTools();
    expect(tools).toHaveLength(36);
    const r = await client.callTool({ name: 'list_customers', arguments: { limit: 2 } });
    expect(r.isError).toBeFalsy();
    expect((r.structuredContent as any).customers).toHaveLength(2);
    await client.close();
    const lines = stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThan(2);
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
    expect(stderr).toMatch(/"msg":"tool call"/);
  });

  it('exits when stdin closes', async () => {
    const child = await spawnReady(['--sandbox']);
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const t0 = Date.now();
    child.stdin.end();
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(stdout).toBe('');
  });

  it('exits on SIGTERM', async () => {
    const child = await spawnReady(['--sandbox']);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(0);
  });

  it('without MATON_API_KEY exits 2 naming the variable, where to get a key, and --sandbox', () => {
    const r = spawnSync(process.execPath, [cli], { env: baseEnv, encoding: 'utf8', input: '' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/MATON_API_KEY/);
    expect(r.stderr).toMatch(/maton\.ai\/settings/);
    expect(r.stderr).toMatch(/--sandbox/);
  });

  it('refuses bad flags with exit 2 and prints --help and --version', () => {
    const bad = spawnSync(process.execPath, [cli, '--sandbox', '--transport', 'carrier-pigeon'], { env: baseEnv, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--transport must be stdio or http/);
    const unknown = spawnSync(process.execPath, [cli, '--sandbox', '--tools', 'nope'], { env: baseEnv, encoding: 'utf8', input: '' });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown tool or toolset nope/);
    const open = spawnSync(process.execPath, [cli, '--sandbox', '--transport', 'http', '--no-auth', '--host', '0.0.0.0'], { env: baseEnv, encoding: 'utf8' });
    expect(open.status).toBe(2);
    expect(open.stderr).toMatch(/--no-auth is only allowed on a loopback host/);
    expect(open.stderr).not.toMatch(/sandbox gateway/);
    const short = spawnSync(process.execPath, [cli, '--sandbox', '--transport', 'http'], { env: { ...baseEnv, MCP_HTTP_TOKEN: 'short' }, encoding: 'utf8' });
    expect(short.status).toBe(2);
    expect(short.stderr).toMatch(/MCP_HTTP_TOKEN must be at least 16 characters/);
    const help = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/--read-only/);
    const version = spawnSync(process.execPath, [cli, '--version'], { encoding: 'utf8' });
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('--read-only lists only the read tools', async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [cli, '--sandbox', '--read-only'], env: { ...baseEnv, LOG_LEVEL: 'warn' }, stderr: 'ignore' });
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(transport);
    const { tools } = await client.listTools();
    expect(tools.length).toBe(26);
    expect(tools.every((t) => t.annotations?.readOnlyHint === true)).toBe(true);
    await client.close();
  });
});
