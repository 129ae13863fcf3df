import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { EXTENSION_ID, RESOURCE_MIME_TYPE, RESOURCE_URI_META_KEY } from '@modelcontextprotocol/ext-apps/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARD_MIME, CARD_URI, UI_EXTENSION } from '../src/card/ui.js';
import { startHarness, type Harness } from './helpers/harness.js';
import { createServer } from '../src/server.js';

/** The approval card, server side: the extension, the one ui:// resource, `_meta` on every write tool. */
describe('approval card (MCP Apps): resource and listing', () => {
  let h: Harness;
  let cardClient: Client;
  beforeAll(async () => {
    h = await startHarness();
    const [ct, st] = InMemoryTransport.createLinkedPair();
    await createServer(h.rt, 'card-caller').connect(st);
    cardClient = new Client({ name: 'card-host', version: '1.0.0' }, { capabilities: { extensions: { [UI_EXTENSION]: { mimeTypes: [CARD_MIME] } } } });
    await cardClient.connect(ct);
  });
  afterAll(async () => {
    await cardClient?.close();
    await h?.close();
  });

  it('uses the names ext-apps defines', () => {
    expect(UI_EXTENSION).toBe(EXTENSION_ID);
    expect(CARD_MIME).toBe(RESOURCE_MIME_TYPE);
  });

  it('declares the extension and resources', () => {
    const caps = h.client.getServerCapabilities() as Record<string, any>;
    expect(caps.extensions).toEqual({ [UI_EXTENSION]: {} });
    expect(caps.resources).toBeDefined();
  });

  it('lists the card to a client that renders apps, and to no other', async () => {
    expect((await cardClient.listResources()).resources).toEqual([expect.objectContaining({ uri: CARD_URI, mimeType: CARD_MIME })]);
    expect((await h.client.listResources()).resources).toEqual([]);
  });

  it('every write tool points at the card; no read tool does', async () => {
    const { tools } = await h.client.listTools();
    // A write tool is one that takes a confirm token.
    const writes = tools.filter((t) => 'confirm_token' in (t.inputSchema.properties ?? {})).map((t) => t.name);
    expect(writes.length).toBeGreaterThan(5);
    for (const t of tools) {
      if (writes.includes(t.name)) expect(t._meta, t.name).toEqual({ ui: { resourceUri: CARD_URI }, [RESOURCE_URI_META_KEY]: CARD_URI });
      else expect(t._meta, t.name).toBeUndefined();
    }
  });

  it('serves a small self-contained page: inline script and style, its own CSP forbids every origin', async () => {
    const { contents } = await cardClient.readResource({ uri: CARD_URI });
    expect(contents).toHaveLength(1);
    const c = contents[0] as { uri: string; mimeType: string; text: string; _meta?: any };
    expect(c).toMatchObject({ uri: CARD_URI, mimeType: CARD_MIME });
    expect(c._meta?.ui?.csp).toEqual({ connectDomains: [], resourceDomains: [] });
    const html = c.text;
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">`);
    // Nothing loaded from anywhere: no src/href attributes, no <link>, no @import, one inline module script.
    expect(html).not.toMatch(/\s(src|href)\s*=|<link\b|@import/i);
    expect(html.match(/<script\b[^>]*>/g)).toEqual(['<script type="module">']);
    expect(html).toContain('approve_billing_change');
    expect(Buffer.byteLength(html)).toBeLessThan(300 * 1024);
  });

  it('answers an unknown resource with "resource not found"', async () => {
    await expect(cardClient.readResource({ uri: 'ui://chargebee-mcp/other.html' })).rejects.toMatchObject({ code: -32002 });
  });
});
