// Room: cli (edge). May touch: network (its exclusive file write), node:fs, node:process.
// One `mutual peer` per data dir: <data dir>/peer.lock is created exclusively and holds the owner's pid. A lock whose
// owner no longer runs (it was killed; its pid may have been used again since, by a process started after the lock
// was written) is taken over; the owner removes it on a clean shutdown.
import { link, mkdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileExclusive } from './identity.ts';

export const LOCK_FILE = 'peer.lock';

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class DataDirInUse extends Error {
  override readonly name = 'DataDirInUse';
  /** The pid that holds the lock, and the lock file. */
  readonly owner: number;
  readonly path: string;
  constructor(message: string, owner: number, path: string) {
    super(message);
    this.owner = owner;
    this.path = path;
  }
}

export interface DataDirLock {
  readonly path: string;
  /** Removes the lock (when it is still ours). */
  release(): Promise<void>;
  /** The same, synchronously, for a forced exit. */
  releaseSync(): void;
}

/**
 * When a process started (epoch ms; Linux: /proc, else undefined), so that a pid used again is not taken for the owner:
 * a process that started after the lock was written did not write it. A peer SIGKILLed as pid 1 of a container found
 * its own pid "alive" in the lock at every restart (found by an operator pass). The lock file stays the pid alone, as
 * earlier versions read it.
 */
function startedAtMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name (which may hold spaces and parentheses): start time is field 22, in clock
    // ticks since boot (100 per second on Linux).
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const boot = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
    return Number.isFinite(ticks) && boot !== undefined ? Number(boot) * 1000 + ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

async function readPid(path: string): Promise<number | undefined> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    return /^\d+$/.test(text) ? Number(text) : Number.NaN;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Whether the lock's owner still runs: its pid is alive, and that process started before the lock was written. */
async function ownerAlive(pid: number, path: string): Promise<boolean> {
  if (!processAlive(pid)) return false;
  const started = startedAtMs(pid);
  if (started === undefined) return true;
  const written = await stat(path).then((found) => found.mtimeMs, () => undefined);
  // A second of slack: the boot time is in whole seconds.
  return written === undefined || started <= written + 1000;
}

/** Takes the data dir's lock (creating the dir), or throws DataDirInUse naming the pid that holds it. */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, LOCK_FILE);
  const lock: DataDirLock = {
    path,
    release: async () => {
      if ((await readPid(path).catch(() => undefined)) === process.pid) await unlink(path).catch(() => {});
    },
    releaseSync: () => {
      try {
        if (Number(readFileSync(path, 'utf8').trim()) === process.pid) unlinkSync(path);
      } catch {
        // Already gone.
      }
    },
  };
  // Bounded: each pass takes the lock, finds a live owner, or clears one stale lock (another process may race us).
  for (let attempt = 0; attempt < 5; attempt++) {
    // Linked into place complete, so a reader never sees an empty lock.
    if (await writeFileExclusive(path, new TextEncoder().encode(`${process.pid}\n`), 0o644)) return lock;
    const owner = await readPid(path);
    if (owner === undefined) continue; // released meanwhile
    if (await ownerAlive(owner, path)) throw new DataDirInUse(`data dir ${dataDir} is in use by pid ${owner} (${path})`, owner, path);
    // Stale (or unreadable, written by a process killed mid-write): move it aside, and put it back if what we moved is
    // not the stale lock we judged but a live process's fresh one.
    const aside = `${path}.${process.pid}.stale`;
    try {
      await rename(path, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    const moved = await readPid(aside);
    if (moved !== owner && moved !== undefined && (await ownerAlive(moved, aside))) {
      await link(aside, path).catch(() => {});
      await unlink(aside).catch(() => {});
      throw new DataDirInUse(`data dir ${dataDir} is in use by pid ${moved} (${path})`, moved, path);
    }
    await unlink(aside).catch(() => {});
  }
  throw new Error(`cannot take the lock ${path}: other processes keep changing it`);
}
