// Room: network (headless persistence). May touch: node:fs, write-file-atomic.
// EngineStorage on disk: one JSON file per kind in <data dir>/store/, written atomically (temp file, fsync, rename)
// and only then acknowledged, so SIGKILL at any moment leaves either the previous or the new complete file.
// Saves of one kind are chained so an older value never overwrites a newer one.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { EngineStorage } from '../engine/store.ts';
import { decodeJson } from '../protocol/encoding.ts';

/** Keys such as `records/state`: lower-case names joined by '/', stored as records.state.json (never a path). */
const KIND_PATTERN = /^[a-z][a-z0-9-]{0,63}(?:\/[a-z][a-z0-9-]{0,63}){0,3}$/;
/** A stored kind holds at most this (own records and caches of peers' records). */
const MAX_STORED_BYTES = 64 * 1024 * 1024;

export function fileStorage(dataDir: string): EngineStorage {
  const directory = join(dataDir, 'store');
  const chains = new Map<string, Promise<void>>();
  let ready: Promise<unknown> | undefined;
  function pathOf(kind: string): string {
    if (!KIND_PATTERN.test(kind)) throw new Error(`storage kind '${kind}' is not a plain name`);
    return join(directory, `${kind.replaceAll('/', '.')}.json`);
  }
  return {
    async load(kind) {
      const path = pathOf(kind);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      try {
        return decodeJson(text, { maxBytes: MAX_STORED_BYTES });
      } catch (error) {
        // Name the file and what to do: the operator has to find it, and to know that removing it loses nothing.
        throw new Error(`${path}: ${(error as Error).message} (a damaged cache file: move it away and start again; the peer fetches others' records from the network again and declares its own from declarations.json)`, { cause: error });
      }
    },
    save(kind, value) {
      const path = pathOf(kind);
      const text = JSON.stringify(value);
      ready ??= mkdir(directory, { recursive: true, mode: 0o700 });
      const previous = chains.get(kind) ?? Promise.resolve();
      const next = previous
        .catch(() => {})
        .then(() => ready)
        .then(() => writeFileAtomic(path, text, { mode: 0o600, fsync: true }));
      chains.set(kind, next);
      return next;
    },
  };
}
