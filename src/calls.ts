import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Args, TargetReader, ToolDef, WriteToolDef } from './catalog.js';
import { encodeForm, encodeQuery } from './encoding.js';
import { GatewayError, ToolError } from './errors.js';
import type { Gateway, GatewayCall } from './gateway.js';
import { ID_CHARS } from './schema.js';
import { scrubber, type Scrub } from './scrub.js';

/**
 * The floor below the engine (reads) and the guard (writes): building a gateway call from a
 * catalogue entry, reading a target, shaping a result or an error. Neither side imports the other.
 */

/** A catalogue entry ready to call. */
export interface Entry {
  def: ToolDef;
  pathParams: string[];
  /** Key of the unwrapped list in results: the route's last literal segment. */
  listKey: string;
}

/** A write's entry: what the write guard takes. */
export type WriteEntry = Entry & { def: WriteToolDef };

export const isWriteEntry = <E extends Entry>(e: E): e is E & WriteEntry => e.def.kind === 'write';

/** Parameters the engine consumes itself: never sent on the wire. */
const LOCAL_PARAMS = new Set(['connection_id', 'confirm_token', 'max_wait_s']);

/** Fills {name} placeholders with percent-encoded ids; an id can never change the route. */
export function fillPath(template: string, params: Args): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params[name];
    const s = typeof v === 'string' || typeof v === 'number' ? String(v) : '';
    if (!ID_CHARS.test(s) || s === '.' || s === '..') throw new ToolError(`${name} ${JSON.stringify(v)} is not a valid id.`, { reason: 'invalid_id', param: name });
    return encodeURIComponent(s);
  });
}

/** The gateway call for an entry: path ids filled and encoded, the rest as query, form or JSON. */
export function requestFor(entry: Entry, args: Args, connection: string | null, signal: AbortSignal): GatewayCall {
  const def = entry.def;
  const params: Args = { ...def.fixed };
  for (const [k, v] of Object.entries(args)) {
    if (LOCAL_PARAMS.has(k) || entry.pathParams.includes(k) || v === undefined) continue;
    if (k === 'custom_fields') Object.assign(params, v);
    else params[k] = v;
  }
  const call: GatewayCall = {
    api: def.api ?? 'chargebee',
    method: def.method,
    route: `${def.method} ${def.path}`,
    path: fillPath(def.path, args),
    connection,
    signal,
  };
  if (def.method === 'GET') call.query = encodeQuery(params);
  else if (def.method === 'POST') {
    if (call.api === 'maton') call.json = params;
    else call.form = encodeForm(params);
  }
  return call;
}

/**
 * Read access for previews, bound to one connection and cancellation signal. Without `estimates`
 * (a re-check that only compares versions) estimate calls answer at once with nothing, so the
 * preview takes its local path and no estimate request is sent.
 */
export function targetReader(gateway: Gateway, connection: string | null, signal: AbortSignal, estimates = true): TargetReader {
  const get = async (api: 'chargebee' | 'maton', template: string, params: Args = {}, query?: Args) => {
    const res = await gateway.call({
      api,
      method: 'GET',
      route: `GET ${template}`,
      path: fillPath(template, params),
      query: query ? encodeQuery(query) : undefined,
      connection: api === 'chargebee' ? connection : undefined,
      signal,
    });
    return res.body as any;
  };
  const estimate = async (template: string, params: Args, body: Args) => {
    if (!estimates) return undefined;
    const res = await gateway.call({
      api: 'chargebee',
      method: 'POST',
      route: `POST ${template}`,
      path: fillPath(template, params),
      form: encodeForm(body),
      connection,
      signal,
    });
    return res.body as any;
  };
  return {
    connection,
    estimate,
    get: (template, params, query) => get('chargebee', template, params, query),
    maton: (template, params, query) => get('maton', template, params, query),
  };
}

/**
 * Shapes results and errors the same way for reads and writes; the sandbox is marked on each.
 * Upstream error text is untrusted: a gateway that echoes our Authorization header (or the key
 * anywhere) never gets it into an error. Successful data is never rewritten (src/scrub.ts).
 */
export class Results {
  private readonly scrub: Scrub;

  constructor(
    private readonly sandbox: boolean,
    secrets: Array<string | undefined> = [],
  ) {
    this.scrub = scrubber(() => secrets);
  }

  ok(body: Record<string, unknown>): CallToolResult {
    const structured = this.sandbox ? { sandbox: true, ...body } : body;
    return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured };
  }

  /** A result whose text is written for a person (previews, declines), with the same structured content. */
  prose(text: string, body: Record<string, unknown>): CallToolResult {
    const structured = this.sandbox ? { ...body, sandbox: true } : body;
    return { content: [{ type: 'text', text: `${this.sandbox ? 'SANDBOX — ' : ''}${text}` }], structuredContent: structured };
  }

  error(e: ToolError): CallToolResult {
    const hint = e instanceof GatewayError ? e.info.hint : undefined;
    const text = `${this.sandbox ? 'SANDBOX — ' : ''}${e.message}${hint ? `\nNext: ${hint}` : ''}`;
    return {
      isError: true,
      content: [{ type: 'text', text: this.scrub(text) }],
      structuredContent: this.clean({ error: { message: e.message, ...e.details }, ...(this.sandbox ? { sandbox: true } : {}) }),
    };
  }

  private clean<T extends Record<string, unknown>>(body: T): T {
    const text = JSON.stringify(body);
    const scrubbed = this.scrub(text);
    return scrubbed === text ? body : (JSON.parse(scrubbed) as T);
  }
}

/**
 * A preview or re-check that met an answer of the wrong shape (e.g. `200 {}` where a customer was
 * expected) is the upstream's fault, not a bug to surface as a JSON-RPC internal error.
 */
export function asShapeError(e: unknown, what: string): unknown {
  if (e instanceof ToolError || !(e instanceof TypeError || e instanceof RangeError)) return e;
  return new ToolError(`${what}: the gateway's answer did not have the shape of a Chargebee/Maton response (${e.message}). Nothing was sent.`, {
    reason: 'unexpected_response',
  });
}
