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
 * `takeOverLegacy`, a scope that has nothing yet takes those over (the user's own declarations are in them) and
 * removes them, so no other network inherits them.
 */
export function mementoStorage(memento: MementoLike, scope: string, takeOverLegacy: boolean): EngineStorage {
  return {
    load: async (kind) => {
      const key = `${scope}/${kind}`;
      const held = memento.get<unknown>(key);
      const legacy = memento.get<unknown>(`engine.${kind}`);
      if (held !== undefined || legacy === undefined || !takeOverLegacy) return held;
      await memento.update(key, legacy);
      await memento.update(`engine.${kind}`, undefined);
      return legacy;
    },
    save: async (kind, value) => memento.update(`${scope}/${kind}`, value),
  };
}
