import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ToolIndexEntry } from './catalog.js';

/**
 * The catalogue's index and tools/list listings, computed at build time. Undefined here
 * (tests, the tsc build): the runtime loads the catalogue and computes them at start-up.
 * scripts/bundle.mjs replaces this module in the bundled bin (dist/cli.js) with what it
 * computed from the same sources, so a cold start loads no tool schema at all.
 */
export const prebuilt: { index: ToolIndexEntry[]; listings: Record<string, Tool> } | undefined = undefined;
