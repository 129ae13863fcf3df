import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * What `npm pack` ships (the built dist/ of the global setup): only what runs, plus README,
 * LICENSE and mcp.json; and what a user gets from it: one package, no dependencies, whose
 * mcp.json entries start as written.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(MATON_|CHARGEBEE_MCP_|MCP_HTTP_|LOG_LEVEL$)/.test(k))) as Record<string, string>;

/** Bytes of the files under a folder (what `du --apparent-size` counts). */
function sizeOf(path: string): number {
  const st = statSync(path);
  return st.isDirectory() ? readdirSync(path).reduce((n, f) => n + sizeOf(join(path, f)), 0) : st.size;
}

describe('the npm package', () => {
  it('holds only the bundle, README, LICENSE, mcp.json and package.json: no source maps, no tsc output', () => {
    const [packed] = JSON.parse(npm(['pack', '--dry-run', '--json', '--ignore-scripts'], root)) as Array<{ files: Array<{ path: string }> }>;
    const files = packed!.files.map((f) => f.path).sort();
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'dist/cli.js', 'mcp.json', 'package.json']));
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    const others = files.filter((f) => !['LICENSE', 'README.md', 'dist/cli.js', 'mcp.json', 'package.json'].includes(f));
    expect(others.length).toBeGreaterThan(0);
    for (const f of others) expect(f).toMatch(/^dist\/chunks\/[\w-]+\.js$/);
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) 2026 chargebee-mcp contributors\n/);
    expect(pkg.license).toBe('MIT');
  });

  it('has no runtime dependencies: every library is bundled (scripts/bundle.mjs fails on any non-built-in import)', () => {
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.optionalDependencies ?? {}).toEqual({});
    expect(pkg.peerDependencies ?? {}).toEqual({});
  });

  describe('installed from the tarball', () => {
    let dir: string;
    let tgz: string;
    let staged: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'chargebee-mcp-install-'));
      // What `npm pack` does here (prepack: build, then strip the manifest; postpack: restore it), on a copy of
      // what ships: a build in this checkout would replace dist/ under the other test files' feet.
      staged = mkdtempSync(join(tmpdir(), 'chargebee-mcp-stage-'));
      for (const f of ['package.json', 'README.md', 'LICENSE', 'mcp.json', 'dist/cli.js', 'dist/chunks', 'scripts/pack-manifest.mjs']) cpSync(join(root, f), join(staged, f), { recursive: true });
      execFileSync(process.execPath, ['scripts/pack-manifest.mjs', 'strip'], { cwd: staged });
      try {
        npm(['pack', '--ignore-scripts', '--pack-destination', dir], staged);
      } finally {
        execFileSync(process.execPath, ['scripts/pack-manifest.mjs', 'restore'], { cwd: staged });
      }
      tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
      writeFileSync(join(dir, 'package.json'), '{"name":"probe","version":"1.0.0","private":true}');
      npm(['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', `./${tgz}`], dir);
    }, 60_000);
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
      rmSync(staged, { recursive: true, force: true });
    });

    it('ships a package.json without install-time scripts (no scripts at all); the checkout keeps prepare, so npm ci builds', () => {
      expect(pkg.scripts.prepack).toMatch(/^npm run build && node scripts\/pack-manifest\.mjs strip$/);
      expect(pkg.scripts.postpack).toBe('node scripts/pack-manifest.mjs restore');
      const packed = JSON.parse(execFileSync('tar', ['-xzOf', join(dir, tgz), 'package/package.json'], { encoding: 'utf8' }));
      expect(packed.name).toBe('chargebee-mcp');
      expect(packed.bin).toEqual({ 'chargebee-mcp': 'dist/cli.js' });
      for (const s of ['preinstall', 'install', 'postinstall', 'prepare', 'prepublish']) expect(packed.scripts?.[s], s).toBeUndefined();
      expect(packed.scripts).toBeUndefined();
      const installed = JSON.parse(readFileSync(join(dir, 'node_modules/chargebee-mcp/package.json'), 'utf8'));
      expect(installed.scripts).toBeUndefined();
      // After postpack the manifest is back byte for byte, and no backup is left behind.
      expect(readFileSync(join(staged, 'package.json'), 'utf8')).toBe(readFileSync(join(root, 'package.json'), 'utf8'));
      expect(readdirSync(staged)).not.toContain('.package.json.pack-backup');
      expect(pkg.scripts.prepare).toMatch(/bundle\.mjs/);
    });

    it('takes the disk space the README states', () => {
      const bytes = sizeOf(join(dir, 'node_modules/chargebee-mcp'));
      const readme = readFileSync(join(root, 'README.md'), 'utf8');
      const stated = /installing it adds one package of\s+([\d.]+) MB/.exec(readme);
      expect(stated, 'README states the installed size').toBeTruthy();
      expect(Math.abs(bytes / 1e6 - Number(stated![1])), `installed: ${(bytes / 1e6).toFixed(2)} MB`).toBeLessThan(0.3);
    });

    it('adds exactly one package', () => {
      const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
      expect(Object.keys(lock.packages).filter((k) => k.startsWith('node_modules/'))).toEqual(['node_modules/chargebee-mcp']);
    });

    // Each sandbox entry of mcp.json, run as a client runs it: npx from the install, node from this checkout.
    const mcp = JSON.parse(readFileSync(join(root, 'mcp.json'), 'utf8')) as { mcpServers: Record<string, { command: string; args: string[]; env?: Record<string, string> }> };
    const entries = Object.entries(mcp.mcpServers);

    it('mcp.json has the npx and the checkout form, each for the real gateway (with MATON_API_KEY) and the sandbox', () => {
      const forms = entries.map(([, e]) => `${e.command} ${e.args.includes('--sandbox') ? 'sandbox' : 'gateway'}`).sort();
      expect(forms).toEqual(['node gateway', 'node sandbox', 'npx gateway', 'npx sandbox']);
      // What works today (a checkout) comes first; the npx entries are named as such, for once the package is on npm.
      expect(entries.map(([name]) => name)).toEqual(['chargebee-sandbox', 'chargebee', 'chargebee-sandbox-npx', 'chargebee-npx']);
      expect(entries.slice(0, 2).map(([, e]) => e.command)).toEqual(['node', 'node']);
      for (const [, e] of entries) {
        if (e.command === 'npx') expect(e.args.slice(0, 2)).toEqual(['-y', 'chargebee-mcp']);
        if (!e.args.includes('--sandbox')) expect(Object.keys(e.env ?? {})).toContain('MATON_API_KEY');
      }
    });

    it("README's headline Claude Desktop config is mcp.json's chargebee-sandbox entry, the checkout form (tested below)", () => {
      const readme = readFileSync(join(root, 'README.md'), 'utf8');
      const section = readme.slice(readme.indexOf('## Use it from Claude Desktop'));
      const headline = JSON.parse(/```json\n([\s\S]*?)```/.exec(section)![1]!);
      expect(headline.mcpServers).toEqual({ 'chargebee-sandbox': mcp.mcpServers['chargebee-sandbox'] });
    });

    it.each(entries.filter(([, e]) => e.args.includes('--sandbox')))('mcp.json entry %s starts and serves the tools', async (_, e) => {
      const args = e.command === 'npx' ? ['--offline', ...e.args] : e.args.map((a) => a.replace(/^\/absolute\/path\/to\/chargebee-mcp\//, root));
      const transport = new StdioClientTransport({ command: e.command, args, cwd: dir, env: { ...baseEnv, ...e.env, LOG_LEVEL: 'warn' }, stderr: 'ignore' });
      const client = new Client({ name: 'package', version: '1.0.0' });
      await client.connect(transport);
      try {
        const { tools } = await client.listTools();
        expect(tools.length).toBe(36);
        expect(client.getInstructions()).toMatch(/calls without connection_id use sandbox-acme/);
      } finally {
        await client.close();
      }
    }, 30_000);
  });
});
