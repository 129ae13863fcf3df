/** The Chargebee API v2 surface of a Product Catalog 2.0 site: routes, parameter transport, idempotency. */
import { createHash } from 'node:crypto';
import { createCustomer, createPortalSession, updateCustomer } from './customers.js';
import { createExport, retrieveExport } from './exports.js';
import { parsePairs, type Pair } from './form.js';
import {
  ApiError, chargebeeError, chargebeeErrorResponse, chargebeeJson, configurationIncompatible, paramError, routeNotFound,
  type HttpResponse,
} from './http.js';
import { invoicePdf } from './invoices.js';
import { COUPONS, CREDIT_NOTES, CUSTOMERS, INVOICES, ITEM_PRICES, ITEMS, listHandler, retrieveHandler, SUBSCRIPTIONS } from './lists.js';
import { knownParamsFor, unknownParams, withKnownParams } from './params.js';
import type { Env, Site } from './store.js';
import {
  cancelForItems, cancelForItemsEstimate, checkoutNewForItems, createSubscriptionForItems, createSubscriptionForItemsEstimate,
} from './subscriptions.js';

/** What a route handler receives. It returns the response body (200) or throws an ApiError. */
export interface Call {
  site: Site;
  env: Env;
  pairs: Pair[];
  /** Path parameters, percent-decoded once. */
  path: Record<string, string>;
  /** The `export_fails` fault is armed for this request. */
  exportFails: boolean;
}

type Handler = (call: Call) => object;

/** Product Catalog 1.0 operations, refused as a PC 2.0 site refuses them. */
const pc1: Handler = () => {
  throw configurationIncompatible();
};

/** `:name` captures one segment; a final `**` matches any number of segments (also none). */
const ROUTES: [method: string, pattern: string, handler: Handler][] = [
  ['GET', 'customers', listHandler(CUSTOMERS)],
  ['POST', 'customers', createCustomer],
  ['GET', 'customers/:id', retrieveHandler(CUSTOMERS)],
  ['POST', 'customers/:id', updateCustomer],
  ['POST', 'customers/:customer_id/subscription_for_items', createSubscriptionForItems],
  ['POST', 'customers/:customer_id/create_subscription_for_items_estimate', createSubscriptionForItemsEstimate],
  ['GET', 'customers/:customer_id/create_subscription_estimate', pc1],
  ['GET', 'subscriptions', listHandler(SUBSCRIPTIONS)],
  ['POST', 'subscriptions', pc1],
  ['GET', 'subscriptions/:id', retrieveHandler(SUBSCRIPTIONS)],
  ['POST', 'subscriptions/:id/cancel', pc1],
  ['POST', 'subscriptions/:id/cancel_for_items', cancelForItems],
  ['POST', 'subscriptions/:id/cancel_subscription_for_items_estimate', cancelForItemsEstimate],
  ['POST', 'subscriptions/:id/cancel_subscription_estimate', pc1],
  ['POST', 'estimates/create_subscription', pc1],
  ['GET', 'coupons/:id', retrieveHandler(COUPONS)],
  ['GET', 'items', listHandler(ITEMS)],
  ['GET', 'items/:id', retrieveHandler(ITEMS)],
  ['GET', 'item_prices', listHandler(ITEM_PRICES)],
  ['GET', 'item_prices/:id', retrieveHandler(ITEM_PRICES)],
  ['GET', 'credit_notes', listHandler(CREDIT_NOTES)],
  ['GET', 'credit_notes/:id', retrieveHandler(CREDIT_NOTES)],
  ['GET', 'invoices', listHandler(INVOICES)],
  ['GET', 'invoices/:id', retrieveHandler(INVOICES)],
  ['POST', 'invoices/:id/pdf', invoicePdf],
  ['POST', 'hosted_pages/checkout_new_for_items', checkoutNewForItems],
  ['POST', 'portal_sessions', createPortalSession],
  ['POST', 'exports/:name', createExport],
  ['GET', 'exports/:id', retrieveExport],
  ['GET', 'plans/**', pc1],
  ['POST', 'plans/**', pc1],
  ['GET', 'addons/**', pc1],
  ['POST', 'addons/**', pc1],
];

function matchRoute(method: string, subPath: string): { handler: Handler; path: Record<string, string> } | undefined {
  const segments = subPath.split('/');
  for (const [m, pattern, handler] of ROUTES) {
    if (m !== method) continue;
    const path = matchSegments(pattern.split('/'), segments);
    if (path) return { handler, path };
  }
  return undefined;
}

function matchSegments(pattern: string[], segments: string[]): Record<string, string> | undefined {
  const path: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p === '**') return path;
    const s = segments[i];
    if (s === undefined || s === '') return undefined;
    if (p.startsWith(':')) {
      try {
        path[p.slice(1)] = decodeURIComponent(s);
      } catch {
        return undefined;
      }
    } else if (p !== s) {
      return undefined;
    }
  }
  return segments.length === pattern.length ? path : undefined;
}

export interface ChargebeeRequest {
  method: string;
  /** The raw (still percent-encoded) path after `/chargebee/api/v2/`. */
  subPath: string;
  rawPath: string;
  query: string;
  body: string;
  headers: Record<string, string | undefined>;
  exportFails: boolean;
  /** Receives the parameters Chargebee does not know for the route (they are ignored, as Chargebee does). */
  unknownParams?: string[];
}

export function handleChargebee(site: Site, env: Env, req: ChargebeeRequest): HttpResponse {
  const key = req.headers['chargebee-idempotency-key'];
  if (req.method !== 'POST' || key === undefined) return run(site, env, req);
  if (key === '' || key.length > 100) {
    return chargebeeErrorResponse(400, {
      param: 'chargebee-idempotency-key', message: 'chargebee-idempotency-key : must be 1 to 100 characters long',
    });
  }
  return withIdempotency(site, env, key, req);
}

function run(site: Site, env: Env, req: ChargebeeRequest): HttpResponse {
  try {
    const route = matchRoute(req.method, req.subPath);
    if (!route) throw routeNotFound();
    let pairs = requestPairs(req);
    const known = knownParamsFor(req.method, req.subPath);
    const call = () => route.handler({ site, env, pairs, path: route.path, exportFails: req.exportFails });
    if (!known) return chargebeeJson(call());
    const unknown = unknownParams(pairs, known);
    if (unknown.length) {
      req.unknownParams?.push(...unknown);
      pairs = pairs.filter(([key]) => !unknown.includes(key));
    }
    return chargebeeJson(withKnownParams(call));
  } catch (error) {
    if (error instanceof ApiError) return error.response;
    throw error;
  }
}

/** GET parameters come in the query string, POST parameters in a form-encoded body only. */
function requestPairs(req: ChargebeeRequest): Pair[] {
  if (req.method !== 'POST') return parsePairs(req.query);
  const misplaced = parsePairs(req.query)[0];
  if (misplaced) throw paramError(misplaced[0], 'POST parameters belong in the form-encoded request body, not the query string');
  const type = req.headers['content-type'] ?? '';
  if (req.body !== '' && !type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    throw chargebeeError(400, { message: `The request body must be application/x-www-form-urlencoded, got '${type}'` });
  }
  return parsePairs(req.body);
}

const IDEMPOTENCY_TTL_MS = 30 * 60 * 1000;

/** Same key + same request → the first response again, marked replayed; same key + other request → 422. */
function withIdempotency(site: Site, env: Env, key: string, req: ChargebeeRequest): HttpResponse {
  const fingerprint = createHash('sha256').update(`${req.method} ${req.rawPath}\n${req.body}`).digest('hex');
  const now = env.clock.now();
  const seen = site.idempotency.get(key);
  if (seen && now - seen.at < IDEMPOTENCY_TTL_MS) {
    if (seen.fingerprint !== fingerprint) {
      return chargebeeErrorResponse(422, {
        code: 'unable_to_process_request',
        message: 'The idempotency key was already used for a different request. Use a new key for a new request.',
      });
    }
    return { ...seen.response, headers: { ...seen.response.headers, 'chargebee-idempotency-replayed': 'true' } };
  }
  const response = run(site, env, req);
  if (response.status < 500) site.idempotency.set(key, { fingerprint, response, at: now });
  return response;
}
