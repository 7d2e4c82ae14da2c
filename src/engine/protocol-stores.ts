// Room: engine. May touch: protocol (types), @preact/signals-core, ./store, ./scheduler. The seed's Layer 3: the four
// protocol stores of one peer (state, relationships, results, coordination) with my records and the network's records
// as signals, and the lifecycle that loads them from the local cache and releases everything.
import { computed, type ReadonlySignal } from '@preact/signals-core';
import type { Coordination, PeerId, RecordKind, Relationships, Results, State } from '../protocol/schemas.ts';
import type { Scheduler } from './scheduler.ts';
import { createStore, type EngineStorage, type Store } from './store.ts';

export interface ProtocolStores {
  readonly states: Store<'state'>;
  readonly relationships: Store<'relationships'>;
  readonly results: Store<'results'>;
  readonly coordination: Store<'coordination'>;
  readonly myState: ReadonlySignal<State | undefined>;
  readonly myRelationships: ReadonlySignal<Relationships | undefined>;
  readonly myResults: ReadonlySignal<Results | undefined>;
  readonly myCoordination: ReadonlySignal<Coordination | undefined>;
  /** Every other peer's payload by peer id (mine excluded). */
  readonly networkStates: ReadonlySignal<ReadonlyMap<PeerId, State>>;
  readonly networkRelationships: ReadonlySignal<ReadonlyMap<PeerId, Relationships>>;
  readonly networkResults: ReadonlySignal<ReadonlyMap<PeerId, Results>>;
  readonly networkCoordination: ReadonlySignal<ReadonlyMap<PeerId, Coordination>>;
}

export interface ProtocolStoresLifecycle extends ProtocolStores {
  /** Loads every cacheable store from the local cache (validated like network input): a peer starts from it at once. */
  initializeProtocolStores(): Promise<void>;
  /** Flushes pending writes, stops every debounce timer and releases every listener of the four stores. */
  cleanupProtocolStores(): Promise<void>;
  /** The store of a record kind. */
  storeOf<K extends RecordKind>(kind: K): Store<K>;
}

export interface ProtocolStoresOptions {
  readonly self: PeerId;
  readonly storage: EngineStorage;
  readonly scheduler: Scheduler;
  /** Debounced persistence per kind (coordination is never cached: it is only fresh or useless). */
  readonly persistDebounceMs: { readonly state: number; readonly relationships: number; readonly results: number };
  readonly onInvalid?: (reason: string) => void;
  readonly onPersistFailed?: (error: unknown) => void;
  /** The network this peer is on: cached records of another network or MAJOR are dropped on load. */
  readonly network?: string;
}

/** The payloads of a store's records by author, without `exclude` (my own) when given. */
export function payloadsOf<P>(records: ReadonlyMap<PeerId, { payload: P }>, exclude?: PeerId): Map<PeerId, P> {
  const map = new Map<PeerId, P>();
  for (const [author, record] of records) if (author !== exclude) map.set(author, record.payload);
  return map;
}

export function createProtocolStores(options: ProtocolStoresOptions): ProtocolStoresLifecycle {
  const { self, storage, scheduler } = options;
  const shared = {
    storage,
    scheduler,
    ...(options.onInvalid === undefined ? {} : { onInvalid: options.onInvalid }),
    ...(options.onPersistFailed === undefined ? {} : { onPersistFailed: options.onPersistFailed }),
    ...(options.network === undefined ? {} : { network: options.network }),
  };
  const states = createStore({ kind: 'state', persistDebounceMs: options.persistDebounceMs.state, cacheable: true, ...shared });
  const relationships = createStore({ kind: 'relationships', persistDebounceMs: options.persistDebounceMs.relationships, cacheable: true, ...shared });
  const results = createStore({ kind: 'results', persistDebounceMs: options.persistDebounceMs.results, cacheable: true, ...shared });
  const coordination = createStore({ kind: 'coordination', persistDebounceMs: 0, cacheable: false, ...shared });
  const byKind = { state: states, relationships, results, coordination } as { [K in RecordKind]: Store<K> };
  return {
    states,
    relationships,
    results,
    coordination,
    myState: computed(() => states.records.value.get(self)?.payload),
    myRelationships: computed(() => relationships.records.value.get(self)?.payload),
    myResults: computed(() => results.records.value.get(self)?.payload),
    myCoordination: computed(() => coordination.records.value.get(self)?.payload),
    networkStates: computed(() => payloadsOf(states.records.value, self)),
    networkRelationships: computed(() => payloadsOf(relationships.records.value, self)),
    networkResults: computed(() => payloadsOf(results.records.value, self)),
    networkCoordination: computed(() => payloadsOf(coordination.records.value, self)),
    async initializeProtocolStores() {
      await Promise.all([states.initialize(), relationships.initialize(), results.initialize()]);
    },
    async cleanupProtocolStores() {
      await Promise.all([states.dispose(), relationships.dispose(), results.dispose(), coordination.dispose()]);
    },
    storeOf: (kind) => byKind[kind],
  };
}
