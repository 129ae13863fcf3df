import { randomBytes } from 'node:crypto';
import { UsageError, type Config } from './config.js';
import { ConfirmTokens } from './confirm.js';
import { ConnectionResolver } from './connections.js';
import { catalogueOf, checkToolSelection, Engine, type Catalogue } from './engine.js';
import { Gateway } from './gateway.js';
import type { Logger } from './log.js';
import type { Sandbox, SandboxOptions } from './sandbox/index.js';
import { prebuilt } from './prebuilt.js';
import { AuditFileError, FileAuditLog, noAudit } from './guard/audit.js';
import { MemoryLedger, type Ledger } from './guard/ledger.js';

async function openAudit(path: string): Promise<FileAuditLog> {
  try {
    return await FileAuditLog.open(path);
  } catch (e) {
    if (e instanceof AuditFileError) throw new UsageError(`--audit-log ${path}: ${e.message}.`);
    throw e;
  }
}

/** The ledger for this process: in memory, or shared through Redis (--redis; see guard/redis-ledger.ts). */
async function createLedger(config: Config, logger: Logger): Promise<Ledger> {
  if (!config.redisUrl) return new MemoryLedger();
  const { createRedisLedger } = await import('./guard/redis-ledger.js');
  return createRedisLedger(config.redisUrl, logger);
}

/** Everything shared by all sessions of one process: the gateway, tokens, the engine. */
export interface Runtime {
  config: Config;
  logger: Logger;
  engine: Engine;
  gateway: Gateway;
  sandbox?: Sandbox;
  /** Identifies this process as the caller on stdio. */
  processId: string;
  /** SIGHUP: reopen the audit file (after rotation). Never throws: a failure is logged and the old file stays in use. */
  reopenLogs(): Promise<void>;
  close(): Promise<void>;
}

/** `sandboxOptions` tunes the embedded sandbox (tests: no rate limit, fast exports). */
export async function createRuntime(config: Config, logger: Logger, sandboxOptions: SandboxOptions = {}): Promise<Runtime> {
  const load = () => import('../tools/index.js').then((m) => m.toolsets);
  const catalogue: Catalogue = prebuilt ? { ...prebuilt, load } : catalogueOf(await load());
  // Refused set-ups (--tools, --audit-log, --redis) fail here, before the sandbox starts or anything is logged.
  checkToolSelection(catalogue.index, config.tools);
  const audit = config.auditLog ? await openAudit(config.auditLog) : noAudit;
  const ledger = await createLedger(config, logger);
  let sandbox: Sandbox | undefined;
  let baseUrl = config.baseUrl;
  let apiKey = config.apiKey ?? '';
  if (config.sandbox) {
    const { startSandbox } = await import('./sandbox/index.js');
    sandbox = await startSandbox({ logger: logger.child({ component: 'sandbox' }), ...sandboxOptions });
    baseUrl = sandbox.url;
    apiKey = sandbox.apiKey;
    logger.info({ url: sandbox.url }, 'sandbox gateway started: no real billing data is touched');
  }
  const gateway = new Gateway({ baseUrl, apiKey, timeoutMs: config.timeoutMs, budgetMs: config.retryBudgetMs, rateLimit: config.rateLimit, redisUrl: config.redisUrl, logger });
  const engine = new Engine(catalogue, {
    gateway,
    tokens: new ConfirmTokens(config.confirmSecret, config.confirmTtlS, Date.now, ledger.shared),
    ledger,
    audit,
    approval: config.approval,
    secrets: [config.apiKey, config.httpToken, config.confirmSecret.toString('utf8')],
    connections: new ConnectionResolver(gateway, config.connectionId),
    logger,
    sandbox: config.sandbox,
    readOnly: config.readOnly,
    tools: config.tools,
    pollMs: config.exportPollMs,
    leaseMs: config.leaseMs,
  });
  return {
    config,
    logger,
    engine,
    gateway,
    sandbox,
    processId: `process:${process.pid}:${randomBytes(8).toString('hex')}`,
    async reopenLogs() {
      if (!config.auditLog) return;
      try {
        await audit.reopen();
        logger.info({ auditLog: config.auditLog }, 'audit log reopened');
      } catch (e) {
        logger.error({ auditLog: config.auditLog, err: (e as Error).message }, 'audit log not reopened: lines keep going to the file open before');
      }
    },
    async close() {
      await audit.close();
      await ledger.close();
      await gateway.close();
      await sandbox?.close();
    },
  };
}
