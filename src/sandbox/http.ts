/** Response values and the two error dialects the sandbox speaks: Maton's and Chargebee's. */

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

const JSON_TYPE = 'application/json;charset=utf-8';

/** A Chargebee-shaped JSON response: pretty-printed with 4 spaces, as Chargebee serves it. */
export function chargebeeJson(value: unknown, status = 200, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { 'content-type': JSON_TYPE, ...headers }, body: JSON.stringify(value, null, 4) };
}

/** A Maton-gateway JSON response (connections, gateway errors, test-support routes). */
export function plainJson(value: unknown, status = 200, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) };
}

export function text(status: number, body: string, contentType = 'text/plain;charset=utf-8'): HttpResponse {
  return { status, headers: { 'content-type': contentType }, body };
}

/** Thrown by handlers; the server sends `response` as is. */
export class ApiError extends Error {
  constructor(readonly response: HttpResponse) {
    super(`HTTP ${response.status}`);
  }
}

/** Maton's own errors carry no `api_error_code`: that is how clients tell them from Chargebee's. */
export function matonError(status: number, message: string, headers: Record<string, string> = {}): ApiError {
  return new ApiError(plainJson({ error: { status, message } }, status, headers));
}

const DEFAULT_CODE: Record<number, string> = {
  400: 'invalid_request',
  401: 'api_authentication_failed',
  403: 'api_authorization_failed',
  404: 'resource_not_found',
  409: 'invalid_state_for_request',
  422: 'unable_to_process_request',
  429: 'api_request_limit_exceeded',
  500: 'internal_error',
  503: 'internal_temporary_error',
};

const DEFAULT_MESSAGE: Record<string, string> = {
  invalid_request: 'The request is invalid',
  api_authentication_failed: 'Sorry, authentication failed. Invalid api key',
  api_authorization_failed: 'Sorry, the operation is not permitted for this api key',
  resource_not_found: "Sorry, we couldn't find that resource",
  invalid_state_for_request: 'The resource is not in a state that allows this operation',
  unable_to_process_request: 'Unable to process the request',
  api_request_limit_exceeded: 'Sorry, access has been blocked temporarily due to request count exceeding acceptable limits. Please try after some time.',
  internal_error: 'Sorry, something went wrong when trying to process the request.',
  internal_temporary_error: 'Sorry, something went wrong when trying to process the request. Please try again later.',
};

/**
 * Chargebee's `type` per api_error_code, as its error reference groups them (the client libraries
 * throw PaymentError / InvalidRequestError / OperationFailedError by it); codes not listed (auth,
 * site and configuration errors) carry no type.
 */
const ERROR_TYPE: Record<string, 'payment' | 'invalid_request' | 'operation_failed'> = {
  payment_processing_failed: 'payment',
  payment_method_verification_failed: 'payment',
  payment_method_not_present: 'payment',
  payment_gateway_currency_incompatible: 'payment',
  payment_intent_invalid: 'payment',
  payment_intent_invalid_amount: 'payment',
  resource_not_found: 'invalid_request',
  resource_limit_exhausted: 'invalid_request',
  param_wrong_value: 'invalid_request',
  duplicate_entry: 'invalid_request',
  db_connection_failure: 'invalid_request',
  invalid_state_for_request: 'invalid_request',
  http_method_not_supported: 'invalid_request',
  invalid_request: 'invalid_request',
  unable_to_process_request: 'invalid_request',
  internal_error: 'operation_failed',
  internal_temporary_error: 'operation_failed',
  request_blocked: 'operation_failed',
  api_request_limit_exceeded: 'operation_failed',
  lock_timeout: 'operation_failed',
  site_not_ready: 'operation_failed',
  site_read_only_mode: 'operation_failed',
};

/**
 * The deprecated `error_code` Chargebee still sends for older libraries: the api_error_code,
 * except that a missing parameter is `param_not_present`, a bad value `param_invalid_value` and
 * a missing referenced resource `referenced_resource_not_found`.
 */
function legacyCode(code: string, opts: ChargebeeErrorOptions): string {
  if (code === 'param_wrong_value') return opts.message?.endsWith('cannot be blank') ? 'param_not_present' : 'param_invalid_value';
  if (code === 'resource_not_found' && opts.param) return 'referenced_resource_not_found';
  return code;
}

export interface ChargebeeErrorOptions {
  code?: string;
  message?: string;
  param?: string;
  headers?: Record<string, string>;
}

/**
 * Chargebee's error body: `{message, type?, api_error_code, param?, error_code, error_msg,
 * error_param?, http_status_code}` (the last four the deprecated fields older libraries read).
 */
export function chargebeeErrorResponse(status: number, opts: ChargebeeErrorOptions = {}): HttpResponse {
  const code = opts.code ?? DEFAULT_CODE[status] ?? (status >= 500 ? 'internal_error' : 'invalid_request');
  const message = opts.message ?? DEFAULT_MESSAGE[code] ?? 'The request could not be processed';
  const body = {
    message,
    type: ERROR_TYPE[code],
    api_error_code: code,
    param: opts.param,
    error_code: legacyCode(code, opts),
    error_msg: opts.param && message.startsWith(`${opts.param} : `) ? message.slice(opts.param.length + 3) : message,
    error_param: opts.param,
    http_status_code: status,
  };
  return chargebeeJson(body, status, opts.headers);
}

export function chargebeeError(status: number, opts: ChargebeeErrorOptions = {}): ApiError {
  return new ApiError(chargebeeErrorResponse(status, opts));
}

/** 400 param_wrong_value naming the parameter, message in Chargebee's `param : reason` form. */
export function paramError(param: string, reason: string): ApiError {
  return chargebeeError(400, { code: 'param_wrong_value', param, message: `${param} : ${reason}` });
}

export function notFound(what: string, param?: string): ApiError {
  return chargebeeError(404, { message: param ? `${param} : ${what} not found` : `${what} not found`, param });
}

export const routeNotFound = (): ApiError => chargebeeError(404);

/** What a Product Catalog 2.0 site answers to a Product Catalog 1.0 operation. */
export const configurationIncompatible = (): ApiError =>
  chargebeeError(400, {
    code: 'configuration_incompatible',
    message: 'The API endpoint is incompatible with the product catalog version. You are calling product catalog 1.0 API endpoint but you are using product catalog 2.0',
  });

export function invalidState(message: string): ApiError {
  return chargebeeError(409, { message });
}
