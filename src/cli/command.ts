// Room: cli (edge). The shape every `mutual` subcommand module exports as `command`.
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
