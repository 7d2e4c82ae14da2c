// Room: cli (edge). May touch: network (identity). `mutual keygen --data-dir D`: creates the peer's Ed25519 identity
// (D/identity.key, mode 0600) unless one exists, and prints the peer id.
import { loadOrCreateIdentity } from '../../network/identity.ts';
import { parseDataDirArgs, type Command } from '../command.ts';

const HELP = `usage: mutual keygen --data-dir DIR

Creates DIR/identity.key (an Ed25519 key, readable only by you) unless it exists, and prints the peer id.`;

export const command: Command = {
  summary: "create the peer's identity and print its peer id",
  async run(argv) {
    const args = parseDataDirArgs('keygen', HELP, argv);
    if (typeof args === 'number') return args;
    const { dataDir } = args;
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
