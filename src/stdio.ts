import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Runtime } from './runtime.js';
import { createServer } from './server.js';

/** MCP over stdin/stdout; stdout carries only MCP messages. Exits when stdin closes or on SIGINT/SIGTERM. */
export async function serveStdio(rt: Runtime): Promise<void> {
  const server = createServer(rt, rt.processId);
  const transport = new StdioServerTransport();
  let closing = false;
  const shutdown = async (why: string) => {
    if (closing) return;
    closing = true;
    rt.logger.info({ why }, 'shutting down');
    const force = setTimeout(() => process.exit(0), 3000);
    force.unref();
    try {
      await server.close();
      await rt.close();
    } finally {
      process.exit(0);
    }
  };
  process.stdin.on('end', () => void shutdown('stdin closed'));
  process.stdin.on('close', () => void shutdown('stdin closed'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  await server.connect(transport);
  rt.logger.info({ tools: rt.engine.listTools().length, sandbox: rt.config.sandbox, readOnly: rt.config.readOnly }, 'chargebee-mcp ready on stdio');
}
