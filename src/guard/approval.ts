import type { ElicitRequestFormParams, ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { ToolError } from '../errors.js';
import { approvalMessage } from './question.js';
import type { WriteFacts } from './text.js';

/**
 * Approval is the one step of the write guard that varies: did a person (or the token holder)
 * approve exactly this write? A later protocol's round trip (2026-07-28 `input_required` with a
 * signed requestState) is one more Approver, not a change to the guard or the tools.
 */

/** What the client session offers for asking its user (from the call context). */
export interface AskChannel {
  /** Sends elicitation/create (form mode) to the client; undefined when the client cannot ask. */
  elicit?: (params: ElicitRequestFormParams, opts: { signal: AbortSignal; timeoutMs: number }) => Promise<ElicitResult>;
  progress?: (p: { progress: number; total?: number; message?: string }) => Promise<void>;
  /** The client renders MCP Apps (declared `io.modelcontextprotocol/ui`): the person decides in the approval card. */
  cards?: boolean;
  /** The person's click in the approval card (a call of approve_billing_change), not a model's call. */
  decision?: 'approve' | 'decline';
  signal: AbortSignal;
}

/** How a write was approved: the person through a question or the card, or the token alone. */
export type ApprovalVia = 'elicitation' | 'app' | 'token';

export type ApprovalAnswer =
  | { approved: true; via: ApprovalVia }
  | { approved: false; via: 'elicitation' | 'app'; answer: 'decline' | 'cancel' | 'confirm_false' };

export interface Approver {
  readonly via: ApprovalVia;
  /**
   * True when this approver cannot ask during the call (a card-only client): a confirm of a token
   * nobody decided yet answers "awaiting_approval" and leaves the token unused.
   */
  readonly awaits?: boolean;
  /** Asks for approval of `facts` before `deadline` (ms since epoch). Throws ApprovalError when no answer could be had. */
  approve(facts: WriteFacts, deadline: number, ch: AskChannel): Promise<ApprovalAnswer>;
}

/** No answer: the client failed the request (the token stays unspent) or the person did not answer in time. */
export class ApprovalError extends ToolError {
  constructor(
    message: string,
    readonly kind: 'client_failed' | 'timeout',
  ) {
    super(message, { reason: kind === 'timeout' ? 'approval_timeout' : 'approval_failed' });
  }
}

/** The confirm token alone approves (no person asked by this server). */
export const tokenApprover: Approver = {
  via: 'token',
  async approve() {
    return { approved: true, via: 'token' };
  },
};

/** The schema of the person's answer: one required boolean. */
export const APPROVAL_SCHEMA: ElicitRequestFormParams['requestedSchema'] = {
  type: 'object',
  properties: {
    confirm: { type: 'boolean', title: 'Approve this billing change', description: 'Tick to make this change now. Leave it unticked, or decline, to stop it: nothing is changed.', default: false },
  },
  required: ['confirm'],
};

const PROGRESS_EVERY_MS = 5_000;

/** Asks the person through MCP elicitation (form mode). */
export const elicitationApprover: Approver = {
  via: 'elicitation',
  async approve(facts, deadline, ch) {
    const timeoutMs = deadline - Date.now();
    if (timeoutMs <= 0) throw new ApprovalError('The confirm token expired before the person could be asked. Nothing was sent. Preview again.', 'timeout');
    let ticks = 0;
    const ticker = ch.progress
      ? setInterval(() => void ch.progress!({ progress: ++ticks, message: 'Waiting for the person to approve or decline the billing change' }).catch(() => {}), PROGRESS_EVERY_MS)
      : undefined;
    try {
      const res = await ch.elicit!({ mode: 'form', message: approvalMessage(facts), requestedSchema: APPROVAL_SCHEMA }, { signal: ch.signal, timeoutMs });
      if (res.action === 'accept') return res.content?.confirm === true ? { approved: true, via: 'elicitation' } : { approved: false, via: 'elicitation', answer: 'confirm_false' };
      return { approved: false, via: 'elicitation', answer: res.action === 'cancel' ? 'cancel' : 'decline' };
    } catch (e) {
      if (ch.signal.aborted) throw e;
      // Only the deadline makes a timeout: the SDK also reports an aborted request (the client went
      // away) as -32001 "Request timed out", which is no answer from the person.
      if (Date.now() >= deadline - 50) {
        throw new ApprovalError(`No answer from the person before the confirm token expired (${new Date(deadline).toISOString()}). Nothing was sent.`, 'timeout');
      }
      throw new ApprovalError(
        `The client could not ask its user (${(e as Error).message}). Nothing was sent; the confirm token is still unused: call again with it to retry.`,
        'client_failed',
      );
    } finally {
      if (ticker) clearInterval(ticker);
    }
  },
};
