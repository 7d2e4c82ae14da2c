// Room: network. May touch: zod, protocol schemas, ./exchange (bindAddress). No I/O of its own: it loads and saves
// through the storage it is given (the headless peer's data dir, the extension's global state).
// The last addresses of the authors this peer follows, kept across restarts. Address lookups (9.4) ask connected
// peers only, so a peer that restarts while its bootstrap peer is down, or whose teammates restarted on new ports,
// found nobody to ask: with the book it dials its teammates where they last listened (found by a churn bench).
// What a followed peer told about itself is its own text: bounded in length, bound to that peer, dialled under a
// backoff and forgotten after a few failed dials, so a peer that left (or lied) is not dialled for good.
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
  /** Addresses remembered per peer (as many as a lookup answer carries), each at most this long (as lookups answer). */
  maxAddresses: 8,
  maxAddressLength: 400,
  /** Changes are saved at most this often (and when the network stops). */
  saveDelayMs: 5_000,
  /** After a failed dial, the next one waits this long, doubling up to the maximum; this many failures forget the peer. */
  retryMs: 3_000,
  retryMaxMs: 5 * 60_000,
  maxFailures: 6,
} as const;

const Entry = z.tuple([PeerId, z.array(z.string().max(ADDRESS_BOOK_LIMITS.maxAddressLength)).max(ADDRESS_BOOK_LIMITS.maxAddresses)]);

interface Attempts {
  failures: number;
  nextAt: number;
}

export class AddressBook {
  /** Insertion order is recency: the first entry is forgotten first. */
  private readonly entries = new Map<string, readonly string[]>();
  /** Failed dials per peer since it was last reached or identified (not saved: a restart tries again). */
  private readonly attempts = new Map<string, Attempts>();
  private readonly storage: AddressStorage | undefined;
  private readonly onSaveFailed: (error: Error) => void;
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(storage: AddressStorage | undefined, onSaveFailed: (error: Error) => void = () => {}) {
    this.storage = storage;
    this.onSaveFailed = onSaveFailed;
  }

  /**
   * Loads the saved book entry by entry: one that does not parse (damaged, of another version, or too long) is
   * skipped, the others kept. A peer already identified meanwhile keeps its fresh addresses.
   */
  async load(): Promise<void> {
    if (this.storage === undefined) return;
    const saved: unknown = await this.storage.load(ADDRESS_BOOK_KEY).catch(() => undefined);
    if (!Array.isArray(saved)) return;
    for (const item of saved.slice(-ADDRESS_BOOK_LIMITS.maxPeers)) {
      const entry = Entry.safeParse(item);
      if (entry.success && !this.entries.has(entry.data[0])) this.set(entry.data[0], entry.data[1], false);
    }
  }

  addressesOf(peer: string): readonly string[] {
    return this.entries.get(peer) ?? [];
  }

  /** The addresses to dial for `peer` now; none while its backoff lasts. */
  dialable(peer: string, now: number): readonly string[] {
    const attempts = this.attempts.get(peer);
    return attempts !== undefined && now < attempts.nextAt ? [] : this.addressesOf(peer);
  }

  /** A dial at the remembered addresses reached the peer. */
  reached(peer: string): void {
    this.attempts.delete(peer);
  }

  /** A dial at the remembered addresses failed: back off, and after maxFailures forget the peer. */
  unreached(peer: string, now: number): void {
    if (!this.entries.has(peer)) return;
    const attempts = this.attempts.get(peer) ?? { failures: 0, nextAt: 0 };
    attempts.failures++;
    attempts.nextAt = now + Math.min(ADDRESS_BOOK_LIMITS.retryMs * 2 ** (attempts.failures - 1), ADDRESS_BOOK_LIMITS.retryMaxMs);
    this.attempts.set(peer, attempts);
    if (attempts.failures < ADDRESS_BOOK_LIMITS.maxFailures) return;
    this.entries.delete(peer);
    this.attempts.delete(peer);
    this.changed();
  }

  /** What identify told about a followed peer's listen addresses, each bound to it (a foreign /p2p/ is dropped). */
  remember(peer: string, addresses: readonly string[]): void {
    const bound = [...new Set(addresses.flatMap((address) => bindAddress(address, peer) ?? []))]
      .filter((address) => address.length <= ADDRESS_BOOK_LIMITS.maxAddressLength)
      .slice(0, ADDRESS_BOOK_LIMITS.maxAddresses);
    if (bound.length === 0) return;
    this.attempts.delete(peer);
    const known = this.entries.get(peer);
    const unchanged = known !== undefined && known.length === bound.length && known.every((address, index) => address === bound[index]);
    this.set(peer, bound, !unchanged);
  }

  /** Saves pending changes now, after a save already under way (the network calls it when it stops). */
  async flush(): Promise<void> {
    if (this.saveTimer !== undefined) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    const storage = this.storage;
    if (this.dirty && storage !== undefined) {
      this.dirty = false;
      // Chained after the save under way, so saves land in order and every flush waits for the last one.
      this.saving = this.saving.then(() =>
        storage.save(ADDRESS_BOOK_KEY, [...this.entries]).catch((error: Error) => {
          this.dirty = true; // kept for the next save
          this.onSaveFailed(error);
        }),
      );
    }
    await this.saving;
  }

  private set(peer: string, addresses: readonly string[], changed: boolean): void {
    this.entries.delete(peer);
    this.entries.set(peer, addresses);
    if (this.entries.size > ADDRESS_BOOK_LIMITS.maxPeers) {
      const oldest = this.entries.keys().next().value!;
      this.entries.delete(oldest);
      this.attempts.delete(oldest);
    }
    if (changed) this.changed();
  }

  private changed(): void {
    this.dirty = true;
    this.saveTimer ??= setTimeout(() => {
      this.saveTimer = undefined;
      void this.flush();
    }, ADDRESS_BOOK_LIMITS.saveDelayMs);
    this.saveTimer.unref();
  }
}
