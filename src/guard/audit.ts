import { constants } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

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
  /** After log rotation: continue in a fresh file at the same path. */
  reopen(): Promise<void>;
  close(): Promise<void>;
}

export const noAudit: AuditLog = {
  async record() {},
  async reopen() {},
  async close() {},
};

/** Why an audit file is refused: one line that says what to fix. */
export class AuditFileError extends Error {}

/** Reader-splitting characters JSON.stringify leaves raw (some readers take them as line ends). */
const LINE_BREAKS = /[\u2028\u2029\u0085]/g;
const escapeBreaks = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** The directories a path goes through (as written and as resolved), each checked once. */
async function directoriesOf(path: string): Promise<string[]> {
  const dirs = new Set<string>();
  const walk = (d: string) => {
    for (let cur = d; ; cur = dirname(cur)) {
      dirs.add(cur);
      if (dirname(cur) === cur) break;
    }
  };
  const dir = dirname(resolve(path));
  walk(dir);
  walk(await realpath(dir).catch(() => dir));
  return [...dirs];
}

/**
 * Refuses a file another user could read, forge lines in, or swap: a directory on its path that
 * someone else may write (its owner, or everyone / another group without the sticky bit).
 */
async function checkDirectories(path: string): Promise<void> {
  const uid = process.getuid?.();
  if (uid === undefined) return;
  const gid = process.getgid?.();
  for (const d of await directoriesOf(path)) {
    const st = await stat(d).catch(() => undefined);
    if (!st) continue;
    const sticky = (st.mode & 0o1000) !== 0;
    const why =
      st.uid !== uid && st.uid !== 0
        ? `is owned by another user (uid ${st.uid})`
        : !sticky && st.mode & 0o002
          ? 'can be written by every user and has no sticky bit'
          : !sticky && st.mode & 0o020 && st.gid !== gid
            ? `can be written by group ${st.gid} and has no sticky bit`
            : undefined;
    if (why) throw new AuditFileError(`the folder ${d} ${why}, so another user could replace the audit file: use a folder only you (or root) can write`);
  }
}

/** Opens for appending without following a symlink; refuses a file that is not ours or not a regular file. */
async function openChecked(path: string): Promise<FileHandle> {
  await checkDirectories(path);
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0), 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new AuditFileError('it is a symbolic link, and the audit file is never opened through one: give the path of the file itself');
    throw new AuditFileError(`cannot open it for appending (${code ?? (e as Error).message}): give a writable file path`);
  }
  try {
    const st = await fh.stat();
    const uid = process.getuid?.();
    if (!st.isFile()) throw new AuditFileError('it is not a regular file: give the path of a file');
    if (uid !== undefined && st.uid !== uid) throw new AuditFileError(`it is owned by another user (uid ${st.uid}), who could read and forge its lines: remove it or give another path`);
    // An existing file keeps its mode on open: tighten it, since lines name customers.
    await fh.chmod(0o600);
    return fh;
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/**
 * Append-only JSON lines, mode 0600, each line synced to disk before record() resolves. Lines are
 * written one at a time in call order, so a `sent` line is durable before its request leaves.
 * reopen() (SIGHUP, after log rotation) switches to a fresh file at the same path between lines.
 */
export class FileAuditLog implements AuditLog {
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private fh: FileHandle,
  ) {}

  /** Throws AuditFileError (one line, without the path) when the file is refused. */
  static async open(path: string): Promise<FileAuditLog> {
    return new FileAuditLog(path, await openChecked(path));
  }

  /** Opens the path afresh (the old file was moved away) once the lines before are written; on failure the old file stays in use. */
  reopen(): Promise<void> {
    const next = this.chain.then(async () => {
      const fh = await openChecked(this.path);
      const old = this.fh;
      this.fh = fh;
      await old.close().catch(() => {});
    });
    this.chain = next.catch(() => {});
    return next;
  }

  record(e: AuditEvent): Promise<void> {
    const line = `${JSON.stringify({ time: new Date().toISOString(), ...e }).replace(LINE_BREAKS, escapeBreaks)}\n`;
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
