import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './config.js';

/**
 * node:util parseArgs, with the CLI's own one-line messages instead of Node's. In strict mode
 * Node refuses `--port -1` as "ambiguous" (a value starting with a dash) and words an unknown
 * option with quoting advice; here the tokens are parsed leniently and checked one by one, so a
 * value like -1 reaches the option's own check ("--port must be an integer 0-65535") and every
 * refusal names the option and what to do.
 */
type Options = NonNullable<ParseArgsConfig['options']>;

export function parseFlags<const O extends Options>(args: string[], options: O) {
  const { values, positionals, tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const spec = options[t.name];
    if (!spec) throw new UsageError(`unknown option ${t.rawName}`);
    const flag = `--${t.name}`;
    if (spec.type === 'boolean') {
      if (t.inlineValue) throw new UsageError(`${flag} takes no value (got "${t.rawName}=${t.value}")`);
      continue;
    }
    // `--tools --read-only`: the next option was taken as the value.
    if (t.value === undefined || (!t.inlineValue && t.value.startsWith('--'))) throw new UsageError(`${flag} needs a value`);
  }
  return { values: values as ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: true }>>['values'], positionals };
}
