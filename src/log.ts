import { pino, type Logger } from 'pino';

export type { Logger };

/** Header and field names whose values never reach a log line. */
const REDACT_PATHS = [
  'apiKey',
  'token',
  'confirm_token',
  'confirmToken',
  'secret',
  'authorization',
  'headers.authorization',
  'headers["maton-connection"]',
  'args.confirm_token',
  '*.confirm_token',
  '*.authorization',
  '*.apiKey',
  '*.secret',
];

/**
 * JSON logs on stderr only (stdout carries MCP messages on stdio).
 * Known secret values are scrubbed from every line as a second line of defence
 * behind path redaction.
 */
export function createLogger(opts: { level?: string; secrets?: () => Array<string | undefined> } = {}): Logger {
  const secrets = opts.secrets ?? (() => []);
  return pino(
    {
      level: opts.level ?? 'info',
      base: { name: 'chargebee-mcp' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      hooks: {
        streamWrite(line: string): string {
          let out = line;
          for (const s of secrets()) if (s && s.length >= 6) out = out.split(s).join('[redacted]');
          return out;
        },
      },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
