import { randomBytes } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Args, Preview } from '../catalog.js';
import { asShapeError, fillPath, requestFor, targetReader, type WriteEntry as Entry, type Results } from '../calls.js';
import type { Approval as ApprovalMode } from '../config.js';
import { canonical, digest, type ConfirmTokens, type OpenedToken, type VerifiedToken } from '../confirm.js';
import { GatewayError, ToolError } from '../errors.js';
import type { Gateway } from '../gateway.js';
import type { Logger } from '../log.js';
import { sleep } from '../ratelimit.js';
import { ApprovalError, type ApprovalVia, type Approver, type AskChannel } from './approval.js';
import { awaitingText, confirmApprover, keepPreviewedArgs, notShownAsCard, previewApprover, previewedArgs } from './channels.js';
import type { AuditEvent, AuditLog } from './audit.js';
import { Heartbeat, DEFAULT_LEASE_MS } from './lease.js';
import { LedgerCorrupt, LedgerUnavailable, LockTimeout, type Ledger, type TokenRecord, type TokenState } from './ledger.js';
import { replay, storable } from './outcome.js';
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
  /** Lease of token claims and target locks, renewed every third of it while the holder works (default 15 s; see lease.ts). */
  leaseMs?: number;
}

/** A write call as the engine hands it over: the tool's own arguments, the confirm token (if any), the connection. */
export interface WriteCall {
  /** Validated arguments, without confirm_token. */
  args: Args;
  confirm_token?: string;
  connection: string | null;
}

export interface WriteContext extends AskChannel {
  /** Who is calling (HTTP principal, or this process on stdio): tokens and audit lines are bound to it. */
  caller: string;
}

/** How long a note of an unanswered write is kept for the next preview's warning. */
const UNKNOWN_NOTE_MS = 24 * 3600_000;
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
  /** The confirm token as the caller passed it (a card-only confirm hands it back to the card). */
  raw: string;
  /** This confirm call as holder of the token's record (CAS owner). */
  owner: string;
  /** Renews the claim and the lock while this call works; its signal aborts when one is lost. */
  hb: Heartbeat;
}

/**
 * Every write goes through here: preview → bind (signed token) → approve → re-check → send once →
 * record. Approval is the one pluggable step (token alone, or the person through elicitation);
 * the ledger decides single use (in process, or shared through Redis); the audit log records each
 * decision, durably before the request leaves.
 */
export class WriteGuard {
  private readonly leaseMs: number;

  constructor(private readonly o: GuardOptions) {
    this.leaseMs = o.leaseMs ?? DEFAULT_LEASE_MS;
  }

  async handle(entry: Entry, call: WriteCall, ctx: WriteContext): Promise<CallToolResult> {
    const { args, confirm_token: token, connection } = call;
    try {
      return token ? await this.confirm(entry, args, connection, token, ctx) : await this.preview(entry, args, connection, ctx);
    } catch (e) {
      // Ledger errors that reach here come before any send (after it, each is handled where it happens).
      if (e instanceof LedgerUnavailable) {
        throw new ToolError(
          `Writes are refused while the shared state store is unreachable (${e.message}): without it this server cannot guarantee a write goes out exactly once. Nothing was sent. Reads still work; try the write again when it is back.`,
          { reason: 'ledger_unavailable' },
        );
      }
      if (e instanceof LedgerCorrupt) {
        this.o.logger.error({ err: e.message, tool: entry.def.name }, 'the write ledger holds a record this server cannot read');
        throw new ToolError(
          `Writes to this target are refused: the shared state of this server (${e.message}) holds a record of the wrong shape, so it cannot tell whether this write already went out. Nothing was sent. Tell the operator: the key must be repaired or deleted (chargebee-mcp:tok:* for confirm tokens, chargebee-mcp:unk:* for notes) before writing here again.`,
          { reason: 'ledger_corrupt' },
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
      ? note.outcome
        ? `An earlier ${note.tool} on this target at ${note.at} was sent and ${note.outcome}, but the audit log could not record it${note.detail ? ` (${note.detail})` : ''}. Check the target before confirming: this write may repeat it.`
        : `An earlier ${note.tool} on this target at ${note.at} got no answer: it may or may not have been applied${note.detail ? ` (${note.detail})` : ''}. Check the target before confirming.`
      : undefined;
    const issued = this.o.tokens.issue({ tool: def.name, args: canonical(args), connection, caller: ctx.caller, version: p.version, person });
    // The card's Approve names only the token: keep what it confirms (the token's digest checks them),
    // for any session of this caller whose client shows the card.
    if (person) await keepPreviewedArgs(this.o.ledger, issued.nonce, canonical(args), Date.parse(issued.expiresAt));
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
      token = this.o.tokens.verify(raw, { tool: def.name, args: canonical(args), connection, caller: ctx.caller });
      approver = this.confirmChannel(def.name, ctx, token);
    } catch (e) {
      if (e instanceof ToolError) await this.audit({ ...base, event: 'refused', error: e.message });
      throw e;
    }
    const hb = new Heartbeat(this.leaseMs, this.o.logger);
    const owner = randomBytes(9).toString('base64url');
    const job: Job = { entry, args, connection, ctx, token, tokenId: this.o.tokens.tokenId(token.nonce), ...this.keys(entry, args, connection), raw, owner, hb };
    try {
      return await this.claimed(job, approver);
    } finally {
      hb.stop();
    }
  }

  /**
   * Takes the token's record (first use, a resend after an unknown outcome, or a dead holder's
   * claim once its lease ran out), or waits for the live holder and returns its outcome.
   */
  private async claimed(job: Job, approver: Approver): Promise<CallToolResult> {
    const { token, hb, owner } = job;
    const def = job.entry.def;
    const ledger = this.o.ledger;
    const claim = (sent = false): TokenRecord => ({ state: 'claimed', at: Date.now(), owner, lease: hb.until(), ...(sent ? { sent } : {}) });
    const take = async (from: TokenState | undefined, sent: boolean, holder?: string): Promise<boolean> => {
      if (!(await ledger.swap(token.nonce, from, claim(sent), token.expires, holder))) return false;
      hb.add({ what: 'the confirm token claim', renew: (until) => ledger.renew(token.nonce, owner, until) });
      return true;
    };
    let waited = false;
    for (;;) {
      const rec = await ledger.get(token.nonce);
      if (rec === undefined) {
        // A card-only client's confirm before the person decided: nothing to claim, the card decides.
        if (approver.awaits) return this.awaiting(job);
        if (await take(undefined, false)) return this.firstUse(job, approver);
      } else if (rec.state === 'final') {
        return replay(rec);
      } else if (rec.state === 'unknown' && !waited) {
        if (await take('unknown', true)) return this.resend(job);
      } else if (rec.state === 'unknown') {
        throw unknownOutcome(def.name, 'This confirm token is already in use by another call, whose write got no answer');
      } else if (rec.lease !== undefined && rec.lease < Date.now()) {
        // Its holder stopped renewing for a whole lease (the process died, or lost the store): take the token over.
        const sentBefore = rec.state === 'sent' || rec.sent === true;
        this.o.logger.warn({ tool: def.name, token_id: job.tokenId, state: rec.state, lease_ms: this.leaseMs }, 'taking over a confirm token whose holder stopped renewing its claim');
        if (!sentBefore) {
          if (approver.awaits) return this.awaiting(job);
          if (await take('claimed', false, rec.owner)) return this.firstUse(job, approver);
        } else if (def.api === 'maton') {
          // The request may have left, and a connection write has no idempotency key: never again.
          if (await take(rec.state, true, rec.owner)) {
            const err = unknownOutcome(def.name, 'The call that sent this write stopped before recording its answer', ' This token will not send it again (Maton connection writes have no idempotency key): check list_connections for a PENDING connection before creating another.');
            await this.finish(job, 'claimed', this.o.results.error(err), true);
            throw err;
          }
        } else if (await take(rec.state, true, rec.owner)) return this.resend(job);
      } else {
        // Another call holds this token (asking the person, or sending): its outcome is ours too.
        waited = true;
        if (Date.now() > token.expires + this.leaseMs) throw new ToolError('Another call with this confirm token is still in progress. Nothing was sent by this call.', { reason: 'in_progress' });
        await sleep(rec.state === 'claimed' ? 100 : 25, job.ctx.signal);
      }
    }
  }

  /** The token's first use: (for a person: re-read and ask), then lock, re-check, send. */
  private async firstUse(job: Job, approver: Approver): Promise<CallToolResult> {
    const { entry, ctx, token } = job;
    const def = entry.def;
    // The token alone approves: the one read is the re-check under the target's lock, just before sending.
    if (approver.via === 'token') return this.send(job, 'token', undefined, false);
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
      await this.release(job, 'approval did not complete');
      if (e instanceof ToolError) await this.audit({ ...base, event: 'refused', error: e.message });
      throw e;
    }
    return this.send(job, approver.via, p, false);
  }

  /** A card-only client's confirm of a token nobody decided yet: the person decides in the card (approve_billing_change); the token stays unused. */
  private awaiting(job: Job): CallToolResult {
    const def = job.entry.def;
    return this.o.results.prose(awaitingText(def.name), {
      status: 'awaiting_approval',
      action: def.name,
      approval: 'app',
      // The card rendered with this result can offer Approve and Decline for the same token.
      confirm_token: job.raw,
      expires_at: new Date(job.token.expires).toISOString(),
      ...(job.connection ? { connection_id: job.connection } : {}),
    });
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
    const { entry, ctx, token, hb } = job;
    const def = entry.def;
    const maton = def.api === 'maton';
    const audited = { tool: def.name, connection: job.connection, caller: ctx.caller, token_id: job.tokenId, approval };
    let unlock: (() => Promise<void>) | undefined;
    let seen: Preview;
    try {
      try {
        const lock = await this.o.ledger.lock(job.lockKey, this.leaseMs, LOCK_WAIT_MS, ctx.signal);
        unlock = lock;
        hb.add({ what: 'the target lock', renew: () => lock.renew() });
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
          else await this.move(job, 'claimed', { state: 'unknown', at: Date.now(), sent: true, owner: job.owner }, 'a resend stopped before sending');
        } else await this.release(job, 'the re-check under the target lock stopped the write');
        if (err instanceof ToolError) await this.audit({ ...audited, event: 'refused', error: err.message });
        throw err;
      }
      const base = { ...audited, target: seen.target };
      if (approval === 'token' && !resend) {
        try {
          await this.audit({ ...base, event: 'approved', effect: seen.effect });
        } catch (e) {
          await this.release(job, 'the approved line could not be written to the audit log');
          throw e;
        }
      }
      // The gateway call stops (retries included) when this call loses its claim or lock: the fence.
      const call = requestFor(entry, job.args, job.connection, AbortSignal.any([ctx.signal, hb.signal]));
      if (!maton) call.idempotencyKey = this.o.tokens.idempotencyKey(token.nonce);
      const idem = call.idempotencyKey ? { idempotency_key: call.idempotencyKey } : {};
      try {
        if (hb.lost) throw new ToolError(`This call lost its hold on the write (${hb.lost}). Nothing was sent by this call; call again to get its outcome.`, { reason: 'in_progress' });
        if (!(await this.o.ledger.swap(token.nonce, 'claimed', { state: 'sent', at: Date.now(), sent: true, owner: job.owner, lease: hb.until() }, token.expires, job.owner))) {
          throw new ToolError('This confirm token was taken over by another call. Nothing was sent by this call.', { reason: 'in_progress' });
        }
      } catch (e) {
        // Not ours any more (or the store failed): whoever holds the record now decides; nothing of ours was sent.
        if (e instanceof ToolError) await this.audit({ ...base, event: 'refused', error: e.message });
        throw e;
      }
      try {
        await this.audit({ ...base, event: 'sent', effect: seen.effect, ...idem });
      } catch (e) {
        // The line that must precede the request could not be written: the request does not leave.
        await this.release(job, 'the sent line could not be written to the audit log');
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
      const done = {
        status: 'done',
        action: def.name,
        approval,
        ...(job.connection ? { connection_id: job.connection } : {}),
        ...(replayed ? { idempotent_replay: true } : {}),
        result: shapeResult(body, entry.listKey),
      };
      // The outcome is the ledger's first: every later use of the token returns it, whatever the audit log does.
      const outcome = this.o.results.ok(done);
      await this.finish(job, 'sent', outcome, true);
      const warning = await this.auditAfterSend({ ...base, event: 'done', ...idem }, job, 'was applied');
      if (!warning) return outcome;
      const warned = this.o.results.ok({ ...done, warning });
      await this.move(job, 'final', { state: 'final', at: Date.now(), outcome: storable(warned), sent: true, owner: job.owner }, 'adding the audit warning to the recorded outcome');
      return warned;
    } finally {
      hb.remove('the target lock');
      await unlock?.();
    }
  }

  /** The request left and failed: decide whether the token may ever send again. */
  private async failed(job: Job, e: unknown, base: Omit<AuditEvent, 'event'>, idem: { idempotency_key?: string }): Promise<CallToolResult> {
    const { ctx, hb } = job;
    const def = job.entry.def;
    const maton = def.api === 'maton';
    const network = e instanceof GatewayError && e.info.source === 'network';
    // This call lost its claim or lock while the request was out: the gateway call was stopped, its outcome is unknown.
    const fenced = hb.signal.aborted && !ctx.signal.aborted;
    // Certainly not processed: a 429, the client-side rate limit, or a single attempt that never left.
    const notProcessed = e instanceof GatewayError && (e.info.status === 429 || e.info.source === 'client' || (network && e.info.sent === false && e.info.attempts === 1));
    const unanswered = ctx.signal.aborted || fenced || network || (e instanceof GatewayError && (e.info.status ?? 0) >= 500);
    if (!ctx.signal.aborted && !fenced && notProcessed) {
      // Nothing reached the API: the token is unused again.
      await this.release(job, 'the request was not processed (rate limited or never sent)');
      await this.audit({ ...base, event: 'failed', error: (e as Error).message, ...idem });
      throw e;
    }
    if (unanswered) {
      const when = new Date().toISOString();
      await this.o.ledger
        .noteUnknown(job.noteKey, { at: when, tool: def.name, detail: maton ? 'check list_connections for a PENDING connection it may have made' : idem.idempotency_key ? `idempotency key ${idem.idempotency_key}` : undefined }, UNKNOWN_NOTE_MS)
        .catch((err: unknown) => this.o.logger.error({ err: (err as Error).message, tool: def.name }, 'could not note an unknown outcome for the next preview'));
      const why = fenced ? `This call lost its hold on the write while the request was out (${hb.lost})` : 'The request went out and got no answer';
      let err: unknown;
      if (maton) {
        // A connection write has no idempotency key: it is never sent twice for one token.
        const unknown = unknownOutcome(def.name, why, ' This token will not send it again (Maton connection writes have no idempotency key): check list_connections for a PENDING connection before creating another.');
        await this.finish(job, 'sent', this.o.results.error(unknown), true);
        err = ctx.signal.aborted ? ctx.signal.reason : unknown;
      } else {
        await this.move(job, 'sent', { state: 'unknown', at: Date.now(), sent: true, owner: job.owner }, 'recording an unknown outcome');
        err = fenced ? unknownOutcome(def.name, why, ' Calling again with this confirm token resends it under the same idempotency key only if the target is unchanged.') : e;
      }
      // Already noted for the next preview (above): the warning goes on this answer only.
      const warning = await this.auditAfterSend({ ...base, event: 'outcome_unknown', error: (e as Error).message, ...idem }, job);
      throw warning && !ctx.signal.aborted ? withWarning(err, warning) : err;
    }
    // Chargebee answered with a refusal: that is the token's outcome (recorded before the audit line).
    if (e instanceof ToolError) {
      await this.finish(job, 'sent', this.o.results.error(e), true);
    } else await this.release(job, `the write failed in this server (${(e as Error).message})`);
    const warning = await this.auditAfterSend({ ...base, event: 'failed', error: (e as Error).message, ...idem }, job, 'was refused');
    throw warning ? withWarning(e, warning) : e;
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
    return this.handle(entry, { args, confirm_token: raw, connection: opened.connection }, { ...ctx, decision });
  }

  /** The tool's preview of its target, with a malformed upstream answer reported as a tool error. */
  private async readTarget(entry: Entry, args: Args, connection: string | null, signal: AbortSignal, estimates = true): Promise<Preview> {
    try {
      return await entry.def.preview(args, targetReader(this.o.gateway, connection, signal, estimates));
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
    return { lockKey: `${tool}|${digest(canonical(args))}`, noteKey: tool };
  }

  /** Records the token's outcome (from `from`, still held by this call). A failed record is logged: the outcome stands. */
  private async finish(job: Job, from: 'claimed' | 'sent', outcome: CallToolResult, sent: boolean): Promise<void> {
    const rec: TokenRecord = { state: 'final', at: Date.now(), outcome: storable(outcome), owner: job.owner, ...(sent ? { sent } : {}) };
    await this.move(job, from, rec, 'recording the outcome');
  }

  /**
   * Moves this call's record from `from` to `to`, checking it is still this call's. Never throws:
   * when the record could not be moved, says why in the log (the outcome this call returns stands;
   * a later use of the token then meets the record as it is, or, once its lease runs out, takes it over).
   */
  private async move(job: Job, from: TokenState, to: TokenRecord, what: string): Promise<boolean> {
    const log = { tool: job.entry.def.name, token_id: job.tokenId, from, to: to.state };
    try {
      if (await this.o.ledger.swap(job.token.nonce, from, to, job.token.expires, job.owner)) return true;
      this.o.logger.error(log, `ledger: ${what}: the token's record was no longer this call's (taken over, or expired with the token)`);
    } catch (e) {
      this.o.logger.error({ ...log, err: (e as Error).message }, `ledger: ${what} failed`);
    }
    return false;
  }

  /** Forgets this call's claim: nothing was sent, the token is unused again. A failure is logged (the claim then lapses with its lease). */
  private async release(job: Job, why: string): Promise<void> {
    try {
      await this.o.ledger.release(job.token.nonce, job.owner);
    } catch (e) {
      this.o.logger.error({ err: (e as Error).message, tool: job.entry.def.name, token_id: job.tokenId, why }, `ledger: could not release a token claim; it lapses after ${this.leaseMs} ms`);
    }
  }

  /** Before anything is sent: an audit line that cannot be written refuses the write. */
  private async audit(e: AuditEvent): Promise<void> {
    try {
      await this.o.audit.record(e);
    } catch (err) {
      this.o.logger.error({ err: (err as Error).message, event: e.event }, 'audit log write failed');
      throw new ToolError(`The audit log could not be written (${(err as Error).message}); nothing was sent.`, { reason: 'audit_failed' });
    }
  }

  /**
   * After the request left: an audit line that cannot be written is a warning on the real outcome
   * (returned here), and, when `outcome` says what happened, a note the next preview of the target shows.
   */
  private async auditAfterSend(e: AuditEvent, job: Job, outcome?: string): Promise<string | undefined> {
    try {
      await this.o.audit.record(e);
      return undefined;
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      this.o.logger.error({ err: (err as Error).message, event: e.event, tool: e.tool, token_id: e.token_id }, 'audit log write failed after the request was sent');
      if (outcome) {
        await this.o.ledger
          .noteUnknown(job.noteKey, { at: new Date().toISOString(), tool: e.tool, outcome, detail: `audit log: ${why}` }, UNKNOWN_NOTE_MS)
          .catch((x: unknown) => this.o.logger.error({ err: (x as Error).message, tool: e.tool }, 'could not note an unaudited write for the next preview'));
      }
      return `The request was sent and this is its real outcome, but the audit log could not record it (${why}): the operator must check the audit log's disk. Do not repeat this write because of this warning.`;
    }
  }
}

/** An error with the audit warning appended (the write's own error stays the message). */
function withWarning(e: unknown, warning: string): unknown {
  if (!(e instanceof ToolError)) return e;
  const hint = e instanceof GatewayError ? e.info.hint : undefined;
  return new ToolError(`${e.message}${hint ? `\nNext: ${hint}` : ''}\nWarning: ${warning}`, { ...e.details, warning });
}

function humanRequired(tool: string, what: string): ToolError {
  return new ToolError(
    `This server requires a person to approve every write in their MCP client (--approval human), and this client cannot ask its user (it declared neither the elicitation capability nor the MCP Apps extension for the approval card). ${tool} ${what} and nothing was sent. Use a client that supports elicitation or MCP Apps, or ask the operator to run the server with --approval auto or token.`,
    { reason: 'approval_unavailable' },
  );
}

function unknownOutcome(tool: string, what: string, extra = ''): ToolError {
  return new ToolError(
    `${what}: the first attempt of ${tool} may or may not have been applied. Nothing was sent again.${extra} Check the target (e.g. with the matching get_/list_ tool), then preview again if it is still needed.`,
    { reason: 'outcome_unknown' },
  );
}
