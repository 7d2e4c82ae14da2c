// Room: cli (edge). May touch: node:fs, network (process-lock). `mutual status --data-dir D`: prints D/status.json, which a running
// `mutual peer` keeps current, with `running` saying whether that peer is alive.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeJson } from '../../protocol/encoding.ts';
import { parseDataDirArgs, type Command } from '../command.ts';
import { processAlive } from '../../network/process-lock.ts';

export const STATUS_FILE = 'status.json';
/** A running peer rewrites status.json at least this often, even when nothing changed. */
export const STATUS_REFRESH_MS = 5_000;
/** A status.json older than this is not from a live peer, even when its pid exists (the peer hangs, or it is reused). */
export const STALE_AFTER_MS = 30_000;
/** `mutual status`'s exit code when the data dir's peer is not running (status.json is printed all the same). */
export const EXIT_NOT_RUNNING = 3;

const HELP = `usage: mutual status --data-dir DIR

Prints DIR/status.json as written by \`mutual peer\`: peerId, running, pid, updatedAt, addresses, network, round,
phase (a number) and phaseName (Idle, Discover, Declare, Recognize, Subscribe, Gather, Allocate, Accept, Stabilize,
Converged: spec chapter 8), converged, problem (only when the peer's results did not reach the network, and why),
failed (only when the peer stopped on an error, and which), peers, allocations, needs, capacities (the shapes of
\`mutual simulate\`), counters.
running is true only when the peer did not stop cleanly, its pid is alive on this machine and updatedAt is at most
${STALE_AFTER_MS / 1000} s old (a running peer rewrites the file at least every ${STATUS_REFRESH_MS / 1000} s); otherwise stderr says why.
Exit 0 when the peer is running, ${EXIT_NOT_RUNNING} when it is not (stopped or crashed: the last status is printed), 1 when
status.json is missing or unreadable, 2 on usage errors.`;

/** Why the peer that wrote `status` is not running, or undefined when it is. */
function notRunningBecause(status: Record<string, unknown>, now: number): string | undefined {
  const { pid, updatedAt } = status;
  const updated = typeof updatedAt === 'string' ? Date.parse(updatedAt) : Number.NaN;
  if (typeof pid !== 'number' || Number.isNaN(updated)) return 'status.json has no pid or updatedAt (written by an older mutual)';
  const last = `last update ${updatedAt as string}`;
  if (status.running === false) return typeof status.failed === 'string' ? `it failed: ${status.failed}; ${last}` : `it stopped cleanly; ${last}`;
  if (!processAlive(pid)) return `pid ${pid} is gone; ${last}`;
  const age = Math.round((now - updated) / 1000);
  if (now - updated > STALE_AFTER_MS) return `pid ${pid} exists but has not updated status.json for ${age} s; ${last}`;
  // A running peer rewrites it with the clock as it is now: one far ahead was never judged stale (found by an operator
  // pass), and its pid may belong to another process by now.
  if (updated - now > STALE_AFTER_MS) return `status.json says it was updated ${-age} s from now (the clock was set back?), so its peer has not updated it since; ${last}`;
  return undefined;
}

export const command: Command = {
  summary: 'print the status of the peer running in a data dir',
  async run(argv) {
    const args = parseDataDirArgs('status', HELP, argv);
    if (typeof args === 'number') return args;
    const { dataDir } = args;
    const path = join(dataDir, STATUS_FILE);
    let status: unknown;
    try {
      status = decodeJson(await readFile(path, 'utf8'), { maxBytes: 64 * 1024 * 1024 });
      if (typeof status !== 'object' || status === null || Array.isArray(status)) throw new Error('not a JSON object');
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      console.error(`mutual status: ${missing ? `${path} does not exist (is \`mutual peer --data-dir ${dataDir}\` running?)` : `${path}: ${(error as Error).message}`}`);
      return 1;
    }
    const reason = notRunningBecause(status as Record<string, unknown>, Date.now());
    process.stdout.write(`${JSON.stringify({ ...status, running: reason === undefined }, null, 2)}\n`);
    if (reason === undefined) return 0;
    console.error(`mutual status: the peer is not running (${reason})`);
    return EXIT_NOT_RUNNING;
  },
};
