// Room: test support (cli). Runs the built `mutual` command as a user would, with a bounded run time.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const repositoryRoot = join(import.meta.dirname, '..', '..');
const bin = join(repositoryRoot, 'bin', 'mutual.js');

/** Newest modification time of any file under dir (milliseconds). */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Builds dist/cli.js when it is missing or older than src/ (so the tests never run a stale build). */
export function ensureBuilt(): void {
  const built = join(repositoryRoot, 'dist', 'cli.js');
  if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(join(repositoryRoot, 'src'))) return;
  const build = spawnSync(process.execPath, [join(repositoryRoot, 'scripts', 'build.ts')], { encoding: 'utf8', timeout: 120_000 });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
}

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runMutual(args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): RunResult {
  const run = spawnSync(process.execPath, [bin, ...args], {
    cwd: repositoryRoot,
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

export interface TempDir {
  /** The directory of the running test (or suite); throws outside the hooks' lifetime. */
  readonly path: string;
}

/**
 * Gives the enclosing `describe` a fresh directory under the OS temp dir (named prefix + random) and removes it
 * (recursive, force) afterwards, also when a test failed. 'each' (beforeEach/afterEach): one per test; 'all'
 * (before/after): one for the whole describe. Hooks of one kind run in the order they are registered, so register
 * the stopping of processes that write into the directory before calling this (their hook then runs before the rm).
 */
export function useTempDir(prefix: string, scope: 'each' | 'all' = 'each'): TempDir {
  let current: string | undefined;
  const create = async () => {
    current = await mkdtemp(join(tmpdir(), prefix));
  };
  const remove = async () => {
    const dir = current;
    current = undefined;
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  };
  if (scope === 'each') {
    beforeEach(create);
    afterEach(remove);
  } else {
    before(create);
    after(remove);
  }
  return {
    get path() {
      if (current === undefined) throw new Error(`no temporary directory (${prefix}) outside the tests and hooks of its describe`);
      return current;
    },
  };
}

/** Polls `probe` every 200 ms until it returns a value; fails after timeoutMs, saying what it waited for. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Stops a child process: SIGTERM, then SIGKILL if it has not exited after 10 s (shared with the demo scripts). */
export { stopChild } from '../../scripts/peer-process.ts';
