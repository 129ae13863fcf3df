#!/usr/bin/env node
// npm pack / npm publish: the packed package.json carries no scripts. `prepare` builds dist/
// on `npm ci` in a checkout, but in a published package npm would list it among install-time
// scripts; no other script means anything to someone who installs the package.
//   prepack:  node scripts/pack-manifest.mjs strip    (keeps the checkout's package.json aside)
//   postpack: node scripts/pack-manifest.mjs restore  (puts it back, byte for byte)
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const manifest = fileURLToPath(new URL('../package.json', import.meta.url));
const kept = fileURLToPath(new URL('../.package.json.pack-backup', import.meta.url));

if (process.argv[2] === 'strip') {
  if (existsSync(kept)) {
    console.error(`pack-manifest: ${kept} exists (an interrupted npm pack?): compare it with package.json, keep the right one, delete the backup, and pack again`);
    process.exit(1);
  }
  const text = readFileSync(manifest, 'utf8');
  const { scripts: _, ...packed } = JSON.parse(text);
  writeFileSync(kept, text);
  writeFileSync(manifest, `${JSON.stringify(packed, null, 2)}\n`);
} else if (process.argv[2] === 'restore') {
  if (existsSync(kept)) renameSync(kept, manifest);
} else {
  console.error('usage: pack-manifest.mjs strip|restore');
  process.exit(2);
}
