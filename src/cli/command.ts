// Room: cli (edge). May touch: node:util. The shape every `mutual` subcommand module exports as `command`, and the
// argument parsing the commands that take only a data dir share.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface Command {
  /** One line for `mutual --help`. */
  readonly summary: string;
  /** Runs with the arguments after the command name; resolves to the exit code (0 ok, 1 failure, 2 usage). */
  run(argv: readonly string[]): Promise<number>;
}

/** Thrown for bad command-line usage; the dispatcher's callers print it and exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * node:util's parseArgs, except that an option that takes one value and is given twice is an error: `--network a
 * --network b` ran on network b without a word (found by an operator pass).
 */
export function parseCommandLine<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  const parsed = parseArgs({ ...config, tokens: true });
  // Asked for the help: it is printed, whatever else the line holds.
  if ((parsed.values as Record<string, unknown>).help === true) return parsed as ReturnType<typeof parseArgs<T>>;
  const given = new Map<string, string[]>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    // A flag (no value) said twice means the same thing; only a value can be lost.
    const option = config.options?.[token.name];
    if (option === undefined || option.multiple === true || option.type === 'boolean') continue;
    given.set(token.name, [...(given.get(token.name) ?? []), token.value ?? token.rawName]);
  }
  for (const [name, values] of given) if (values.length > 1) throw new Error(`--${name} is given ${values.length} times (${values.join(', ')}): give it once`);
  return parsed as ReturnType<typeof parseArgs<T>>;
}

/**
 * Parses `--data-dir DIR` (required) and `--help` for `mutual <name>`. Returns the data dir, or the exit code when the
 * command is done already: 0 after printing the help, 2 after a usage error (printed with the help).
 */
export function parseDataDirArgs(name: string, help: string, argv: readonly string[]): { dataDir: string } | number {
  try {
    const parsed = parseCommandLine({ args: [...argv], options: { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
    if (parsed.values.help) {
      console.log(help);
      return 0;
    }
    if (parsed.values['data-dir'] === undefined) throw new Error('--data-dir is required');
    if (parsed.values['data-dir'] === '') throw new Error('--data-dir is empty');
    return { dataDir: parsed.values['data-dir'] };
  } catch (error) {
    console.error(`mutual ${name}: ${(error as Error).message}\n\n${help}`);
    return 2;
  }
}
