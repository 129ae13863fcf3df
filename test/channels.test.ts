/**
 * Which approver a call gets (src/guard/channels.ts): by approval mode, what the client session
 * offers (elicitation, the approval card) and, at confirm, whether the token is person-bound.
 */
import { describe, expect, it } from 'vitest';
import type { AskChannel } from '../src/guard/approval.js';
import { confirmApprover, previewApprover } from '../src/guard/channels.js';

const signal = new AbortController().signal;
const elicit = (async () => ({ action: 'accept' })) as unknown as AskChannel['elicit'];
const CLIENTS: Record<string, AskChannel> = {
  headless: { signal },
  question: { signal, elicit },
  card: { signal, cards: true },
  both: { signal, elicit, cards: true },
};
const name = (a: { via: string; awaits?: boolean } | null) => (a === null ? 'refused' : a.awaits ? 'awaits card' : a.via);

describe('the approver of a preview', () => {
  it.each([
    ['auto', { headless: 'token/free', question: 'elicitation/person', card: 'awaits card/person', both: 'elicitation/person' }],
    ['human', { headless: 'refused', question: 'elicitation/person', card: 'awaits card/person', both: 'elicitation/person' }],
    ['token', { headless: 'token/free', question: 'token/free', card: 'token/free', both: 'token/free' }],
  ] as const)('--approval %s', (mode, want) => {
    for (const [client, ch] of Object.entries(CLIENTS)) {
      const got = previewApprover(mode, ch);
      expect(got ? `${name(got.approver)}/${got.person ? 'person' : 'free'}` : 'refused', `${mode} ${client}`).toBe(want[client as keyof typeof want]);
    }
  });
});

describe('the approver of a confirm', () => {
  const confirm = (mode: 'auto' | 'human' | 'token', ch: AskChannel, person: boolean) => {
    try {
      return name(confirmApprover(mode, ch, person));
    } catch (e) {
      return `refused: ${(e as Error).message.slice(0, 60)}`;
    }
  };
  it('a person-bound token is never spent on the token alone', () => {
    expect(confirm('auto', CLIENTS.headless!, true)).toMatch(/^refused: This change was previewed in a client that asks its user/);
    expect(confirm('auto', CLIENTS.card!, true)).toBe('awaits card');
    expect(confirm('auto', CLIENTS.question!, true)).toBe('elicitation');
    expect(confirm('auto', CLIENTS.both!, true)).toBe('elicitation');
    expect(confirm('auto', { ...CLIENTS.both!, decision: 'approve' }, true)).toBe('app');
    expect(confirm('human', CLIENTS.headless!, true)).toMatch(/^refused/);
  });
  it('a token nobody was asked about: as before (auto writes on it, human refuses, a question still asks)', () => {
    expect(confirm('auto', CLIENTS.headless!, false)).toBe('token');
    expect(confirm('auto', CLIENTS.question!, false)).toBe('elicitation');
    expect(confirm('human', CLIENTS.headless!, false)).toBe('refused');
    expect(confirm('token', CLIENTS.both!, true)).toBe('token');
  });
});
