import * as z from 'zod';
import { filterDoc, filterRegistry, groupRegistry, type FilterMeta } from './schema.js';

type Json = Record<string, unknown>;

/**
 * The inputSchema agents see. Generated from the same zod schema that validates
 * calls, but small: tools/list costs context on every request. Filters and
 * nested objects collapse to one short description each (which names their
 * operators / fields), string patterns and lengths are left to the server.
 * The server-side validator stays exact, and its errors name what is allowed.
 */
export function advertisedSchema(schema: z.ZodType): Json {
  const js = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    override(ctx) {
      const zs = ctx.zodSchema as unknown as z.ZodType;
      const meta = filterRegistry.get(zs);
      const fields = groupRegistry.get(zs);
      const j = ctx.jsonSchema as Json;
      if (meta || fields) {
        const description = meta ? filterDoc(meta) : groupDoc(fields!);
        replace(j, { type: 'object', description });
      } else if (zs !== schema && j.type === 'object') {
        replace(j, { type: 'object', ...(j.description ? { description: j.description } : {}) });
      } else {
        delete j.pattern;
        delete j.maxLength;
        delete j.minLength;
        delete j.format;
      }
    },
  }) as Json;
  delete js.$schema;
  // Strictness is enforced (and explained) by the server; not worth bytes in every listing.
  delete js.additionalProperties;
  return js;
}

function replace(target: Json, value: Json): void {
  for (const k of Object.keys(target)) delete target[k];
  Object.assign(target, value);
}

/** A nested filter group in one line: fields of the same kind share their code, enums list their values. */
function groupDoc(fields: Record<string, FilterMeta>): string {
  const byCode = new Map<string, string[]>();
  const enums: string[] = [];
  for (const [k, m] of Object.entries(fields)) {
    const doc = filterDoc(m);
    if (m.values) enums.push(`${k} ${doc}`);
    else byCode.set(doc, [...(byCode.get(doc) ?? []), k]);
  }
  return [...[...byCode].map(([code, keys]) => `${code} ${keys.join(',')}`), ...enums].join('; ');
}
