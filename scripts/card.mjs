// Builds the approval card, ui://chargebee-mcp/approval.html: one self-contained HTML page (style
// and script inline, no external origin, no fetch: its own Content-Security-Policy forbids both),
// the ext-apps App bridge bundled in by esbuild. scripts/bundle.mjs puts the page into the package
// bin as a lazy chunk; a checkout without the bundle (tsc build, tests) builds it on first read
// (src/card/html.ts). `node scripts/card.mjs [out.html]` writes it out (default: stdout).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, transform } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const view = join(root, 'src', 'card', 'view');

// zod (the MCP SDK's schemas, which the bridge validates messages with) re-exports all of its
// ~40 message locales; the card needs only English, the default: the rest is 265 KB.
const englishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (a) => ({
      contents: "export { default as en } from './en.js';\n",
      loader: 'js',
      resolveDir: dirname(a.path),
    }));
  },
};

export async function buildCard() {
  const script = await build({
    entryPoints: [join(view, 'approval.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome111', 'firefox113', 'safari16.4'],
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [englishOnly],
  });
  const js = script.outputFiles[0].text.trim();
  const css = (await transform(readFileSync(join(view, 'approval.css'), 'utf8'), { loader: 'css', minify: true })).code.trim();
  // esbuild escapes "</script" inside strings for inline use; check rather than trust.
  if (/<\/script/i.test(js) || /<\/style/i.test(css)) throw new Error('card: the inline script or style would close its own tag');
  const page = readFileSync(join(view, 'approval.html'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .join('\n');
  const [head, tail] = page.split('/*SCRIPT*/');
  if (tail === undefined || !head.includes('/*STYLE*/')) throw new Error('card: approval.html lost its /*STYLE*/ or /*SCRIPT*/ slot');
  return head.replace('/*STYLE*/', () => css) + js + tail;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const html = await buildCard();
  if (process.argv[2]) writeFileSync(process.argv[2], html);
  else process.stdout.write(html);
}
