// Room: cli (edge). May touch: protocol, engine, network, node:* — never vscode.
// `mutual <command> [...]`: dispatches to one module per command. Exit codes everywhere: 0 ok, 1 the input or the
// run failed (the reason on stderr), 2 usage error.
import type { Command } from './command.ts';

const COMMANDS: Record<string, () => Promise<Command>> = {
  validate: async () => (await import('./commands/validate.ts')).command,
  simulate: async () => (await import('./commands/simulate.ts')).command,
  keygen: async () => (await import('./commands/keygen.ts')).command,
  peer: async () => (await import('./commands/peer.ts')).command,
  status: async () => (await import('./commands/status.ts')).command,
};

function usage(): string {
  const names = Object.keys(COMMANDS).sort();
  return `usage: mutual <command> [options]\n\ncommands:\n${names.map((name) => `  ${name}`).join('\n')}\n\nRun \`mutual <command> --help\` for a command's options.`;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (load === undefined) {
    console.error(`mutual: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const command = await load();
  return command.run(rest);
}
