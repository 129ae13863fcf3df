import * as z from 'zod';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Args, ToolDef, ToolIndexEntry, Toolset, TargetReader } from './catalog.js';
import { canonical, type ConfirmTokens } from './confirm.js';
import type { ConnectionResolver } from './connections.js';
import { encodeForm, encodeQuery } from './encoding.js';
import { GatewayError, ToolError } from './errors.js';
import { newIdempotencyKey, type Gateway, type GatewayCall } from './gateway.js';
import { advertise } from './jsonschema.js';
import type { Logger } from './log.js';
import { sleep } from './ratelimit.js';
import { shapeResult } from './result.js';
import { ID_CHARS, filterRegistry, id } from './schema.js';

export interface EngineOptions {
  gateway: Gateway;
  tokens: ConfirmTokens;
  connections: ConnectionResolver;
  logger: Logger;
  sandbox: boolean;
  readOnly: boolean;
  /** Tool or toolset names to expose; undefined = all. */
  tools?: string[];
  /** wait_for_export poll interval. */
  pollMs: number;
}

export interface CallContext {
  /** Who is calling: tokens are bound to it. */
  caller: string;
  signal: AbortSignal;
  /** Sends notifications/progress when the client asked for them. */
  progress?: (p: { progress: number; total?: number; message?: string }) => Promise<void>;
}

const connectionParam = id('Maton connection id (default: the pinned/only one)').optional();
const confirmParam = z.string().min(10).max(2000).optional().describe("Omit to preview; pass the preview's token to write");

/**
 * The catalogue as the engine takes it: an index and the tools/list listings up front,
 * the entries themselves (zod schemas, previews) loaded on the first call. The bundled
 * bin carries index and listings precomputed, so a cold start never builds a schema.
 */
export interface Catalogue {
  index: readonly ToolIndexEntry[];
  listings: Readonly<Record<string, Tool>>;
  load(): Promise<readonly Toolset[]>;
}

/** The catalogue of loaded toolsets: index and listings computed from the entries. */
export function catalogueOf(toolsets: readonly Toolset[]): Catalogue {
  const defs = toolsets.flatMap((ts) => ts.tools.map((def) => ({ def, toolset: ts.name })));
  return {
    index: defs.map(({ def, toolset }) => ({ name: def.name, toolset, kind: def.kind })),
    listings: Object.fromEntries(defs.map(({ def }) => [def.name, listingOf(def)])),
    load: async () => toolsets,
  };
}

/** The schema a call is validated against: the entry's own plus connection_id and confirm_token. */
function callSchema(def: ToolDef): z.ZodObject {
  const extra: Record<string, z.ZodType> = {};
  if ((def.api ?? 'chargebee') === 'chargebee') extra.connection_id = connectionParam;
  if (def.kind === 'write') extra.confirm_token = confirmParam;
  return def.input.safeExtend(extra);
}

/** What tools/list says of an entry: derived from it, annotations included. */
function listingOf(def: ToolDef): Tool {
  return {
    name: def.name,
    title: def.title,
    ...(advertise(callSchema(def), def.description) as { inputSchema: Tool['inputSchema']; description: string }),
    annotations: {
      readOnlyHint: def.kind === 'read',
      destructiveHint: def.destructive ?? false,
      idempotentHint: def.idempotent ?? def.method === 'GET',
      openWorldHint: true,
    },
  };
}

interface Entry {
  def: ToolDef;
  schema: z.ZodObject;
  pathParams: string[];
  /** Key of the unwrapped list in results: the route's last literal segment. */
  listKey: string;
}

/** Parameters the engine consumes itself: never sent on the wire. */
const LOCAL_PARAMS = new Set(['connection_id', 'confirm_token', 'max_wait_s']);
const DEFAULT_MAX_WAIT_S = 50;


export class UnknownToolError extends Error {}

/** --tools names only tools and toolsets of the catalogue (checked at start-up, before anything starts). */
export function checkToolSelection(index: readonly ToolIndexEntry[], tools: readonly string[] | undefined): void {
  if (!tools) return;
  const known = new Set(index.flatMap((t) => [t.toolset, t.name]));
  const unknown = tools.filter((n) => !known.has(n));
  const toolsets = [...new Set(index.map((t) => t.toolset))];
  if (unknown.length) throw new UnknownToolError(`--tools: unknown tool or toolset ${unknown.join(', ')}. Toolsets: ${toolsets.join(', ')}.`);
}

interface UsedToken {
  expires: number;
  /** The write request went out. */
  sent: boolean;
  /** Sent with no answer: the same token may send it again under the same idempotency key. */
  resend?: boolean;
  outcome: Promise<CallToolResult>;
}

/**
 * Turns catalogue entries into MCP tools: one generic path for reads, one
 * guard (preview → signed token → confirmed write) for every write.
 */
export class Engine {
  /** Listed and callable tools, by name. */
  private readonly shown = new Set<string>();
  private readonly hidden = new Map<string, string>();
  private entries?: Promise<Map<string, Entry>>;
  /** Confirm tokens that have been used, by nonce: a token yields one write. */
  private readonly used = new Map<string, UsedToken>();

  constructor(private readonly catalogue: Catalogue, private readonly o: EngineOptions) {
    checkToolSelection(catalogue.index, o.tools);
    const wanted = o.tools ? new Set(o.tools) : undefined;
    for (const t of catalogue.index) {
      if (wanted && !wanted.has(t.name) && !wanted.has(t.toolset)) this.hidden.set(t.name, 'it is not in --tools');
      else if (o.readOnly && t.kind === 'write') this.hidden.set(t.name, 'it writes and the server runs with --read-only');
      else this.shown.add(t.name);
    }
  }

  listTools(): Tool[] {
    return [...this.shown].map((name) => this.catalogue.listings[name]!);
  }

  async call(name: string, rawArgs: unknown, ctx: CallContext): Promise<CallToolResult> {
    if (!this.shown.has(name)) {
      const why = this.hidden.get(name);
      throw new UnknownToolError(why ? `Tool ${name} is not available: ${why}.` : `Unknown tool: ${name}.`);
    }
    const entry = (await this.loadEntries()).get(name)!;
    const started = Date.now();
    const parsed = entry.schema.safeParse(rawArgs ?? {});
    if (!parsed.success) {
      return this.error(new ToolError(`Invalid arguments for ${name}; nothing was sent.\n${formatIssues(entry.schema, parsed.error.issues)}`, { reason: 'invalid_arguments' }));
    }
    const args = parsed.data as Args;
    try {
      const def = entry.def;
      const result = def.kind === 'write' ? await this.write(entry, args, ctx) : def.poll ? await this.poll(entry, args, ctx) : await this.read(entry, args, ctx);
      this.o.logger.info({ tool: { name, ms: Date.now() - started, error: result.isError === true, preview: def.kind === 'write' && !args.confirm_token } }, 'tool call');
      return result;
    } catch (e) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (e instanceof ToolError) {
        this.o.logger.info({ tool: { name, ms: Date.now() - started, error: true } }, 'tool call');
        return this.error(e);
      }
      throw e;
    }
  }

  // ---- reads ---------------------------------------------------------------

  private async read(entry: Entry, args: Args, ctx: CallContext): Promise<CallToolResult> {
    const connection = await this.connectionFor(entry, args, false, ctx);
    const call = this.request(entry, args, connection, ctx.signal);
    // A POST that changes no billing (PDF link, export job) is still a POST: retry it only under one key.
    if (call.method === 'POST') call.idempotencyKey = newIdempotencyKey();
    const res = await this.o.gateway.call(call);
    return this.ok(shapeResult(res.body, entry.listKey));
  }

  private async poll(entry: Entry, args: Args, ctx: CallContext): Promise<CallToolResult> {
    const poll = entry.def.poll!;
    const connection = await this.connectionFor(entry, args, false, ctx);
    const maxMs = (args.max_wait_s ?? DEFAULT_MAX_WAIT_S) * 1000;
    const started = Date.now();
    for (let n = 1; ; n++) {
      const res = await this.o.gateway.call(this.request(entry, args, connection, ctx.signal));
      if (poll.done(res.body)) {
        const failure = poll.failed?.(res.body);
        if (failure) throw new ToolError(failure, { result: shapeResult(res.body, entry.listKey) });
        return this.ok(shapeResult(res.body, entry.listKey));
      }
      const waited = Date.now() - started;
      if (waited + this.o.pollMs > maxMs) {
        return this.ok({
          ...shapeResult(res.body, entry.listKey),
          wait: { timed_out: true, waited_s: Math.round(waited / 1000), next: `Still running: call ${entry.def.name} again with the same arguments to keep waiting.` },
        });
      }
      await ctx.progress?.({ progress: n, message: `${poll.progress(res.body)} after ${Math.round(waited / 1000)} s` });
      await sleep(this.o.pollMs, ctx.signal);
    }
  }

  // ---- writes --------------------------------------------------------------

  private async write(entry: Entry, args: Args, ctx: CallContext): Promise<CallToolResult> {
    const def = entry.def;
    const connection = await this.connectionFor(entry, args, true, ctx);
    const { confirm_token: token, ...bound } = args;
    const binding = { tool: def.name, args: canonical(bound), connection, caller: ctx.caller };
    const reader = this.reader(connection, ctx.signal);

    if (!token) {
      const p = await def.preview!(args, reader);
      const { token: issued, expiresAt } = this.o.tokens.issue({ ...binding, version: p.version });
      const structured = {
        status: 'confirmation_required',
        confirm_token: issued,
        expires_at: expiresAt,
        action: def.name,
        target: p.target,
        effect: p.effect,
        connection_id: connection,
        ...(this.o.sandbox ? { sandbox: true } : {}),
      };
      const text = [
        `${this.o.sandbox ? 'SANDBOX — ' : ''}CONFIRMATION REQUIRED: nothing has been written yet.`,
        `Action: ${def.name}${connection ? ` on connection ${connection}` : ''}`,
        `Target: ${JSON.stringify(p.target)}`,
        `Effect: ${p.effect}`,
        `To go ahead, call ${def.name} again with the same arguments plus "confirm_token": "${issued}" (valid until ${expiresAt}). To stop, do nothing.`,
      ].join('\n');
      return { content: [{ type: 'text', text }], structuredContent: structured };
    }

    const { nonce, version } = this.o.tokens.verify(token, binding);
    this.purgeUsed();
    const prior = this.used.get(nonce);
    if (prior && !prior.resend) {
      const first = await prior.outcome.catch((e: unknown) => {
        if (e instanceof ToolError) throw e;
        throw new ToolError(`This confirm token was already used, and that call was cancelled after the request was sent: it may or may not have been applied. Check the target, then preview again if needed.`, { reason: 'outcome_unknown' });
      });
      return prior.sent ? asReplay(first) : first;
    }
    // A resend goes out under the same idempotency key: Chargebee applies it at most once. The
    // target check is skipped, since the first attempt may itself have changed the target.
    const resend = prior?.resend === true;
    const record: UsedToken = { expires: Date.now() + 24 * 3600_000, sent: false, outcome: Promise.resolve({ content: [] }) };
    record.outcome = this.confirmed(entry, args, connection, reader, resend ? undefined : version, nonce, record, ctx);
    this.used.set(nonce, record);
    try {
      const result = await record.outcome;
      return result;
    } catch (e) {
      // Not sent, or refused in a way worth retrying (429, 5xx): the token is still unused and its next
      // use checks the target again. Sent with no answer (lost response, timeout, cancelled): the outcome
      // is unknown, so the same token resends under the same idempotency key (applied at most once).
      const retryable = def.api !== 'maton' && e instanceof GatewayError && e.info.retryable === true;
      const unknown = def.api !== 'maton' && record.sent && (ctx.signal.aborted || (e instanceof GatewayError && e.info.source === 'network'));
      if (resend) record.resend = !record.sent || retryable || unknown;
      else if (unknown) record.resend = true;
      else if (!record.sent || retryable) this.used.delete(nonce);
      throw e;
    }
  }

  private async confirmed(
    entry: Entry,
    args: Args,
    connection: string | null,
    reader: TargetReader,
    /** undefined: a resend, the target check is skipped. */
    version: string | null | undefined,
    nonce: string,
    record: { sent: boolean },
    ctx: CallContext,
  ): Promise<CallToolResult> {
    const def = entry.def;
    // The target must still be there and unchanged since the preview.
    if (version !== undefined) {
      const now = await def.preview!(args, reader);
      this.o.tokens.checkVersion(version, now.version, `The target of ${def.name}`);
    }
    const call = this.request(entry, args, connection, ctx.signal);
    if (def.api !== 'maton') call.idempotencyKey = this.o.tokens.idempotencyKey(nonce);
    record.sent = true;
    const res = await this.o.gateway.call(call);
    if (def.api === 'maton') this.o.connections.invalidate();
    return this.ok({ status: 'done', action: def.name, ...(connection ? { connection_id: connection } : {}), ...(res.replayed ? { idempotent_replay: true } : {}), result: shapeResult(res.body, entry.listKey) });
  }

  private purgeUsed(): void {
    const now = Date.now();
    for (const [k, v] of this.used) if (v.expires < now) this.used.delete(k);
  }

  // ---- plumbing ------------------------------------------------------------

  private loadEntries(): Promise<Map<string, Entry>> {
    this.entries ??= this.catalogue.load().then((toolsets) => {
      const map = new Map<string, Entry>();
      for (const def of toolsets.flatMap((ts) => ts.tools)) {
        if (!this.shown.has(def.name)) continue;
        const pathParams = [...def.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
        const literal = def.path.split('/').filter((s) => s && !s.startsWith('{'));
        map.set(def.name, { def, schema: callSchema(def), pathParams, listKey: literal[literal.length - 1] ?? 'list' });
      }
      return map;
    });
    return this.entries;
  }

  private async connectionFor(entry: Entry, args: Args, forWrite: boolean, ctx: CallContext): Promise<string | null> {
    if (entry.def.api === 'maton') return null;
    return this.o.connections.resolve(args.connection_id, forWrite, ctx.signal);
  }

  /** The gateway call for an entry: path ids filled and encoded, the rest as query, form or JSON. */
  private request(entry: Entry, args: Args, connection: string | null, signal: AbortSignal): GatewayCall {
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

  private reader(connection: string | null, signal: AbortSignal): TargetReader {
    const get = async (api: 'chargebee' | 'maton', template: string, params: Args = {}, query?: Args) => {
      const res = await this.o.gateway.call({
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
    return {
      connection,
      get: (template, params, query) => get('chargebee', template, params, query),
      maton: (template, params, query) => get('maton', template, params, query),
    };
  }

  private ok(body: Record<string, unknown>): CallToolResult {
    const structured = this.o.sandbox ? { sandbox: true, ...body } : body;
    return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured };
  }

  private error(e: ToolError): CallToolResult {
    const hint = e instanceof GatewayError ? e.info.hint : undefined;
    const text = `${this.o.sandbox ? 'SANDBOX — ' : ''}${e.message}${hint ? `\nNext: ${hint}` : ''}`;
    return {
      isError: true,
      content: [{ type: 'text', text }],
      structuredContent: { error: { message: e.message, ...e.details }, ...(this.o.sandbox ? { sandbox: true } : {}) },
    };
  }
}

/** Fills {name} placeholders with percent-encoded ids; an id can never change the route. */
export function fillPath(template: string, params: Args): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params[name];
    const s = typeof v === 'string' || typeof v === 'number' ? String(v) : '';
    if (!ID_CHARS.test(s) || s === '.' || s === '..') throw new ToolError(`${name} ${JSON.stringify(v)} is not a valid id.`, { reason: 'invalid_id', param: name });
    return encodeURIComponent(s);
  });
}

function asReplay(first: CallToolResult): CallToolResult {
  const structured = { replay: true, note: 'This confirm token was already used: nothing was sent again. This is the outcome of the first use.', ...(first.structuredContent ?? {}) };
  return { ...first, content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured };
}

/** What the schema allows at a path: a filter's operators, or an object's parameter names. */
function allowedAt(schema: z.ZodType, path: PropertyKey[]): { what: 'operator' | 'parameter'; keys: string[] } | undefined {
  const unwrap = (x: any) => {
    while (x?.unwrap && !x.shape) x = x.unwrap();
    return x;
  };
  let s: any = schema;
  for (const key of path) {
    s = unwrap(s);
    s = typeof key === 'number' ? s?.element : s?.shape?.[key as string];
  }
  const meta = filterRegistry.get(s);
  if (meta) return { what: 'operator', keys: [...meta.ops] };
  s = unwrap(s);
  return s?.shape ? { what: 'parameter', keys: Object.keys(s.shape) } : undefined;
}

export function formatIssues(schema: z.ZodType, issues: z.core.$ZodIssue[]): string {
  return issues
    .map((i) => {
      const where = i.path.length ? i.path.map(String).join('.') : '(arguments)';
      if (i.code !== 'unrecognized_keys') {
        const nested = 'issues' in i && Array.isArray(i.issues) ? (i.issues as Array<{ message: string } | Array<{ message: string }>>).flat().map((n) => n.message) : [];
        return `- ${where}: ${[i.message, ...nested].join(': ')}`;
      }
      const allowed = allowedAt(schema, i.path);
      const names = i.keys.map((k) => `"${k}"`).join(', ');
      return `- ${where}: unknown ${allowed?.what ?? 'parameter'}${i.keys.length > 1 ? 's' : ''} ${names}${allowed ? `; allowed: ${allowed.keys.join(', ')}` : ''}`;
    })
    .join('\n');
}
