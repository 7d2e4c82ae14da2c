// Room: cli (edge). May touch: node:process.
// `mutual <command> [...]`: dispatches to one module per command. Exit codes everywhere: 0 ok, 1 the input or the
// run failed (the reason on stderr; a missing or unreadable input file too), 2 usage error, 3 (`status` only) the
// data dir's peer is not running. Standard output closed by its reader (EPIPE, e.g. `mutual simulate x | head`) ends
// the command quietly with 0: the reader took what it wanted. Any other error writing it (ENOSPC, EIO) prints one line
// on stderr and exits 1.
import packageJson from '../../package.json' with { type: 'json' };
import { PROTOCOL_VERSION } from '../protocol/limits.ts';
import type { Command } from './command.ts';

const COMMANDS: Record<string, () => Promise<Command>> = {
  validate: async () => (await import('./commands/validate.ts')).command,
  simulate: async () => (await import('./commands/simulate.ts')).command,
  keygen: async () => (await import('./commands/keygen.ts')).command,
  peer: async () => (await import('./commands/peer.ts')).command,
  status: async () => (await import('./commands/status.ts')).command,
};

/** The usage, with each command's one-line summary (help only: loading every command costs a few hundred ms). */
async function usage(): Promise<string> {
  const names = Object.keys(COMMANDS).sort();
  const summaries = await Promise.all(names.map(async (name) => (await COMMANDS[name]!()).summary));
  const width = Math.max(...names.map((name) => name.length));
  return `usage: mutual <command> [options]\n\ncommands:\n${names.map((name, index) => `  ${name.padEnd(width)}  ${summaries[index]}`).join('\n')}\n\nRun \`mutual <command> --help\` (or \`mutual help <command>\`) for a command's options; \`mutual --version\` for the version.\nExit codes: 0 ok, 1 the input or the run failed, 2 usage error, 3 (status) the peer is not running.`;
}

/** Without a listener, a failed write to stdout is an uncaught 'error' event: a stack trace and exit 1. */
function onStdoutError(error: NodeJS.ErrnoException): void {
  if (error.code === 'EPIPE') process.exit(0);
  process.stderr.write(`mutual: cannot write to standard output: ${error.message}\n`);
  process.exit(1);
}

/**
 * The long-running peer outlives whoever reads its output (`mutual peer … | head -1`, a closed terminal): it stops
 * writing there and goes on. It exited 0 at once instead, leaving its lock, where a supervisor's Restart=on-failure
 * would not restart it (found by an operator pass); status.json and the lock stay its record.
 */
function keepRunningWithoutOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', () => {
      // Nothing left to tell: the reader is gone.
    });
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'peer') keepRunningWithoutOutput();
  else if (process.stdout.listeners('error').length === 0) process.stdout.on('error', onStdoutError);
  if (name === 'help' && rest.length > 0) return main([rest[0]!, '--help']);
  if (name === '--version' || name === '-V') {
    console.log(`mutual ${packageJson.version} (protocol ${PROTOCOL_VERSION})`);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(await usage());
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (load === undefined) {
    console.error(`mutual: unknown command '${name}'\n\n${await usage()}`);
    return 2;
  }
  const command = await load();
  const code = await command.run(rest);
  // The peer has shut down (lock released, status written): libp2p's debounce timers kept the process 2 s longer, and
  // `timeout -k 1` then killed a peer that had stopped cleanly (found by an operator pass). What is still queued for
  // standard output and error (pipes are asynchronous) is flushed first; a gone reader ends the wait at once.
  if (name === 'peer') {
    await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
    process.exit(code);
  }
  return code;
}
