/**
 * A write's outcome as the ledger keeps it, and as a later use of its token returns it. Records are
 * checked when read (ledger.ts checkRecord), so `restored` can rely on their shape.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { StoredOutcome, TokenRecord } from './ledger.js';

/**
 * An outcome as the ledger keeps it until its token expires: where the text is the structured
 * content's own JSON (write results), only the text — one compact string instead of two copies.
 */
export function storable(outcome: CallToolResult): StoredOutcome {
  const text = outcome.content[0]?.type === 'text' ? outcome.content[0].text : '';
  const derivable = outcome.content.length === 1 && outcome.structuredContent !== undefined && text === JSON.stringify(outcome.structuredContent);
  return {
    content: [{ type: 'text', text }],
    ...(derivable ? {} : { structuredContent: outcome.structuredContent }),
    ...(outcome.isError ? { isError: true } : {}),
  };
}

function restored(o: StoredOutcome): CallToolResult {
  const structuredContent = o.structuredContent ?? (JSON.parse(o.content[0]!.text) as Record<string, unknown>);
  return { content: o.content, structuredContent, ...(o.isError ? { isError: true } : {}) };
}

export function replay(rec: TokenRecord): CallToolResult {
  const first = restored(rec.outcome!);
  if (first.isError) return first;
  const note = rec.sent
    ? 'This confirm token was already used: nothing was sent again. This is the outcome of the first use.'
    : 'This confirm token was already used: nobody was asked again and nothing was sent.';
  const structured = { replay: true, note, ...(first.structuredContent ?? {}) };
  const text = first.structuredContent && first.content[0]?.type === 'text' && first.content[0].text.startsWith('{') ? JSON.stringify(structured) : `${note}\n${(first.content[0] as { text?: string })?.text ?? ''}`;
  return { ...first, content: [{ type: 'text', text }], structuredContent: structured };
}
