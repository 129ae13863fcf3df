/**
 * OAuth 2.1 resource server mode over real loopback HTTP: a local authorization server (metadata +
 * JWKS, served by this test) signs JWT access tokens; the MCP server verifies them with jose and
 * the SDK's requireBearerAuth. Accept/reject cases, the RFC 9728 metadata, and what binds to the
 * principal (iss + sub): sessions and confirm tokens.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { loadConfig, UsageError } from '../src/config.js';
import { serveHttp, startHttpServer, type HttpServerHandle } from '../src/http.js';
import { silentLogger } from '../src/log.js';
import { createRuntime, type Runtime } from '../src/runtime.js';

const STATIC = 'static-token-cccccccccccccccccccccc';
const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

let rt: Runtime;
let as: http.Server;
let issuer: string;
let audience: string;
let key: CryptoKey;
let foreignKey: CryptoKey;
let jwksFetches = 0;
let h: HttpServerHandle;
const clients: Client[] = [];

beforeAll(async () => {
  const config = loadConfig({ sandbox: true, transport: 'http' }, { CHARGEBEE_MCP_RATE_LIMIT: '0' });
  rt = await createRuntime(config, silentLogger(), { rateLimit: 0 });
  const pair = await generateKeyPair('ES256');
  key = pair.privateKey;
  foreignKey = (await generateKeyPair('ES256')).privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  // The authorization server: RFC 8414 metadata and its JWKS, on loopback.
  as = http.createServer((req, res) => {
    const send = (body: unknown) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/.well-known/oauth-authorization-server') {
      return send({ issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`, response_types_supported: ['code'], code_challenge_methods_supported: ['S256'] });
    }
    if (req.url === '/jwks') {
      jwksFetches++;
      return send({ keys: [jwk] });
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => as.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(as.address() as AddressInfo).port}`;
  audience = 'https://mcp.example.test/mcp';
  h = await startHttpServer(rt, { host: '127.0.0.1', port: 0, token: STATIC, oauth: { issuer, audience } });
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await h?.close();
  await new Promise((r) => as?.close(r));
  await rt?.close();
});

interface Claims {
  sub?: string;
  aud?: string;
  iss?: string;
  exp?: number;
}

async function jwt(c: Claims = {}, signingKey: CryptoKey = key, kid = 'k1'): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const t = new SignJWT({ scope: 'mcp' })
    .setProtectedHeader({ alg: 'ES256', kid })
    .setIssuer(c.iss ?? issuer)
    .setAudience(c.aud ?? audience)
    .setIssuedAt(now)
    .setExpirationTime(c.exp ?? now + 600);
  if (c.sub !== null) t.setSubject(c.sub ?? 'alice');
  return t.sign(signingKey);
}

const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
const jsonHeaders = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };

async function post(headers: Record<string, string>, body: unknown = INIT, sid?: string): Promise<Response> {
  return fetch(`${h.url}/mcp`, { method: 'POST', headers: { ...jsonHeaders, ...headers, ...(sid ? { 'Mcp-Session-Id': sid, 'Mcp-Protocol-Version': '2025-11-25' } : {}) }, body: JSON.stringify(body) });
}

async function connect(token: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(`${h.url}/mcp`), { requestInit: { headers: bearer(token) } });
  const client = new Client({ name: 'auth-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

async function sandboxWrites(): Promise<number> {
  const r = await fetch(`${rt.sandbox!.url}/_sandbox/requests`, { headers: { Authorization: 'Bearer sandbox' } });
  const { requests } = (await r.json()) as { requests: Array<{ method: string }> };
  return requests.filter((q) => q.method !== 'GET').length;
}

describe('OAuth resource server', () => {
  it('serves the protected resource metadata (RFC 9728) at the /mcp path and the bare path, without a token', async () => {
    // The audience is a URL, so it is the resource: the metadata URL is on its (public) origin.
    expect(h.resourceMetadataUrl).toBe('https://mcp.example.test/.well-known/oauth-protected-resource/mcp');
    for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      const r = await fetch(`${h.url}${path}`);
      expect(r.status, path).toBe(200);
      expect(await r.json()).toEqual({ resource: audience, authorization_servers: [issuer], resource_name: 'Chargebee (via Maton)' });
    }
    // The issuer's own metadata, mirrored for clients that look for it on the resource's origin.
    const asMeta = (await (await fetch(`${h.url}/.well-known/oauth-authorization-server`)).json()) as { issuer: string; jwks_uri: string };
    expect(asMeta.issuer).toBe(issuer);
    expect(asMeta.jwks_uri).toBe(`${issuer}/jwks`);
    // Still behind the Host check.
    const foreign = await new Promise<number>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: h.port, path: '/.well-known/oauth-protected-resource/mcp', headers: { Host: 'evil.example.com' } }, (res) => resolve(res.statusCode ?? 0)).on('error', reject);
    });
    expect(foreign).toBe(403);
  });

  it('no token: 401 with WWW-Authenticate naming the resource metadata', async () => {
    for (const [method, path] of [['POST', '/mcp'], ['GET', '/sse'], ['POST', '/messages?sessionId=x']] as const) {
      const r = await fetch(`${h.url}${path}`, { method, headers: jsonHeaders, body: method === 'POST' ? JSON.stringify(INIT) : undefined });
      expect(r.status, path).toBe(401);
      const www = r.headers.get('www-authenticate')!;
      expect(www).toMatch(/^Bearer /);
      expect(www).toContain('resource_metadata="https://mcp.example.test/.well-known/oauth-protected-resource/mcp"');
      expect(www).toContain('error="invalid_token"');
    }
  });

  it('accepts a valid token; refuses a wrong audience, a wrong issuer, an expired token, a foreign key, no subject, garbage', async () => {
    const ok = await post(bearer(await jwt()));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('mcp-session-id')).toBeTruthy();
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[string, string, RegExp]> = [
      ['wrong audience', await jwt({ aud: 'https://other.example.test/mcp' }), /"aud" claim/],
      ['wrong issuer', await jwt({ iss: 'https://evil.example.test' }), /"iss" claim/],
      ['expired', await jwt({ exp: now - 120 }), /expired/],
      ['foreign key, known kid', await jwt({}, foreignKey, 'k1'), /signature/],
      ['foreign key, unknown kid', await jwt({}, foreignKey, 'k2'), /not signed by one of the issuer's keys/],
      ['no subject', await jwt({ sub: null as unknown as string }), /"sub" claim/],
      ['garbage', 'not-a-jwt-at-all-xxxxxxxx', /not a valid JWT/],
      ['static token of another server', 'static-token-dddddddddddddddddddddd', /not a valid JWT/],
    ];
    for (const [name, token, why] of cases) {
      const r = await post(bearer(token));
      expect(r.status, name).toBe(401);
      const www = r.headers.get('www-authenticate')!;
      expect(www, name).toContain('error="invalid_token"');
      expect(www, name).toContain('resource_metadata=');
      expect(((await r.json()) as { error_description: string }).error_description, name).toMatch(why);
    }
    // The JWKS was fetched once and cached, not once per request.
    expect(jwksFetches).toBe(1);
  });

  it('the static MCP_HTTP_TOKEN works alongside OAuth, as its own principal', async () => {
    const { client } = await connect(STATIC);
    expect((await client.listTools()).tools).toHaveLength(36);
  });

  it("a session belongs to its principal: another user's token on it gets 404, and an expired token of the owner 401", async () => {
    const { client, transport } = await connect(await jwt({ sub: 'alice' }));
    expect((await client.listTools()).tools).toHaveLength(36);
    const sid = transport.sessionId!;
    const list = { jsonrpc: '2.0', id: 5, method: 'tools/list' };
    expect((await post(bearer(await jwt({ sub: 'bob' })), list, sid)).status).toBe(404);
    expect((await post(bearer(STATIC), list, sid)).status).toBe(404);
    // Same sub from another issuer would be another principal: refused at the door here (wrong iss).
    expect((await post(bearer(await jwt({ sub: 'alice', exp: Math.floor(Date.now() / 1000) - 100 })), list, sid)).status).toBe(401);
    const del = await fetch(`${h.url}/mcp`, { method: 'DELETE', headers: { ...bearer(await jwt({ sub: 'bob' })), 'Mcp-Session-Id': sid } });
    expect(del.status).toBe(404);
    // A fresh token of the same user continues the session.
    const again = await post(bearer(await jwt({ sub: 'alice' })), list, sid);
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('list_customers');
  });

  it("a confirm token previewed by one user is refused to another, and nothing is sent; its owner's confirm writes once", async () => {
    const { client: alice } = await connect(await jwt({ sub: 'alice' }));
    const { client: bob } = await connect(await jwt({ sub: 'bob' }));
    const args = { customer_id: 'cust_acme_06', first_name: 'Renamed', connection_id: 'sandbox-acme' };
    const preview = (await alice.callTool({ name: 'update_customer', arguments: args })) as any;
    expect(preview.structuredContent.status).toBe('confirmation_required');
    const token = preview.structuredContent.confirm_token as string;
    const before = await sandboxWrites();
    const stolen = (await bob.callTool({ name: 'update_customer', arguments: { ...args, confirm_token: token } })) as any;
    expect(stolen.isError).toBe(true);
    expect(stolen.content[0].text).toMatch(/confirm_token/);
    expect(await sandboxWrites()).toBe(before);
    const done = (await alice.callTool({ name: 'update_customer', arguments: { ...args, confirm_token: token } })) as any;
    expect(done.isError).toBeFalsy();
    expect(await sandboxWrites()).toBe(before + 1);
  });
});

describe('OAuth configuration', () => {
  it('chargebee-mcp --transport http with MCP_AUTH_ISSUER/AUDIENCE: no token is generated, JWTs are accepted', async () => {
    const config = loadConfig({ sandbox: true, transport: 'http', port: 0 }, { MCP_AUTH_ISSUER: issuer, MCP_AUTH_AUDIENCE: audience, MCP_HTTP_MAX_SESSIONS: '7' });
    const s = await serveHttp({ ...rt, config }, { signals: false });
    try {
      expect(s.token).toBeNull();
      expect(config.httpToken).toBeUndefined();
      expect(s.authMode).toMatch(/^OAuth \(issuer /);
      const r = await fetch(`${s.url}/mcp`, { method: 'POST', headers: { ...jsonHeaders, ...bearer(await jwt({ sub: 'dave' })) }, body: JSON.stringify(INIT) });
      expect(r.status).toBe(200);
      expect((await fetch(`${s.url}/mcp`, { method: 'POST', headers: jsonHeaders, body: JSON.stringify(INIT) })).status).toBe(401);
    } finally {
      await s.close();
    }
  });

  it('refuses incomplete or unsafe settings with a message that says what to fix', () => {
    const load = (env: Record<string, string>) => () => loadConfig({ sandbox: true, transport: 'http' }, env);
    expect(load({ MCP_AUTH_ISSUER: 'https://id.example.test' })).toThrow(/MCP_AUTH_AUDIENCE/);
    expect(load({ MCP_AUTH_AUDIENCE: 'x' })).toThrow(/MCP_AUTH_ISSUER/);
    expect(load({ MCP_AUTH_ISSUER: 'http://id.example.test', MCP_AUTH_AUDIENCE: 'x' })).toThrow(/https/);
    expect(load({ MCP_AUTH_ISSUER: 'not a url', MCP_AUTH_AUDIENCE: 'x' })).toThrow(/absolute URL/);
    expect(() => loadConfig({ sandbox: true, transport: 'http', noAuth: true }, { MCP_AUTH_ISSUER: 'https://id.example.test', MCP_AUTH_AUDIENCE: 'x' })).toThrow(/--no-auth/);
    const ok = loadConfig({ sandbox: true, transport: 'http' }, { MCP_AUTH_ISSUER: 'https://id.example.test', MCP_AUTH_AUDIENCE: 'api://chargebee', MCP_HTTP_MAX_SESSIONS: '20', MCP_HTTP_SESSION_IDLE_S: '60' });
    expect([ok.authIssuer, ok.authAudience, ok.httpMaxSessions, ok.httpSessionIdleS]).toEqual(['https://id.example.test', 'api://chargebee', 20, 60]);
    expect(load({ MCP_HTTP_MAX_SESSIONS: '0' })).toThrow(/MCP_HTTP_MAX_SESSIONS must be an integer >= 1/);
  });

  it('an issuer without reachable metadata and no MCP_AUTH_JWKS_URL refuses to start, naming both settings', async () => {
    const dead = 'http://127.0.0.1:9';
    const err = await startHttpServer(rt, { host: '127.0.0.1', port: 0, token: null, oauth: { issuer: dead, audience: 'x' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/MCP_AUTH_ISSUER.*MCP_AUTH_JWKS_URL/s);
  });

  it('with MCP_AUTH_JWKS_URL the keys come from there even when the issuer publishes no metadata', async () => {
    const pair = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'r1', alg: 'RS256' };
    const keys = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((r) => keys.listen(0, '127.0.0.1', r));
    const jwksUrl = `http://127.0.0.1:${(keys.address() as AddressInfo).port}/keys`;
    const iss = 'http://127.0.0.1:9';
    const s = await startHttpServer(rt, { host: '127.0.0.1', port: 0, token: null, oauth: { issuer: iss, audience: 'api://chargebee', jwksUrl } });
    try {
      const t = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'r1' }).setIssuer(iss).setAudience('api://chargebee').setSubject('carol').setExpirationTime('5m').sign(pair.privateKey);
      const r = await fetch(`${s.url}/mcp`, { method: 'POST', headers: { ...jsonHeaders, ...bearer(t) }, body: JSON.stringify(INIT) });
      expect(r.status).toBe(200);
      const prm = (await (await fetch(`${s.url}/.well-known/oauth-protected-resource/mcp`)).json()) as { resource: string; authorization_servers: string[] };
      // A non-URL audience: the resource is this server's own /mcp URL.
      expect(prm).toEqual({ resource: `${s.url}/mcp`, authorization_servers: [iss], resource_name: 'Chargebee (via Maton)' });
      expect((await fetch(`${s.url}/mcp`, { method: 'POST', headers: jsonHeaders, body: '{}' })).status).toBe(401);
    } finally {
      await s.close();
      await new Promise((r) => keys.close(r));
    }
  });
});

/** A throwaway authorization server: `handle` answers each request (or never does). */
async function issuerServer(handle: (req: http.IncomingMessage, res: http.ServerResponse, base: string) => void): Promise<{ url: string; close(): Promise<void> }> {
  let base = '';
  const s = http.createServer((req, res) => handle(req, res, base));
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  return {
    url: base,
    close: () =>
      new Promise((r) => {
        s.closeAllConnections();
        s.close(() => r());
      }),
  };
}

describe('fair sessions: MCP_HTTP_MAX_SESSIONS_PER_PRINCIPAL', () => {
  it("at a principal's cap its own least recently active session makes room; another principal's are never evicted for it", async () => {
    const s = await startHttpServer(rt, { host: '127.0.0.1', port: 0, token: null, oauth: { issuer, audience }, maxSessions: 6, maxSessionsPerPrincipal: 3 });
    const open = async (t: string) => {
      const r = await fetch(`${s.url}/mcp`, { method: 'POST', headers: { ...jsonHeaders, ...bearer(t) }, body: JSON.stringify(INIT) });
      await r.text();
      expect(r.status).toBe(200);
      return r.headers.get('mcp-session-id')!;
    };
    const status = async (t: string, sid: string) => {
      const r = await fetch(`${s.url}/mcp`, { method: 'POST', headers: { ...jsonHeaders, ...bearer(t), 'Mcp-Session-Id': sid, 'Mcp-Protocol-Version': '2025-11-25' }, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }) });
      await r.text();
      return r.status;
    };
    try {
      const alice = await jwt({ sub: 'alice-fair' });
      const bob = await jwt({ sub: 'bob-fair' });
      const bobs = [await open(bob), await open(bob)];
      const alices: string[] = [];
      // Alice opens 30 sessions one after another: she holds 3 at most, her oldest making room each time.
      for (let i = 0; i < 30; i++) alices.push(await open(alice));
      expect(s.sessionCount()).toBe(5);
      for (const sid of bobs) expect(await status(bob, sid)).toBe(200);
      const alive = [];
      for (const sid of alices) alive.push(await status(alice, sid));
      expect(alive.slice(0, 27).every((st) => st === 404)).toBe(true);
      expect(alive.slice(27)).toEqual([200, 200, 200]);
      // The global cap rule stays for the rest: a third principal fills the last place, a fourth takes the least recently active idle one.
      await open(await jwt({ sub: 'carol-fair' }));
      expect(s.sessionCount()).toBe(6);
      await open(await jwt({ sub: 'dave-fair' }));
      expect(s.sessionCount()).toBe(6);
      console.log(`per-principal cap 3, global 6: alice opened 30, bob's 2 kept; ${alive.filter((st) => st === 404).length} of alice's own closed; sessions ${s.sessionCount()}`);
    } finally {
      await s.close();
    }
  });
});

describe('fair sessions: busy at its own cap', () => {
  it("a principal whose own sessions all have a call running gets 503, and no one else's session goes for it", async () => {
    const s = await startHttpServer(rt, { host: '127.0.0.1', port: 0, token: null, oauth: { issuer, audience }, maxSessions: 10, maxSessionsPerPrincipal: 2 });
    const sandbox = (method: string, path: string, body?: unknown) =>
      fetch(`${rt.sandbox!.url}${path}`, { method, headers: { Authorization: 'Bearer sandbox', 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const sdk = async (t: string) => {
      const c = new Client({ name: 'fair', version: '1.0.0' });
      await c.connect(new StreamableHTTPClientTransport(new URL(`${s.url}/mcp`), { requestInit: { headers: bearer(t) } }));
      clients.push(c);
      return c;
    };
    try {
      const alice = await jwt({ sub: 'alice-busy' });
      const bob = await sdk(await jwt({ sub: 'bob-busy' }));
      const mine = [await sdk(alice), await sdk(alice)];
      await sandbox('POST', '/_sandbox/faults', { match: { method: 'GET', path: '/chargebee/api/v2/customers/cust_acme_03' }, times: 2, fault: { delay_ms: 1500 } });
      const slow = mine.map((c) => c.callTool({ name: 'get_customer', arguments: { customer_id: 'cust_acme_03' } }));
      await new Promise((r) => setTimeout(r, 300));
      const refused = await fetch(`${s.url}/mcp`, { method: 'POST', headers: { ...jsonHeaders, ...bearer(alice) }, body: JSON.stringify(INIT) });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(((await refused.json()) as any).error.message).toMatch(/for this caller \(limit 2 each, MCP_HTTP_MAX_SESSIONS_PER_PRINCIPAL\)/);
      expect(s.sessionCount()).toBe(3);
      for (const r of (await Promise.all(slow)) as any[]) expect(r.structuredContent.customer.id).toBe('cust_acme_03');
      expect(((await bob.callTool({ name: 'get_customer', arguments: { customer_id: 'cust_acme_01' } })) as any).isError).toBeFalsy();
    } finally {
      await sandbox('DELETE', '/_sandbox/faults');
      await s.close();
    }
  }, 20_000);
});

describe('bearer edge cases', () => {
  it('"Bearer <token> other" is refused with 401 like any malformed header', async () => {
    const good = await jwt({ sub: 'mallory' });
    const r = await post({ Authorization: `Bearer ${good} other` });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer .*invalid_token/);
    for (const bad of [`Bearer  ${good}`, `Bearer ${good},x`, `Basic ${good}`]) expect((await post({ Authorization: bad })).status, bad).toBe(401);
    expect((await post(bearer(good))).status).toBe(200);
  });

  it('a JWKS that answers too late, or not 200, is 503 + Retry-After (never 500)', async () => {
    let mode: 'hang' | '500' = 'hang';
    const slow = await issuerServer((req, res, base) => {
      if (req.url === '/.well-known/oauth-authorization-server') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return res.end(JSON.stringify({ issuer: base, authorization_endpoint: `${base}/authorize`, token_endpoint: `${base}/token`, jwks_uri: `${base}/jwks`, response_types_supported: ['code'] }));
      }
      if (req.url === '/jwks' && mode === '500') return res.writeHead(500).end();
      if (req.url !== '/jwks') res.writeHead(404).end();
      // hang: never answer
    });
    const s = await startHttpServer(rt, { host: '127.0.0.1', port: 0, token: null, oauth: { issuer: slow.url, audience, timeoutMs: 300 } });
    try {
      const t = await jwt({ iss: slow.url, sub: 'erin' });
      for (const m of ['hang', '500'] as const) {
        mode = m;
        const started = Date.now();
        const r = await fetch(`${s.url}/mcp`, { method: 'POST', headers: { ...jsonHeaders, ...bearer(t) }, body: JSON.stringify(INIT) });
        expect(r.status, m).toBe(503);
        expect(r.headers.get('retry-after'), m).toBe('5');
        expect(await r.text()).toMatch(/signing keys/);
        console.log(`JWKS ${m}: ${r.status} Retry-After ${r.headers.get('retry-after')} after ${Date.now() - started} ms`);
      }
    } finally {
      await s.close();
      await slow.close();
    }
  });

  it('start-up says what really failed: issuer down, no metadata, or metadata without jwks_uri', async () => {
    const start = (iss: string) => startHttpServer(rt, { host: '127.0.0.1', port: 0, token: null, oauth: { issuer: iss, audience: 'x', timeoutMs: 2000 } }).then(
      (s) => s.close().then(() => 'started'),
      (e: Error) => e.message,
    );
    const closed = await issuerServer(() => {});
    await closed.close();
    const down = await start(closed.url);
    expect(down).toMatch(/Could not read the metadata of MCP_AUTH_ISSUER http:\/\/127\.0\.0\.1:\d+ \(.*ECONNREFUSED\): check that the issuer is up.*MCP_AUTH_JWKS_URL/);
    expect(down).not.toMatch(/jwks_uri/);
    const none = await issuerServer((_req, res) => res.writeHead(404).end());
    const noJwks = await issuerServer((req, res, base) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ issuer: base, authorization_endpoint: `${base}/a`, token_endpoint: `${base}/t`, response_types_supported: ['code'] }));
    });
    try {
      expect(await start(none.url)).toMatch(/serves no metadata at \/\.well-known\/oauth-authorization-server or \/\.well-known\/openid-configuration \(.*HTTP 404.*\): .*MCP_AUTH_JWKS_URL/);
      expect(await start(noJwks.url)).toMatch(/publishes metadata without a jwks_uri: set MCP_AUTH_JWKS_URL/);
    } finally {
      await none.close();
      await noJwks.close();
    }
  });
});
