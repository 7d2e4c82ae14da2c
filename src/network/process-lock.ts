// Room: cli (edge). May touch: network (its exclusive file write), node:fs, node:process.
// One `mutual peer` per data dir: <data dir>/peer.lock is created exclusively and holds the owner's pid alone (as
// earlier versions read it). Beside it, peer.lock.owner names the owner's pid namespace (Linux), and the owner refreshes
// the lock's mtime every 5 s: a lease. A lock is taken over when its owner no longer runs: its pid is gone from the
// owner's own namespace, or, for an owner in another namespace (another container on a shared volume), its lease was
// not refreshed for 30 s. The owner removes it on a clean shutdown.
import { link, mkdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { readFileSync, readlinkSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
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

export const OWNER_FILE = 'peer.lock.owner';
/** How often an owner refreshes its lock's mtime, and how long a lock of a current version lives without it. */
export const LOCK_REFRESH_MS = 5_000;
export const LOCK_LEASE_MS = 30_000;

/** Lock paths this process holds: a second lock of one process (two services of one extension host) is in use. */
const heldHere = new Set<string>();

/** This process's pid namespace (Linux), e.g. "pid:[4026531836]"; undefined where /proc does not say. */
function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
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

/** The namespace the lock's owner wrote beside it, when it is that owner's (same pid) and says one. */
async function ownerNamespace(ownerFile: string, pid: number): Promise<string | undefined> {
  const text = await readFile(ownerFile, 'utf8').catch(() => '');
  const [writer, namespace] = text.split('\n');
  return Number(writer) === pid && namespace !== undefined && namespace !== '' ? namespace : undefined;
}

/**
 * Whether the lock at `path` naming `pid` is held by a running process. A pid means something only in the namespace
 * of whoever wrote it: two containers on one volume both run as pid 1, and a peer SIGKILLed as pid 1 of a container
 * found its own pid "alive" at every restart (found by an operator pass, and by a review of a first fix that let two
 * containers run at once). Same namespace: the pid decides (mine is an earlier process). Another namespace: the lease.
 * A lock without a namespace (an earlier version, or no /proc): the pid decides, as before.
 */
async function lockInUse(path: string, ownerFile: string, pid: number): Promise<boolean> {
  if (heldHere.has(resolve(path))) return true;
  const namespace = await ownerNamespace(ownerFile, pid);
  if (namespace === undefined) return processAlive(pid);
  const refreshed = await stat(path).then((found) => found.mtimeMs, () => undefined);
  if (refreshed === undefined || Date.now() - refreshed > LOCK_LEASE_MS) return false;
  if (namespace === pidNamespace()) return pid !== process.pid && processAlive(pid);
  return true;
}

/** Takes the data dir's lock (creating the dir), or throws DataDirInUse naming the pid that holds it. */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, LOCK_FILE);
  const ownerFile = join(dataDir, OWNER_FILE);
  let refresh: ReturnType<typeof setInterval> | undefined;
  const stopRefreshing = () => {
    clearInterval(refresh);
    heldHere.delete(resolve(path));
  };
  const lock: DataDirLock = {
    path,
    release: async () => {
      stopRefreshing();
      if ((await readPid(path).catch(() => undefined)) === process.pid) {
        await unlink(ownerFile).catch(() => {});
        await unlink(path).catch(() => {});
      }
    },
    releaseSync: () => {
      stopRefreshing();
      try {
        if (Number(readFileSync(path, 'utf8').trim()) === process.pid) {
          try {
            unlinkSync(ownerFile);
          } catch {
            // not written
          }
          unlinkSync(path);
        }
      } catch {
        // Already gone.
      }
    },
  };
  const taken = async () => {
    heldHere.add(resolve(path));
    // Best effort: without it, the lock is judged by its pid alone, as before.
    await writeFile(ownerFile, `${process.pid}\n${pidNamespace() ?? ''}\n`, { mode: 0o644 }).catch(() => {});
    refresh = setInterval(() => {
      const now = new Date();
      void utimes(path, now, now).catch(() => {});
    }, LOCK_REFRESH_MS);
    refresh.unref();
    return lock;
  };
  // Bounded: each pass takes the lock, finds a live owner, or clears one stale lock (another process may race us).
  for (let attempt = 0; attempt < 5; attempt++) {
    // Linked into place complete, so a reader never sees an empty lock.
    if (await writeFileExclusive(path, new TextEncoder().encode(`${process.pid}\n`), 0o644)) return taken();
    const owner = await readPid(path);
    if (owner === undefined) continue; // released meanwhile
    if (await lockInUse(path, ownerFile, owner)) throw new DataDirInUse(inUseMessage(dataDir, owner, path), owner, path);
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
    if (moved !== owner && moved !== undefined && (await lockInUse(aside, ownerFile, moved))) {
      await link(aside, path).catch(() => {});
      await unlink(aside).catch(() => {});
      throw new DataDirInUse(inUseMessage(dataDir, moved, path), moved, path);
    }
    await unlink(aside).catch(() => {});
  }
  throw new Error(`cannot take the lock ${path}: other processes keep changing it`);
}

function inUseMessage(dataDir: string, pid: number, path: string): string {
  return `data dir ${dataDir} is in use by pid ${pid} (${path}; a lock not refreshed for ${LOCK_LEASE_MS / 1000} s is taken over)`;
}
