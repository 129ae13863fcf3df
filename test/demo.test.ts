import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** `npm run demo` as a newcomer runs it (the global setup has built dist/): its transcript. */
const demo = fileURLToPath(new URL('../scripts/demo.mjs', import.meta.url));
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(MATON_|CHARGEBEE_MCP_|MCP_HTTP_|LOG_LEVEL$)/.test(k))) as Record<string, string>;

describe('the demo transcript (npm run demo)', () => {
  const transcript = execFileSync(process.execPath, [demo], { encoding: 'utf8', env, timeout: 60_000 });
  const lines = transcript.split('\n');
  const sections = transcript.split(/\n── /);

  it('answers every agent call with a line, and has no empty status line', () => {
    lines.forEach((line, i) => {
      if (line.startsWith('▶ agent calls')) expect(lines[i + 1]?.trim(), `nothing printed after: ${line}`).toBeTruthy();
      if (/^\s+status:/.test(line)) expect(line, `line ${i + 1}`).toMatch(/^\s+status:\s+\S/);
      // A blank line only separates: before a call, a section rule, or the closing line.
      if (line.trim() === '' && i > 0 && i < lines.length - 1) expect(lines[i + 1], `blank line ${i + 1} inside a step`).toMatch(/^(▶ agent calls|── |Done\.|$)/);
    });
    // Each write preview the agent makes is shown with its status, including step 9's.
    const previews = lines.filter((l) => /^\s+status:\s+confirmation_required/.test(l));
    expect(previews).toHaveLength(3);
  });

  it('cancels a subscription it has just listed', () => {
    const cancelled = /3\. Preview: cancel (\S+) at the end of its term/.exec(transcript)?.[1];
    expect(cancelled).toBeTruthy();
    const listing = sections.find((s) => s.startsWith('2. Which subscriptions are active?'))!;
    expect(listing.split('\n').some((l) => l.trim().startsWith(`${cancelled} `))).toBe(true);
    const step5 = sections.find((s) => s.startsWith('5. '))!;
    expect(step5).toContain(`${cancelled}: non_renewing`);
  });
});
