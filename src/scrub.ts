/**
 * The one rule for keeping secrets out of text we did not write (upstream error messages) and out
 * of log lines. It never touches successful data: the callers run it on error text and log lines
 * only. Two kinds of secret:
 *  - credentials recognisable by their shape, whatever their value: `Bearer x`, `Basic x`,
 *    `authorization: x`, confirm tokens (`cbt1.<payload>.<signature>`);
 *  - configured values (the Maton key, the HTTP token, the confirm secret), replaced only where
 *    they stand as a whole token. A value shorter than MIN_SECRET characters is no secret worth the
 *    damage (the sandbox key is `sandbox`: scrubbing it would turn the id `sandbox-acme` into
 *    `[redacted]-acme`), and a value glued to id characters is part of another word.
 */

export const REDACTED = '[redacted]';

/** Configured values shorter than this are not scrubbed (they would mangle ids and words). */
export const MIN_SECRET = 8;

/** Only in logs: a confirm token is the caller's to see in a result, never an operator's in a log. */
const CONFIRM_TOKEN: [RegExp, string] = [/cbt1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g, `cbt1.${REDACTED}`];

const SHAPES: Array<[RegExp, string]> = [
  // credentials in any header dump or message
  [/\b(Bearer|Basic)\s+(?!\[redacted\])[^\s"',;}\\]+/gi, `$1 ${REDACTED}`],
  [/(authorization\\?["']?\s*[:=]\s*\\?["']?)(?!Bearer|Basic|\[redacted\])[^\s"',;}\\]+/gi, `$1${REDACTED}`],
];

/** Characters of ids and tokens: a configured value touching one of these is part of a longer word. */
const WORD = 'A-Za-z0-9_\\-';

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The value as a whole token, raw or as it appears inside a JSON string. */
function valuePattern(values: string[]): RegExp | undefined {
  const forms = new Set<string>();
  for (const v of values) {
    forms.add(v);
    forms.add(JSON.stringify(v).slice(1, -1));
  }
  if (!forms.size) return undefined;
  const alt = [...forms].sort((a, b) => b.length - a.length).map(escapeRe).join('|');
  // Not preceded or followed by an id character (a '.' counts when an id character follows or
  // precedes it: "key.v2"); a JSON escape such as \n before the value is a boundary.
  return new RegExp(`(?:(?<=\\\\[nrtbf])|(?<![${WORD}]|[${WORD}]\\.))(?:${alt})(?![${WORD}]|\\.[${WORD}])`, 'g');
}

export type Scrub = (text: string) => string;

/**
 * A scrubber for these values; `values` is read on every call, so a value set later is covered.
 * `logs` also hides confirm tokens.
 */
export function scrubber(values: () => Array<string | undefined> = () => [], o: { logs?: boolean } = {}): Scrub {
  const shapes = o.logs ? [CONFIRM_TOKEN, ...SHAPES] : SHAPES;
  let key = '';
  let re: RegExp | undefined;
  return (text) => {
    let out = text;
    for (const [shape, by] of shapes) out = out.replace(shape, by);
    const wanted = values().filter((v): v is string => typeof v === 'string' && v.length >= MIN_SECRET);
    const k = wanted.join('\0');
    if (k !== key) {
      key = k;
      re = valuePattern(wanted);
    }
    return re ? out.replace(re, REDACTED) : out;
  };
}
