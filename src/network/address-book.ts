// Room: network. May touch: zod, protocol schemas, ./exchange (bindAddress). No I/O of its own: it loads and saves
// through the storage it is given (the headless peer's data dir, the extension's global state).
// The last addresses of the authors this peer follows, kept across restarts. Address lookups (9.4) ask connected
// peers only, so a peer that restarts while its bootstrap peer is down, or whose teammates restarted on new ports,
// found nobody to ask: with the book it dials its teammates where they last listened (found by a churn bench).
import { z } from 'zod';
import { PeerId } from '../protocol/schemas.ts';
import { bindAddress } from './exchange.ts';

/** Where the book is kept: the engine's storage interface, one key. */
export interface AddressStorage {
  load(key: string): Promise<unknown>;
  save(key: string, value: unknown): Promise<void>;
}

export const ADDRESS_BOOK_KEY = 'network/addresses';
export const ADDRESS_BOOK_LIMITS = {
  /** Peers remembered; the least recently identified is forgotten first. */
  maxPeers: 256,
  /** Addresses remembered per peer (as many as a lookup answer carries). */
  maxAddresses: 8,
  /** Changes are saved at most this often (and when the network stops). */
  saveDelayMs: 5_000,
} as const;

const Stored = z.array(z.tuple([PeerId, z.array(z.string().max(512)).max(ADDRESS_BOOK_LIMITS.maxAddresses)])).max(ADDRESS_BOOK_LIMITS.maxPeers);

export class AddressBook {
  /** Insertion order is recency: the first entry is forgotten first. */
  private readonly entries = new Map<string, readonly string[]>();
  private saveTimer: NodeJS.Timeout | undefined;
  private dirty = false;

  private readonly storage: AddressStorage | undefined;
  private readonly onSaveFailed: (error: Error) => void;

  constructor(storage: AddressStorage | undefined, onSaveFailed: (error: Error) => void = () => {}) {
    this.storage = storage;
    this.onSaveFailed = onSaveFailed;
  }

  /** Loads the saved book; one that does not parse (damaged, or of another version) is ignored, not fatal. */
  async load(): Promise<void> {
    if (this.storage === undefined) return;
    const parsed = Stored.safeParse(await this.storage.load(ADDRESS_BOOK_KEY).catch(() => undefined));
    if (!parsed.success) return;
    for (const [peer, addresses] of parsed.data) this.set(peer, addresses);
  }

  addressesOf(peer: string): readonly string[] {
    return this.entries.get(peer) ?? [];
  }

  /** What identify told about a followed peer's listen addresses, each bound to it (a foreign /p2p/ is dropped). */
  remember(peer: string, addresses: readonly string[]): void {
    const bound = [...new Set(addresses.flatMap((address) => bindAddress(address, peer) ?? []))].slice(0, ADDRESS_BOOK_LIMITS.maxAddresses);
    if (bound.length === 0) return;
    const known = this.entries.get(peer);
    const unchanged = known !== undefined && known.length === bound.length && known.every((address, index) => address === bound[index]);
    this.set(peer, bound);
    if (unchanged) return;
    this.dirty = true;
    this.saveTimer ??= setTimeout(() => void this.flush(), ADDRESS_BOOK_LIMITS.saveDelayMs);
    this.saveTimer.unref();
  }

  /** Saves pending changes now (the network calls it when it stops). */
  async flush(): Promise<void> {
    if (this.saveTimer !== undefined) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (!this.dirty || this.storage === undefined) return;
    this.dirty = false;
    await this.storage.save(ADDRESS_BOOK_KEY, [...this.entries]).catch((error: Error) => this.onSaveFailed(error));
  }

  private set(peer: string, addresses: readonly string[]): void {
    this.entries.delete(peer);
    this.entries.set(peer, addresses);
    if (this.entries.size > ADDRESS_BOOK_LIMITS.maxPeers) this.entries.delete(this.entries.keys().next().value!);
  }
}
