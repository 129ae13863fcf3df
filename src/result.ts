/**
 * Results cost the agent context: drop nulls, empty strings, empty objects and
 * arrays, unwrap Chargebee's list envelope, keep every non-empty field.
 */
export function prune(value: unknown): unknown {
  if (Array.isArray(value)) {
    const out = value.map(prune).filter((v) => v !== undefined);
    return out.length ? out : undefined;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const p = prune(v);
      if (p !== undefined) out[k] = p;
    }
    return Object.keys(out).length ? out : undefined;
  }
  if (value === null || value === '') return undefined;
  return value;
}

/**
 * {list:[{subscription:{...},customer:{...}}], next_offset} → {subscriptions:[{...subscription, customer:{...}}], next_offset}:
 * each row is the listed resource itself, with the entry's companion objects
 * (customer, card) nested under their own names.
 */
export function shapeResult(body: unknown, listKey: string): Record<string, unknown> {
  if (body && typeof body === 'object' && Array.isArray((body as { list?: unknown }).list)) {
    const { list, next_offset, ...rest } = body as { list: Array<Record<string, unknown>>; next_offset?: string };
    const singular = listKey.replace(/s$/, '');
    const rows = list.map((entry) => {
      const keys = Object.keys(entry ?? {});
      const primary = keys.includes(singular) ? singular : keys[0];
      if (primary === undefined) return entry;
      const row = { ...(entry[primary] as Record<string, unknown>) };
      for (const k of keys) if (k !== primary) row[k in row ? `_${k}` : k] = entry[k];
      return row;
    });
    return {
      ...((prune(rest) as Record<string, unknown>) ?? {}),
      [listKey]: (prune(rows) as unknown[]) ?? [],
      ...(next_offset ? { next_offset } : {}),
    };
  }
  return (prune(body) as Record<string, unknown>) ?? {};
}
