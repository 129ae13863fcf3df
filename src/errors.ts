/**
 * Errors a user (or the agent) can act on. They become MCP tool results with
 * isError: true; anything else thrown is a programming error.
 */
export class ToolError extends Error {
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** A refused or failed call at the gateway: Chargebee's error, Maton's, or the network. */
export class GatewayError extends ToolError {
  constructor(
    message: string,
    readonly info: {
      source: 'chargebee' | 'maton' | 'upstream' | 'network' | 'client';
      status?: number;
      api_error_code?: string;
      param?: string;
      type?: string;
      hint: string;
      attempts?: number;
      retryable?: boolean;
      /** Network failures: whether the request may have reached the gateway (false = certainly not). */
      sent?: boolean;
    },
  ) {
    super(message, { ...info });
  }
}

const CODE_HINTS: Record<string, string> = {
  resource_not_found: 'Check the id: find it with the matching list_* tool first.',
  site_not_found: 'The Chargebee site behind this connection no longer exists: check the connection with get_connection.',
  param_wrong_value: 'Fix the named parameter and call again.',
  invalid_request: 'Fix the request as the message says and call again.',
  duplicate_entry: 'A resource with this value already exists: use another id or update the existing one.',
  resource_limit_exhausted: 'A limit was reached (e.g. coupon redemptions): adjust the request.',
  configuration_incompatible:
    'This operation is not enabled for this site. On Product Catalog 2.0 sites use create_subscription_for_items / cancel_subscription_for_items; on 1.0 sites the plan-based tools.',
  invalid_state_for_request: 'The resource is not in a state that allows this: get it and check its status first.',
  unable_to_process_request:
    'Chargebee refused the request (e.g. an idempotency key reused with a different payload): preview again to get a new confirm token.',
  payment_processing_failed: 'The payment failed at the gateway: the customer needs a working payment method.',
  payment_method_verification_failed: 'The payment method could not be verified: the customer needs to update it.',
  payment_method_not_present: 'The customer has no payment method: add one (e.g. via create_portal_session) or turn auto_collection off.',
  api_authentication_failed: 'Chargebee rejected the credentials behind this Maton connection: re-authorise it (get_connection, then open its url).',
  api_authorization_failed: 'The connected Chargebee key lacks permission for this operation.',
  request_blocked: 'Chargebee blocked the request: check the site settings.',
  api_request_limit_exceeded: 'Chargebee is rate limiting this site (or, for exports, 5 jobs are already running): wait and try again.',
  lock_timeout: 'Chargebee was busy with a concurrent change to this resource: try again shortly.',
  internal_error: 'Chargebee had an internal error: try again later.',
  internal_temporary_error: 'Chargebee had a temporary error: try again shortly.',
  site_not_ready: 'The Chargebee site is not ready: try again later.',
  site_read_only_mode: 'The Chargebee site is in read-only mode: writes are refused for now.',
  db_connection_failure: 'Chargebee had a temporary database error: try again shortly.',
};

const MATON_HINTS: Record<number, string> = {
  400: 'No usable Chargebee connection at Maton: call list_connections and pass a valid connection_id, or create one with create_connection.',
  401: 'The Maton API key was rejected: check MATON_API_KEY (copy it from https://maton.ai/settings).',
  403: 'Maton refused access to this connection with this API key.',
  404: 'Maton has no such connection: list them with list_connections.',
  429: 'Maton rate limit (10 requests/s per account) still hit after retries: wait a few seconds and try again.',
};

export function hintFor(code: string | undefined, status: number, source: 'chargebee' | 'maton' | 'upstream'): string {
  if (source === 'maton') return MATON_HINTS[status] ?? 'Maton refused the request: see the message.';
  if (code && CODE_HINTS[code]) return CODE_HINTS[code]!;
  if (status >= 500) return 'The gateway or Chargebee failed upstream: try again later.';
  if (status === 429) return 'Rate limited: wait a few seconds and try again.';
  return 'See the message; fix the request and call again.';
}
