import { describe, expect, it } from 'vitest';
import { LedgerCorrupt, LockTimeout, type Ledger } from '../../src/guard/ledger.js';

/** Writes raw text where the ledger keeps a token record or a target's note, as a broken writer (or person) might. */
export type Plant = (l: Ledger, kind: 'token' | 'note', key: string, raw: string) => Promise<void>;

/** Records of the wrong shape: each must be refused when read (LedgerCorrupt), never returned or thrown as a TypeError. */
export const BAD_RECORDS: Array<[string, string]> = [
  ['garbage', 'not json {'],
  ['not an object', '"final"'],
  ['no outcome', JSON.stringify({ state: 'final', at: 1, sent: true })],
  ['content: []', JSON.stringify({ state: 'final', at: 1, outcome: { content: [] } })],
  ['content not text', JSON.stringify({ state: 'final', at: 1, outcome: { content: [{ type: 'image', data: 'x' }] } })],
  ['outcome text not JSON and no structuredContent', JSON.stringify({ state: 'final', at: 1, outcome: { content: [{ type: 'text', text: 'done' }] } })],
  ['unknown state', JSON.stringify({ state: 'done', at: 1 })],
  ['at missing', JSON.stringify({ state: 'claimed' })],
  ['lease not a number', JSON.stringify({ state: 'claimed', at: 1, owner: 'x', lease: 'soon' })],
];
export const BAD_NOTES: Array<[string, string]> = [
  ['garbage', '{{'],
  ['no tool', JSON.stringify({ at: '2026-11-30T08:00:00.000Z' })],
  ['at not a string', JSON.stringify({ at: 5, tool: 'create_customer' })],
  ['detail not a string', JSON.stringify({ at: '2026-11-30T08:00:00.000Z', tool: 'create_customer', detail: { x: 1 } })],
];

/**
 * The contract every Ledger keeps, run against each implementation (memory, Redis).
 * `make` returns a fresh, empty ledger; `now` is the clock the ledger uses.
 */
export function ledgerSuite(name: string, make: () => Promise<Ledger>, plant?: Plant): void {
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

    it('a claim held by one owner: only that owner renews or moves it; a lapsed lease can be taken over by CAS on the old owner', async () => {
      const l = await make();
      const n = uniq();
      const exp = Date.now() + 60_000;
      expect(await l.swap(n, undefined, rec('claimed', { owner: 'A', lease: Date.now() + 1000 }), exp)).toBe(true);
      const until = Date.now() + 5000;
      expect(await l.renew(n, 'A', until)).toBe(true);
      // (A shared ledger keeps leases in its own clock: within a few ms of what was asked.)
      expect(Math.abs((await l.get(n))!.lease! - until)).toBeLessThan(100);
      expect(await l.renew(n, 'B', 99999)).toBe(false);
      expect(await l.swap(n, 'claimed', rec('sent', { owner: 'B' }), exp, 'B')).toBe(false);
      // B takes over A's lapsed claim; A can then neither renew nor send.
      expect(await l.swap(n, 'claimed', rec('claimed', { owner: 'B', lease: Date.now() + 1000 }), exp, 'A')).toBe(true);
      expect(await l.renew(n, 'A', Date.now() + 1000)).toBe(false);
      expect(await l.swap(n, 'claimed', rec('sent', { owner: 'A' }), exp, 'A')).toBe(false);
      expect(await l.swap(n, 'claimed', rec('sent', { owner: 'B', sent: true }), exp, 'B')).toBe(true);
      expect(await l.renew(n, 'B', Date.now() + 1000)).toBe(true);
      const outcome = { content: [{ type: 'text' as const, text: '{"status":"done"}' }] };
      expect(await l.swap(n, 'sent', rec('final', { outcome, owner: 'B' }), exp, 'B')).toBe(true);
      expect(await l.renew(n, 'B', Date.now() + 1000)).toBe(false);
      expect((await l.get(n))?.outcome).toEqual(outcome);
      await l.close();
    });

    it('release with an owner forgets only that owner\'s claim', async () => {
      const l = await make();
      const n = uniq();
      await l.swap(n, undefined, rec('claimed', { owner: 'A' }), Date.now() + 60_000);
      await l.release(n, 'B');
      expect((await l.get(n))?.owner).toBe('A');
      await l.release(n, 'A');
      expect(await l.get(n)).toBeUndefined();
      await l.close();
    });

    it('a renewed lock outlives its hold time; a released one cannot be renewed', async () => {
      const l = await make();
      const key = `t-${uniq()}`;
      const held = await l.lock(key, 300, 1000);
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r, 150));
        expect(await held.renew()).toBe(true);
      }
      // 600 ms after it was taken (twice its hold time), still held.
      await expect(l.lock(key, 300, 50)).rejects.toBeInstanceOf(LockTimeout);
      await held();
      expect(await held.renew()).toBe(false);
      await (await l.lock(key, 300, 100))();
      await l.close();
    });

    if (plant) {
      for (const [what, raw] of BAD_RECORDS) {
        it(`a token record of the wrong shape (${what}) is refused when read: LedgerCorrupt`, async () => {
          const l = await make();
          const n = uniq();
          await plant(l, 'token', n, raw);
          await expect(l.get(n)).rejects.toBeInstanceOf(LedgerCorrupt);
          await l.close();
        });
      }
      for (const [what, raw] of BAD_NOTES) {
        it(`an unknown-outcome note of the wrong shape (${what}) is refused when read: LedgerCorrupt`, async () => {
          const l = await make();
          const key = `t-${uniq()}`;
          await plant(l, 'note', key, raw);
          await expect(l.unknownFor(key)).rejects.toBeInstanceOf(LedgerCorrupt);
          await l.close();
        });
      }
    }

    it('remembers unknown-outcome notes per target until they expire', async () => {
      const l = await make();
      const key = `t-${uniq()}`;
      expect(await l.unknownFor(key)).toBeUndefined();
      // 1 s, not less: on a loaded machine the read right after the write must still find it.
      await l.noteUnknown(key, { at: '2026-11-30T08:00:00.000Z', tool: 'create_customer', detail: 'x' }, 1000);
      expect(await l.unknownFor(key)).toEqual({ at: '2026-11-30T08:00:00.000Z', tool: 'create_customer', detail: 'x' });
      await new Promise((r) => setTimeout(r, 1300));
      expect(await l.unknownFor(key)).toBeUndefined();
      await l.close();
    });
  });
}
