import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ElicitResultSchema, isJSONRPCRequest, ListToolsRequestSchema, type ElicitRequestFormParams, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/index.js';
import { registerCard } from './card/index.js';
import { showsCards } from './card/ui.js';
import type { Runtime } from './runtime.js';
import { VERSION } from './version.js';

function instructions(rt: Runtime): string {
  const lines = [
    'Chargebee billing through the Maton gateway.',
    'Reads (list_*, get_*, exports) run freely. Every write is two calls: first without confirm_token, which changes nothing and returns a preview (target, effect incl. money) and a confirm_token; show the preview to the user, and only after they agree call again with the same arguments plus confirm_token. A token confirms one write, once.',
    'Where your client can ask its user (MCP elicitation), the confirm call asks the person to approve before it writes; if they decline, the result has status "declined": do not retry unless they ask.',
    'Find ids with list_* before writing. Money is in minor units (cents); timestamps are Unix seconds.',
  ];
  if (!rt.config.readOnly && rt.config.approval !== 'token') {
    lines.splice(3, 0, 'Where your client shows the approval card (MCP Apps), the person approves or declines in the card shown with the preview; a confirm call before they decide returns status "awaiting_approval" (nothing sent): wait for them, then confirm again to get their outcome.');
  }
  if (rt.config.readOnly) lines.push('This server is read-only: write tools are not available.');
  if (rt.sandbox) {
    const pinned = rt.config.connectionId;
    const use = pinned ? `calls without connection_id use ${pinned}` : 'none is pinned: writes need connection_id';
    lines.unshift(`SANDBOX: this server talks to a built-in fake Chargebee site with made-up data; nothing real is read or billed. Connections: sandbox-acme, sandbox-globex; ${use}.`);
  }
  return lines.join('\n');
}

/**
 * The SDK's Server validates elicitation answers with a JSON Schema validator and by default
 * builds a new Ajv instance per Server, i.e. per HTTP session. The one elicitation this server
 * sends (write approval) goes out through the request's own sendRequest and its answer is checked
 * by the approver itself (only `confirm: true` approves), so no general validator is needed.
 */
const noValidator: jsonSchemaValidator = {
  getValidator() {
    throw new Error('chargebee-mcp validates its elicitation answers itself');
  },
};

/** Form-mode elicitation: declared as `elicitation: {}` (form implied) or with a `form` member. */
function canAskForm(caps: { elicitation?: { form?: object; url?: object } } | undefined): boolean {
  const e = caps?.elicitation;
  return e !== undefined && (e.form !== undefined || e.url === undefined);
}

/**
 * Questions to the person waiting on a call's own response stream, per server, by request id: when
 * that stream closes before the call is answered (a Streamable HTTP client gone without a DELETE),
 * the question is dropped at once and its confirm token released, instead of waiting for an answer
 * that can no longer arrive. Only the question is cut: a write already on its way is not aborted.
 */
const questions = new WeakMap<Server, Map<RequestId, AbortController>>();

/**
 * Streamable HTTP: the POST carrying `body` is answered on `res`; if `res` closes before it ends,
 * the client is gone for those requests (the SDK 1.x transport only drops the stream, and reports
 * the elicitation it then cancels as -32001 "Request timed out", which is not the person's answer).
 */
export function dropQuestionsWhenGone(server: Server, body: unknown, res: { on(event: 'close', l: () => void): unknown; writableFinished: boolean }): void {
  const ids = (Array.isArray(body) ? body : [body]).filter((m) => isJSONRPCRequest(m)).map((m) => (m as { id: RequestId }).id);
  if (!ids.length) return;
  res.on('close', () => {
    if (res.writableFinished) return;
    for (const id of ids) questions.get(server)?.get(id)?.abort(new Error('the client closed the connection'));
  });
}

/** One MCP server per client session (the SDK allows one transport per server); the runtime is shared. */
export function createServer(rt: Runtime, caller: string): Server {
  const server = new Server(
    { name: 'chargebee-mcp', title: 'Chargebee (via Maton)', version: VERSION },
    { capabilities: { tools: { listChanged: false }, logging: {} }, instructions: instructions(rt), jsonSchemaValidator: noValidator },
  );
  registerCard(server);
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: rt.engine.listTools({ cards: showsCards(server.getClientCapabilities()) }) }));
  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const token = req.params._meta?.progressToken;
    const progress =
      token === undefined
        ? undefined
        : (p: { progress: number; total?: number; message?: string }) =>
            extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, ...p } });
    // Sent on this request's own stream (Streamable HTTP: the POST's SSE response), waiting as long as the token lives.
    const elicit = canAskForm(server.getClientCapabilities())
      ? async (params: ElicitRequestFormParams, o: { signal: AbortSignal; timeoutMs: number }) => {
          const gone = new AbortController();
          const open = questions.get(server) ?? new Map<RequestId, AbortController>();
          questions.set(server, open.set(extra.requestId, gone));
          try {
            return await extra.sendRequest({ method: 'elicitation/create', params }, ElicitResultSchema, { signal: AbortSignal.any([o.signal, gone.signal]), timeout: o.timeoutMs });
          } finally {
            open.delete(extra.requestId);
          }
        }
      : undefined;
    // An unknown tool throws UnknownToolError, which carries its JSON-RPC code (-32602) itself.
    const cards = showsCards(server.getClientCapabilities());
    return rt.engine.call(req.params.name, req.params.arguments, { caller, signal: extra.signal, progress, elicit, cards });
  });
  return server;
}
