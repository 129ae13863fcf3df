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

export interface ChargebeeErrorOptions {
  code?: string;
  message?: string;
  param?: string;
  headers?: Record<string, string>;
}

/** Chargebee's error body: `{message, type?, api_error_code, param?, http_status_code}`. */
export function chargebeeErrorResponse(status: number, opts: ChargebeeErrorOptions = {}): HttpResponse {
  const code = opts.code ?? DEFAULT_CODE[status] ?? (status >= 500 ? 'internal_error' : 'invalid_request');
  const type = status === 429 ? 'operation_failed' : status < 500 ? 'invalid_request' : undefined;
  const body = {
    message: opts.message ?? DEFAULT_MESSAGE[code] ?? 'The request could not be processed',
    type,
    api_error_code: code,
    param: opts.param,
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

export const configurationIncompatible = (): ApiError =>
  chargebeeError(400, { code: 'configuration_incompatible', message: 'This API operation is not enabled for this site' });

export function invalidState(message: string): ApiError {
  return chargebeeError(409, { message });
}
