import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Args, Preview } from '../catalog.js';
import { asShapeError, fillPath, requestFor, targetReader, type Entry, type Results } from '../calls.js';
import type { Approval as ApprovalMode } from '../config.js';
import { canonical, digest, type ConfirmTokens, type OpenedToken, type VerifiedToken } from '../confirm.js';
import { GatewayError, ToolError } from '../errors.js';
import type { Gateway } from '../gateway.js';
import type { Logger } from '../log.js';
import { sleep } from '../ratelimit.js';
import { ApprovalError, type ApprovalVia, type Approver, type AskChannel } from './approval.js';
import { awaitingText, confirmApprover, keepPreviewedArgs, notShownAsCard, previewApprover, previewedArgs } from './channels.js';
import type { AuditEvent, AuditLog } from './audit.js';
import { LedgerUnavailable, LockTimeout, type Ledger, type StoredOutcome, type TokenRecord } from './ledger.js';
import { personQuestion } from './question.js';
import { previewText, type WriteFacts } from './text.js';
import { shapeResult } from '../result.js';

export interface GuardOptions {
  gateway: Gateway;
  tokens: ConfirmTokens;
  ledger: Ledger;
  audit: AuditLog;
  approval: ApprovalMode;
  results: Results;
  sandbox: boolean;
  logger: Logger;
  /** Called after a Maton connection write (the cached connection list is stale). */
  onConnectionsChanged(): void;
}

export interface WriteContext extends AskChannel {
  /** Who is calling (HTTP principal, or this process on stdio): tokens and audit lines are bound to it. */
  caller: string;
}

/** How long a note of an unanswered write is kept for the next preview's warning. */
const UNKNOWN_NOTE_MS = 24 * 3600_000;
/** A target lock outlives a dead holder by this much at most. */
const LOCK_HOLD_MS = 180_000;
const LOCK_WAIT_MS = 60_000;

/** Where one write stands, for the audit lines and the ledger. */
interface Job {
  entry: Entry;
  args: Args;
  connection: string | null;
  ctx: WriteContext;
  token: VerifiedToken;
  tokenId: string;
  /** Serialises confirms on one target. */
  lockKey: string;
  /** Where an unanswered attempt is remembered for the next preview. */
  noteKey: string;
}

/**
 * Every write goes through here: preview → bind (signed token) → approve → re-check → send once →
 * record. Approval is the one pluggable step (token alone, or the person through elicitation);
 * the ledger decides single use (in process, or shared through Redis); the audit log records each
 * decision, durably before the request leaves.
 */
export class WriteGuard {
  constructor(private readonly o: GuardOptions) {}

  async handle(entry: Entry, args: Args, connection: string | null, ctx: WriteContext): Promise<CallToolResult> {
    const { confirm_token: token } = args;
    try {
      return token ? await this.confirm(entry, args, connection, token, ctx) : await this.preview(entry, args, connection, ctx);
    } catch (e) {
      if (e instanceof LedgerUnavailable) {
        throw new ToolError(
          `Writes are refused while the shared state store is unreachable (${e.message}): without it this server cannot guarantee a write goes out exactly once. Nothing was sent. Reads still work; try the write again when it is back.`,
          { reason: 'ledger_unavailable' },
        );
      }
      throw e;
    }
  }

  // ---- preview -------------------------------------------------------------

  private async preview(entry: Entry, args: Args, connection: string | null, ctx: WriteContext): Promise<CallToolResult> {
    const def = entry.def;
    const { approver, person } = this.previewChannel(def.name, ctx);
    const p = await this.readTarget(entry, args, connection, ctx.signal);
    const note = await this.o.ledger.unknownFor(this.keys(entry, args, connection).noteKey);
    const warning = note
      ? `An earlier ${note.tool} on this target at ${note.at} got no answer: it may or may not have been applied${note.detail ? ` (${note.detail})` : ''}. Check the target before confirming.`
      : undefined;
    const bound = without(args, 'confirm_token');
    const issued = this.o.tokens.issue({ tool: def.name, args: canonical(bound), connection, caller: ctx.caller, version: p.version, person });
    // The card's Approve names only the token: keep what it confirms (the token's digest checks them),
    // for any session of this caller whose client shows the card.
    if (person) await keepPreviewedArgs(this.o.ledger, issued.nonce, canonical(bound), Date.parse(issued.expiresAt));
    const facts: WriteFacts = { tool: def.name, connection, target: p.target, effect: p.effect, sandbox: this.o.sandbox, warning };
    await this.audit({ event: 'preview', tool: def.name, connection, caller: ctx.caller, approval: approver.via, target: p.target, effect: p.effect, token_id: this.o.tokens.tokenId(issued.nonce) });
    const asks =
      approver.via === 'elicitation'
        ? ' When you confirm, the server asks the person in their client to approve before anything is written.'
        : approver.via === 'app'
          ? ` The person approves or declines in the approval card shown with this preview; nothing is written before they press Approve. A confirm call before they decide returns status "awaiting_approval".`
          : '';
    return this.o.results.prose(previewText(facts, issued.token, issued.expiresAt) + asks, {
      status: 'confirmation_required',
      confirm_token: issued.token,
      expires_at: issued.expiresAt,
      action: def.name,
      target: p.target,
      effect: p.effect,
      connection_id: connection,
      approval: approver.via,
      question: personQuestion(facts),
      ...(warning ? { warning } : {}),
    });
  }

  // ---- confirm -------------------------------------------------------------

  private async confirm(entry: Entry, args: Args, connection: string | null, raw: string, ctx: WriteContext): Promise<CallToolResult> {
    const def = entry.def;
    const base = { tool: def.name, connection, caller: ctx.caller };
    let token: VerifiedToken;
    let approver: Approver;
    try {
      token = this.o.tokens.verify(raw, { tool: def.name, args: canonical(without(args, 'confirm_token')), connection, caller: ctx.caller });
      approver = this.confirmChannel(def.name, ctx, token);
    } catch (e) {
      if (e instanceof ToolError) await this.audit({ ...base, event: 'refused', error: e.message });
      throw e;
    }
    const job: Job = { entry, args, connection, ctx, token, tokenId: this.o.tokens.tokenId(token.nonce), ...this.keys(entry, args, connection) };
    const ledger = this.o.ledger;
    const claim = (sent = false): TokenRecord => ({ state: 'claimed', at: Date.now(), ...(sent ? { sent } : {}) });
    let waited = false;
    for (;;) {
      const rec = await ledger.get(token.nonce);
      if (rec === undefined) {
        if (await ledger.swap(token.nonce, undefined, claim(), token.expires)) return this.firstUse(job, approver);
      } else if (rec.state === 'final') {
        return replay(rec);
      } else if (rec.state === 'unknown' && !waited) {
        if (await ledger.swap(token.nonce, 'unknown', claim(true), token.expires)) return this.resend(job);
      } else if (rec.state === 'unknown') {
        throw unknownOutcome(def.name, 'This confirm token is already in use by another call, whose write got no answer');
      } else {
        // Another call holds this token (asking the person, or sending): its outcome is ours too.
        waited = true;
        if (Date.now() > token.expires + LOCK_HOLD_MS) throw new ToolError('Another call with this confirm token is still in progress. Nothing was sent by this call.', { reason: 'in_progress' });
        await sleep(rec.state === 'claimed' ? 100 : 25, ctx.signal);
      }
    }
  }

  /** The token's first use: (for a person: re-read and ask), then lock, re-check, send. */
  private async firstUse(job: Job, approver: Approver): Promise<CallToolResult> {
    const { entry, ctx, token } = job;
    const def = entry.def;
    // The token alone approves: the one read is the re-check under the target's lock, just before sending.
    if (approver.via === 'token') return this.send(job, 'token', undefined, false);
    if (approver.awaits) {
      // A card-only client: the person decides in the card (approve_billing_change); the token stays unused.
      await this.o.ledger.release(token.nonce);
      return this.o.results.prose(awaitingText(def.name), {
        status: 'awaiting_approval',
        action: def.name,
        approval: 'app',
        // The card rendered with this result can offer Approve and Decline for the same token.
        confirm_token: job.args.confirm_token,
        expires_at: new Date(token.expires).toISOString(),
        ...(job.connection ? { connection_id: job.connection } : {}),
      });
    }
    const base = { tool: def.name, connection: job.connection, caller: ctx.caller, token_id: job.tokenId, approval: approver.via };
    let p: Preview;
    try {
      // The person is asked about the target as it is now, not as it was at the preview.
      p = await this.readTarget(entry, job.args, job.connection, ctx.signal);
      this.o.tokens.checkVersion(token.version, p.version, `The target of ${def.name}`);
      const facts: WriteFacts = { tool: def.name, connection: job.connection, target: p.target, effect: p.effect, sandbox: this.o.sandbox };
      const answer = await approver.approve(facts, token.expires, ctx);
      if (!answer.approved) {
        await this.audit({ ...base, event: 'declined', target: p.target, effect: p.effect, error: answer.answer });
        const outcome = this.o.results.prose(
          `The person declined this ${def.name} (${answer.via === 'app' ? 'they pressed Decline in the approval card' : answer.answer === 'cancel' ? 'they dismissed the request' : answer.answer === 'confirm_false' ? 'they did not tick confirm' : 'they declined'}): nothing was sent. Do not retry unless they ask you to; this confirm token is spent.`,
          { status: 'declined', action: def.name, target: p.target, effect: p.effect, ...(job.connection ? { connection_id: job.connection } : {}) },
        );
        await this.finish(job, 'claimed', outcome, false);
        return outcome;
      }
      await this.audit({ ...base, event: 'approved', target: p.target, effect: p.effect });
    } catch (e) {
      if (e instanceof ApprovalError && e.kind === 'timeout') {
        await this.audit({ ...base, event: 'refused', error: e.message });
        await this.finish(job, 'claimed', this.o.results.error(e), false);
        throw e;
      }
      // Nothing was sent: the token stays unused (a later call checks everything again).
      await this.o.ledger.release(token.nonce).catch(() => {});
      if (e instanceof ToolError) await this.audit({ ...base, event: 'refused', error: e.message });
      throw e;
    }
    return this.send(job, approver.via, p, false);
  }

  /** A later use of a token whose write got no answer: resend only if the target is as previewed. */
  private resend(job: Job): Promise<CallToolResult> {
    return this.send(job, 'token', undefined, true);
  }

  /**
   * Under the target's lock: read the target (fully when nothing was read yet; else only to compare
   * versions), record `sent` durably, send once, record the outcome.
   */
  private async send(job: Job, approval: ApprovalVia, asked: Preview | undefined, resend: boolean): Promise<CallToolResult> {
    const { entry, ctx, token } = job;
    const def = entry.def;
    const maton = def.api === 'maton';
    const audited = { tool: def.name, connection: job.connection, caller: ctx.caller, token_id: job.tokenId, approval };
    let unlock: (() => Promise<void>) | undefined;
    let seen: Preview;
    try {
      try {
        unlock = await this.o.ledger.lock(job.lockKey, LOCK_HOLD_MS, LOCK_WAIT_MS, ctx.signal);
        // Under the lock: another token on this target may have written since (or a resend's first attempt may have applied).
        const now = await this.readTarget(entry, job.args, job.connection, ctx.signal, asked === undefined).catch((e: unknown) => {
          // A resend whose target can no longer take the write (e.g. already cancelled): the first attempt probably applied.
          if (resend && e instanceof ToolError && !(e instanceof GatewayError && (e.info.source === 'network' || e.info.retryable))) {
            throw unknownOutcome(def.name, `The earlier attempt with this confirm token got no answer, and the target has changed since the preview (${e.message})`);
          }
          throw e;
        });
        if (!this.o.tokens.sameVersion(token.version, now.version)) {
          if (resend) throw unknownOutcome(def.name, 'The earlier attempt with this confirm token got no answer, and the target has changed since the preview');
          this.o.tokens.checkVersion(token.version, now.version, `The target of ${def.name}`);
        }
        seen = asked ?? now;
      } catch (e) {
        const err = e instanceof LockTimeout ? new ToolError(`Another write to this target is still in progress (${e.message}). Nothing was sent; call again shortly.`, { reason: 'target_busy' }) : e;
        if (resend) {
          // Stays unknown (or, if the target moved on, is refused for good): never a second send.
          if (err instanceof ToolError && (err.details as { reason?: string }).reason === 'outcome_unknown') await this.finish(job, 'claimed', this.o.results.error(err), true);
          else await this.o.ledger.swap(token.nonce, 'claimed', { state: 'unknown', at: Date.now(), sent: true }, token.expires).catch(() => {});
        } else await this.o.ledger.release(token.nonce).catch(() => {});
        if (err instanceof ToolError) await this.audit({ ...audited, event: 'refused', error: err.message });
        throw err;
      }
      const base = { ...audited, target: seen.target };
      if (approval === 'token' && !resend) await this.audit({ ...base, event: 'approved', effect: seen.effect });
      const call = requestFor(entry, job.args, job.connection, ctx.signal);
      if (!maton) call.idempotencyKey = this.o.tokens.idempotencyKey(token.nonce);
      const idem = call.idempotencyKey ? { idempotency_key: call.idempotencyKey } : {};
      try {
        if (!(await this.o.ledger.swap(token.nonce, 'claimed', { state: 'sent', at: Date.now(), sent: true }, token.expires))) {
          throw new ToolError('This confirm token was taken over by another call. Nothing was sent by this call.', { reason: 'in_progress' });
        }
        await this.audit({ ...base, event: 'sent', effect: seen.effect, ...idem });
      } catch (e) {
        await this.o.ledger.release(token.nonce).catch(() => {});
        throw e;
      }
      let body: unknown;
      let replayed = false;
      try {
        const res = await this.o.gateway.call(call);
        body = res.body;
        replayed = res.replayed === true;
      } catch (e) {
        return await this.failed(job, e, base, idem);
      } finally {
        if (maton) this.o.onConnectionsChanged();
      }
      const outcome = this.o.results.ok({
        status: 'done',
        action: def.name,
        approval,
        ...(job.connection ? { connection_id: job.connection } : {}),
        ...(replayed ? { idempotent_replay: true } : {}),
        result: shapeResult(body, entry.listKey),
      });
      await this.finish(job, 'sent', outcome, true);
      await this.audit({ ...base, event: 'done', ...idem });
      return outcome;
    } finally {
      await unlock?.().catch(() => {});
    }
  }

  /** The request left and failed: decide whether the token may ever send again. */
  private async failed(job: Job, e: unknown, base: Omit<AuditEvent, 'event'>, idem: { idempotency_key?: string }): Promise<CallToolResult> {
    const { token, ctx } = job;
    const def = job.entry.def;
    const maton = def.api === 'maton';
    const network = e instanceof GatewayError && e.info.source === 'network';
    // Certainly not processed: a 429, the client-side rate limit, or a single attempt that never left.
    const notProcessed = e instanceof GatewayError && (e.info.status === 429 || e.info.source === 'client' || (network && e.info.sent === false && e.info.attempts === 1));
    const unanswered = ctx.signal.aborted || network || (e instanceof GatewayError && (e.info.status ?? 0) >= 500);
    if (!ctx.signal.aborted && notProcessed) {
      // Nothing reached the API: the token is unused again.
      await this.o.ledger.release(token.nonce).catch(() => {});
      await this.audit({ ...base, event: 'failed', error: (e as Error).message, ...idem });
      throw e;
    }
    if (unanswered) {
      const when = new Date().toISOString();
      await this.o.ledger
        .noteUnknown(job.noteKey, { at: when, tool: def.name, detail: maton ? 'check list_connections for a PENDING connection it may have made' : idem.idempotency_key ? `idempotency key ${idem.idempotency_key}` : undefined }, UNKNOWN_NOTE_MS)
        .catch(() => {});
      await this.audit({ ...base, event: 'outcome_unknown', error: (e as Error).message, ...idem });
      if (maton) {
        // A connection write has no idempotency key: it is never sent twice for one token.
        const err = unknownOutcome(def.name, 'The request went out and got no answer', ' This token will not send it again (Maton connection writes have no idempotency key): check list_connections for a PENDING connection before creating another.');
        await this.finish(job, 'sent', this.o.results.error(err), true);
        if (ctx.signal.aborted) throw ctx.signal.reason;
        throw err;
      }
      await this.o.ledger.swap(token.nonce, 'sent', { state: 'unknown', at: Date.now(), sent: true }, token.expires).catch(() => {});
      throw e;
    }
    // Chargebee answered with a refusal: that is the token's outcome.
    await this.audit({ ...base, event: 'failed', error: (e as Error).message, ...idem });
    if (e instanceof ToolError) {
      await this.finish(job, 'sent', this.o.results.error(e), true);
    } else await this.o.ledger.release(token.nonce).catch(() => {});
    throw e;
  }

  // ---- plumbing ------------------------------------------------------------

  /** The channel a preview offers the person; under --approval human a client that can ask by neither is refused. */
  private previewChannel(tool: string, ctx: WriteContext): { approver: Approver; person: boolean } {
    const chosen = previewApprover(this.o.approval, ctx);
    if (!chosen) throw humanRequired(tool, 'was not previewed');
    return chosen;
  }

  /** The approver of a confirm (see channels.ts): a person-bound token is never spent on the token alone. */
  private confirmChannel(tool: string, ctx: WriteContext, token: VerifiedToken): Approver {
    const approver = confirmApprover(this.o.approval, ctx, token.person);
    if (!approver) throw humanRequired(tool, 'was not confirmed');
    return approver;
  }

  /**
   * The person's click in the approval card (approve_billing_change): the token names the tool and
   * connection, the ledger holds the previewed arguments, and the confirm runs as the model's would,
   * with the person's decision as its approval.
   */
  async decide(entry: Entry, opened: OpenedToken, raw: string, decision: 'approve' | 'decline', ctx: WriteContext): Promise<CallToolResult> {
    const args = await previewedArgs(this.o.ledger, opened.nonce).catch((e: unknown) => {
      if (e instanceof LedgerUnavailable) throw new ToolError(`The shared state store is unreachable (${e.message}), so the previewed change cannot be found. Nothing was sent; press Approve again when it is back.`, { reason: 'ledger_unavailable' });
      throw e;
    });
    if (!args) throw notShownAsCard();
    return this.handle(entry, { ...args, confirm_token: raw }, opened.connection, { ...ctx, decision });
  }

  /** The tool's preview of its target, with a malformed upstream answer reported as a tool error. */
  private async readTarget(entry: Entry, args: Args, connection: string | null, signal: AbortSignal, estimates = true): Promise<Preview> {
    try {
      return await entry.def.preview!(args, targetReader(this.o.gateway, connection, signal, estimates));
    } catch (e) {
      throw asShapeError(e, `Reading the target of ${entry.def.name}`);
    }
  }

  private keys(entry: Entry, args: Args, connection: string | null): { lockKey: string; noteKey: string } {
    const where = `${entry.def.api ?? 'chargebee'}|${connection ?? '-'}`;
    if (entry.pathParams.length) {
      const path = fillPath(entry.def.path, args);
      return { lockKey: `${where}|${path}`, noteKey: `${where}|${path}` };
    }
    const tool = `${where}|${entry.def.name}`;
    return { lockKey: `${tool}|${digest(canonical(without(args, 'confirm_token')))}`, noteKey: tool };
  }

  private async finish(job: Job, from: 'claimed' | 'sent', outcome: CallToolResult, sent: boolean): Promise<void> {
    const rec: TokenRecord = { state: 'final', at: Date.now(), outcome: storable(outcome), ...(sent ? { sent } : {}) };
    try {
      await this.o.ledger.swap(job.token.nonce, from, rec, job.token.expires);
    } catch (e) {
      // The outcome stands; the ledger will refuse this token as in use until it expires.
      this.o.logger.error({ err: (e as Error).message, tool: job.entry.def.name }, 'could not record a write outcome in the ledger');
    }
  }

  private async audit(e: AuditEvent): Promise<void> {
    try {
      await this.o.audit.record(e);
    } catch (err) {
      this.o.logger.error({ err: (err as Error).message, event: e.event }, 'audit log write failed');
      throw new ToolError(`The audit log could not be written (${(err as Error).message}); nothing was sent.`, { reason: 'audit_failed' });
    }
  }
}

function humanRequired(tool: string, what: string): ToolError {
  return new ToolError(
    `This server requires a person to approve every write in their MCP client (--approval human), and this client cannot ask its user (it declared neither the elicitation capability nor the MCP Apps extension for the approval card). ${tool} ${what} and nothing was sent. Use a client that supports elicitation or MCP Apps, or ask the operator to run the server with --approval auto or token.`,
    { reason: 'approval_unavailable' },
  );
}

function without(args: Args, key: string): Args {
  const { [key]: _drop, ...rest } = args;
  return rest;
}

/**
 * An outcome as the ledger keeps it until its token expires: where the text is the structured
 * content's own JSON (write results), only the text — one compact string instead of two copies.
 */
function storable(outcome: CallToolResult): StoredOutcome {
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

function replay(rec: TokenRecord): CallToolResult {
  const first = restored(rec.outcome!);
  if (first.isError) return first;
  const note = rec.sent
    ? 'This confirm token was already used: nothing was sent again. This is the outcome of the first use.'
    : 'This confirm token was already used: nobody was asked again and nothing was sent.';
  const structured = { replay: true, note, ...(first.structuredContent ?? {}) };
  const text = first.structuredContent && first.content[0]?.type === 'text' && first.content[0].text.startsWith('{') ? JSON.stringify(structured) : `${note}\n${(first.content[0] as { text?: string })?.text ?? ''}`;
  return { ...first, content: [{ type: 'text', text }], structuredContent: structured };
}

function unknownOutcome(tool: string, what: string, extra = ''): ToolError {
  return new ToolError(
    `${what}: the first attempt of ${tool} may or may not have been applied. Nothing was sent again.${extra} Check the target (e.g. with the matching get_/list_ tool), then preview again if it is still needed.`,
    { reason: 'outcome_unknown' },
  );
}
