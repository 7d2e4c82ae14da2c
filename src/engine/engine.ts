// Room: engine. May touch: protocol, @preact/signals-core, ./store, ./network (interface), ./scheduler. No vscode, no
// libp2p: the transport arrives as a PeerNetwork. One Engine runs inside each peer: it keeps the protocol stores,
// derives the subgroups the algorithm needs, subscribes to exactly those peers, runs the phases (spec 8) and publishes
// its declarations, results and coordination.
import { batch, computed, effect, signal, untracked, type ReadonlySignal } from '@preact/signals-core';
import { computeResults, normalizeRecognition, summarizeResults } from '../protocol/allocation/index.ts';
import { classifyUpdate, incrementClock, mergeClocks, retainClockEntries } from '../protocol/clock.ts';
import {
  RecordKind as RecordKindSchema,
  Relationships as RelationshipsSchema,
  State as StateSchema,
  type CausalClock,
  type Coordination,
  type PeerId,
  type RecordKind,
  type Relationships,
  type Results,
  type SimulationResult,
  type SignedRecord,
  type State,
} from '../protocol/schemas.ts';
import { RecordTooLargeError, SIGNATURE_PLACEHOLDER } from '../protocol/signature.ts';
import { describeIssues } from '../protocol/validate.ts';
import { assertAllowedValue, utf8Bytes } from '../protocol/encoding.ts';
import { MAX_RECORD_BYTES, PROTOCOL_VERSION } from '../protocol/limits.ts';
import type { Disposable, HeldSequence, NetworkEvent, OutgoingRecord, PeerNetwork } from './network.ts';
import { mulberry32, seedFromString } from './random.ts';
import { debounced, realScheduler, throttled, type Scheduler } from './scheduler.ts';
import { createProtocolStores, payloadsOf, type ProtocolStores } from './protocol-stores.ts';
import type { EngineStorage, RecordOf } from './store.ts';

/** Repair backoff per record: first retry after this long, doubling up to the maximum (ms). */
const REPAIR_BACKOFF_MS = [1_000, 30_000] as const;

/** The kinds whose latest sequences an author's coordination names (`heads`, spec 8.5). */
const HEAD_KINDS = ['state', 'relationships', 'results'] as const;
type HeadKind = (typeof HEAD_KINDS)[number];
/** Whether a neighbour's record I hold is older than the latest its coordination names: a newer one was lost. */
function olderThanHead(announced: RecordOf<'coordination'>['payload'] | undefined, kind: HeadKind, held: { readonly sequence: number } | undefined): boolean {
  const head = announced?.heads?.[kind];
  return head !== undefined && held !== undefined && held.sequence < head;
}
/**
 * What the schema lets through but no peer would accept (a lone surrogate from an input box): refused before a
 * sequence and a clock tick are spent on a record that cannot be signed (signRecord said only "cannot canonicalize").
 */
function assertWireText(value: unknown, what: string): void {
  try {
    assertAllowedValue(value);
  } catch (error) {
    throw new Error(`invalid ${what}:\n  ${(error as Error).message}`);
  }
}

/** Entries my causal clock keeps at most: 256 x 59 bytes, twice in a coordination record, stays far below 64 KiB. */
export const CLOCK_ENTRIES_KEPT = 256;
/** The largest causal clock a record of mine carries: that many entries, each a peer id (52 characters) at the largest count. */
const LARGEST_CLOCK: CausalClock = Object.fromEntries(Array.from({ length: CLOCK_ENTRIES_KEPT }, (_, index) => [`12D3KooW${String(index).padStart(44, '0')}`, Number.MAX_SAFE_INTEGER]));

export const PHASES = ['Idle', 'Discover', 'Declare', 'Recognize', 'Subscribe', 'Gather', 'Allocate', 'Accept', 'Stabilize', 'Converged'] as const;
export type PhaseName = (typeof PHASES)[number];

export interface EngineConfig {
  readonly persistDebounceMs: { readonly state: number; readonly relationships: number; readonly results: number };
  /** Subscriptions follow the subgroups after this quiet time. */
  readonly subscriptionDebounceMs: number;
  /** Share of active peers ahead of me that ends my aggregation window early. */
  readonly phaseThreshold: number;
  /** Longest I gather inputs before I compute (the window closes: liveness when others are silent). */
  readonly aggregationWindowMs: number;
  /**
   * Spread of each window around aggregationWindowMs, as a fraction of it: a window lasts a random time in
   * [w·(1 − j/2), w·(1 + j/2)], drawn per window from a generator seeded with the peer id (deterministic under a virtual
   * clock). Neighbours that compute in lock-step can fall into a two-round cycle no over-offer damping sees (spec 8.5).
   */
  readonly aggregationWindowJitter: number;
  /** A peer whose coordination is older than this is not active. */
  readonly freshnessMs: number;
  /** Coordination gossip interval while the system has not converged. */
  readonly coordinationGossipMs: number;
  /** Relative convergence tolerance (spec 7.6). */
  readonly epsilon: number;
}

export const DEFAULT_ENGINE_CONFIG: EngineConfig = {
  persistDebounceMs: { state: 100, relationships: 200, results: 100 },
  subscriptionDebounceMs: 100,
  phaseThreshold: 0.5,
  aggregationWindowMs: 50,
  aggregationWindowJitter: 1,
  freshnessMs: 30_000,
  coordinationGossipMs: 1_000,
  epsilon: 1e-6,
};

export interface EngineLogger {
  debug(message: string, data?: unknown): void;
  info(message: string, data?: unknown): void;
  warn(message: string, data?: unknown): void;
}

const silentLogger: EngineLogger = { debug() {}, info() {}, warn() {} };

export interface EngineOptions {
  readonly network: PeerNetwork;
  readonly storage: EngineStorage;
  readonly scheduler?: Scheduler;
  readonly config?: Partial<EngineConfig>;
  readonly logger?: EngineLogger;
}

export interface DerivedSubgroups {
  /** Peers I recognize mutually (MR > 0). */
  readonly myPrimaryPeers: ReadonlySignal<ReadonlySet<PeerId>>;
  /** Mutual peers with a need of a type I offer. */
  readonly myPrimaryBeneficiaries: ReadonlySignal<ReadonlySet<PeerId>>;
  /** Peers I recognize one-way (MR = 0) with a need of a type I offer. */
  readonly mySecondaryBeneficiaries: ReadonlySignal<ReadonlySet<PeerId>>;
  /** Mutual peers with a capacity of a type I need. */
  readonly primarySourcesForMe: ReadonlySignal<ReadonlySet<PeerId>>;
  /** Peers that recognize me one-way. */
  readonly secondarySourcesForMe: ReadonlySignal<ReadonlySet<PeerId>>;
  readonly primaryPeersWithNeeds: ReadonlySignal<ReadonlySet<PeerId>>;
  readonly secondaryPeersWithNeeds: ReadonlySignal<ReadonlySet<PeerId>>;
  readonly allPrimaryPartners: ReadonlySignal<ReadonlySet<PeerId>>;
  /** Peers whose coordination is fresh. */
  readonly activeParticipants: ReadonlySignal<ReadonlySet<PeerId>>;
  /** Peers with a need over-offered more than twice (stability below 1/3). */
  readonly unstableParticipants: ReadonlySignal<ReadonlySet<PeerId>>;
  readonly hasSystemConverged: ReadonlySignal<boolean>;
}

export interface EngineSnapshot extends Omit<SimulationResult, 'rounds'> {
  readonly self: PeerId;
  readonly round: number;
  readonly phase: number;
  readonly phaseName: PhaseName;
  readonly peers: readonly PeerId[];
  /** See Engine.problem. */
  readonly problem?: string;
}

export interface Engine {
  readonly self: PeerId;
  readonly stores: ProtocolStores;
  readonly subgroups: DerivedSubgroups;
  readonly phase: ReadonlySignal<number>;
  readonly round: ReadonlySignal<number>;
  readonly clock: ReadonlySignal<CausalClock>;
  /** The configuration this engine runs with (defaults filled in). */
  readonly config: Readonly<EngineConfig>;
  /** How often the allocation ran here (for benchmarks of recompute storms). */
  readonly recomputations: ReadonlySignal<number>;
  /** Why my latest results did not reach the network, until a round publishes again (shown to the user). */
  readonly problem: ReadonlySignal<string | undefined>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Validated; a bad state rejects with a clear error and changes nothing. Resolves once published and cached. */
  declareState(state: unknown): Promise<void>;
  /**
   * My state under this display name (a client keeps it in step with a setting). With no state of mine held (a new
   * identity, or a cache that is gone), the name-only state yields to an earlier run's state that teammates hold,
   * which then comes back under this name (spec 8.3).
   */
  setDisplayName(name: string): Promise<void>;
  setRecognition(weights: unknown): Promise<void>;
  /**
   * The encoded size of a record of mine carrying this payload, with the largest causal clock it may carry (256
   * entries): a record holds at most 64 KiB (spec 3), and a client says so before the user types a slot, or a profile
   * is saved, that cannot be published. With the clock as it is now, a state that fit alone no longer did once
   * teammates were in the clock (found by a review).
   */
  recordSize(kind: RecordKind, payload: unknown): number;
  forcePhaseAdvancement(): void;
  /** What computeResults gives now, from the same records a round would use; published nowhere (a debugging dry run). */
  dryRunResults(): Results;
  /**
   * Explicit interest in a peer's records beyond the subscriptions the algorithm selects (a view the user opened, a
   * debugging session). Reference counted; dispose releases it, and the peer is unsubscribed unless the algorithm
   * still follows it.
   */
  subscribeToState(peer: PeerId): Disposable;
  subscribeToResults(peer: PeerId): Disposable;
  subscribeToRelationships(peer: PeerId): Disposable;
  subscribeToCoordination(peer: PeerId): Disposable;
  /** All four kinds of one peer. */
  subscribeToFullPeer(peer: PeerId): Disposable;
  snapshot(): EngineSnapshot;
  onDidChange(listener: () => void): Disposable;
}

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

function sameSet(a: ReadonlySet<PeerId>, b: ReadonlySet<PeerId>): boolean {
  if (a.size !== b.size) return false;
  for (const value of a) if (!b.has(value)) return false;
  return true;
}

/** A computed set that keeps its identity while its members do not change, so dependants do not recompute. */
function stableSet(compute: () => Set<PeerId>): ReadonlySignal<ReadonlySet<PeerId>> {
  let last: ReadonlySet<PeerId> = new Set();
  return computed(() => {
    const next = compute();
    if (sameSet(next, last)) return last;
    last = next;
    return next;
  });
}

export function createEngine(options: EngineOptions): Engine {
  const { network } = options;
  const scheduler = options.scheduler ?? realScheduler;
  const config: EngineConfig = { ...DEFAULT_ENGINE_CONFIG, ...options.config, persistDebounceMs: { ...DEFAULT_ENGINE_CONFIG.persistDebounceMs, ...options.config?.persistDebounceMs } };
  const logger = options.logger ?? silentLogger;
  const self = network.self;

  const stores = createProtocolStores({
    self,
    storage: options.storage,
    scheduler,
    persistDebounceMs: config.persistDebounceMs,
    onInvalid: (reason) => logger.warn(reason),
    onPersistFailed: (error) => logger.warn(`writing the record cache failed (the next write tries again): ${errorMessage(error)}`),
    ...(network.network === undefined ? {} : { network: network.network }),
  });
  const { states, relationships, results, coordination } = stores;
  /** What I hold goes with every sync request, so peers send only newer records (spec 9.3). */
  const heldSequence: HeldSequence = (author, kind) => stores.storeOf(kind).get(author)?.sequence;

  const phase = signal(0);
  const round = signal(0);
  const clock = signal<CausalClock>({});
  const recomputations = signal(0);
  /** Why my results are not what the network sees (results too large to publish, a failed round); cleared on success. */
  const problem = signal<string | undefined>(undefined);
  const reportProblem = (text: string) => {
    logger.warn(text);
    problem.value = text;
  };
  const reportFailure = (what: string) => (error: unknown) => logger.warn(`${what} failed: ${errorMessage(error)}`);
  const now = signal(scheduler.now());
  const setPhase = (next: number) => {
    if (phase.peek() === next) return;
    logger.debug(`phase ${phase.peek()} ${PHASES[phase.peek()]} -> ${next} ${PHASES[next]}`, { round: round.peek() });
    phase.value = next;
  };

  // --- Derived subgroups (spec 8.2). Each is a computed signal: it recomputes only when its inputs change.
  const myRecognition = computed(() => normalizeRecognition(stores.myRelationships.value?.recognition));
  const recognitionOf = (peer: PeerId) => normalizeRecognition(relationships.records.value.get(peer)?.payload.recognition);
  const myCapacityTypes = computed(() => new Set((stores.myState.value?.capacities ?? []).map((slot) => slot.type)));
  const myNeedTypes = computed(() => new Set((stores.myState.value?.needs ?? []).map((slot) => slot.type)));
  const myPrimaryPeers = stableSet(() => {
    const set = new Set<PeerId>();
    for (const [peer, weight] of myRecognition.value) if (peer !== self && weight > 0 && (recognitionOf(peer).get(self) ?? 0) > 0) set.add(peer);
    return set;
  });
  const needsTypeIn = (peer: PeerId, types: ReadonlySet<string>) => (states.records.value.get(peer)?.payload.needs ?? []).some((slot) => types.has(slot.type));
  const offersTypeIn = (peer: PeerId, types: ReadonlySet<string>) => (states.records.value.get(peer)?.payload.capacities ?? []).some((slot) => types.has(slot.type));
  const myPrimaryBeneficiaries = stableSet(() => new Set([...myPrimaryPeers.value].filter((peer) => needsTypeIn(peer, myCapacityTypes.value))));
  const oneWayRecipients = stableSet(() => new Set([...myRecognition.value.keys()].filter((peer) => peer !== self && !myPrimaryPeers.value.has(peer))));
  const mySecondaryBeneficiaries = stableSet(() => new Set([...oneWayRecipients.value].filter((peer) => !states.records.value.has(peer) || needsTypeIn(peer, myCapacityTypes.value))));
  const primarySourcesForMe = stableSet(() => new Set([...myPrimaryPeers.value].filter((peer) => offersTypeIn(peer, myNeedTypes.value))));
  const secondarySourcesForMe = stableSet(() => {
    const set = new Set<PeerId>();
    for (const [peer, record] of relationships.records.value) {
      if (peer !== self && (record.payload.recognition[self] ?? 0) > 0 && !myPrimaryPeers.value.has(peer)) set.add(peer);
    }
    return set;
  });
  const primaryPeersWithNeeds = stableSet(() => new Set([...myPrimaryPeers.value].filter((peer) => (states.records.value.get(peer)?.payload.needs.length ?? 0) > 0)));
  const secondaryPeersWithNeeds = stableSet(() => new Set([...mySecondaryBeneficiaries.value].filter((peer) => (states.records.value.get(peer)?.payload.needs.length ?? 0) > 0)));
  const allPrimaryPartners = stableSet(() => new Set([...myPrimaryBeneficiaries.value, ...primarySourcesForMe.value]));
  // The peers whose records enter my computation, or whose computation mine enters: the only ones whose coordination
  // I follow (spec 8.x: coordination is followed in the neighbourhood, not network-wide, so one change stays local).
  const neighbourhood = stableSet(() => new Set([...myPrimaryPeers.value, ...oneWayRecipients.value, ...secondarySourcesForMe.value, ...allPrimaryPartners.value]));
  /**
   * Whose entries my causal clock keeps (spec 8.4): me, then my mutual partners, then the rest of my neighbourhood, at
   * most CLOCK_ENTRIES_KEPT. Merged from every coordination record, an unbounded clock grows to every peer of the
   * network (59 bytes an entry); a coordination record carries it twice and passes the 64 KiB record bound at about
   * 550 peers.
   */
  const clockPeers = computed(() => [self, ...[...myPrimaryPeers.value].sort(), ...[...neighbourhood.value].filter((peer) => !myPrimaryPeers.value.has(peer)).sort()]);
  const boundedClock = (value: CausalClock) => retainClockEntries(value, clockPeers.peek(), CLOCK_ENTRIES_KEPT);
  // When a neighbour last spoke: its updatedAt, but never later than when its record reached me (a clock running
  // ahead kept a stopped peer "active" for as long as it was ahead).
  const updatedAtMs = new WeakMap<object, number>();
  const updatedAtOf = (record: RecordOf<'coordination'>) => {
    let at = updatedAtMs.get(record);
    if (at === undefined) updatedAtMs.set(record, (at = Date.parse(record.payload.updatedAt)));
    return at;
  };
  /** Peers the network is connected to now (it connects to the authors whose state and results I follow). */
  const connected = signal<ReadonlySet<PeerId>>(new Set());
  // Active: a neighbour whose coordination is fresh, or that said it converged and is still connected. A converged
  // peer falls silent, so freshness alone made every peer of a settled network stale after freshnessMs (the panel
  // showed no active peer); a connection says it is still there at no cost, and its end says it is gone. A peer still
  // converging announces every interval, so its silence means something, connected or not: it goes stale as before
  // (counted active while connected, a peer whose newer records were all dropped kept me gossiping for good).
  const activeParticipants = stableSet(() => {
    const set = new Set<PeerId>();
    const records = coordination.records.value;
    for (const peer of neighbourhood.value) {
      const record = records.get(peer);
      if (record !== undefined && ((record.payload.converged && connected.value.has(peer)) || now.value - updatedAtOf(record) <= config.freshnessMs)) set.add(peer);
    }
    return set;
  });
  const unstableParticipants = stableSet(() => {
    const set = new Set<PeerId>();
    for (const [peer, record] of results.records.value) if (Object.values(record.payload.stability).some((factor) => factor < 1 / 3)) set.add(peer);
    return set;
  });
  const myConverged = signal(false);
  /** I and every active neighbour report converged: what stops my coordination gossip. */
  const neighboursConverged = computed(() => {
    if (!myConverged.value) return false;
    for (const peer of activeParticipants.value) if (coordination.records.value.get(peer)?.payload.converged !== true) return false;
    return true;
  });
  const hasSystemConverged = computed(() => {
    if (!neighboursConverged.value) return false;
    // Every neighbour's results enter my computation (I subscribe to them all). One that announces a round whose
    // results I do not hold yet means my convergence was judged without them (a source's first offer to me, on its
    // way to a subscription made a moment ago), so it says nothing about the system yet. Repair fetches them; gossip
    // does not wait for them (a neighbour whose results cannot reach me would otherwise keep me gossiping).
    for (const peer of activeParticipants.value) {
      const announced = coordination.records.value.get(peer)?.payload;
      if ((announced?.round ?? 0) > (results.records.value.get(peer)?.payload.round ?? 0)) return false;
      // Likewise a record of theirs that I follow and hold older than the latest their coordination names, or not at
      // all (a lost state: its need unseen).
      for (const kind of HEAD_KINDS) {
        const held = stores.storeOf(kind).records.value.get(peer);
        if (olderThanHead(announced, kind, held)) return false;
        if (held === undefined && announced?.heads?.[kind] !== undefined && subscribed.has(`${peer}\u0000${kind}`)) return false;
      }
    }
    return true;
  });
  const subgroups: DerivedSubgroups = {
    myPrimaryPeers,
    myPrimaryBeneficiaries,
    mySecondaryBeneficiaries,
    primarySourcesForMe,
    secondarySourcesForMe,
    primaryPeersWithNeeds,
    secondaryPeersWithNeeds,
    allPrimaryPartners,
    activeParticipants,
    unstableParticipants,
    hasSystemConverged,
  };

  const knownPeers = signal<ReadonlySet<PeerId>>(new Set());
  // --- Algorithm-driven subscriptions (spec 8.4). Relationships of every active peer are needed to find who recognizes
  // me; one-way recipients' results carry the acceptance that bounds my offers.
  const explicitInterest = signal<ReadonlyMap<string, number>>(new Map());
  const addInterest = (peer: PeerId, kinds: readonly RecordKind[]): Disposable => {
    if (peer === self) return { dispose() {} };
    const entries = kinds.map((kind) => `${peer}\u0000${kind}`);
    const change = (delta: number) => {
      const next = new Map(explicitInterest.peek());
      for (const entry of entries) {
        const count = (next.get(entry) ?? 0) + delta;
        if (count > 0) next.set(entry, count);
        else next.delete(entry);
      }
      explicitInterest.value = next;
    };
    change(1);
    let released = false;
    return { dispose: () => (released ? undefined : ((released = true), change(-1))) };
  };
  const desiredSubscriptions = computed(() => {
    const wanted = new Set<string>(explicitInterest.value.keys());
    const add = (peer: PeerId, kinds: readonly RecordKind[]) => kinds.forEach((kind) => wanted.add(`${peer}\u0000${kind}`));
    for (const peer of allPrimaryPartners.value) add(peer, ['state', 'relationships', 'results', 'coordination']);
    for (const peer of myPrimaryPeers.value) add(peer, ['state', 'relationships', 'results']);
    for (const peer of oneWayRecipients.value) add(peer, ['state', 'relationships', 'results']);
    for (const peer of secondarySourcesForMe.value) add(peer, ['state', 'results']);
    for (const peer of neighbourhood.value) add(peer, ['coordination']);
    // Relationships of every known peer: the only way to learn who recognizes me (my secondary sources).
    for (const peer of knownPeers.value) add(peer, ['relationships']);
    return wanted;
  });
  const subscribed = new Set<string>();
  const applySubscriptions = () => {
    const wanted = desiredSubscriptions.peek();
    const added: PeerId[] = [];
    for (const entry of wanted) {
      if (subscribed.has(entry)) continue;
      const [peer, kind] = entry.split('\u0000') as [PeerId, RecordKind];
      network.subscribe(peer, kind);
      subscribed.add(entry);
      added.push(peer);
    }
    for (const entry of [...subscribed]) {
      if (wanted.has(entry)) continue;
      const [peer, kind] = entry.split('\u0000') as [PeerId, RecordKind];
      network.unsubscribe(peer, kind);
      subscribed.delete(entry);
    }
    // A new subscription starts with what the network already holds (late joiner, or a peer newly relevant).
    if (added.length > 0) void network.requestSync([...new Set(added)], ['state', 'relationships', 'results', 'coordination'], heldSequence);
  };
  const subscriptionUpdate = debounced(scheduler, config.subscriptionDebounceMs, applySubscriptions);

  /**
   * Repair (spec 8.5): ask again for what I follow but never received, and for results older than the round their
   * author's coordination announces. Runs at each computation and each gossip tick, also after convergence (a peer
   * that converged without a neighbour's records must still get them), with a per-record backoff (1 s doubling to
   * 30 s) so that a peer that is gone does not cost a sync every second.
   */
  const repairBackoff = new Map<string, { at: number; delay: number }>();
  const repairMissing = () => {
    const now = scheduler.now();
    const wanted = new Map<RecordKind, PeerId[]>();
    const due = (entry: string, waitFirst: boolean) => {
      const backoff = repairBackoff.get(entry);
      if (backoff === undefined && waitFirst) {
        repairBackoff.set(entry, { at: now + REPAIR_BACKOFF_MS[0], delay: REPAIR_BACKOFF_MS[0] / 2 });
        return false;
      }
      if (backoff !== undefined && now < backoff.at) return false;
      const delay = backoff === undefined ? REPAIR_BACKOFF_MS[0] : Math.min(backoff.delay * 2, REPAIR_BACKOFF_MS[1]);
      repairBackoff.set(entry, { at: now + delay, delay });
      return true;
    };
    const still = new Set<string>();
    for (const entry of subscribed) {
      const [peer, kind] = entry.split('\u0000') as [PeerId, RecordKind];
      if (kind === 'coordination') {
        // Coordination is not cached, and a converged peer announces nothing more, so a lost announcement is never
        // sent again. A neighbour still converging announces every gossip interval: when its latest announcement I
        // hold says "not converged" and is three intervals old, later ones (its convergence, or a round whose results
        // I then lack) did not reach me. Before, I gossiped on until it went stale, 30 s later. Likewise a converged
        // neighbour held in another phase than Converged (it announced Gather while a round that changed nothing was
        // under way): its Converged follows within a window, so one three intervals late was lost (a review found such
        // a record shown as Gather until the 30 s pull).
        const latest = coordination.get(peer);
        const settled = latest !== undefined && latest.payload.converged && latest.payload.phase === 9;
        if (latest === undefined || settled || now - updatedAtOf(latest) <= 3 * config.coordinationGossipMs) continue;
        still.add(entry);
        if (due(entry, false)) wanted.set(kind, [...(wanted.get(kind) ?? []), peer]);
        continue;
      }
      const held = stores.storeOf(kind).get(peer);
      const latest = coordination.get(peer)?.payload;
      const announced = latest?.round ?? 0;
      // Results behind the announced round, or any record older than the sequence the author's coordination names as
      // its latest (a lost state kept a need unseen while both peers reported converged), may only be on their way
      // (reordering): they get a second look first.
      const behind = held !== undefined && ((kind === 'results' && (held as RecordOf<'results'>).payload.round < announced) || olderThanHead(latest, kind, held));
      if (held !== undefined && !behind) continue;
      still.add(entry);
      if (due(entry, behind)) wanted.set(kind, [...(wanted.get(kind) ?? []), peer]);
    }
    for (const entry of repairBackoff.keys()) if (!still.has(entry)) repairBackoff.delete(entry);
    // Anti-entropy: a neighbour's results and coordination that were both lost leave nothing here to notice, and it
    // sends neither again once converged. Its latest coordination is asked for every 30 s; a round I lack the
    // results of then shows, and the results are repaired like any others.
    if (now - lastCoordinationPull >= REPAIR_BACKOFF_MS[1] && neighbourhood.peek().size > 0) {
      lastCoordinationPull = now;
      const peers = new Set([...(wanted.get('coordination') ?? []), ...neighbourhood.peek()]);
      wanted.set('coordination', [...peers]);
    }
    for (const [kind, peers] of wanted) void network.requestSync(peers, [kind], heldSequence);
  };
  let lastCoordinationPull = scheduler.now();
  // --- Publishing. Sequences continue from the cached record, or from the clock when there is none. A sequence is
  // reserved before the publish is awaited (two publishes in flight got one sequence: an equivocation of my own), and
  // coordination, which is not cached, goes on from a persisted high-water mark (after a restart with the clock set
  // back, its sequences went backwards and peers dropped my announcements as stale for as long as the clock was off).
  const issued = new Map<RecordKind, number>();
  const SEQUENCE_KEY = 'sequences';
  /**
   * For a name-only state: a sequence that loses to any declaration of an earlier run (milliseconds), above the one held
   * (a name-only state too). Not above the persisted marks, which are in milliseconds: they stay where they are.
   */
  const yieldingSequence = (kind: RecordKind) => Math.max((stores.storeOf(kind).get(self)?.sequence ?? 0) + 1, Math.floor(scheduler.now() / 1000));
  const nextSequence = (kind: RecordKind) => {
    const held = stores.storeOf(kind).get(self);
    const next = Math.max((held?.sequence ?? 0) + 1, (issued.get(kind) ?? 0) + 1, Math.floor(scheduler.now()));
    issued.set(kind, next);
    if (kind === 'coordination') saveSequences.request();
    return next;
  };
  const persistSequences = () => options.storage.save(SEQUENCE_KEY, Object.fromEntries(issued)).catch(reportFailure('saving my sequences'));
  // Throttled, not debounced: announcements every 25-75 ms while converging would put a debounced save off throughout.
  const saveSequences = throttled(scheduler, config.persistDebounceMs.results, () => void persistSequences());
  const loadSequences = async () => {
    const saved = await options.storage.load(SEQUENCE_KEY).catch(() => undefined);
    if (typeof saved !== 'object' || saved === null) return;
    for (const kind of RecordKindSchema.options) {
      const value = (saved as Record<string, unknown>)[kind];
      // A stored mark near the largest safe integer would leave no sequence the schema accepts: ignored.
      if (typeof value === 'number' && Number.isSafeInteger(value) && value < Number.MAX_SAFE_INTEGER - 2 ** 32 && value > (issued.get(kind) ?? 0)) issued.set(kind, value);
    }
  };
  const isoNow = () => new Date(scheduler.now()).toISOString();
  // --- Declarations run one after another: one taken back from the network (below) must not be published between a
  // declaration's read of my state and its publish, nor overtake it.
  let declarations: Promise<unknown> = Promise.resolve();
  const serially = <T>(task: () => Promise<T>): Promise<T> => {
    const next = declarations.then(task);
    declarations = next.catch(() => undefined);
    return next;
  };
  const declareNow = async <K extends 'state' | 'relationships'>(kind: K, payload: OutgoingRecord<K>['payload'], sequenceOf?: (kind: K) => number) => {
    await inPhase(kind === 'state' ? 2 : 3, () => publish(kind, payload, sequenceOf));
    await stores.storeOf(kind).flush();
    myConverged.value = false;
    requestRound();
  };
  const recordSize = (kind: RecordKind, payload: unknown) => {
    const record = { version: PROTOCOL_VERSION, network: network.network ?? '', kind, author: self, sequence: Number.MAX_SAFE_INTEGER, clock: LARGEST_CLOCK, issuedAt: isoNow(), payload, signature: SIGNATURE_PLACEHOLDER };
    return utf8Bytes(JSON.stringify(record)).length;
  };
  /** The user's declaration: once published, an earlier run's that comes back no longer replaces it. */
  const declare = <K extends 'state' | 'relationships'>(kind: K, payload: OutgoingRecord<K>['payload']) =>
    serially(async () => {
      try {
        await declareNow(kind, payload);
      } catch (error) {
        // Said with what to do: "record is 65565 bytes encoded" came after the user typed a whole slot (a review).
        if (error instanceof RecordTooLargeError) {
          throw new RecordTooLargeError(`${error.message}, which one record may hold: remove or shorten some ${kind === 'state' ? 'slots (descriptions take the most room)' : 'recognition entries'}`);
        }
        throw error;
      }
      declaredThisRun.add(kind);
    });
  /** Kinds the user declared in this run: theirs wins over an earlier run's that comes back. */
  const declaredThisRun = new Set<RecordKind>();
  /** The display name set in this run (setDisplayName): a state taken back keeps it. */
  let displayName: string | undefined;
  /** Per declaration kind, the newest sequence of an earlier run known: the cache's at start, then any taken back. */
  const earlierRun = new Map<RecordKind, number>();
  /**
   * Signatures of my declarations in this run, which come back from teammates like an earlier run's. Not sequences: a
   * record taken back goes out under the next sequence, which an earlier run (its clock behind) may have used too.
   */
  const publishedThisRun = new Set<string>();
  const isDeclaration = (kind: RecordKind): kind is 'state' | 'relationships' => kind === 'state' || kind === 'relationships';
  const takeBackOwn = (record: SignedRecord) => {
    if (!running) return;
    const { kind } = record;
    // Numbering, the causal clock and rounds go on above it (a clock set back, or this identity run elsewhere).
    if (record.sequence > (issued.get(kind) ?? 0)) {
      issued.set(kind, record.sequence);
      if (kind === 'coordination') saveSequences.request();
    }
    clock.value = boundedClock(mergeClocks(clock.peek(), record.clock));
    if (record.kind === 'results' || record.kind === 'coordination') round.value = Math.max(round.peek(), record.payload.round);
    if (!isDeclaration(kind) || publishedThisRun.has(record.signature)) return;
    // Decided when its turn comes, after any declaration queued before it. Declared by the user in this run, theirs
    // stays: published again above the earlier run's when it was below it (the clock set back). Otherwise the newest
    // earlier run's comes back, under the name set in this run if any.
    const started = generation;
    serially(async () => {
      if (!running || generation !== started) return;
      const mine = declaredThisRun.has(kind);
      if (record.sequence <= ((mine ? stores.storeOf(kind).get(self)?.sequence : earlierRun.get(kind)) ?? 0)) return;
      if (!mine) earlierRun.set(kind, record.sequence);
      logger.info(
        `a teammate holds my ${kind} of an earlier run (sequence ${record.sequence}), ` +
          (mine ? 'newer than the one declared in this run: that one is published again above it' : "newer than this peer's cache: taken back as my declaration"),
      );
      if (record.kind === 'state') {
        const payload = mine ? stores.myState.peek() : displayName === undefined ? record.payload : { ...record.payload, displayName };
        if (payload !== undefined) await declareNow('state', payload);
      } else if (record.kind === 'relationships') {
        const payload = mine ? stores.myRelationships.peek() : record.payload;
        if (payload !== undefined) await declareNow('relationships', payload);
      }
    }).catch(reportFailure(`taking back my ${kind}`));
  };
  async function publish<K extends RecordKind>(kind: K, payload: OutgoingRecord<K>['payload'], sequenceOf: (kind: K) => number = nextSequence): Promise<void> {
    if (!running) throw new Error('the engine is stopped: start it before declaring');
    clock.value = boundedClock(incrementClock(clock.peek(), self));
    const record = await network.publish({ kind, sequence: sequenceOf(kind), clock: clock.peek(), issuedAt: isoNow(), payload } as OutgoingRecord<K>);
    if (isDeclaration(kind)) publishedThisRun.add(record.signature);
    stores.storeOf(kind).set(record);
  }
  let phaseStartedAt = isoNow();
  /** My latest records' sequences, announced with my coordination: a neighbour holding an older one asks for it. */
  const heads = () => {
    const entries = HEAD_KINDS.flatMap((kind) => {
      const sequence = stores.storeOf(kind).get(self)?.sequence;
      return sequence === undefined ? [] : [[kind, sequence] as const];
    });
    return entries.length === 0 ? {} : { heads: Object.fromEntries(entries) };
  };
  /**
   * The phase my last coordination announced: a round that changes nothing must not leave teammates with another.
   * Undefined when that announcement failed: the gossip tick says it again (a converged peer is otherwise silent, and
   * its teammates kept gossiping, holding it unconverged, until its next change).
   */
  let announcedPhase: number | undefined;
  const publishCoordination = async () => {
    const announcing = phase.peek();
    announcedPhase = announcing;
    try {
      await publish('coordination', { round: round.peek(), phase: announcing, clock: clock.peek(), converged: myConverged.peek(), phaseStartedAt, updatedAt: isoNow(), ...heads() });
    } catch (error) {
      // A later announcement that went out meanwhile stands.
      if (announcedPhase === announcing) announcedPhase = undefined;
      throw error;
    }
  };
  // Connections come in bursts (start, a healed partition) and coordination reaches the whole network: at most one
  // announcement per interval. One per connect cost 200 x 199 announcements of 200 deliveries each when 200 peers
  // met; a debounce instead would never announce while connections keep coming.
  const announceAfterConnect = throttled(scheduler, config.subscriptionDebounceMs, () => {
    if (running) publishCoordination().catch(reportFailure('announcing my coordination'));
  });

  // --- The round: gather (debounced window), allocate + accept (computeResults), stabilize.
  let running = false;
  /** Incremented by stop(): work that started before it must not publish, persist or change my phase after it. */
  let generation = 0;
  /** The generation whose round is running, if one is: a round of a stopped generation does not hold up a restart. */
  let computingGeneration: number | undefined;
  let computeAgain = false;
  const compute = () => {
    if (!running) return;
    // A window that closes while I compute is not lost: one more round runs right after.
    if (computingGeneration === generation) computeAgain = true;
    else void computeOnce();
  };
  // A results publish that failed for another reason than its size (a transport error) is tried again, backing off.
  let publishRetryMs = 0;
  let publishRetryHandle: unknown;
  /** What a round computes from: the records held now (a dry run reads the same). */
  const roundInputs = () => ({
    self,
    round: round.peek() + 1,
    states: payloadsOf(states.records.peek()),
    relationships: payloadsOf(relationships.records.peek()),
    previousResults: payloadsOf(results.records.peek()),
    options: { epsilon: config.epsilon },
    sourcesOfMe: [...primarySourcesForMe.peek(), ...secondarySourcesForMe.peek()],
  });

  const computeOnce = async () => {
    const started = generation;
    computingGeneration = started;
    computeAgain = false;
    const live = () => running && generation === started;
    try {
      repairMissing();
      setPhase(6);
      const next = computeResults(roundInputs());
      recomputations.value++;
      setPhase(7);
      const previous = stores.myResults.peek();
      // computeResults judges every change against its own pair's quantities (spec 7.6) and my previous results.
      const unchanged = previous !== undefined && next.converged;
      setPhase(8);
      if (unchanged) {
        if (!myConverged.peek()) {
          myConverged.value = true;
          setPhase(9);
          phaseStartedAt = isoNow();
          await publishCoordination().catch(reportFailure('announcing my convergence'));
        } else {
          setPhase(9);
          // An announcement went out while I gathered (a connect, the gossip): it said Gather, and a round that changed
          // nothing would leave teammates showing me there until my next change (found by a usability pass).
          if (announcedPhase !== 9) await publishCoordination().catch(reportFailure('announcing my convergence'));
        }
      } else {
        myConverged.value = false;
        try {
          await publish('results', next);
        } catch (error) {
          if (!live()) return;
          const tooLarge = error instanceof RecordTooLargeError;
          // Larger than one record may be (spec 3): nobody sees these results. The previous ones stay, the round I
          // announce stays theirs, and the next change of my inputs tries again. Any other failure (the transport)
          // is tried again after a backoff: waiting for an input change left a provider's offers unsent for good.
          if (tooLarge) {
            reportProblem(
              `my results were not published: ${errorMessage(error)} (one record holds at most ${MAX_RECORD_BYTES} bytes; these carry ` +
                `${next.allocations.length} offers and ${next.acceptance.length} acceptance entries), so my recipients and providers do not see them`,
            );
          } else {
            publishRetryMs = Math.min(30_000, Math.max(1_000, 2 * publishRetryMs));
            reportProblem(`my results were not published: ${errorMessage(error)}; trying again in ${publishRetryMs / 1000} s`);
            scheduler.clearTimeout(publishRetryHandle);
            publishRetryHandle = scheduler.setTimeout(requestRound, publishRetryMs);
          }
          setPhase(5);
          await publishCoordination().catch(reportFailure('announcing my round'));
          return;
        }
        if (!live()) return;
        publishRetryMs = 0;
        batch(() => {
          // Never backwards: an earlier run's round may have come back meanwhile (takeBackOwn).
          round.value = Math.max(round.peek(), next.round);
          problem.value = undefined;
        });
        phaseStartedAt = isoNow();
        setPhase(5);
        // A failed announcement is no failed round (the results went out): the gossip tick says it again.
        await publishCoordination().catch(reportFailure('announcing my round'));
      }
    } catch (error) {
      if (live()) reportProblem(`the allocation round failed: ${errorMessage(error)}`);
    } finally {
      if (computingGeneration === started) computingGeneration = undefined;
      if (computeAgain && live()) {
        computeAgain = false;
        if (phase.peek() === 9) setPhase(5);
        gather.request();
      }
    }
  };
  const windowRandom = mulberry32(seedFromString(self));
  const windowMs = () => Math.max(0, config.aggregationWindowMs * (1 + config.aggregationWindowJitter * (windowRandom() - 0.5)));
  const gather = debounced(scheduler, windowMs, compute);
  const requestRound = () => {
    if (!running) return;
    if (phase.peek() === 9) setPhase(5);
    gather.request();
  };

  // --- Coordination gossip: periodic while not converged, so lost messages are repaired; quiet after convergence.
  let gossipHandle: unknown;
  const scheduleGossip = () => {
    gossipHandle = scheduler.setTimeout(() => {
      now.value = scheduler.now();
      if (!running) return;
      // Only coordination is gossiped; a peer that sees it is behind on my records asks for them (repair by sync).
      // Converged, it says where it is once more when its last announcement failed.
      if (!neighboursConverged.peek() || announcedPhase === undefined) publishCoordination().catch(reportFailure('gossiping my coordination'));
      repairMissing();
      forgetGonePeers();
      scheduleGossip();
    }, config.coordinationGossipMs);
  };

  // Inputs that matter to my computation: my records and the neighbourhood's (recipients I recognize, peers that
  // recognize me, mutual partners). Records of other peers (relationships of every known peer are followed only to
  // learn who recognizes me; they enter through the subgroups) do not start a round, so a change stays local.
  let lastInputs: readonly unknown[] = [];
  const relevantInputs = computed(() => {
    const peers = [self, ...neighbourhood.value].sort();
    const [stateRecords, relationshipRecords, resultRecords] = [states.records.value, relationships.records.value, results.records.value];
    const next: unknown[] = [];
    for (const peer of peers) next.push(peer, stateRecords.get(peer), relationshipRecords.get(peer), resultRecords.get(peer));
    // Same peers with the same record objects: keep the identity, so dependants do not run.
    if (next.length === lastInputs.length && next.every((value, index) => value === lastInputs[index])) return lastInputs;
    return (lastInputs = next);
  });

  /**
   * A peer that disconnected and is neither in my neighbourhood nor fresh is forgotten: known peers only grew, and
   * every one of them kept a relationships subscription and was named in repair requests long after it left. Run on a
   * disconnect and each gossip tick (a peer still fresh when it disconnected is forgotten once it went quiet).
   */
  const forgetGonePeers = () => {
    const connected = new Set(network.connectedPeers());
    const gone = [...knownPeers.peek()].filter((peer) => {
      if (neighbourhood.peek().has(peer) || connected.has(peer)) return false;
      const latest = coordination.get(peer);
      return latest === undefined || now.peek() - updatedAtOf(latest) > config.freshnessMs;
    });
    if (gone.length === 0) return;
    const next = new Set(knownPeers.peek());
    for (const peer of gone) next.delete(peer);
    knownPeers.value = next;
  };

  const behind = new Map<PeerId, number>();
  const onNetworkEvent = (event: NetworkEvent) => {
    if (event.type === 'peer:connect' || event.type === 'peer:disconnect') {
      connected.value = new Set(network.connectedPeers());
      if (event.type === 'peer:disconnect') forgetGonePeers();
      if (event.type === 'peer:connect') {
        knownPeers.value = new Set([...knownPeers.peek(), event.peer]);
        // A (re)connected peer may hold news, and may lack mine: ask, and tell where I am.
        // My own records too: a teammate may hold newer ones than I do (an earlier run whose cache is gone, spec 8.3).
        void network.requestSync([event.peer, self], ['state', 'relationships', 'results', 'coordination'], heldSequence);
        if (running) announceAfterConnect.request();
      }
      return;
    }
    if (event.type === 'rejected') {
      logger.debug('rejected input', event);
      return;
    }
    const record = event.record;
    if (record.author === self) return takeBackOwn(record);
    if (!knownPeers.peek().has(record.author)) knownPeers.value = new Set([...knownPeers.peek(), record.author]);
    if (record.kind === 'coordination') {
      // Only the entries my clock keeps can be news: compared whole, nearly every record would carry entries I drop
      // and be merged (and my clock replaced) for nothing.
      const relevant = retainClockEntries(record.clock, clockPeers.peek());
      const outcome = classifyUpdate(clock.peek(), relevant);
      if (outcome !== 'stale') clock.value = boundedClock(mergeClocks(clock.peek(), relevant));
      const accepted = coordination.set(record);
      if (accepted !== 'accepted') return;
      const stored = coordination.get(record.author);
      if (stored !== undefined) updatedAtMs.set(stored, Math.min(Date.parse(stored.payload.updatedAt), scheduler.now()));
      // A peer announces a round I have not seen its results for. Its results may still be on the way (reordering), so
      // only a second announcement of the same round while I am still behind triggers a sync (lost message repair).
      const held = results.get(record.author);
      if (subscribed.has(`${record.author}\u0000results`) && record.payload.round > (held?.payload.round ?? 0)) {
        if (behind.get(record.author) === record.payload.round) void network.requestSync([record.author], ['results', 'state', 'relationships'], heldSequence);
        behind.set(record.author, record.payload.round);
      } else behind.delete(record.author);
      // Threshold advancement: when enough active peers are ahead, my window closes early.
      const active = activeParticipants.peek();
      if (active.size > 0 && phase.peek() === 5) {
        let ahead = 0;
        for (const peer of active) if ((coordination.get(peer)?.payload.round ?? 0) > round.peek()) ahead++;
        if (ahead / active.size >= config.phaseThreshold) gather.flush();
      }
      return;
    }
    stores.storeOf(record.kind).set(record);
  };

  /** Runs a declaration in its phase; a rejected one leaves the phase as it was (nothing was declared). */
  const inPhase = async (declaring: number, declare: () => Promise<void>) => {
    const before = phase.peek();
    const started = generation;
    setPhase(declaring);
    try {
      await declare();
    } catch (error) {
      // Only while the same run goes on: a stopped engine stays in phase 0.
      if (running && generation === started) setPhase(before);
      throw error;
    }
  };

  const disposables: (() => void)[] = [];
  let networkListener: Disposable | undefined;
  const changeListeners = new Set<() => void>();

  /** The part of start() after the stores are loaded: listen, subscribe, republish, announce, schedule. */
  const startRunning = async () => {
    const started = generation;
    networkListener = network.on(onNetworkEvent);
    await network.start();
    // stop() came while the network started: it cleaned up what existed then; add nothing after it.
    if (generation !== started) return;
    // What I cached of others, served to late joiners like what arrives: my sync requests say I hold it (have), so
    // nobody sends it to me again.
    const cachedOfOthers = [states, relationships, results].flatMap((store): SignedRecord[] => [...store.records.peek().values()].filter((record) => record.author !== self));
    if (cachedOfOthers.length > 0) await network.holdForSync?.(cachedOfOthers);
    if (generation !== started) return;
    connected.value = new Set(network.connectedPeers());
    if (connected.peek().size > 0) knownPeers.value = new Set([...knownPeers.peek(), ...connected.peek()]);
    disposables.push(effect(() => {
      desiredSubscriptions.value;
      subscriptionUpdate.request();
    }));
    disposables.push(effect(() => {
      relevantInputs.value;
      requestRound();
    }));
    disposables.push(effect(() => {
      phase.value;
      round.value;
      relevantInputs.value;
      activeParticipants.value; // who is active shows in the panel and the status bar
      // Untracked: a listener that reads a signal must not make this effect depend on it (or, writing one it
      // reads, throw "Cycle detected").
      untracked(() => {
        for (const listener of changeListeners) listener();
      });
    }));
    applySubscriptions();
    // Republish what was cached, so peers that lost it (or joined since) have it: nothing acknowledged is lost.
    const myRecords = [states, relationships, results].map((store) => store.get(self)).filter((record) => record !== undefined);
    for (const record of myRecords) await network.publish({ kind: record.kind, sequence: record.sequence, clock: record.clock, issuedAt: record.issuedAt, payload: record.payload } as OutgoingRecord);
    if (generation !== started) return;
    setPhase(stores.myState.peek() === undefined ? 2 : stores.myRelationships.peek() === undefined ? 3 : 4);
    await publishCoordination();
    if (generation !== started) return;
    announceAfterConnect.cancel(); // the connections network.start() made are answered by the announcement above
    scheduleGossip();
    requestRound();
  };

  const engine: Engine = {
    self,
    stores,
    subgroups,
    phase,
    round,
    clock,
    config,
    recomputations,
    problem,
    async start() {
      if (running) return;
      setPhase(1);
      await stores.initializeProtocolStores();
      // Bounded at once: a cache written before clocks were bounded may hold one entry per peer of the network.
      const cachedClock = [states, relationships, results].map((store) => store.get(self)?.clock ?? {}).reduce(mergeClocks, {});
      clock.value = boundedClock(cachedClock);
      // Rounds go on from the cached results: neighbours compare the round I announce with the results of mine they
      // hold, and a restart announcing round 1 beside results of round 5 made them miss (and never repair) what I
      // published next.
      round.value = Math.max(round.peek(), stores.myResults.peek()?.round ?? 0);
      await loadSequences();
      declaredThisRun.clear();
      publishedThisRun.clear();
      displayName = undefined;
      for (const kind of ['state', 'relationships'] as const) earlierRun.set(kind, stores.storeOf(kind).get(self)?.sequence ?? 0);
      // A restart of this engine computes its convergence again: it announced phase 4 with converged true before.
      myConverged.value = false;
      running = true;
      try {
        await startRunning();
      } catch (error) {
        // stop() during start(): the start was called off, not failed.
        if (!running) return;
        // Half started (a publish rejected, the network did not start): stop what runs, so a later start() can
        // try again; before, running stayed true and no gossip or repair was ever scheduled.
        await engine.stop().catch(() => undefined);
        throw error;
      }
    },
    async stop() {
      if (!running) return;
      running = false;
      generation++;
      gather.cancel();
      subscriptionUpdate.cancel();
      announceAfterConnect.cancel();
      scheduler.clearTimeout(gossipHandle);
      scheduler.clearTimeout(publishRetryHandle);
      saveSequences.cancel();
      await persistSequences();
      for (const dispose of disposables.splice(0)) dispose();
      networkListener?.dispose();
      // A round still in flight publishes and persists nothing more: its generation is over, and the stores accept
      // nothing once closed (not awaited: its publish may hang on the network being stopped).
      try {
        await stores.cleanupProtocolStores();
      } finally {
        // Even when the last cache write failed, the network stops.
        await network.stop();
        subscribed.clear();
        setPhase(0);
      }
    },
    async declareState(raw) {
      const parsed = StateSchema.safeParse(raw, { reportInput: true });
      if (!parsed.success) throw new Error(`invalid state:\n  ${describeIssues(parsed.error).join('\n  ')}`);
      assertWireText(parsed.data, 'state');
      await declare('state', parsed.data);
    },
    async setDisplayName(raw) {
      const parsed = StateSchema.shape.displayName.safeParse(raw, { reportInput: true });
      if (!parsed.success) throw new Error(`invalid display name:\n  ${describeIssues(parsed.error).join('\n  ')}`);
      assertWireText(parsed.data, 'displayName');
      displayName = parsed.data;
      await serially(async () => {
        const held = stores.myState.peek();
        if (held?.displayName === parsed.data) return;
        // No slots of mine held (nothing, or a name-only state, maybe cached): a sequence in seconds, below any an
        // earlier run declared (in milliseconds), so that teammates keep that run's state (dropping this one as stale)
        // and give it back (takeBackOwn). Renamed in milliseconds, a name-only state replaced it at every teammate.
        const nameOnly = held === undefined || (held.capacities.length === 0 && held.needs.length === 0);
        await declareNow('state', { ...(held ?? { capacities: [], needs: [] }), displayName: parsed.data }, nameOnly ? yieldingSequence : undefined);
      });
    },
    async setRecognition(raw) {
      const parsed = RelationshipsSchema.safeParse({ recognition: raw }, { reportInput: true });
      if (!parsed.success) throw new Error(`invalid recognition:\n  ${describeIssues(parsed.error).join('\n  ')}`);
      assertWireText(parsed.data.recognition, 'recognition');
      await declare('relationships', parsed.data);
    },
    recordSize,
    forcePhaseAdvancement() {
      logger.info('phase advancement forced', { phase: phase.peek(), round: round.peek() });
      if (phase.peek() === 9) setPhase(5);
      gather.flush();
      if (!running) return;
      compute();
    },
    dryRunResults: () => computeResults(roundInputs()),
    subscribeToState: (peer) => addInterest(peer, ['state']),
    subscribeToResults: (peer) => addInterest(peer, ['results']),
    subscribeToRelationships: (peer) => addInterest(peer, ['relationships']),
    subscribeToCoordination: (peer) => addInterest(peer, ['coordination']),
    subscribeToFullPeer: (peer) => addInterest(peer, ['state', 'relationships', 'results', 'coordination']),
    snapshot() {
      const statesMap = payloadsOf(states.records.peek());
      const resultsMap = payloadsOf(results.records.peek());
      const summary = summarizeResults(statesMap, resultsMap, [], myConverged.peek(), payloadsOf(relationships.records.peek()));
      return {
        self,
        round: round.peek(),
        phase: phase.peek(),
        phaseName: PHASES[phase.peek()]!,
        converged: myConverged.peek(),
        peers: [...knownPeers.peek()].sort(),
        ...(problem.peek() === undefined ? {} : { problem: problem.peek() }),
        allocations: summary.allocations.filter((entry) => entry.provider === self || entry.recipient === self),
        needs: summary.needs.filter((entry) => entry.participant === self),
        capacities: summary.capacities.filter((entry) => entry.participant === self),
        history: [],
      };
    },
    onDidChange(listener) {
      changeListeners.add(listener);
      return { dispose: () => changeListeners.delete(listener) };
    },
  };
  return engine;
}
