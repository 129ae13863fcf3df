import * as z from 'zod';
import { BASE_OPS, filterRegistry, groupRegistry, type FilterKind, type FilterMeta } from './schema.js';

type Json = Record<string, unknown>;

/**
 * What agents see of a tool's input: generated from the same zod schema that
 * validates calls, but small, since tools/list costs context on every request.
 * Filters collapse to a kind code (S, Si, E, T, N, B, ? for is_present) and a
 * one-line legend of the codes the tool uses is appended to its description;
 * nested objects collapse to their description; string patterns and lengths are
 * left to the server. The validator stays exact, and its errors name what is allowed.
 */
export function advertise(schema: z.ZodType, description: string): { inputSchema: Json; description: string } {
  const used: FilterMeta[] = [];
  const js = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    override(ctx) {
      const zs = ctx.zodSchema as unknown as z.ZodType;
      const meta = filterRegistry.get(zs);
      const fields = groupRegistry.get(zs);
      const j = ctx.jsonSchema as Json;
      if (meta || fields) {
        used.push(...(meta ? [meta] : Object.values(fields!)));
        replace(j, { type: 'object', description: meta ? filterDoc(meta) : groupDoc(fields!) });
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
  return { inputSchema: js, description: used.length ? `${description} ${legend(used)}` : description };
}

function replace(target: Json, value: Json): void {
  for (const k of Object.keys(target)) delete target[k];
  Object.assign(target, value);
}

/** Compact text for one filter: kind code, then enum values (a long list is cut: the validator names them all). */
function filterDoc(m: FilterMeta): string {
  const code = kindCode(m);
  if (!m.values) return code;
  const shown = m.values.length > 6 ? [...m.values.slice(0, 4), '…'] : m.values;
  return `${code}:${shown.join('|')}`;
}

/** S, Si (string with in/not_in), E, T, N, B; ? when is_present is also allowed. */
function kindCode(m: FilterMeta): string {
  const extra = m.ops.filter((o) => !BASE_OPS[m.kind].includes(o));
  if (extra.some((o) => o !== 'in' && o !== 'not_in' && o !== 'is_present')) throw new Error(`no kind code for operators ${extra.join(',')}`);
  return m.kind + (m.kind === 'S' && extra.includes('in') ? 'i' : '') + (extra.includes('is_present') ? '?' : '');
}

/** A nested filter group (export filters) in one line: fields grouped by kind code, without values. */
function groupDoc(fields: Record<string, FilterMeta>): string {
  const byCode = new Map<string, string[]>();
  for (const [k, m] of Object.entries(fields)) {
    const code = kindCode(m);
    byCode.set(code, [...(byCode.get(code) ?? []), k]);
  }
  return [...byCode].map(([code, keys]) => `${code} ${keys.join(',')}`).join('; ');
}

const KIND_TEXT: Record<FilterKind, string> = {
  S: 'is|is_not|starts_with',
  E: 'is|is_not|in|not_in',
  T: 'after|before|on|between (Unix s)',
  N: 'is|is_not|lt|lte|gt|gte|between',
  B: 'is',
};

/** The legend for the kind codes a tool uses, e.g. "Filters {op:value}: Si is|is_not|starts_with|in|not_in; T after|…". */
function legend(metas: FilterMeta[]): string {
  const codes = new Set(metas.map((m) => kindCode(m).replace('?', '')));
  const parts = [...codes].sort().map((c) => `${c} ${KIND_TEXT[c[0] as FilterKind]}${c === 'Si' ? '|in|not_in' : ''}`);
  const notes = [metas.some((m) => m.ops.includes('is_present')) ? '? +is_present' : '', metas.some((m) => m.ops.includes('in')) ? 'in/not_in: [..]' : '', metas.some((m) => m.ops.includes('between')) ? 'between: [from,to]' : ''];
  return `Filters {op:value}: ${[...parts, ...notes.filter(Boolean)].join('; ')}.`;
}
