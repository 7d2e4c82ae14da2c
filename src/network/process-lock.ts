// Room: cli (edge). May touch: network (its exclusive file write), node:fs, node:process.
// One `mutual peer` per data dir: <data dir>/peer.lock is created exclusively and holds the owner's pid (and, on Linux,
// which process that is: boot id and start time). A lock whose owner no longer runs (it was killed; its pid may have
// been used again since) is taken over; the owner removes it on a clean shutdown.
import { link, mkdir, readFile, rename, unlink } from 'node:fs/promises';
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
 * Which process a pid is, beyond the pid (Linux: the boot and the process's start time), so that a pid used again is
 * not taken for the owner: a peer SIGKILLed as pid 1 of a container found its own pid "alive" in the lock at every
 * restart (found by an operator pass). Undefined where /proc does not say; the pid alone decides then.
 */
function processIdentity(pid: number): string | undefined {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name (which may hold spaces and parentheses): start time is field 22.
    const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return startTime === undefined ? undefined : `${boot}:${startTime}`;
  } catch {
    return undefined;
  }
}

interface LockOwner {
  readonly pid: number;
  readonly identity: string | undefined;
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    const [pid = '', identity] = (await readFile(path, 'utf8')).split('\n').map((line) => line.trim());
    return { pid: /^\d+$/.test(pid) ? Number(pid) : Number.NaN, identity: identity === '' ? undefined : identity };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function readPid(path: string): Promise<number | undefined> {
  return (await readOwner(path))?.pid;
}

/**
 * Whether the lock's owner still runs: its pid is alive and is the same process that wrote the lock. My own pid is
 * this process only when the lock says so (another lock of this process, as two services of one extension host take);
 * with another identity, or none where /proc gives mine, an earlier process had my pid.
 */
function ownerAlive(owner: LockOwner): boolean {
  if (!processAlive(owner.pid)) return false;
  const now = processIdentity(owner.pid);
  if (owner.pid === process.pid) return now === undefined || owner.identity === now;
  return owner.identity === undefined || now === undefined || now === owner.identity;
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
        if (Number(readFileSync(path, 'utf8').split('\n')[0]!.trim()) === process.pid) unlinkSync(path);
      } catch {
        // Already gone.
      }
    },
  };
  // Bounded: each pass takes the lock, finds a live owner, or clears one stale lock (another process may race us).
  for (let attempt = 0; attempt < 5; attempt++) {
    // Linked into place complete, so a reader never sees an empty lock.
    if (await writeFileExclusive(path, new TextEncoder().encode(`${process.pid}\n${processIdentity(process.pid) ?? ''}\n`), 0o644)) return lock;
    const found = await readOwner(path);
    if (found === undefined) continue; // released meanwhile
    const owner = found.pid;
    if (ownerAlive(found)) throw new DataDirInUse(`data dir ${dataDir} is in use by pid ${owner} (${path})`, owner, path);
    // Stale (or unreadable, written by a process killed mid-write): move it aside, and put it back if what we moved is
    // not the stale lock we judged but a live process's fresh one.
    const aside = `${path}.${process.pid}.stale`;
    try {
      await rename(path, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    const moved = await readOwner(aside);
    if (moved !== undefined && moved.pid !== owner && ownerAlive(moved)) {
      await link(aside, path).catch(() => {});
      await unlink(aside).catch(() => {});
      throw new DataDirInUse(`data dir ${dataDir} is in use by pid ${moved.pid} (${path})`, moved.pid, path);
    }
    await unlink(aside).catch(() => {});
  }
  throw new Error(`cannot take the lock ${path}: other processes keep changing it`);
}
