// Room: build checks. May touch: package.json, src/extension/commands.ts (read only).
// Fails when a command contributed in package.json is not registered by the extension (the COMMANDS table that
// registerCommands() registers one handler per entry of), or when a registered command is not contributed.
// The integration suite checks the same against the running VS Code (vscode.commands.getCommands).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { contributes?: { commands?: { command: string; category?: string }[] } };
const contributed = (manifest.contributes?.commands ?? []).map((entry) => entry.command);
const source = readFileSync(join(root, 'src/extension/commands.ts'), 'utf8');
const table = /export const COMMANDS = \{([\s\S]*?)\} as const;/.exec(source)?.[1];
if (table === undefined) throw new Error('scripts/check-commands.ts: COMMANDS table not found in src/extension/commands.ts');
const registered = [...table.matchAll(/:\s*'([^']+)'/g)].map((match) => match[1]!);

const problems: string[] = [];
for (const command of contributed) if (!registered.includes(command)) problems.push(`contributed but not registered: ${command}`);
for (const command of registered) if (!contributed.includes(command)) problems.push(`registered but not contributed: ${command}`);
for (const entry of manifest.contributes?.commands ?? []) if (entry.category !== 'Mutual') problems.push(`not in category "Mutual": ${entry.command}`);
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`check-commands: ${contributed.length} contributed commands, all registered`);
