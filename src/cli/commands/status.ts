// Room: cli (edge). May touch: node:fs. `mutual status --data-dir D`: prints D/status.json, which a running
// `mutual peer` keeps current.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeJson } from '../../protocol/encoding.ts';
import { parseDataDirArgs, type Command } from '../command.ts';

const HELP = `usage: mutual status --data-dir DIR

Prints DIR/status.json as written by a running \`mutual peer\`: peerId, addresses, network, round, converged, problem
(only when the peer's results did not reach the network, and why), peers, allocations, needs, capacities (the shapes
of \`mutual simulate\`).`;

export const command: Command = {
  summary: 'print the status of the peer running in a data dir',
  async run(argv) {
    const args = parseDataDirArgs('status', HELP, argv);
    if (typeof args === 'number') return args;
    const { dataDir } = args;
    const path = join(dataDir, 'status.json');
    try {
      const status = decodeJson(await readFile(path, 'utf8'), { maxBytes: 64 * 1024 * 1024 });
      process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      return 0;
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      console.error(`mutual status: ${missing ? `${path} does not exist (is \`mutual peer --data-dir ${dataDir}\` running?)` : `${path}: ${(error as Error).message}`}`);
      return 1;
    }
  },
};
