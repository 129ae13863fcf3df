import { UsageError } from '../config.js';
import type { Logger } from '../log.js';
import type { Ledger } from './ledger.js';

/** Placeholder until the Redis ledger lands (branch w12-redis): --redis refuses to start. */
export async function createRedisLedger(_url: string, _logger: Logger): Promise<Ledger> {
  throw new UsageError('--redis is not available in this build yet.');
}
