import * as z from 'zod';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Args, ToolDef, ToolIndexEntry, Toolset } from './catalog.js';
import { isWriteEntry, requestFor, Results, type Entry as CallEntry, type WriteEntry } from './calls.js';
import { cardMeta } from './card/index.js';
import { APPROVE_TOOL, CARD_URI } from './card/ui.js';
import type { Approval } from './config.js';
import type { ConfirmTokens } from './confirm.js';
import type { ConnectionResolver } from './connections.js';
import { ToolError } from './errors.js';
import { newIdempotencyKey, type Gateway } from './gateway.js';
import type { AskChannel } from './guard/approval.js';
import { noAudit, type AuditLog } from './guard/audit.js';
import { WriteGuard } from './guard/index.js';
import { MemoryLedger, type Ledger } from './guard/ledger.js';
import { advertise } from './jsonschema.js';
import type { Logger } from './log.js';
import { sleep } from './ratelimit.js';
import { shapeResult } from './result.js';
import { filterRegistry, id, omitNulls } from './schema.js';
import { didYouMean } from './suggest.js';

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
  /** How writes are approved (default auto). */
  approval?: Approval;
  /** Single use of confirm tokens, target locks (default: in process). */
  ledger?: Ledger;
  audit?: AuditLog;
  /** Values that must never appear in a result (the Maton key, the HTTP token, the confirm secret). */
  secrets?: Array<string | undefined>;
  /** Lease of token claims and target locks (default 15 s; see guard/lease.ts). */
  leaseMs?: number;
}

export interface CallContext extends AskChannel {
  /** Who is calling: tokens are bound to it. */
  caller: string;
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
    ...(def.kind === 'write' ? { _meta: cardMeta() } : {}),
  };
}

/** The approval card's buttons: app-only (the host never shows it to the model), and only for clients that render the card. */
const approveInput = z.strictObject({
  confirm_token: z.string().min(10).max(4000).describe('The confirm_token of the preview the card shows'),
  decision: z.enum(['approve', 'decline']).describe('approve: make the change now; decline: stop it (nothing is sent)'),
});
const APPROVE_LISTING: Tool = {
  name: APPROVE_TOOL,
  title: 'Approve or decline a billing change',
  ...(advertise(approveInput, "The approval card calls this when the person presses Approve or Decline on a previewed billing change. Only the card calls it (the host never shows it to the model): approve writes exactly what was previewed, once; decline sends nothing and spends the preview's confirm token.") as {
    inputSchema: Tool['inputSchema'];
    description: string;
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  _meta: { ui: { resourceUri: CARD_URI, visibility: ['app'] } },
};

interface Entry extends CallEntry {
  schema: z.ZodObject;
}

const DEFAULT_MAX_WAIT_S = 50;

/**
 * A name that is not a tool of this server. Thrown out of a tools/call handler it becomes the
 * JSON-RPC error -32602 with this message as it is: the SDK's McpError would write
 * "MCP error -32602: " into the message, and the client's own McpError adds that prefix again.
 */
export class UnknownToolError extends Error {
  readonly code = -32602;
}

/** --tools names only tools and toolsets of the catalogue (checked at start-up, before anything starts). */
export function checkToolSelection(index: readonly ToolIndexEntry[], tools: readonly string[] | undefined): void {
  if (!tools) return;
  const toolsets = [...new Set(index.map((t) => t.toolset))];
  const known = [...toolsets, ...index.map((t) => t.name)];
  const unknown = tools.filter((n) => !known.includes(n));
  if (!unknown.length) return;
  const named = unknown.map((n) => {
    if (unknown.length === 1) return `${n}.${hintFor(n, known)}`;
    const hint = didYouMean(n, known);
    return hint ? `${n} (${hint})` : n;
  });
  throw new UnknownToolError(
    `--tools: unknown tool or toolset ${named.join(', ')}${unknown.length > 1 ? '.' : ''} Toolsets: ${toolsets.join(', ')}; tool names: tools/list or the Tools table of the README.`,
  );
}

/** " Did you mean …?" or nothing. */
function hintFor(name: string, names: Iterable<string>): string {
  const hint = didYouMean(name, names);
  return hint ? ` ${capital(hint)}` : '';
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
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
  private readonly results: Results;
  private readonly guard: WriteGuard;

  constructor(private readonly catalogue: Catalogue, private readonly o: EngineOptions) {
    checkToolSelection(catalogue.index, o.tools);
    this.results = new Results(o.sandbox, o.secrets);
    this.guard = new WriteGuard({
      gateway: o.gateway,
      tokens: o.tokens,
      ledger: o.ledger ?? new MemoryLedger(),
      audit: o.audit ?? noAudit,
      approval: o.approval ?? 'auto',
      results: this.results,
      sandbox: o.sandbox,
      logger: o.logger,
      onConnectionsChanged: () => o.connections.invalidate(),
      leaseMs: o.leaseMs,
    });
    const wanted = o.tools ? new Set(o.tools) : undefined;
    for (const t of catalogue.index) {
      if (wanted && !wanted.has(t.name) && !wanted.has(t.toolset)) this.hidden.set(t.name, 'it is not in --tools');
      else if (o.readOnly && t.kind === 'write') this.hidden.set(t.name, 'it writes and the server runs with --read-only');
      else this.shown.add(t.name);
    }
  }

  /** The tools of a session: approve_billing_change too when its client renders the approval card. */
  listTools(session: { cards?: boolean } = {}): Tool[] {
    const tools = [...this.shown].map((name) => this.catalogue.listings[name]!);
    return session.cards && this.approvesInCards() ? [...tools, APPROVE_LISTING] : tools;
  }

  /** The card asks the person where a person is asked (not --approval token) and something can be written. */
  private approvesInCards(): boolean {
    return (this.o.approval ?? 'auto') !== 'token' && this.catalogue.index.some((t) => t.kind === 'write' && this.shown.has(t.name));
  }

  async call(name: string, rawArgs: unknown, ctx: CallContext): Promise<CallToolResult> {
    if (name === APPROVE_TOOL) return this.approveInCard(rawArgs, ctx);
    if (!this.shown.has(name)) {
      const why = this.hidden.get(name);
      throw new UnknownToolError(
        why ? `Tool ${name} is not available: ${why}.` : `Unknown tool: ${name}.${hintFor(name, this.shown)} tools/list names the ${this.shown.size} tools this server offers.`,
      );
    }
    let entry: Entry;
    try {
      entry = (await this.loadEntries()).get(name)!;
    } catch (e) {
      if (e instanceof ToolError) return this.results.error(e);
      throw e;
    }
    const started = Date.now();
    const parsed = entry.schema.safeParse(omitNulls(entry.schema, rawArgs ?? {}));
    if (!parsed.success) {
      return this.results.error(new ToolError(`Invalid arguments for ${name}; nothing was sent.\n${formatIssues(entry.schema, parsed.error.issues)}`, { reason: 'invalid_arguments' }));
    }
    const args = parsed.data as Args;
    try {
      const def = entry.def;
      const result = isWriteEntry(entry) ? await this.write(entry, args, ctx) : def.poll ? await this.poll(entry, args, ctx) : await this.read(entry, args, ctx);
      this.o.logger.info({ tool: { name, ms: Date.now() - started, error: result.isError === true, preview: def.kind === 'write' && !args.confirm_token } }, 'tool call');
      return result;
    } catch (e) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (e instanceof ToolError) {
        this.o.logger.info({ tool: { name, ms: Date.now() - started, error: true } }, 'tool call');
        return this.results.error(e);
      }
      throw e;
    }
  }

  // ---- reads ---------------------------------------------------------------

  private async read(entry: Entry, args: Args, ctx: CallContext): Promise<CallToolResult> {
    const connection = await this.connectionFor(entry, args, false, ctx);
    const call = requestFor(entry, args, connection, ctx.signal);
    // A POST that changes no billing (PDF link, export job) is still a POST: retry it only under one key.
    if (call.method === 'POST') call.idempotencyKey = newIdempotencyKey();
    const res = await this.o.gateway.call(call);
    return this.results.ok(shapeResult(res.body, entry.listKey));
  }

  private async poll(entry: Entry, args: Args, ctx: CallContext): Promise<CallToolResult> {
    const poll = entry.def.poll!;
    const connection = await this.connectionFor(entry, args, false, ctx);
    const maxMs = (args.max_wait_s ?? DEFAULT_MAX_WAIT_S) * 1000;
    const started = Date.now();
    for (let n = 1; ; n++) {
      const res = await this.o.gateway.call(requestFor(entry, args, connection, ctx.signal));
      if (poll.done(res.body)) {
        const failure = poll.failed?.(res.body);
        if (failure) throw new ToolError(failure, { result: shapeResult(res.body, entry.listKey) });
        return this.results.ok(shapeResult(res.body, entry.listKey));
      }
      const waited = Date.now() - started;
      if (waited + this.o.pollMs > maxMs) {
        return this.results.ok({
          ...shapeResult(res.body, entry.listKey),
          wait: { timed_out: true, waited_s: Math.round(waited / 1000), next: `Still running: call ${entry.def.name} again with the same arguments to keep waiting.` },
        });
      }
      await ctx.progress?.({ progress: n, message: `${poll.progress(res.body)} after ${Math.round(waited / 1000)} s` });
      await sleep(this.o.pollMs, ctx.signal);
    }
  }

  // ---- writes: handed to the guard ------------------------------------------

  private async write(entry: Entry & WriteEntry, args: Args, ctx: CallContext): Promise<CallToolResult> {
    const connection = await this.connectionFor(entry, args, true, ctx);
    // confirm_token is split off here, once: the guard binds and sends only the tool's own arguments.
    const { confirm_token, ...own } = args;
    return this.guard.handle(entry, { args: own, confirm_token, connection }, ctx);
  }

  // ---- the approval card's buttons ------------------------------------------

  private async approveInCard(rawArgs: unknown, ctx: CallContext): Promise<CallToolResult> {
    if (!ctx.cards || !this.approvesInCards()) {
      const why = !this.approvesInCards() ? 'this server does not ask the person (--approval token, or no write tools)' : 'it is only for clients that render the approval card (MCP Apps, io.modelcontextprotocol/ui)';
      throw new UnknownToolError(`Tool ${APPROVE_TOOL} is not available: ${why}.`);
    }
    const started = Date.now();
    const parsed = approveInput.safeParse(rawArgs ?? {});
    if (!parsed.success) {
      return this.results.error(new ToolError(`Invalid arguments for ${APPROVE_TOOL}; nothing was sent.\n${formatIssues(approveInput, parsed.error.issues)}`, { reason: 'invalid_arguments' }));
    }
    const { confirm_token: token, decision } = parsed.data;
    try {
      const opened = this.o.tokens.open(token);
      const entry = this.shown.has(opened.tool) ? (await this.loadEntries()).get(opened.tool) : undefined;
      if (!entry || !isWriteEntry(entry)) throw new ToolError(`The confirm token is for ${opened.tool}, which is not a write tool of this server. Nothing was sent.`, { reason: 'wrong_tool' });
      const result = await this.guard.decide(entry, opened, token, decision, ctx);
      this.o.logger.info({ tool: { name: APPROVE_TOOL, for: opened.tool, decision, ms: Date.now() - started, error: result.isError === true } }, 'tool call');
      return result;
    } catch (e) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (e instanceof ToolError) {
        this.o.logger.info({ tool: { name: APPROVE_TOOL, decision, ms: Date.now() - started, error: true } }, 'tool call');
        return this.results.error(e);
      }
      throw e;
    }
  }

  // ---- plumbing ------------------------------------------------------------

  /** The catalogue entries; a load that failed is a tool error now and is tried again on the next call. */
  private loadEntries(): Promise<Map<string, Entry>> {
    if (this.entries) return this.entries;
    this.entries = this.catalogue.load().then((toolsets) => {
      const map = new Map<string, Entry>();
      for (const def of toolsets.flatMap((ts) => ts.tools)) {
        if (!this.shown.has(def.name)) continue;
        const pathParams = [...def.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
        const literal = def.path.split('/').filter((s) => s && !s.startsWith('{'));
        map.set(def.name, { def, schema: callSchema(def), pathParams, listKey: literal[literal.length - 1] ?? 'list' });
      }
      return map;
    });
    this.entries = this.entries.catch((e: unknown) => {
      this.entries = undefined;
      const why = e instanceof Error ? e.message : String(e);
      this.o.logger.error({ err: why }, 'the tool catalogue could not be loaded: tried again on the next call');
      throw new ToolError(`The tool catalogue of this server could not be loaded (${why}). Nothing was sent. Call the tool again; if this persists, the server's installation is broken (reinstall chargebee-mcp).`, {
        reason: 'catalogue_unavailable',
      });
    });
    return this.entries;
  }

  private async connectionFor(entry: Entry, args: Args, forWrite: boolean, ctx: CallContext): Promise<string | null> {
    if (entry.def.api === 'maton') return null;
    return this.o.connections.resolve(args.connection_id, forWrite, ctx.signal);
  }

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
