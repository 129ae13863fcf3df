#!/usr/bin/env node
// The README's picture of the approval card (docs/approval-card.png), taken the way the browser
// test sees the card: the built bin over HTTP against its sandbox, a real preview of cancelling
// Ada Lovelace's subscription, rendered by the test host page (test/helpers/card-host) in headless
// chromium. Run after `npm run build`: `node scripts/card-screenshot.mjs [out.png]`.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveChromium, CHROMIUM, startCardHost } from '../test/helpers/card-host/index.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv[2] ?? join(root, 'docs', 'approval-card.png');
if (!haveChromium) {
  process.stderr.write(`card-screenshot: ${CHROMIUM} is not installed (apt-get install -y chromium).\n`);
  process.exit(2);
}
const tool = 'cancel_subscription_for_items';
const args = { subscription_id: 'sub_acme_01', cancel_option: 'immediately' };
const host = await startCardHost({ viewport: { width: 700, height: 480 }, deviceScaleFactor: 2 });
try {
  const preview = await host.call(tool, args);
  if (preview.isError || preview.structuredContent?.status !== 'confirmation_required') throw new Error(`no preview: ${JSON.stringify(preview.content)}`);
  await host.show(tool, args, preview);
  await host.card.getByRole('button', { name: 'Approve', exact: true }).waitFor();
  // Let the host apply the card's reported height before the picture.
  await host.page.waitForFunction(() => document.querySelector('iframe')?.style.height !== '120px');
  mkdirSync(dirname(out), { recursive: true });
  await host.card.locator('main').screenshot({ path: out });
  if (host.consoleErrors.length || host.outside.length) throw new Error(`the card misbehaved: ${JSON.stringify({ consoleErrors: host.consoleErrors, outside: host.outside })}`);
  process.stderr.write(`card-screenshot: wrote ${out}${preview.structuredContent.question ? '' : ' (this server gives no question yet: the card shows the effect as its headline)'}\n`);
} finally {
  await host.close();
}
