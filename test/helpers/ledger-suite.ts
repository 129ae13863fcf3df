import { describe, expect, it } from 'vitest';
import { LockTimeout, type Ledger } from '../../src/guard/ledger.js';

/**
 * The contract every Ledger keeps, run against each implementation (memory, Redis).
 * `make` returns a fresh, empty ledger; `now` is the clock the ledger uses.
 */
export function ledgerSuite(name: string, make: () => Promise<Ledger>): void {
  describe(`ledger contract: ${name}`, () => {
    const rec = (state: 'claimed' | 'sent' | 'unknown' | 'final', extra: object = {}) => ({ state, at: Date.now(), ...extra });
    const uniq = () => `n-${Math.random().toString(36).slice(2)}`;

    it('claims a token once: of many concurrent claims exactly one wins', async () => {
      const l = await make();
      const n = uniq();
      const wins = await Promise.all(Array.from({ length: 50 }, () => l.swap(n, undefined, rec('claimed'), Date.now() + 60_000)));
      expect(wins.filter(Boolean)).toHaveLength(1);
      expect((await l.get(n))?.state).toBe('claimed');
      await l.close();
    });

    it('moves a record only from the expected state, and keeps the outcome', async () => {
      const l = await make();
      const n = uniq();
      const exp = Date.now() + 60_000;
      expect(await l.swap(n, 'claimed', rec('sent'), exp)).toBe(false);
      expect(await l.swap(n, undefined, rec('claimed'), exp)).toBe(true);
      expect(await l.swap(n, 'claimed', rec('sent', { sent: true }), exp)).toBe(true);
      expect(await l.swap(n, 'claimed', rec('final'), exp)).toBe(false);
      const outcome = { content: [{ type: 'text' as const, text: 'done' }], structuredContent: { status: 'done' } };
      expect(await l.swap(n, 'sent', rec('final', { outcome, sent: true }), exp)).toBe(true);
      const got = await l.get(n);
      expect(got?.state).toBe('final');
      expect(got?.outcome).toEqual(outcome);
      expect(got?.sent).toBe(true);
      await l.close();
    });

    it('release makes a token unused again', async () => {
      const l = await make();
      const n = uniq();
      await l.swap(n, undefined, rec('claimed'), Date.now() + 60_000);
      await l.release(n);
      expect(await l.get(n)).toBeUndefined();
      expect(await l.swap(n, undefined, rec('claimed'), Date.now() + 60_000)).toBe(true);
      await l.close();
    });

    it('forgets a record once its token has expired', async () => {
      const l = await make();
      const n = uniq();
      await l.swap(n, undefined, rec('claimed'), Date.now() + 150);
      expect(await l.get(n)).toBeDefined();
      await new Promise((r) => setTimeout(r, 400));
      expect(await l.get(n)).toBeUndefined();
      await l.close();
    });

    it('serialises holders of one target lock and frees it on release', async () => {
      const l = await make();
      const key = `t-${uniq()}`;
      const order: string[] = [];
      const run = async (who: string) => {
        const release = await l.lock(key, 5_000, 5_000);
        order.push(`${who}+`);
        await new Promise((r) => setTimeout(r, 50));
        order.push(`${who}-`);
        await release();
      };
      await Promise.all([run('a'), run('b'), run('c')]);
      for (let i = 0; i < order.length; i += 2) expect(order[i]!.slice(0, -1)).toBe(order[i + 1]!.slice(0, -1));
      await l.close();
    });

    it('gives up waiting for a lock after waitMs, and a dead holder\'s lock expires after holdMs', async () => {
      const l = await make();
      const key = `t-${uniq()}`;
      await l.lock(key, 600, 1000);
      await expect(l.lock(key, 600, 100)).rejects.toBeInstanceOf(LockTimeout);
      const release = await l.lock(key, 600, 3000);
      await release();
      await l.close();
    });

    it('remembers unknown-outcome notes per target until they expire', async () => {
      const l = await make();
      const key = `t-${uniq()}`;
      expect(await l.unknownFor(key)).toBeUndefined();
      await l.noteUnknown(key, { at: '2026-11-30T08:00:00.000Z', tool: 'create_customer', detail: 'x' }, 200);
      expect(await l.unknownFor(key)).toEqual({ at: '2026-11-30T08:00:00.000Z', tool: 'create_customer', detail: 'x' });
      await new Promise((r) => setTimeout(r, 400));
      expect(await l.unknownFor(key)).toBeUndefined();
      await l.close();
    });
  });
}
