import { open, type FileHandle } from 'node:fs/promises';

/** One audit line: a write decision. Never a secret: tokens appear only as token_id (a short hash). */
export interface AuditEvent {
  event: 'preview' | 'approved' | 'declined' | 'refused' | 'sent' | 'done' | 'failed' | 'outcome_unknown';
  tool: string;
  connection: string | null;
  caller: string;
  approval?: 'elicitation' | 'app' | 'token';
  target?: unknown;
  effect?: string;
  token_id?: string;
  idempotency_key?: string;
  error?: string;
}

export interface AuditLog {
  /** Resolves once the line is on disk (fsync): the caller may then take the next step. */
  record(e: AuditEvent): Promise<void>;
  close(): Promise<void>;
}

export const noAudit: AuditLog = {
  async record() {},
  async close() {},
};

/**
 * Append-only JSON lines, mode 0600, each line synced to disk before record() resolves. Lines are
 * written one at a time in call order, so a `sent` line is durable before its request leaves.
 */
export class FileAuditLog implements AuditLog {
  private chain: Promise<void> = Promise.resolve();

  private constructor(private readonly fh: FileHandle) {}

  static async open(path: string): Promise<FileAuditLog> {
    const fh = await open(path, 'a', 0o600);
    // An existing file keeps its mode on open: tighten it, since lines name customers.
    await fh.chmod(0o600);
    return new FileAuditLog(fh);
  }

  record(e: AuditEvent): Promise<void> {
    const line = `${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`;
    const next = this.chain.then(async () => {
      await this.fh.appendFile(line, 'utf8');
      await this.fh.datasync();
    });
    // A failed write fails its own record() (the write path then refuses); later lines still try.
    this.chain = next.catch(() => {});
    return next;
  }

  async close(): Promise<void> {
    await this.chain;
    await this.fh.close();
  }
}
