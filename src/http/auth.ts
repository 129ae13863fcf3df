import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidTokenError, ServerError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { OAuthMetadata, OAuthProtectedResourceMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { RequestHandler } from 'express';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { UsageError } from '../config.js';

/**
 * Who may call, and as whom. Two ways to authenticate, usable together:
 *  - the static MCP_HTTP_TOKEN: every holder is one principal (`http:<hash of the token>`);
 *  - OAuth 2.1 resource server (MCP_AUTH_ISSUER + MCP_AUTH_AUDIENCE): JWT access tokens signed
 *    by the issuer's keys (its JWKS), audience and expiry checked; principal = `iss` + `sub`.
 * The HTTP side uses the MCP SDK's helpers: requireBearerAuth (401 + WWW-Authenticate with
 * resource_metadata) and mcpAuthMetadataRouter (RFC 9728 protected resource metadata). Both are
 * express middleware; only the metadata documents are served by an express app, though: express
 * re-prototypes every request and response, which cost a quarter of the CPU of each MCP call
 * (measured: see bearer() below), so the MCP endpoints run requireBearerAuth on plain node:http.
 */

export interface OAuthOptions {
  issuer: string;
  audience: string;
  /** Default: jwks_uri from the issuer's metadata (RFC 8414 / OpenID discovery). */
  jwksUrl?: string;
  /** How long a fetch of the issuer's metadata or keys may take. Default 10 s. */
  timeoutMs?: number;
}

export const ANONYMOUS = 'http:anonymous';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** The principal of a request that passed the bearer check (anonymous with --no-auth). */
export function principalOf(req: IncomingMessage): string {
  const p = (req as IncomingMessage & { auth?: AuthInfo }).auth?.extra?.principal;
  return typeof p === 'string' ? p : ANONYMOUS;
}

/** "Bearer", one space and one token of visible characters, nothing after it (an MCP_HTTP_TOKEN may use any of them). */
const BEARER = /^Bearer [\x21-\x7e]+$/i;

/**
 * Runs the SDK's requireBearerAuth on a plain node:http request. It touches the response only to
 * refuse (res.set / res.status / res.json), so those three are provided over the node response.
 * Resolves true when the request may go on (req.auth is set), false when a refusal was sent.
 * Two refusals are sharpened: an Authorization header with anything after the token is refused
 * like any malformed one (the SDK would take the first word after Bearer), and a token that could
 * not be checked (the issuer's keys slow or down: the SDK's 500) is 503 + Retry-After.
 */
function onNodeHttp(middleware: RequestHandler): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return (req, res) =>
    new Promise((resolve, reject) => {
      const header = req.headers.authorization;
      // The SDK's own 401 for a malformed header ("expected 'Bearer TOKEN'"), with its WWW-Authenticate.
      if (header !== undefined && !BEARER.test(header)) req.headers.authorization = 'malformed';
      const refusal = {
        set(name: string, value: string) {
          res.setHeader(name, value);
          return refusal;
        },
        status(code: number) {
          res.statusCode = code;
          return refusal;
        },
        json(body: unknown) {
          if (res.statusCode >= 500) {
            res.statusCode = 503;
            res.setHeader('Retry-After', '5');
          }
          const text = JSON.stringify(body);
          res.setHeader('Content-Type', 'application/json');
          res.setHeader('Content-Length', Buffer.byteLength(text));
          res.end(text);
          resolve(false);
          return refusal;
        },
      };
      Promise.resolve(middleware(req as never, refusal as never, (err?: unknown) => (err ? reject(err) : resolve(true)))).catch(reject);
    });
}

/** Accepts exactly one static token (constant-time: both sides are hashed to 32 bytes first). */
function staticVerifier(token: string): OAuthTokenVerifier & { matches(t: string): boolean } {
  const expected = sha256(token);
  const principal = `http:${expected.toString('hex').slice(0, 32)}`;
  return {
    matches: (t) => timingSafeEqual(sha256(t), expected),
    async verifyAccessToken(t) {
      if (!timingSafeEqual(sha256(t), expected)) throw new InvalidTokenError("The bearer token is not this server's MCP_HTTP_TOKEN.");
      // A static token does not expire; requireBearerAuth wants a number.
      return { token: t, clientId: 'static-token', scopes: [], expiresAt: Number.MAX_SAFE_INTEGER, extra: { principal } };
    },
  };
}

/** Why a fetch failed, in a few words (connection refused, timeout, ...). */
function fetchFailure(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return 'no answer in time';
  return e instanceof Error ? e.message : String(e);
}

/** Why jose refused a token, in words a client developer can act on. */
function tokenError(e: unknown): Error {
  if (e instanceof joseErrors.JWTExpired) return new InvalidTokenError('The access token has expired.');
  if (e instanceof joseErrors.JWTClaimValidationFailed) return new InvalidTokenError(`The access token's "${e.claim}" claim is not accepted here (${e.reason === 'check_failed' ? 'wrong value' : e.reason}).`);
  if (e instanceof joseErrors.JWKSNoMatchingKey) return new InvalidTokenError("The access token is not signed by one of the issuer's keys.");
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return new InvalidTokenError('The access token signature does not verify.');
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return new InvalidTokenError('The access token uses a signing algorithm this server does not accept.');
  // The keys could not be had (timeout, refused, not 200, not a key set): the token was not judged.
  const keysUnavailable = e instanceof joseErrors.JOSEError && e.code === 'ERR_JOSE_GENERIC' && /JSON Web Key Set/.test(e.message);
  if (e instanceof joseErrors.JWKSTimeout || e instanceof joseErrors.JWKSInvalid || e instanceof TypeError || keysUnavailable) {
    return new ServerError("Could not fetch the authorization server's signing keys; try again shortly.");
  }
  if (e instanceof joseErrors.JOSEError) return new InvalidTokenError('The access token is not a valid JWT for this server.');
  return new ServerError('Could not verify the access token.');
}

/**
 * JWT access tokens from one issuer for one audience, keys from the issuer's JWKS (fetched and
 * cached by jose). A verified token is remembered (up to 1,000, for at most 5 minutes and never
 * past its expiry): checking a signature costs ~150 µs of CPU, a fifth of a whole tools/call.
 */
export function jwtVerifier(o: { issuer: string; audience: string; keys: JWTVerifyGetKey }): OAuthTokenVerifier {
  const verified = new Map<string, { info: AuthInfo; until: number }>();
  return {
    async verifyAccessToken(token) {
      const now = Date.now() / 1000;
      const hit = verified.get(token);
      if (hit && hit.until > now) return hit.info;
      if (hit) verified.delete(token);
      let payload;
      try {
        ({ payload } = await jwtVerify(token, o.keys, {
          issuer: o.issuer,
          audience: o.audience,
          requiredClaims: ['exp', 'sub'],
          clockTolerance: 30,
          // Asymmetric only: a JWKS publishes public keys.
          algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'],
        }));
      } catch (e) {
        throw tokenError(e);
      }
      const scope = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
      const clientId = typeof payload.client_id === 'string' ? payload.client_id : typeof payload.azp === 'string' ? payload.azp : payload.sub!;
      const info: AuthInfo = { token, clientId, scopes: scope, expiresAt: payload.exp, extra: { principal: `oauth:${payload.iss}#${payload.sub}` } };
      verified.set(token, { info, until: Math.min(payload.exp!, now + 300) });
      if (verified.size > 1000) verified.delete(verified.keys().next().value!);
      return info;
    },
  };
}

export interface AuthSetup {
  /** Serves the metadata documents (/.well-known/...), reachable without a token. */
  metadata?: (req: IncomingMessage, res: ServerResponse) => void;
  /** The bearer check for the MCP endpoints (false: a 401/403 was sent); undefined = no auth (--no-auth, loopback only). */
  bearer?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  /** What the server logs at start. */
  mode: string;
  resourceMetadataUrl?: string;
}

/**
 * Builds the auth middleware. With OAuth, fetches the issuer's metadata first (to find its JWKS
 * and to advertise it); fails with a UsageError that says what to fix.
 * `resource` is this server's /mcp URL as clients see it (advertised in the metadata).
 */
export async function setupAuth(o: { token: string | null; oauth?: OAuthOptions; resource: URL; fetchTimeoutMs?: number }): Promise<AuthSetup> {
  const stat = o.token ? staticVerifier(o.token) : undefined;
  if (!o.oauth) {
    if (!stat) return { mode: 'none (--no-auth)' };
    return { mode: 'bearer (MCP_HTTP_TOKEN)', bearer: onNodeHttp(requireBearerAuth({ verifier: stat })) };
  }
  const { issuer, audience } = o.oauth;
  // Loaded only in OAuth mode: express (for the metadata documents) and the SDK's discovery client.
  const [{ discoverAuthorizationServerMetadata }, { metadataHandler }, { getOAuthProtectedResourceMetadataUrl, mcpAuthMetadataRouter }, { default: express }] = await Promise.all([
    import('@modelcontextprotocol/sdk/client/auth.js'),
    import('@modelcontextprotocol/sdk/server/auth/handlers/metadata.js'),
    import('@modelcontextprotocol/sdk/server/auth/router.js'),
    import('express'),
  ]);
  const timeoutMs = o.oauth.timeoutMs ?? o.fetchTimeoutMs ?? 10_000;
  // The SDK's discovery takes an unreachable URL for "no metadata here": note what really failed.
  const tried: Array<{ url: string; status?: number; error?: string }> = [];
  const fetchFn = async (url: string | URL, init?: RequestInit) => {
    try {
      const r = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      tried.push({ url: String(url), status: r.status });
      return r;
    } catch (e) {
      tried.push({ url: String(url), error: fetchFailure(e) });
      throw e;
    }
  };
  const said = (t: { url: string; status?: number; error?: string }) => `${t.url}: ${t.error ?? `HTTP ${t.status}`}`;
  let asMetadata: OAuthMetadata | undefined;
  let failure: string | undefined;
  try {
    asMetadata = (await discoverAuthorizationServerMetadata(issuer, { fetchFn })) as OAuthMetadata | undefined;
  } catch (e) {
    const bad = tried.find((t) => t.error || t.status! >= 500);
    failure = bad ? said(bad) : fetchFailure(e);
  }
  const unreachable = tried.find((t) => t.error);
  if (!asMetadata && !failure && unreachable) failure = said(unreachable);
  const jwksUrl = o.oauth.jwksUrl ?? asMetadata?.jwks_uri;
  if (!jwksUrl) {
    if (failure) throw new UsageError(`Could not read the metadata of MCP_AUTH_ISSUER ${issuer} (${failure}): check that the issuer is up and its URL is right, or set MCP_AUTH_JWKS_URL.`);
    if (!asMetadata) throw new UsageError(`MCP_AUTH_ISSUER ${issuer} serves no metadata at /.well-known/oauth-authorization-server or /.well-known/openid-configuration (${tried.map(said).join('; ')}): check the issuer URL, or set MCP_AUTH_JWKS_URL to the URL of its signing keys.`);
    throw new UsageError(`MCP_AUTH_ISSUER ${issuer} publishes metadata without a jwks_uri: set MCP_AUTH_JWKS_URL to the URL of its signing keys.`);
  }
  if (asMetadata?.issuer && asMetadata.issuer !== issuer) {
    throw new UsageError(`The metadata of MCP_AUTH_ISSUER says its issuer is "${asMetadata.issuer}", not "${issuer}": set MCP_AUTH_ISSUER to exactly the issuer's own value (it must equal the tokens' "iss").`);
  }
  const jwt = jwtVerifier({ issuer, audience, keys: createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: timeoutMs }) });
  const verifier: OAuthTokenVerifier = stat
    ? { verifyAccessToken: (t) => (stat.matches(t) ? stat.verifyAccessToken(t) : jwt.verifyAccessToken(t)) }
    : jwt;
  const resourceMetadataUrl = getOAuthProtectedResourceMetadataUrl(o.resource);
  const metadata = express();
  metadata.disable('x-powered-by');
  const resourceName = 'Chargebee (via Maton)';
  if (asMetadata) {
    // /.well-known/oauth-protected-resource/mcp (RFC 9728's path for /mcp) and a copy of the issuer's metadata.
    metadata.use(mcpAuthMetadataRouter({ oauthMetadata: asMetadata, resourceServerUrl: o.resource, resourceName }));
  }
  // The same document mcpAuthMetadataRouter serves.
  const prm: OAuthProtectedResourceMetadata = { resource: o.resource.href, authorization_servers: [asMetadata?.issuer ?? issuer], resource_name: resourceName };
  if (!asMetadata) metadata.use(new URL(resourceMetadataUrl).pathname, metadataHandler(prm));
  // The bare path too, for clients that look there first.
  metadata.use('/.well-known/oauth-protected-resource', metadataHandler(prm));
  metadata.use((req, res) => {
    res.status(404).json({ error: 'not_found', error_description: `No metadata at ${req.path}. The protected resource metadata is at ${new URL(resourceMetadataUrl).pathname}.` });
  });
  return {
    mode: stat ? `OAuth (issuer ${issuer}, audience ${audience}) and MCP_HTTP_TOKEN` : `OAuth (issuer ${issuer}, audience ${audience})`,
    metadata,
    bearer: onNodeHttp(requireBearerAuth({ verifier, resourceMetadataUrl })),
    resourceMetadataUrl,
  };
}
