// Room: extension (host side, no vscode import). May touch: engine (storage interface).
// The engine's record cache in VS Code's globalState (any Memento), one scope per transport, network and identity.
import type { EngineStorage } from '../engine/index.ts';

/** The part of vscode.Memento the cache uses. */
export interface MementoLike {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void> | Promise<void>;
}

/**
 * Where the engine's record cache lives: one scope per transport, network and identity. Records of one network are
 * no use in another (their `network` differs, so its peers reject them), and a teammate of an earlier demo session
 * or of another network, cached with the rest, would stay in the Peers view for good.
 */
export function storageScope(transport: string, network: string, self: string): string {
  return `engine/${transport}/${network}/${self}`;
}

/**
 * The cache of one scope. Earlier versions kept one key per record kind (`engine.<kind>`) for every network; with
 * `takeOverLegacy` (the identity `self` whose records to keep), a scope that has nothing yet takes over the user's own
 * records from them (their declarations; the engine republishes them signed for this network) and removes them. Other
 * authors' records stay behind: they may be teammates of old demo sessions or of another network.
 */
export function mementoStorage(memento: MementoLike, scope: string, takeOverLegacy?: { self: string }): EngineStorage {
  return {
    load: async (kind) => {
      const key = `${scope}/${kind}`;
      const held = memento.get<unknown>(key);
      const legacy = memento.get<unknown>(`engine.${kind}`);
      if (held !== undefined || legacy === undefined || takeOverLegacy === undefined) return held;
      const own = Array.isArray(legacy) ? legacy.filter((record: unknown) => (record as { author?: unknown } | null)?.author === takeOverLegacy.self) : [];
      await memento.update(key, own);
      await memento.update(`engine.${kind}`, undefined);
      return own;
    },
    save: async (kind, value) => memento.update(`${scope}/${kind}`, value),
  };
}
