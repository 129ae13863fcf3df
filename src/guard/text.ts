/**
 * The preview text for the agent, with its machine detail (the person's question, built from the
 * same preview, is in question.ts). Everything from Chargebee (names, emails,
 * companies, ids) is untrusted text: it is only ever shown inside JSON quotes or on one line of
 * its own field, so it can never start a line or pose as the server's own words (the effect).
 */

/** Line breaks of every kind, and other control characters, that could start a new line or hide text. */
const BREAKS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]+/g;

/** One line, whatever it contains: every break or control character becomes one space. */
export function oneLine(s: string): string {
  return s.replace(BREAKS, ' ').trim();
}

/** A value for a person: strings in JSON quotes (escaped), numbers and booleans as they are, the rest compact JSON. */
export function quoted(v: unknown): string {
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : (JSON.stringify(v) ?? 'null');
}

/** Parts of a target that are figures for programs (minor units): the effect says them in words and currency. */
const FOR_PROGRAMS = new Set(['money']);

/** The target, one line per part ("customer: name "Ada Lovelace", email "ada@…""), every value quoted. */
function targetLines(target: Record<string, unknown>): string[] {
  return Object.entries(target)
    .filter(([part, v]) => v !== undefined && !FOR_PROGRAMS.has(part))
    .map(([part, v]) =>
      v !== null && typeof v === 'object' && !Array.isArray(v)
        ? `  ${part}: ${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k} ${quoted(x)}`).join(', ')}`
        : `  ${part}: ${quoted(v)}`,
    );
}

export interface WriteFacts {
  tool: string;
  connection: string | null;
  target: Record<string, unknown>;
  effect: string;
  sandbox: boolean;
  warning?: string;
}

/** The fixed template both the preview text and the person's question are built from. */
function factLines(f: WriteFacts): string[] {
  return [
    `Action: ${f.tool}`,
    `Connection: ${f.connection ?? '(Maton account)'}`,
    'Target:',
    ...targetLines(f.target),
    `Effect: ${oneLine(f.effect)}`,
    ...(f.warning ? [`Warning: ${oneLine(f.warning)}`] : []),
  ];
}

/** The preview's text content, for the agent to show its user. */
export function previewText(f: WriteFacts, token: string, expiresAt: string): string {
  return [
    'CONFIRMATION REQUIRED: nothing has been written yet.',
    ...factLines(f),
    `To go ahead, call ${f.tool} again with the same arguments plus "confirm_token": "${token}" (valid until ${expiresAt}). To stop, do nothing.`,
  ].join('\n');
}
