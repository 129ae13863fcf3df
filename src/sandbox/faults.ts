/** Scheduled faults (POST /_sandbox/faults): what the next matching requests suffer instead of a normal answer. */
import { ApiError, chargebeeErrorResponse, plainJson, type HttpResponse } from './http.js';

export type Fault =
  | { kind: 'status'; status: number; retryAfter?: number; body?: string }
  | { kind: 'reset' }
  | { kind: 'drop_response' }
  | { kind: 'delay'; ms: number }
  | { kind: 'export_fails' };

interface Scheduled {
  method?: string;
  /** Exact path, or a prefix when it ends with `*`. */
  path: string;
  remaining: number;
  fault: Fault;
}

const invalid = (message: string) => new ApiError(plainJson({ error: { status: 400, message: `Invalid fault: ${message}` } }, 400));

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min: number, max: number): v is number => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

function onlyKeys(obj: Record<string, unknown>, allowed: string[], where: string): void {
  const extra = Object.keys(obj).find((k) => !allowed.includes(k));
  if (extra) throw invalid(`unknown field '${extra}' in ${where}`);
}

function parseFault(f: unknown): Fault {
  if (!isObject(f)) throw invalid('fault must be an object');
  for (const flag of ['reset', 'drop_response', 'export_fails'] as const) {
    if (f[flag] === true) {
      onlyKeys(f, [flag], 'fault');
      return { kind: flag };
    }
  }
  if ('delay_ms' in f) {
    onlyKeys(f, ['delay_ms'], 'fault');
    if (!isInt(f.delay_ms, 0, 600_000)) throw invalid('delay_ms must be an integer from 0 to 600000');
    return { kind: 'delay', ms: f.delay_ms };
  }
  if ('status' in f) {
    onlyKeys(f, ['status', 'retry_after', 'body'], 'fault');
    if (!isInt(f.status, 400, 599)) throw invalid('status must be an integer from 400 to 599');
    if (f.retry_after !== undefined && !isInt(f.retry_after, 0, 3600)) throw invalid('retry_after must be an integer number of seconds');
    if (f.body !== undefined && typeof f.body !== 'string') throw invalid('body must be a string');
    return { kind: 'status', status: f.status, retryAfter: f.retry_after as number | undefined, body: f.body as string | undefined };
  }
  throw invalid('expected one of status, reset, drop_response, delay_ms, export_fails');
}

export class FaultQueue {
  private scheduled: Scheduled[] = [];

  /** Validates and schedules `{"match":{"method"?,"path"},"times"?,"fault":{...}}`. */
  add(spec: unknown): void {
    if (!isObject(spec)) throw invalid('body must be a JSON object');
    onlyKeys(spec, ['match', 'times', 'fault'], 'body');
    const { match, times = 1 } = spec;
    if (!isObject(match)) throw invalid('match must be an object');
    onlyKeys(match, ['method', 'path'], 'match');
    if (typeof match.path !== 'string' || !match.path.startsWith('/')) throw invalid('match.path must be a path starting with /');
    if (match.method !== undefined && typeof match.method !== 'string') throw invalid('match.method must be a string');
    if (!isInt(times, 1, 10_000)) throw invalid('times must be a positive integer');
    const scheduled: Scheduled = { method: match.method?.toUpperCase(), path: match.path, remaining: times, fault: parseFault(spec.fault) };
    if (scheduled.fault.kind === 'export_fails' && !couldMatchExport(scheduled)) {
      throw invalid(`export_fails only applies to POST ${EXPORTS_PATH}{name}`);
    }
    this.scheduled.push(scheduled);
  }

  /** Consumes one use of the first scheduled fault matching the request. */
  take(method: string, path: string): Fault | undefined {
    const entry = this.scheduled.find((s) => matches(s, method, path));
    if (!entry) return undefined;
    if (--entry.remaining === 0) this.scheduled.splice(this.scheduled.indexOf(entry), 1);
    return entry.fault;
  }

  clear(): void {
    this.scheduled = [];
  }
}

const EXPORTS_PATH = '/chargebee/api/v2/exports/';

function matches(s: Scheduled, method: string, path: string): boolean {
  if (s.method && s.method !== method) return false;
  // export_fails only makes sense for the request that creates an export job.
  if (s.fault.kind === 'export_fails' && !(method === 'POST' && path.startsWith(EXPORTS_PATH))) return false;
  return s.path.endsWith('*') ? path.startsWith(s.path.slice(0, -1)) : path === s.path;
}

function couldMatchExport(s: Scheduled): boolean {
  if (s.method && s.method !== 'POST') return false;
  const prefix = s.path.endsWith('*') ? s.path.slice(0, -1) : undefined;
  return prefix !== undefined ? EXPORTS_PATH.startsWith(prefix) || prefix.startsWith(EXPORTS_PATH) : s.path.startsWith(EXPORTS_PATH);
}

/** The response of a `{"status":N}` fault: a Chargebee error body, or the given raw body as HTML. */
export function faultResponse(f: Extract<Fault, { kind: 'status' }>): HttpResponse {
  const headers: Record<string, string> = f.retryAfter !== undefined ? { 'retry-after': String(f.retryAfter) } : {};
  if (f.body !== undefined) return { status: f.status, headers: { 'content-type': 'text/html', ...headers }, body: f.body };
  return chargebeeErrorResponse(f.status, { headers });
}
