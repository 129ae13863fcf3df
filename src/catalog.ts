import type * as z from 'zod';

/** What the engine needs from any tool entry. tools/*.ts hold these as plain data. */
interface ToolBase {
  name: string;
  title: string;
  /** Agent-facing: what it does, when to use it, what to call first, paging, side effects. */
  description: string;
  destructive?: boolean;
  /** Default: true for GETs, false otherwise. */
  idempotent?: boolean;
  /** Chargebee (under /chargebee/api/v2, takes connection_id) or Maton's own connection routes. */
  api?: 'chargebee' | 'maton';
  method: 'GET' | 'POST' | 'DELETE';
  /** Route template: {name} placeholders are filled from the arguments of the same name. */
  path: string;
  /** Strict zod object of the tool's own parameters (connection_id and confirm_token are added by the engine). */
  input: z.ZodObject;
  /** Parameters always sent (e.g. app=chargebee). */
  fixed?: Record<string, unknown>;
}

/** Runs freely (including POSTs that change no billing). */
export interface ReadToolDef extends ToolBase {
  kind: 'read';
  preview?: never;
  /** Long-running reads: repeat the GET until done(body), sending progress. */
  poll?: {
    done: (body: any) => boolean;
    /** A finished job that failed: the error message to return. */
    failed?: (body: any) => string | undefined;
    progress: (body: any) => string;
  };
}

/** Preview + confirm token: a write without a preview does not compile. */
export interface WriteToolDef extends ToolBase {
  kind: 'write';
  /** Fetch the target(s) and say, for a person, what will happen. */
  preview: (args: Args, t: TargetReader) => Promise<Preview>;
  poll?: never;
}

export type ToolDef = ReadToolDef | WriteToolDef;

export type Args = Record<string, any>;

export interface Preview {
  /** Summary of who and what: ids, names, emails, status, prices, term dates. */
  target: Record<string, unknown>;
  /** Plain sentence: what will happen, including the financial consequence. */
  effect: string;
  /** The target's resource_version(s), or null where there is none (creates). Binds the token. */
  version: string | null;
}

/** Read access for previews, bound to the call's connection and cancellation. */
export interface TargetReader {
  /** GET a Chargebee route template, e.g. get('/customers/{customer_id}', args). */
  get(pathTemplate: string, params?: Args, query?: Args): Promise<any>;
  /**
   * POST to a Chargebee estimate route (e.g. '/subscriptions/{subscription_id}/cancel_subscription_for_items_estimate'):
   * `body` is form-encoded as Chargebee's SDK does; no idempotency key (an estimate changes nothing).
   * Throws GatewayError when the gateway or Chargebee refuses it.
   */
  estimate(pathTemplate: string, params: Args, body: Args): Promise<any>;
  /** GET a Maton route template. */
  maton(pathTemplate: string, params?: Args, query?: Args): Promise<any>;
  connection: string | null;
}

/** What selecting and listing a tool needs, without loading its schemas. */
export interface ToolIndexEntry {
  name: string;
  /** The tools/ file name. */
  toolset: string;
  kind: 'read' | 'write';
}

export interface Toolset {
  /** The tools/ file name, e.g. 'customers'. */
  name: string;
  tools: readonly ToolDef[];
}
