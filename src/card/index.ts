/**
 * The approval card on the server side (MCP Apps): the extension declared, the one ui:// resource
 * listed and served, and the `_meta` every write tool's listing carries so that hosts that render
 * apps show the card with the tool's result. The ext-apps server helpers (registerAppResource,
 * registerAppTool) take an McpServer; this server is the SDK's low-level Server, so the few lines
 * they would run are here, with ext-apps' types.
 */
import type { McpUiAppResourceConfig, McpUiReadResourceResult } from '@modelcontextprotocol/ext-apps/server';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ListResourcesRequestSchema, McpError, ReadResourceRequestSchema, type Resource } from '@modelcontextprotocol/sdk/types.js';
import { CARD_MIME, CARD_URI, UI_EXTENSION, showsCards } from './ui.js';

/** `_meta` of a write tool's listing: the card renders its results (the legacy flat key too, for hosts from before the stable spec). */
export function cardMeta(): Record<string, unknown> {
  return { ui: { resourceUri: CARD_URI }, 'ui/resourceUri': CARD_URI };
}

/** `_meta.ui` of an app resource (ext-apps' McpUiResourceMeta; its package root does not resolve that name under NodeNext). */
type McpUiResourceMeta = NonNullable<NonNullable<McpUiAppResourceConfig['_meta']>['ui']>;

/** The card draws its own frame, and reaches no origin at all (its own CSP says so too). */
const resourceMeta: McpUiResourceMeta = { prefersBorder: false, csp: { connectDomains: [], resourceDomains: [] } };

const card: Resource = {
  uri: CARD_URI,
  name: 'approval-card',
  title: 'Approve a billing change',
  description: 'The card in which the person approves or declines a billing change an agent previewed (MCP Apps).',
  mimeType: CARD_MIME,
  _meta: { ui: resourceMeta },
};

/** MCP's "resource not found" (the spec's code; the SDK 1.x has no name for it). */
const RESOURCE_NOT_FOUND = -32002;

/** Declares the extension and serves the card; call before the server connects. */
export function registerCard(server: Server): void {
  server.registerCapabilities({ resources: { listChanged: false }, extensions: { [UI_EXTENSION]: {} } });
  // Listed only for clients that render it: others (Claude Code, Cursor…) would offer it as a file to attach.
  server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: showsCards(server.getClientCapabilities()) ? [card] : [] }));
  server.setRequestHandler(ReadResourceRequestSchema, async (req): Promise<McpUiReadResourceResult> => {
    if (req.params.uri !== CARD_URI) throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${req.params.uri}. This server has one resource, ${CARD_URI}.`, { uri: req.params.uri });
    const { cardHtml } = await import('./html.js');
    return { contents: [{ uri: CARD_URI, mimeType: CARD_MIME, text: await cardHtml(), _meta: { ui: resourceMeta } }] };
  });
}
