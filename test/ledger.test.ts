import { describe, expect, it } from 'vitest';
import { MemoryLedger } from '../src/guard/ledger.js';
import { ledgerSuite } from './helpers/ledger-suite.js';

// A planted record is kept as the raw text: the ledger reads it back as it would any record.
ledgerSuite('memory', async () => new MemoryLedger(), async (l, kind, key, raw) => {
  (l as any)[kind === 'token' ? 'tokens' : 'notes'].set(key, raw, Date.now() + 60_000);
});

describe('MemoryLedger memory', () => {
  it('keeps a used token only while it can be presented', async () => {
    let now = 1_000_000;
    const l = new MemoryLedger(() => now);
    for (let i = 0; i < 3000; i++) await l.swap(`n${i}`, undefined, { state: 'final', at: now }, now + 300_000);
    expect(l.size).toBe(3000);
    now += 300_001;
    await l.swap('later', undefined, { state: 'claimed', at: now }, now + 300_000);
    expect(l.size).toBe(1);
  });
});
