/**
 * The test host's page script (runs in the browser; test/helpers/card-host/index.mjs bundles it):
 * what a chat client that renders MCP Apps does with a write tool's result. It puts the card's
 * HTML in a sandboxed iframe (scripts only, an opaque origin), speaks to it through ext-apps'
 * AppBridge, sends it the tool's input and result, and relays the card's tool calls to the real
 * MCP client (window.hostCallTool, exposed by Playwright from the Node side).
 */
import { AppBridge, PostMessageTransport } from '@modelcontextprotocol/ext-apps/app-bridge';
import type { CallToolRequest, CallToolResult } from '@modelcontextprotocol/sdk/types.js';

declare global {
  interface Window {
    hostCallTool(params: CallToolRequest['params']): Promise<CallToolResult>;
    showCard(html: string, input: Record<string, unknown>, result: CallToolResult): Promise<void>;
    /** What the card told the model (ui/update-model-context), for the test to read. */
    modelContext: unknown[];
  }
}

window.modelContext = [];
let current: AppBridge | undefined;

window.showCard = async (html, input, result) => {
  await current?.teardownResource({}).catch(() => {});
  await current?.close().catch(() => {});
  const slot = document.getElementById('slot')!;
  const iframe = document.createElement('iframe');
  iframe.title = 'Approve a billing change';
  iframe.setAttribute('sandbox', 'allow-scripts');
  iframe.style.cssText = 'display:block;border:0;width:100%;height:120px;color-scheme:normal';
  slot.replaceChildren(iframe);
  const bridge = new AppBridge(
    null,
    { name: 'chargebee-mcp card test host', version: '1.0.0' },
    { serverTools: {}, updateModelContext: { text: {} } },
    { hostContext: { theme: 'light', displayMode: 'inline', platform: 'web', locale: 'en-GB', timeZone: 'UTC', containerDimensions: { maxWidth: 680 } } },
  );
  current = bridge;
  bridge.oncalltool = (params) => window.hostCallTool(params);
  bridge.onupdatemodelcontext = async (params) => {
    window.modelContext.push(params);
    return {};
  };
  bridge.onsizechange = ({ height }) => {
    if (height !== undefined) iframe.style.height = `${Math.ceil(height)}px`;
  };
  const initialized = new Promise<void>((resolve) => {
    bridge.oninitialized = () => resolve();
  });
  // The bridge listens before the page loads, so the card's first message (ui/initialize) is not missed.
  await bridge.connect(new PostMessageTransport(iframe.contentWindow!, iframe.contentWindow!));
  iframe.srcdoc = html;
  await initialized;
  await bridge.sendToolInput({ arguments: input });
  await bridge.sendToolResult(result);
};
