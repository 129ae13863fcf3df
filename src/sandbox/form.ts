/** Query-string / x-www-form-urlencoded decoding, and the `a[b][c]` key syntax Chargebee uses. */
import { chargebeeError } from './http.js';

export type Pair = readonly [key: string, value: string];

/** Splits `k=v&k2=v2` into decoded pairs (`+` is a space, then percent-decoding). Order is kept. */
export function parsePairs(raw: string): Pair[] {
  const pairs: Pair[] = [];
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decodeComponent(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decodeComponent(part.slice(eq + 1));
    pairs.push([key, value]);
  }
  return pairs;
}

function decodeComponent(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw chargebeeError(400, { message: `Malformed percent-encoding in '${s.slice(0, 100)}'` });
  }
}

const KEY = /^([^[\]]+)((?:\[[^[\]]*\])*)$/;

/** `subscription_items[item_price_id][0]` → `['subscription_items', 'item_price_id', '0']`; undefined if malformed. */
export function keyPath(key: string): string[] | undefined {
  const m = KEY.exec(key);
  if (!m || m[1] === undefined) return undefined;
  const rest = m[2] ?? '';
  const segments = rest === '' ? [] : rest.slice(1, -1).split('][');
  return [m[1], ...segments];
}
