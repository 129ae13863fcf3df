#!/usr/bin/env node
import { parseFlags } from './args.js';
import { loadConfig, logLevelOf, UsageError, type Config } from './config.js';
import { listenFailure } from './http/listener.js';
import { createLogger } from './log.js';
import { VERSION } from './version.js';

const HELP = `chargebee-mcp ${VERSION} — MCP server for Chargebee through the Maton API gateway

Usage:
  chargebee-mcp [options]                 MCP over stdio against the real gateway (needs MATON_API_KEY)
  chargebee-mcp --sandbox [options]       same, against the built-in sandbox (no key needed)
  chargebee-mcp --transport http [--host H] [--port P] [options]
                                          Streamable HTTP at /mcp, legacy SSE at /sse + /messages
  chargebee-mcp sandbox [--port P] [--host H] [--api-key K] [--rate-limit N]
                                          run only the sandbox gateway

Options:
  --transport stdio|http   transport (default stdio)
  --host H                 HTTP bind address (default 127.0.0.1)
  --port P                 HTTP port (default 3333; sandbox: 4010)
  --sandbox                use the embedded sandbox gateway instead of Maton (pins
                           sandbox-acme; --connection sandbox-globex for the other)
  --read-only              only read tools are listed and callable
  --tools a,b,c            only these tools or toolsets (customers, subscriptions, items,
                           item_prices, invoices, hosted_pages, portal_sessions, exports, connections)
  --connection ID          pin the Maton connection (same as MATON_CONNECTION_ID)
  --no-auth                HTTP without the bearer token (loopback hosts only)
  --approval auto|human|token
                           how writes are approved (default auto: ask the person through the
                           client when it can; human: only clients that can ask; token: the
                           confirm token alone, for hosts with their own approval step)
  --audit-log PATH         append one JSON line per write decision to PATH (mode 0600)
  --redis URL              share used tokens, target locks and the rate limit with other
                           instances through Redis (e.g. redis://127.0.0.1:6379/0)
  --help, --version

Environment:
  MATON_API_KEY, MATON_CONNECTION_ID, MATON_BASE_URL, MCP_HTTP_TOKEN,
  CHARGEBEE_MCP_CONFIRM_SECRET, CHARGEBEE_MCP_CONFIRM_TTL_S, CHARGEBEE_MCP_TIMEOUT_MS,
  CHARGEBEE_MCP_RETRY_BUDGET_MS, CHARGEBEE_MCP_RATE_LIMIT, CHARGEBEE_MCP_APPROVAL,
  CHARGEBEE_MCP_AUDIT_LOG, REDIS_URL, MCP_HTTP_ALLOWED_HOSTS, LOG_LEVEL  (see README)
  HTTP sessions: MCP_HTTP_MAX_SESSIONS (default 100; when full, the least recently active idle
    session is closed), MCP_HTTP_MAX_SESSIONS_PER_PRINCIPAL (default 20; at it, that caller's own
    least recently active idle session is closed), MCP_HTTP_SESSION_IDLE_S (default 1800),
    MCP_HTTP_REQUEST_TIMEOUT_S (default 30)
  OAuth 2.1 resource server: MCP_AUTH_ISSUER, MCP_AUTH_AUDIENCE, MCP_AUTH_JWKS_URL (default: from
    the issuer's metadata); callers are then the tokens' iss + sub
`;

/**
 * A start-up failure: one line on stderr that says what to fix and where the help is, exit 2.
 * (A multi-line message, like the missing MATON_API_KEY one, is its own help.)
 */
function fail(message: string, code = 2): never {
  const oneLine = !message.includes('\n');
  const hint = oneLine && code === 2 ? `${/[.!?]$/.test(message) ? '' : '.'} See chargebee-mcp --help.` : '';
  process.stderr.write(`chargebee-mcp: ${message}${hint}\n`);
  process.exit(code);
}

function port(v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new UsageError(`--port must be an integer 0-65535 (got "${v}")`);
  return n;
}

/** Where the process listens, for the one-line message if the listen fails. */
let listening: { host: string; port: number } | undefined;

async function runSandbox(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    'api-key': { type: 'string' },
    'rate-limit': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return void process.stdout.write(HELP);
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}" after "sandbox"`);
  const raw = values['rate-limit'];
  if (raw !== undefined && !/^\d+$/.test(raw)) throw new UsageError(`--rate-limit must be an integer >= 0 (got "${raw}")`);
  const rateLimit = raw === undefined ? 10 : Number(raw);
  const host = values.host ?? '127.0.0.1';
  const p = port(values.port, 4010);
  const level = logLevelOf(process.env);
  listening = { host, port: p };
  const logger = createLogger({ level });
  const { startSandbox } = await import('./sandbox/index.js');
  const sb = await startSandbox({ host, port: p, apiKey: values['api-key'] ?? 'sandbox', rateLimit, logger });
  process.stderr.write(`chargebee-mcp sandbox listening on ${sb.url} (API key "${sb.apiKey}", ${rateLimit || 'no'} requests/s limit)\nPoint the server at it: MATON_BASE_URL=${sb.url} MATON_API_KEY=${sb.apiKey} chargebee-mcp\n`);
  const stop = () => void sb.close().then(() => process.exit(0));
  process.off('SIGINT', exitNow);
  process.off('SIGTERM', exitNow);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** --tools a,b,c: names, at least one. */
function toolList(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const names = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (!names.length) throw new UsageError('--tools needs at least one tool or toolset name, comma-separated (e.g. --tools customers,get_subscription); leave it out to serve every tool');
  return names;
}

/** Until a transport installs its own graceful handlers, a signal simply ends the process. */
const exitNow = () => process.exit(0);

/** SIGHUP (log rotation) reopens the audit file once the runtime is up; it never ends the process. */
let onHangup = () => {};

async function main(): Promise<void> {
  process.on('SIGINT', exitNow);
  process.on('SIGTERM', exitNow);
  process.on('SIGHUP', () => onHangup());
  const argv = process.argv.slice(2);
  if (argv[0] === 'sandbox') return runSandbox(argv.slice(1));
  const { values, positionals } = parseFlags(argv, {
    transport: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    sandbox: { type: 'boolean' },
    'read-only': { type: 'boolean' },
    tools: { type: 'string' },
    connection: { type: 'string' },
    'no-auth': { type: 'boolean' },
    approval: { type: 'string' },
    'audit-log': { type: 'string' },
    redis: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
  });
  if (values.help) return void process.stdout.write(HELP);
  if (values.version) return void process.stdout.write(`${VERSION}\n`);
  if (positionals.length) throw new UsageError(`unknown command "${positionals[0]}" (the only command is "sandbox")`);
  const transport = values.transport ?? 'stdio';
  if (transport !== 'stdio' && transport !== 'http') throw new UsageError(`--transport must be stdio or http (got "${transport}")`);
  const flags: Partial<Config> = {
    transport,
    host: values.host,
    port: port(values.port, 3333),
    sandbox: values.sandbox,
    readOnly: values['read-only'],
    tools: toolList(values.tools),
    connectionId: values.connection,
    noAuth: values['no-auth'],
    approval: values.approval as Config['approval'] | undefined,
    auditLog: values['audit-log'],
    redisUrl: values.redis,
  };
  const config = loadConfig(flags);
  const logger = createLogger({ level: config.logLevel, secrets: () => [config.apiKey, config.httpToken, config.confirmSecret.toString('utf8')] });
  // HTTP: the port is opened once, here, before the runtime starts; until ready it answers 503 + Retry-After.
  const http = transport === 'http' ? await import('./http.js') : undefined;
  const listener = await http?.listenEarly(config);
  const { createRuntime } = await import('./runtime.js');
  const rt = await createRuntime(config, logger);
  onHangup = () => void rt.reopenLogs();
  if (http) await http.serveHttp(rt, { listener });
  else {
    const { serveStdio } = await import('./stdio.js');
    await serveStdio(rt);
  }
  process.off('SIGINT', exitNow);
  process.off('SIGTERM', exitNow);
}

main().catch((e: unknown) => {
  if (e instanceof UsageError) fail(e.message, e.exitCode);
  if (e instanceof Error && e.constructor.name === 'UnknownToolError') fail(e.message);
  const listen = listening && listenFailure(e, listening.host, listening.port);
  if (listen) fail(listen.message);
  fail(e instanceof Error ? (e.stack ?? e.message) : String(e), 1);
});
