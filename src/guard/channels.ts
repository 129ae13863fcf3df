/**
 * Where the person is asked: which approver a call gets, from the approval mode, what the client
 * session offers (elicitation, the approval card) and, at confirm, whether the token is
 * person-bound. One decision per token whatever the channel: the guard's ledger claim decides
 * which channel is first.
 */
import type { Approval as ApprovalMode } from '../config.js';
import { ToolError } from '../errors.js';
import { APPROVE_TOOL } from '../card/ui.js';
import { elicitationApprover, tokenApprover, type ApprovalAnswer, type Approver, type AskChannel } from './approval.js';
import type { Ledger } from './ledger.js';

/** The person's click in the card: the decision is already made when the call arrives. */
export function cardApprover(decision: 'approve' | 'decline'): Approver {
  return {
    via: 'app',
    async approve(): Promise<ApprovalAnswer> {
      return decision === 'approve' ? { approved: true, via: 'app' } : { approved: false, via: 'app', answer: 'decline' };
    },
  };
}

/** A model's confirm on a client that shows cards but cannot be asked: the person decides in the card. */
export const awaitingApprover: Approver = {
  via: 'app',
  awaits: true,
  async approve(): Promise<ApprovalAnswer> {
    throw new Error('the approval card is answered by approve_billing_change, not during a confirm call');
  },
};

/** The channel a preview announces (and whether its token is person-bound); null = refused under --approval human. */
export function previewApprover(mode: ApprovalMode, ch: AskChannel): { approver: Approver; person: boolean } | null {
  if (mode === 'token') return { approver: tokenApprover, person: false };
  if (ch.elicit) return { approver: elicitationApprover, person: true };
  if (ch.cards) return { approver: awaitingApprover, person: true };
  return mode === 'human' ? null : { approver: tokenApprover, person: false };
}

/**
 * The approver of a confirm. A person-bound token never writes on the token alone: the card's
 * click decides, an elicitation-capable client asks, a card-only client waits for the card, and a
 * client that can ask by neither is refused.
 */
export function confirmApprover(mode: ApprovalMode, ch: AskChannel, person: boolean): Approver | null {
  if (mode === 'token') return tokenApprover;
  if (ch.decision) return cardApprover(ch.decision);
  if (ch.elicit) return elicitationApprover;
  if (person) {
    if (ch.cards) return awaitingApprover;
    throw personRequired();
  }
  return mode === 'human' ? null : tokenApprover;
}

function personRequired(): ToolError {
  return new ToolError(
    'This change was previewed in a client that asks its user, so the person who was shown the preview must approve it there (in the approval card or the question their client shows). This client can ask its user by neither, so nothing was sent and the confirm token is still unused. Ask the person to approve in their client.',
    { reason: 'person_required' },
  );
}

/** The agent's answer while the person has not pressed Approve or Decline in the card. */
export function awaitingText(tool: string): string {
  return `Waiting for the person: they approve or decline this ${tool} by pressing Approve or Decline in the approval card shown with the preview. Nothing was sent and the confirm token is still unused. Tell them the change waits for their decision in the card; after they decide, call ${tool} again with the same arguments and confirm_token to get their outcome. Do not preview again unless they ask.`;
}

/**
 * The previewed arguments of a token whose preview was shown as a card: the card's call names only
 * the token, so the guard keeps what the token confirms (canonical JSON, which the token's signed
 * digest then checks: the card cannot change them). Kept in the ledger under its own key, beside
 * the token's record, until the token expires; with --redis every instance finds them.
 */
const ARGS_KEY = (nonce: string) => `previewed:${nonce}`;

export async function keepPreviewedArgs(ledger: Ledger, nonce: string, canonicalArgs: string, expires: number): Promise<void> {
  await ledger.swap(ARGS_KEY(nonce), undefined, { state: 'final', at: Date.now(), outcome: { content: [{ type: 'text', text: canonicalArgs }] } }, expires);
}

export async function previewedArgs(ledger: Ledger, nonce: string): Promise<Record<string, unknown> | undefined> {
  const rec = await ledger.get(ARGS_KEY(nonce));
  const text = rec?.outcome?.content[0]?.text;
  return text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
}

export function notShownAsCard(): ToolError {
  return new ToolError(
    `This confirm token was issued by a preview that asks nobody (made in a client that shows no approval card and no question), so ${APPROVE_TOOL} cannot act on it. Nothing was sent. Preview the change again in this client.`,
    { reason: 'not_a_card' },
  );
}
