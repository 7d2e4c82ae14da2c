// Room: engine. May touch: protocol (schemas, conflict, limits), @preact/signals-core, ./scheduler. No I/O of its own:
// persistence goes through EngineStorage. The store factory (the seed's Layer 2): one signed record per author,
// validated before it touches the store, resolved by sequence and causal clock (spec/PROTOCOL.md 8.3), cached locally
// with debounced, ordered writes.
import { signal, type ReadonlySignal } from '@preact/signals-core';
import { resolveConflict } from '../protocol/conflict.ts';
import { majorOf, PROTOCOL_MAJOR } from '../protocol/limits.ts';
import { SignedRecord, type PeerId, type RecordKind } from '../protocol/schemas.ts';
import type { Disposable } from './network.ts';
import { debounced, type Scheduler } from './scheduler.ts';

export type RecordOf<K extends RecordKind> = Extract<SignedRecord, { kind: K }>;

/** Where a store keeps its cache between runs (files for a headless peer, a Memento in VS Code, memory in tests). */
export interface EngineStorage {
  load(key: string): Promise<unknown | undefined>;
  save(key: string, value: unknown): Promise<void>;
}

/**
 * The same storage, whose saves go nowhere once `mayWrite` says no: a cache shared with the process that took over
 * this identity's lock is that process's from then on (the last saves of a stopping engine rewrote it).
 */
export function guardedStorage(storage: EngineStorage, mayWrite: () => boolean): EngineStorage {
  return { load: (key) => storage.load(key), save: async (key, value) => (mayWrite() ? storage.save(key, value) : undefined) };
}

export function memoryStorage(initial: Record<string, unknown> = {}): EngineStorage & { readonly data: Map<string, unknown> } {
  const data = new Map<string, unknown>(Object.entries(initial));
  return {
    data,
    load: async (key) => structuredClone(data.get(key)),
    save: async (key, value) => {
      data.set(key, structuredClone(value));
    },
  };
}

export type StoreOutcome = 'accepted' | 'stale' | 'duplicate' | 'equivocation-replaced' | 'equivocation-ignored' | 'invalid' | 'closed';

export interface StoreCounters {
  accepted: number;
  stale: number;
  duplicate: number;
  equivocations: number;
  invalid: number;
}

export interface Store<K extends RecordKind> {
  readonly kind: K;
  /** Every author's current record; a new Map on every change. */
  readonly records: ReadonlySignal<ReadonlyMap<PeerId, RecordOf<K>>>;
  readonly counters: Readonly<StoreCounters>;
  /** Loads the persisted cache (each entry validated like network input). */
  initialize(): Promise<void>;
  /** Offers a record (from the network, or my own); the outcome says what the conflict rules decided. */
  set(raw: unknown): StoreOutcome;
  get(author: PeerId): RecordOf<K> | undefined;
  subscribe(listener: (records: ReadonlyMap<PeerId, RecordOf<K>>) => void): Disposable;
  subscribeToPeer(author: PeerId, listener: (record: RecordOf<K> | undefined) => void): Disposable;
  /** Writes pending changes now and resolves when every write so far is durable. */
  flush(): Promise<void>;
  /** Stops the debounce timer and listeners; pending changes are flushed first. */
  dispose(): Promise<void>;
}

export interface StoreOptions<K extends RecordKind> {
  readonly kind: K;
  readonly persistDebounceMs: number;
  /** Whether the store persists at all (network stores of large teams may choose not to). */
  readonly cacheable: boolean;
  readonly storage: EngineStorage;
  readonly scheduler: Scheduler;
  /** Storage key; default `records/<kind>`. */
  readonly key?: string;
  readonly onInvalid?: (reason: string) => void;
  /** A cache write failed (the next write tries again with the latest snapshot). */
  readonly onPersistFailed?: (error: unknown) => void;
  /**
   * The network this peer is on: cached records of another network, or of another MAJOR version, are dropped on
   * load (records of one network are no use in another, and republishing my own would re-sign them for it).
   */
  readonly network?: string;
}

/** The conflict rule of spec 8.3 (in protocol: the network's held records follow it too). */
export { resolveConflict };

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

/**
 * Validation of one received object, shared by every store in the process: a record delivered to many engines (the
 * in-memory network, 200 engines in one process) is parsed once. Sound because both the received object and the
 * parsed result are deep-frozen first, so neither can change after it was checked.
 */
const validated = new WeakMap<object, ReturnType<typeof SignedRecord.safeParse>>();
export function parseSignedRecord(raw: unknown): ReturnType<typeof SignedRecord.safeParse> {
  if (typeof raw !== 'object' || raw === null) return SignedRecord.safeParse(raw);
  const known = validated.get(raw);
  if (known !== undefined) return known;
  const parsed = SignedRecord.safeParse(raw);
  if (parsed.success) deepFreeze(parsed.data);
  validated.set(deepFreeze(raw), parsed);
  return parsed;
}

export function createStore<K extends RecordKind>(options: StoreOptions<K>): Store<K> {
  const { kind, storage, scheduler } = options;
  const key = options.key ?? `records/${kind}`;
  const records = signal<ReadonlyMap<PeerId, RecordOf<K>>>(new Map());
  const counters: StoreCounters = { accepted: 0, stale: 0, duplicate: 0, equivocations: 0, invalid: 0 };

  // Writes are chained: each writes the latest snapshot, so updates arriving during a write are neither lost nor
  // written out of order. A failed write fails only its own callers: the chain goes on (one failure used to reject
  // every later write, so nothing was cached again), and the snapshot stays dirty for the next write to retry.
  let writes: Promise<void> = Promise.resolve();
  let dirty = false;
  let closed = false;
  let sealed = false;
  const write = (): Promise<void> => {
    // After dispose's last write nothing is written: a stopped engine's late flush would overwrite the cache of the
    // engine that replaced it on the same storage (an acknowledged declaration lost).
    if (!options.cacheable || sealed) return Promise.resolve();
    dirty = true;
    const job = writes.then(async () => {
      if (!dirty) return;
      dirty = false;
      try {
        await storage.save(key, [...records.peek().values()]);
      } catch (error) {
        dirty = true;
        throw error;
      }
    });
    writes = job.catch(() => undefined);
    return job;
  };
  const persist = debounced(scheduler, options.persistDebounceMs, () => void write().catch((error: unknown) => options.onPersistFailed?.(error)));

  function accept(raw: unknown, fromCache: boolean): StoreOutcome {
    // After dispose (the engine stopped), late arrivals change nothing: a write after the last flush could overwrite
    // the cache of the engine that replaced this one on the same storage.
    if (closed) return 'closed';
    const parsed = parseSignedRecord(raw);
    if (!parsed.success || parsed.data.kind !== kind) {
      counters.invalid++;
      options.onInvalid?.(parsed.success ? `a ${parsed.data.kind} record offered to the ${kind} store` : `invalid ${kind} record: ${parsed.error.issues[0]?.message ?? 'schema'}`);
      return 'invalid';
    }
    const record = parsed.data as RecordOf<K>;
    if (fromCache && options.network !== undefined && (record.network !== options.network || majorOf(record.version) !== PROTOCOL_MAJOR)) {
      counters.invalid++;
      options.onInvalid?.(`a cached ${kind} record of ${record.author} is for network ${record.network} ${record.version}, not ${options.network} ${PROTOCOL_MAJOR}.x; dropped`);
      return 'invalid';
    }
    const current = records.peek();
    const outcome = resolveConflict(current.get(record.author), record);
    if (outcome === 'stale') counters.stale++;
    else if (outcome === 'duplicate') counters.duplicate++;
    else if (outcome.startsWith('equivocation')) counters.equivocations++;
    if (outcome === 'accepted' || outcome === 'equivocation-replaced') {
      counters.accepted++;
      const next = new Map(current);
      next.set(record.author, record);
      records.value = next;
      // Not cacheable: no write to schedule (a debounce timer per coordination record filled the scheduler's heap).
      if (!fromCache && options.cacheable) persist.request();
    }
    return outcome;
  }

  const disposables = new Set<() => void>();
  return {
    kind,
    records,
    counters,
    async initialize() {
      closed = false; // an engine started again after stop() opens its stores again
      sealed = false;
      if (!options.cacheable) return;
      const cached = await storage.load(key);
      if (!Array.isArray(cached)) {
        if (cached !== undefined) options.onInvalid?.(`the ${kind} cache is not a list; ignored`);
        return;
      }
      for (const entry of cached) accept(entry, true);
    },
    set: (raw) => accept(raw, false),
    get: (author) => records.peek().get(author),
    subscribe(listener) {
      const stop = records.subscribe((value) => listener(value));
      disposables.add(stop);
      return { dispose: () => (stop(), disposables.delete(stop)) };
    },
    subscribeToPeer(author, listener) {
      let last: RecordOf<K> | undefined = records.peek().get(author);
      listener(last);
      const stop = records.subscribe((value) => {
        const next = value.get(author);
        if (next !== last) listener((last = next));
      });
      disposables.add(stop);
      return { dispose: () => (stop(), disposables.delete(stop)) };
    },
    async flush() {
      persist.cancel();
      await write();
    },
    async dispose() {
      persist.cancel();
      for (const stop of disposables) stop();
      disposables.clear();
      closed = true;
      try {
        await write();
      } finally {
        sealed = true;
      }
    },
  };
}
