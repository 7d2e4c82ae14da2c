// Room: cli (edge). May touch: network (identity). `mutual keygen --data-dir D`: creates the peer's Ed25519 identity
// (D/identity.key, mode 0600) unless one exists, and prints the peer id.
import { parseArgs } from 'node:util';
import { loadOrCreateIdentity } from '../../network/identity.ts';
import type { Command } from '../command.ts';

const HELP = `usage: mutual keygen --data-dir DIR

Creates DIR/identity.key (an Ed25519 key, readable only by you) unless it exists, and prints the peer id.`;

export const command: Command = {
  summary: "create the peer's identity and print its peer id",
  async run(argv) {
    let dataDir: string;
    try {
      const parsed = parseArgs({ args: [...argv], options: { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
      if (parsed.values.help) {
        console.log(HELP);
        return 0;
      }
      if (parsed.values['data-dir'] === undefined) throw new Error('--data-dir is required');
      dataDir = parsed.values['data-dir'];
    } catch (error) {
      console.error(`mutual keygen: ${(error as Error).message}\n\n${HELP}`);
      return 2;
    }
    try {
      const { peerId, created } = await loadOrCreateIdentity(dataDir);
      if (!created) console.error(`mutual keygen: ${dataDir} already has an identity; kept it`);
      console.log(peerId);
      return 0;
    } catch (error) {
      console.error(`mutual keygen: ${(error as Error).message}`);
      return 1;
    }
  },
};
