// Argument parsing shared by the client CLIs (http-get, http-stream, udp-get): positional arguments and
// `--name VALUE` integer options, with errors that print the usage.
import { parseArgs } from 'node:util';

/** Parses `argv` against integer options with defaults; returns the positionals and the values. */
export function parseClientArgs<K extends string>(
  argv: readonly string[],
  usage: string,
  positionalCount: number,
  integerOptions: Record<K, number>,
): { positionals: string[]; options: Record<K, number> } {
  const spec = Object.fromEntries(Object.keys(integerOptions).map((k) => [k, { type: 'string' as const }]));
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: spec, allowPositionals: true, strict: true });
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n${usage}`);
  }
  if (parsed.positionals.length !== positionalCount) throw new Error(`expected ${positionalCount} arguments\n${usage}`);
  const options = { ...integerOptions };
  for (const key of Object.keys(integerOptions) as K[]) {
    const raw = (parsed.values as Record<string, string | undefined>)[key];
    if (raw === undefined) continue;
    const n = Number(raw);
    if (!Number.isInteger(n)) throw new Error(`--${key} must be an integer, got ${raw}\n${usage}`);
    options[key] = n;
  }
  return { positionals: parsed.positionals, options };
}

/** Runs a CLI's main: a usage or runtime error goes to stderr with exit code 2. */
export function runCli(main: () => Promise<void>, name: string): void {
  main().catch((e: unknown) => {
    process.stderr.write(`${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  });
}
