// Room: cli (edge). May touch: node:fs. `mutual status --data-dir D`: prints D/status.json, which a running
// `mutual peer` keeps current.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeJson } from '../../protocol/encoding.ts';
import type { Command } from '../command.ts';

const HELP = `usage: mutual status --data-dir DIR

Prints DIR/status.json as written by a running \`mutual peer\`: peerId, addresses, network, round, converged, peers,
allocations, needs, capacities (the shapes of \`mutual simulate\`).`;

export const command: Command = {
  summary: 'print the status of the peer running in a data dir',
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
      console.error(`mutual status: ${(error as Error).message}\n\n${HELP}`);
      return 2;
    }
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
