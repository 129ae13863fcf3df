import { pino, type Logger } from 'pino';

export type { Logger };

/** Header and field names whose values never reach a log line. */
const SECRET_FIELDS = ['apiKey', 'api_key', 'MATON_API_KEY', 'token', 'httpToken', 'confirm_token', 'confirmToken', 'secret', 'confirmSecret', 'authorization'];
const REDACT_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  ...SECRET_FIELDS.map((f) => `*.*.${f}`),
  'headers.authorization',
  '*.headers.authorization',
  'headers["maton-connection"]',
];

/** Secrets recognisable by shape, whatever field or message they end up in. */
const SECRET_PATTERNS: Array<[RegExp, string]> = [
  // confirm tokens (see confirm.ts): cbt1.<payload>.<signature>
  [/cbt1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g, 'cbt1.[redacted]'],
  // bearer credentials in any header dump or message
  [/(Bearer\s+)[^\s"',;]+/gi, '$1[redacted]'],
];

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * JSON logs on stderr only (stdout carries MCP messages on stdio).
 * Known secret values are scrubbed from every line as a second line of defence
 * behind path redaction.
 */
export function createLogger(opts: { level?: string; secrets?: () => Array<string | undefined> } = {}): Logger {
  const secrets = opts.secrets ?? (() => []);
  const wanted = (opts.level ?? 'info').toLowerCase();
  const level = LEVELS.has(wanted) ? wanted : 'info';
  const logger = pino(
    {
      level,
      base: { name: 'chargebee-mcp' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      hooks: {
        streamWrite(line: string): string {
          let out = line;
          for (const s of secrets()) {
            if (!s || s.length < 6) continue;
            out = out.split(s).join('[redacted]');
            // the same secret as it appears inside a JSON string
            const escaped = JSON.stringify(s).slice(1, -1);
            if (escaped !== s) out = out.split(escaped).join('[redacted]');
          }
          for (const [re, by] of SECRET_PATTERNS) out = out.replace(re, by);
          return out;
        },
      },
    },
    pino.destination({ fd: 2, sync: true }),
  );
  if (level !== wanted) logger.warn(`LOG_LEVEL "${opts.level}" is not a pino level (${[...LEVELS].join(', ')}): using info.`);
  return logger;
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
