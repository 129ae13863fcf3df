/**
 * The approval card's page. The package bin carries it prebuilt: scripts/bundle.mjs replaces this
 * module with the page itself, which esbuild puts in a lazy chunk (loaded by the first
 * resources/read). A checkout (the tsc build, tests) builds it here from src/card/view with
 * scripts/card.mjs and esbuild (a devDependency), once, on the first read.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

let built: Promise<string> | undefined;

export function cardHtml(): Promise<string> {
  built ??= (async () => {
    let dir = dirname(fileURLToPath(import.meta.url));
    while (!existsSync(join(dir, 'scripts', 'card.mjs'))) {
      const up = dirname(dir);
      if (up === dir) throw new Error('The approval card is not built into this copy, and scripts/card.mjs is not beside it to build it.');
      dir = up;
    }
    const { buildCard } = (await import(pathToFileURL(join(dir, 'scripts', 'card.mjs')).href)) as { buildCard(): Promise<string> };
    return buildCard();
  })().catch((e: unknown) => {
    built = undefined;
    throw e;
  });
  return built;
}
