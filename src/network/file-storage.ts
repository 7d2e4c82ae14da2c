// Room: network (headless persistence). May touch: node:fs, write-file-atomic, protocol (decoding, the network name).
// EngineStorage on disk: one JSON file per kind in <data dir>/store/<network>/, written atomically (temp file, fsync, rename)
// and only then acknowledged, so SIGKILL at any moment leaves either the previous or the new complete file.
// Saves of one kind are chained so an older value never overwrites a newer one.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { EngineStorage } from '../engine/store.ts';
import { decodeJson } from '../protocol/encoding.ts';
import { NetworkName } from '../protocol/schemas.ts';

/** Keys such as `records/state`: lower-case names joined by '/', stored as records.state.json (never a path). */
const KIND_PATTERN = /^[a-z][a-z0-9-]{0,63}(?:\/[a-z][a-z0-9-]{0,63}){0,3}$/;
/** A stored kind holds at most this (own records and caches of peers' records). */
const MAX_STORED_BYTES = 64 * 1024 * 1024;

/**
 * The store of one network: <data dir>/store/<network>/. One start with a mistyped --network dropped the real network's
 * records on load and rewrote the shared files without them, the peer's own declarations included (found by an
 * operator pass). Files of versions before, directly in store/, are read while the network's own are missing.
 */
export function fileStorage(dataDir: string, network?: string): EngineStorage {
  if (network !== undefined && !NetworkName.safeParse(network).success) throw new Error(`network name '${network}' is not a plain name`);
  const legacy = join(dataDir, 'store');
  const directory = network === undefined ? legacy : join(legacy, network);
  const chains = new Map<string, Promise<void>>();
  let ready: Promise<unknown> | undefined;
  function fileOf(kind: string): string {
    if (!KIND_PATTERN.test(kind)) throw new Error(`storage kind '${kind}' is not a plain name`);
    return `${kind.replaceAll('/', '.')}.json`;
  }
  const read = async (path: string) => {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  };
  return {
    async load(kind) {
      let path = join(directory, fileOf(kind));
      let text = await read(path);
      if (text === undefined && directory !== legacy) {
        path = join(legacy, fileOf(kind));
        text = await read(path);
      }
      if (text === undefined) return undefined;
      try {
        return decodeJson(text, { maxBytes: MAX_STORED_BYTES });
      } catch (error) {
        // Name the file and what to do: the operator has to find it, and to know that removing it loses nothing.
        throw new Error(`${path}: ${(error as Error).message} (a damaged cache file: move it away and start again; the peer fetches others' records from the network again and declares its own from declarations.json)`, { cause: error });
      }
    },
    save(kind, value) {
      const path = join(directory, fileOf(kind));
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
