import { describe, expect, it } from 'vitest';
import { ConfirmTokens, canonical } from '../src/confirm.js';

const secret = Buffer.from('0123456789abcdef0123456789abcdef');
const binding = { tool: 'cancel_subscription_for_items', args: canonical({ subscription_id: 'sub_1', cancel_option: 'end_of_term' }), connection: 'conn-a', caller: 'stdio:1' };

/** Instances that share a ledger (as with --redis) accept each other's tokens; the cases below rely on that. */
function make(now = () => 1_000_000, shared = true) {
  return new ConfirmTokens(secret, 300, now, shared);
}

describe('canonical arguments', () => {
  it('ignores key order and undefined values', () => {
    expect(canonical({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } })).toBe(canonical({ a: { d: [1, { x: 1, y: 2 }] }, b: 1 }));
    expect(canonical({ a: 1 })).not.toBe(canonical({ a: '1' }));
  });
});

describe('confirm tokens', () => {
  it('verify a token issued for the same binding and return its bound version', () => {
    const t = make();
    const { token, expiresAt } = t.issue({ ...binding, version: '1700000000000' });
    expect(expiresAt).toBe(new Date(1_000_000 + 300_000).toISOString());
    const v = t.verify(token, binding);
    expect(() => t.checkVersion(v.version, '1700000000000', 'x')).not.toThrow();
  });

  it('refuse a target that changed since the preview, saying to preview again', () => {
    const t = make();
    const { token } = t.issue({ ...binding, version: '1' });
    const v = t.verify(token, binding);
    expect(() => t.checkVersion(v.version, '2', 'Subscription sub_1')).toThrow(/Subscription sub_1 changed since the preview.*Preview again/);
    expect(() => t.checkVersion(v.version, null, 'x')).toThrow(/changed/);
  });

  const cases: Array<[string, (tok: string) => [ConfirmTokens, string, typeof binding], RegExp]> = [
    ['tampered payload', (tok) => { const [p, body, sig] = tok.split('.'); const flipped = body!.slice(0, 5) + (body![5] === 'A' ? 'B' : 'A') + body!.slice(6); return [make(), `${p}.${flipped}.${sig}`, binding]; }, /invalid signature/],
    ['tampered signature', (tok) => [make(), tok.slice(0, -2) + (tok.endsWith('AA') ? 'BB' : 'AA'), binding], /invalid signature/],
    ['foreign secret', (tok) => [new ConfirmTokens(Buffer.from('another-secret-another-secret!!'), 300, () => 1_000_000), tok, binding], /invalid signature.*another server/],
    ['expired', (tok) => [make(() => 1_000_000 + 301_000), tok, binding], /expired/],
    ['malformed', () => [make(), 'not-a-token', binding], /malformed/],
    ['other tool', (tok) => [make(), tok, { ...binding, tool: 'update_customer' }], /issued for cancel_subscription_for_items, not update_customer/],
    ['other arguments', (tok) => [make(), tok, { ...binding, args: canonical({ subscription_id: 'sub_2', cancel_option: 'end_of_term' }) }], /arguments differ/],
    ['other connection', (tok) => [make(), tok, { ...binding, connection: 'conn-b' }], /connection conn-a.*conn-b/],
    ['other caller', (tok) => [make(), tok, { ...binding, caller: 'http:someone-else' }], /another client session/],
    ['other process, same secret, no shared ledger', (tok) => [make(() => 1_000_000, false), tok, binding], /another server process \(or before this server restarted\).*--redis/],
  ];
  for (const [name, mutate, message] of cases) {
    it(`refuse a ${name} token with a clear reason`, () => {
      const { token } = make().issue({ ...binding, version: null });
      const [verifier, tok, b] = mutate(token);
      expect(() => verifier.verify(tok, b)).toThrow(message);
    });
  }

  it('accept a token in the process that issued it, without a shared ledger', () => {
    const t = make(() => 1_000_000, false);
    const { token } = t.issue({ ...binding, version: null });
    expect(t.verify(token, binding).expires).toBe(1_300_000);
  });

  it('derive one idempotency key per token: stable, distinct, within Chargebee\'s 100 chars', () => {
    const t = make();
    const a = t.issue({ ...binding, version: null });
    const b = t.issue({ ...binding, version: null });
    expect(t.idempotencyKey(a.nonce)).toBe(t.idempotencyKey(a.nonce));
    expect(t.idempotencyKey(a.nonce)).not.toBe(t.idempotencyKey(b.nonce));
    expect(t.idempotencyKey(a.nonce).length).toBeLessThanOrEqual(100);
    expect(a.token).not.toContain(secret.toString());
  });
});
