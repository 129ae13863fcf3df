/**
 * MCP Apps (the `io.modelcontextprotocol/ui` extension, stable spec 2026-01-26): the names the
 * approval card is served under, and whether a client renders it. Shared by the guard (which
 * channels a session offers the person) and the card's resource registration.
 */
export const UI_EXTENSION = 'io.modelcontextprotocol/ui';
/** The one app resource: the approval card every write tool points at. */
export const CARD_URI = 'ui://chargebee-mcp/approval.html';
export const CARD_MIME = 'text/html;profile=mcp-app';
/** The app-only tool the card's buttons call (never shown to the model). */
export const APPROVE_TOOL = 'approve_billing_change';

/**
 * A client renders the card when it declared the extension in `capabilities.extensions`, with no
 * mime type list or one that names ours.
 */
export function showsCards(caps: { extensions?: Record<string, unknown> } | undefined): boolean {
  const ext = caps?.extensions?.[UI_EXTENSION];
  if (ext === undefined || ext === null || typeof ext !== 'object') return false;
  const mimeTypes = (ext as { mimeTypes?: unknown }).mimeTypes;
  return !Array.isArray(mimeTypes) || mimeTypes.includes(CARD_MIME);
}
