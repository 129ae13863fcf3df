import { pino, type Logger } from 'pino';
import { scrubber } from './scrub.js';

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

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * JSON logs on stderr only (stdout carries MCP messages on stdio).
 * Known secret values and credential shapes are scrubbed from every line (src/scrub.ts) as a
 * second line of defence behind path redaction.
 */
export function createLogger(opts: { level?: string; secrets?: () => Array<string | undefined> } = {}): Logger {
  const scrub = scrubber(opts.secrets, { logs: true });
  const wanted = (opts.level ?? 'info').toLowerCase();
  const level = LEVELS.has(wanted) ? wanted : 'info';
  const logger = pino(
    {
      level,
      base: { name: 'chargebee-mcp' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      hooks: {
        streamWrite: scrub,
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
