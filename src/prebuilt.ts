import type { Tool } from '@modelcontextprotocol/sdk/types.js';

/**
 * tools/list entries by tool name, computed at build time. Undefined here (tests, `tsc`
 * output): the engine builds the listing at start-up. scripts/bundle.mjs replaces this
 * module in the bundled bin (dist/cli.js) with the listing it computed from the same
 * sources, so a cold start skips zod → JSON Schema for every tool.
 */
export const prebuiltListings: Readonly<Record<string, Tool>> | undefined = undefined;
