// Room: extension (host side, no vscode import). May touch: engine, protocol, @libp2p/crypto.
// The small service the commands, views and the webview panel are built on. It owns one Engine and its PeerNetwork,
// starts them lazily (activation stays cheap) and turns the engine's snapshot into the view model the UI shows.
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { createEngine, guardedStorage, type Engine, type EngineConfig, type EngineLogger, type EngineSnapshot, type EngineStorage, type PeerNetwork } from '../engine/index.ts';
import { DEFAULT_ENGINE_CONFIG, PHASES } from '../engine/engine.ts';
import { dialableFirst } from './settings.ts';
import { computeStabilityFactors, countUnmetNeeds, myLabel, peerIdEnding, peerLabels, type ViewModel } from './view-model.ts';
import { MAX_RECORD_BYTES } from '../protocol/limits.ts';
import { RecognitionWeights, SignedRecord, State, type CausalClock, type PeerId, type Results, type Slot } from '../protocol/schemas.ts';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';

export interface Disposable {
  dispose(): void;
}

/** Creates the network this peer joins, from its identity key. */
/**
 * Creates the node of a join. `guardCache` wraps what the node keeps in a cache shared with other processes (the
 * address book): its saves stop when this join's identity lease is lost.
 */
export type NetworkFactory = (privateKey: PrivateKey, guardCache?: (storage: EngineStorage) => EngineStorage) => Promise<{ network: PeerNetwork; addresses(): readonly string[]; connect?(multiaddr: string): Promise<void>; afterJoin?(): Promise<void>; stop?(): Promise<void> }>;

export interface MutualServiceOptions {
  /** Loads or creates the identity key (the extension keeps it in SecretStorage). */
  readonly identity: { load(): Promise<string | undefined>; save(encoded: string): Promise<void> };
  /**
   * The engine's record cache for this identity on the network being joined (one scope per network and peer). `read`:
   * only read (declarations shown before joining), so nothing is moved or written without the identity's lock.
   */
  readonly storage: (self: PeerId, use?: 'read') => EngineStorage;
  readonly createNetwork: NetworkFactory;
  readonly config: () => Partial<EngineConfig>;
  /** The name teammates see; declared on join and whenever it changes (setDisplayName); undefined: none declared. */
  readonly displayName?: () => string | undefined;
  /**
   * Taken before the node starts and released when it stops: one process per identity (two VS Code windows share
   * the identity in SecretStorage, and would publish competing records as one peer). Throws when it is taken. `onLost`
   * is called when another process took it over while joined (the service then leaves).
   */
  readonly exclusive?: (onLost: (holder: number) => void) => Promise<{ release(): Promise<void> }>;
  readonly logger: EngineLogger;
}

export type SlotKind = 'capacity' | 'need';

/** How long one view model serves its readers (a refresh of the views takes them within 250 ms). */
const VIEW_MODEL_LIFETIME_MS = 1000;

/** Bytes of one plain slot, about (id, type, quantity, unit, a few skills). */
const ROOM_FOR_A_SLOT = 512;

export interface MutualService extends Disposable {
  readonly joined: boolean;
  join(): Promise<void>;
  leave(): Promise<void>;
  selfId(): PeerId | undefined;
  /** My addresses, the ones a teammate can dial first (loopback last). */
  myAddresses(): readonly string[];
  myAddress(): string | undefined;
  connect(multiaddr: string): Promise<void>;
  /** My declarations (a default empty state before the first declaration). */
  myState(): State;
  /** Adds a slot; with `replace`, replaces my slot of that kind and id. Slot ids are unique across both kinds (spec 2). */
  declare(kind: SlotKind, slot: Slot, options?: { replace?: boolean }): Promise<void>;
  /** Throws, saying what to do, when my state has no room left for one more slot in a record. */
  assertRoomForSlot(): void;
  removeDeclaration(kind: SlotKind, slotId: string): Promise<void>;
  setDisplayName(name: string): Promise<void>;
  setRecognition(peer: PeerId, weight: number): Promise<void>;
  myRecognition(): RecognitionWeights;
  /** Known peers by name, each with the label to show (peerLabels). */
  knownPeers(): readonly { id: PeerId; displayName: string | undefined; label: string }[];
  snapshot(): EngineSnapshot | undefined;
  viewModel(): ViewModel;
  forcePhaseAdvancement(): void;
  /** My results as a round would compute them now; published nowhere (Debug: Compute Results). */
  dryRunResults(): Results;
  /** My live causal clock and each neighbour's last announced one, keyed by peer id (Debug: Inspect Causal Clocks). */
  causalClocks(): CausalClocksReport;
  onDidChange(listener: () => void): Disposable;
  /**
   * While not joined: my latest declarations on this network, read from the cache (the panel shows them). `again`:
   * read anew, replacing what is shown (the network's name changed while offline).
   */
  restoreDeclarations(options?: { again?: boolean }): Promise<void>;
}

/**
 * Clocks are keyed by peer id, as on the wire; `names` gives the display name of every id that appears whose state I
 * hold (a clock may name peers two hops away, whose names I never see). Keyed by display name, two teammates of one
 * name were one entry, and the report's keys did not match its clocks' keys.
 */
export interface CausalClocksReport {
  readonly self: { readonly peer: PeerId; readonly round: number; readonly phase: string; readonly clock: CausalClock };
  readonly peers: Readonly<Record<PeerId, { readonly round: number; readonly phase: string; readonly active: boolean; readonly issuedAt: string; readonly clock: CausalClock }>>;
  readonly names: Readonly<Record<PeerId, string>>;
}

const DEFAULT_STATE: State = { displayName: 'Me', capacities: [], needs: [] };

export async function loadOrCreateIdentity(identity: MutualServiceOptions['identity']): Promise<PrivateKey> {
  const stored = await identity.load();
  if (stored !== undefined) return privateKeyFromProtobuf(Buffer.from(stored, 'base64'));
  const key = await generateKeyPair('Ed25519');
  await identity.save(Buffer.from(privateKeyToProtobuf(key)).toString('base64'));
  return key;
}

export class EngineMutualService implements MutualService {
  private readonly options: MutualServiceOptions;
  private engine: Engine | undefined;
  private node: Awaited<ReturnType<NetworkFactory>> | undefined;
  private engineSubscription: Disposable | undefined;
  private readonly listeners = new Set<() => void>();
  /**
   * What the views show while I am not joined, as of my last leave or read from the cache: my declarations, my peer
   * id (self-recognition is no teammate), and teammates' names and recognition (whether they recognize me, not a
   * guessed 0). Set whole, in one place each.
   */
  private offline:
    | {
        readonly state: State;
        readonly recognition: RecognitionWeights;
        readonly self: PeerId;
        readonly names: ReadonlyMap<PeerId, string>;
        readonly theirRecognition: ReadonlyMap<PeerId, RecognitionWeights>;
      }
    | undefined;
  /** Counts reads of the offline view and leaves: a read that another (or a leave) overtook shows nothing. */
  private offlineVersion = 0;
  private joining: Promise<void> | undefined;
  private lease: { release(): Promise<void> } | undefined;
  private currentJoin: object | undefined;
  private readonly history: { round: number; residualNeedNorm: number; maxDelta: number }[] = [];

  constructor(options: MutualServiceOptions) {
    this.options = options;
  }

  get joined(): boolean {
    return this.engine !== undefined;
  }

  /**
   * My latest declarations on this network, read from the engine's cache while not joined: after a reload the panel
   * said "no declarations yet" and showed no recognition until the next join (found by a usability pass). Read only:
   * no identity is created, and nothing is written (another window may hold the identity).
   */
  async restoreDeclarations(options: { again?: boolean } = {}): Promise<void> {
    if (this.engine !== undefined || (this.offline !== undefined && options.again !== true)) return;
    const version = ++this.offlineVersion;
    // Another network's declarations are not shown as this one's while its cache is read (they were, until a join).
    if (this.offline !== undefined) {
      this.offline = undefined;
      this.fire();
    }
    const stored = await this.options.identity.load().catch(() => undefined);
    if (stored === undefined) return;
    let self: PeerId;
    try {
      self = peerIdFromPrivateKey(privateKeyFromProtobuf(Buffer.from(stored, 'base64'))).toString();
    } catch {
      return; // a damaged identity is said when joining
    }
    const storage = this.options.storage(self, 'read');
    const names = new Map<PeerId, string>();
    const theirRecognition = new Map<PeerId, RecognitionWeights>();
    const latest = async (kind: 'state' | 'relationships') => {
      const cached = await storage.load(`records/${kind}`).catch(() => undefined);
      if (!Array.isArray(cached)) return undefined;
      let found: SignedRecord | undefined;
      for (const entry of cached) {
        const parsed = SignedRecord.safeParse(entry);
        if (!parsed.success || parsed.data.kind !== kind) continue;
        if (kind === 'state' && parsed.data.author !== self) names.set(parsed.data.author, (parsed.data.payload as State).displayName);
        if (kind === 'relationships' && parsed.data.author !== self) theirRecognition.set(parsed.data.author, (parsed.data.payload as { recognition: RecognitionWeights }).recognition);
        if (parsed.data.author === self && (found === undefined || parsed.data.sequence > found.sequence)) found = parsed.data;
      }
      return found?.payload;
    };
    const [state, relationships] = await Promise.all([latest('state'), latest('relationships')]);
    if (state === undefined && relationships === undefined) return;
    if (this.engine !== undefined || version !== this.offlineVersion) return; // joined, left or read again meanwhile
    this.offline = { state: (state as State | undefined) ?? DEFAULT_STATE, recognition: (relationships as { recognition: RecognitionWeights } | undefined)?.recognition ?? {}, self, names, theirRecognition };
    this.fire();
  }

  async join(): Promise<void> {
    if (this.engine) return;
    this.joining ??= this.doJoin().finally(() => (this.joining = undefined));
    return this.joining;
  }

  private async doJoin(): Promise<void> {
    // This join, until it is left: a lease lost after that (its report came late) is not the join of the moment.
    const join = {};
    this.currentJoin = join;
    // The caches are the other process's once the lease is lost: what the engine and the node save as they stop goes
    // nowhere (found by a review: they rewrote the new owner's).
    let lost = false;
    const guardCache = (storage: EngineStorage): EngineStorage => guardedStorage(storage, () => !lost);
    const lease = await this.options.exclusive?.((holder) => {
      if (this.currentJoin !== join) return;
      this.options.logger.warn(`another process (pid ${holder}) took over this identity's lock while joined: leaving, so that one process publishes as this peer`);
      lost = true;
      void this.leave();
    });
    try {
      await this.startNode(guardCache);
      this.lease = lease;
    } catch (error) {
      await lease?.release().catch(() => undefined);
      throw error;
    }
  }

  private async startNode(guardCache: (storage: EngineStorage) => EngineStorage): Promise<void> {
    const key = await loadOrCreateIdentity(this.options.identity);
    const node = await this.options.createNetwork(key, guardCache);
    const engine = createEngine({ network: node.network, storage: guardCache(this.options.storage(node.network.self)), config: this.options.config(), logger: this.options.logger });
    try {
      await engine.start();
      this.node = node;
      this.engine = engine;
      this.engineSubscription = engine.onDidChange(() => {
        this.recordRound();
        this.fire();
      });
      await node.afterJoin?.();
      const name = this.options.displayName?.();
      if (name !== undefined && name !== engine.stores.myState.peek()?.displayName) await this.setDisplayName(name);
    } catch (error) {
      // A failed join leaves nothing running: not the engine, not a listening node.
      this.engineSubscription?.dispose();
      this.engineSubscription = undefined;
      this.engine = undefined;
      this.node = undefined;
      await engine.stop().catch(() => undefined);
      await (node.stop ? node.stop() : node.network.stop()).catch(() => undefined);
      this.fire(); // the views followed the engine while it started
      throw error;
    }
    // Not logged here: the extension says the join once, with the network's name (the log said "joined as" twice).
    this.fire();
  }

  async leave(): Promise<void> {
    await this.joining?.catch(() => undefined);
    const engine = this.engine;
    const node = this.node;
    this.engine = undefined;
    this.node = undefined;
    this.engineSubscription?.dispose();
    this.engineSubscription = undefined;
    // Shown while offline (the panel said "no declarations yet"); the next join declares them again from the cache.
    if (engine) {
      this.offlineVersion++;
      this.offline = {
        state: engine.stores.myState.peek() ?? DEFAULT_STATE,
        recognition: engine.stores.myRelationships.peek()?.recognition ?? {},
        self: engine.self,
        names: new Map([...engine.stores.networkStates.peek()].map(([id, state]) => [id, state.displayName])),
        theirRecognition: new Map([...engine.stores.networkRelationships.peek()].map(([id, relationships]) => [id, relationships.recognition])),
      };
    }
    const lease = this.lease;
    this.lease = undefined;
    this.currentJoin = undefined;
    try {
      if (engine) await engine.stop();
      if (node?.stop) await node.stop();
      else if (node) await node.network.stop();
    } finally {
      // Also when stopping failed: the service has left, and kept, the lease refused every rejoin as "in use by pid"
      // this very process (found by a review).
      await lease?.release();
      this.history.length = 0;
      this.fire();
    }
  }

  selfId(): PeerId | undefined {
    return this.engine?.self;
  }

  myAddresses(): readonly string[] {
    return dialableFirst(this.node?.addresses() ?? []);
  }

  myAddress(): string | undefined {
    return this.myAddresses()[0];
  }

  async connect(multiaddr: string): Promise<void> {
    const node = this.requireNode();
    if (!node.connect) throw new Error('this network cannot dial addresses');
    await node.connect(multiaddr);
  }

  myState(): State {
    // What I declared when I left, only while offline: joined, the engine's are mine (another network has its own).
    if (this.engine) return this.engine.stores.myState.value ?? DEFAULT_STATE;
    return this.offline?.state ?? DEFAULT_STATE;
  }

  assertRoomForSlot(): void {
    const engine = this.engine;
    const room = engine === undefined ? undefined : MAX_RECORD_BYTES - engine.recordSize('state', engine.stores.myState.peek() ?? DEFAULT_STATE);
    // About one plain slot (a long description takes up to 2 KiB more, and is then refused with the same advice).
    if (room !== undefined && room < ROOM_FOR_A_SLOT) {
      throw new Error(`your declarations fill the one record they go in (64 KiB, with room kept for the causal clock; ${Math.max(0, room)} bytes left): remove or shorten some slots before adding one`);
    }
  }

  async declare(kind: SlotKind, slot: Slot, options: { replace?: boolean } = {}): Promise<void> {
    const state = this.myState();
    const field = kind === 'capacity' ? 'capacities' : 'needs';
    const otherKind: SlotKind = kind === 'capacity' ? 'need' : 'capacity';
    // Only a new id is checked against the other kind: a state of 0.1.0 may reuse one, and must stay editable.
    if (options.replace !== true && state[kind === 'capacity' ? 'needs' : 'capacities'].some((existing) => existing.id === slot.id)) {
      throw new Error(`the id "${slot.id}" is already used by your ${otherKind} "${slot.id}": slot ids are unique across capacities and needs`);
    }
    const exists = state[field].some((existing) => existing.id === slot.id);
    if (options.replace === true && !exists) throw new Error(`no ${kind} with id ${slot.id}`);
    if (options.replace !== true && exists) throw new Error(`you already declared a ${kind} "${slot.id}": use "Mutual: Edit Declaration" to change it`);
    // An edited slot keeps its place in the list.
    const slots = exists ? state[field].map((existing) => (existing.id === slot.id ? slot : existing)) : [...state[field], slot];
    await this.declareState({ ...state, [field]: slots });
  }

  async removeDeclaration(kind: SlotKind, slotId: string): Promise<void> {
    const state = this.myState();
    const field = kind === 'capacity' ? 'capacities' : 'needs';
    if (!state[field].some((slot) => slot.id === slotId)) throw new Error(`no ${kind} with id ${slotId}`);
    await this.declareState({ ...state, [field]: state[field].filter((slot) => slot.id !== slotId) });
  }

  /** Declared on join and when the setting changes; a state taken back after a lost cache keeps it (spec 8.3). */
  async setDisplayName(name: string): Promise<void> {
    await this.requireEngine().setDisplayName(name);
  }

  private async declareState(state: State): Promise<void> {
    const engine = this.requireEngine();
    // Parse first so a bad declaration is reported here and changes nothing.
    await engine.declareState(State.parse(state));
  }

  myRecognition(): RecognitionWeights {
    if (this.engine) return this.engine.stores.myRelationships.value?.recognition ?? {};
    return this.offline?.recognition ?? {};
  }

  async setRecognition(peer: PeerId, weight: number): Promise<void> {
    const engine = this.requireEngine();
    const next: Record<string, number> = { ...this.myRecognition() };
    if (weight === 0) delete next[peer];
    else next[peer] = weight;
    await engine.setRecognition(RecognitionWeights.parse(next));
  }

  knownPeers(): readonly { id: PeerId; displayName: string | undefined; label: string }[] {
    const engine = this.engine;
    return engine ? this.peersOf(engine, engine.snapshot()) : [];
  }

  /** Known peers, from a snapshot the caller has already (a view model takes one, and took a second one here). */
  private peersOf(engine: Engine, snapshot: EngineSnapshot): readonly { id: PeerId; displayName: string | undefined; label: string }[] {
    const states = engine.stores.networkStates.value;
    const ids = new Set<PeerId>([...states.keys(), ...snapshot.peers, ...engine.stores.networkCoordination.value.keys()]);
    ids.delete(engine.self);
    // People read names: by display name, then peers not yet named (by id).
    const byName = (peer: { id: PeerId; displayName: string | undefined }) => [peer.displayName === undefined ? 1 : 0, peer.displayName ?? '', peer.id] as const;
    const peers = [...ids]
      .map((id) => ({ id, displayName: states.get(id)?.displayName }))
      .sort((a, b) => {
        const [left, right] = [byName(a), byName(b)];
        return left[0] - right[0] || left[1].localeCompare(right[1]) || (left[2] < right[2] ? -1 : left[2] > right[2] ? 1 : 0);
      });
    const labels = peerLabels(peers, this.myState().displayName);
    return peers.map((peer) => ({ ...peer, label: labels.get(peer.id)! }));
  }

  snapshot(): EngineSnapshot | undefined {
    return this.engine?.snapshot();
  }

  /**
   * One view model per refresh: the status bar, the tree's groups and badge and the panel each read it, and built for
   * each it cost about 9 x 6 ms per refresh at 200 peers (found by a review). Dropped whenever the service fires, and
   * after a second: ages and my live clock move on while a quiet network fires nothing (a panel opened after a quiet
   * spell showed ages near 0: found by a second review).
   */
  private cachedViewModel: { readonly model: ViewModel; readonly builtAt: number } | undefined;
  viewModel(): ViewModel {
    const now = performance.now();
    if (this.cachedViewModel === undefined || now - this.cachedViewModel.builtAt > VIEW_MODEL_LIFETIME_MS) this.cachedViewModel = { model: this.buildViewModel(), builtAt: now };
    return this.cachedViewModel.model;
  }

  private buildViewModel(): ViewModel {
    const engine = this.engine;
    if (!engine) {
      // The peers I recognize, by their last known names and inactive: the Relationships tab was empty while offline,
      // as if my recognition were gone (found by a usability pass).
      const recognition = this.myRecognition();
      const last = this.offline;
      const known = Object.keys(recognition)
        .filter((id) => id !== last?.self)
        .map((id) => ({ id, displayName: last?.names.get(id) }));
      const labels = peerLabels(known, this.myState().displayName);
      const peers = known.map(({ id, displayName }) => {
        const theirs = last?.theirRecognition.get(id) ?? {};
        const theyRecognizeMe = last === undefined ? 0 : (theirs[last.self] ?? 0);
        // Mutual as far as the last records say (joined, the primary tier is the engine's mutual subgroup).
        const tier: 'primary' | 'secondary' = recognition[id]! > 0 && theyRecognizeMe > 0 ? 'primary' : 'secondary';
        return { id, displayName, label: labels.get(id)!, tier, active: false, myRecognition: recognition[id]!, theirRecognition: theyRecognizeMe, recognition: theirs, state: undefined, unmetNeeds: 0 };
      });
      // My peer id as of my last records: teammates' recognition names me by it (without it, the graph read their
      // side of a mutual relationship as 0 and drew one-way arrows beside a table saying mutual; a usability pass).
      return { joined: false, self: last?.self, address: undefined, round: 0, phase: 0, phaseName: PHASES[0], converged: false, myState: this.myState(), myRecognition: recognition, peers, allocations: [], needs: [], capacities: [], history: [], coordination: [], freshnessMs: DEFAULT_ENGINE_CONFIG.freshnessMs };
    }
    const snapshot = engine.snapshot();
    const states = engine.stores.networkStates.value;
    const relationships = engine.stores.networkRelationships.value;
    const coordination = engine.stores.networkCoordination.value;
    const active = engine.subgroups.activeParticipants.value;
    const primary = engine.subgroups.myPrimaryPeers.value;
    const myRecognition = this.myRecognition();
    const allResults = this.allResults();
    const stability = computeStabilityFactors(allResults);
    const allocations = [...allResults].flatMap(([provider, results]) => results.allocations.map((allocation) => ({ provider, ...allocation })));
    const known = this.peersOf(engine, snapshot);
    const labels = new Map(known.map((peer) => [peer.id, peer.label]));
    const peers = known.map(({ id, displayName, label }) => {
      const theirs = relationships.get(id)?.recognition ?? {};
      const mine = myRecognition[id] ?? 0;
      const tier: 'primary' | 'secondary' | 'none' = primary.has(id) ? 'primary' : mine > 0 || (theirs[engine.self] ?? 0) > 0 ? 'secondary' : 'none';
      // From the peer's own results: the snapshot holds only my needs, so this was always 0 and no badge showed.
      const unmetNeeds = countUnmetNeeds(states.get(id), allResults.get(id));
      return { id, displayName, label, tier, active: active.has(id), myRecognition: mine, theirRecognition: theirs[engine.self] ?? 0, recognition: theirs, state: states.get(id), unmetNeeds };
    });
    const now = Date.now();
    // My own row first, from my live state: networkCoordination holds only others', so my stability factor showed
    // nowhere (found by a review).
    const myState = this.myState();
    const myRow = {
      peer: engine.self,
      displayName: myState.displayName,
      label: myLabel(myState.displayName),
      phase: snapshot.phase,
      phaseName: snapshot.phaseName,
      round: snapshot.round,
      clock: engine.clock.value,
      issuedAt: engine.stores.myCoordination.value?.updatedAt ?? new Date(now).toISOString(),
      ageMs: 0,
      active: true,
      stabilityFactor: stability.get(engine.self) ?? 1,
    };
    const coordinationRows = [myRow, ...[...coordination.entries()].map(([peer, record]) => ({
      peer,
      displayName: states.get(peer)?.displayName,
      label: labels.get(peer) ?? peerIdEnding(peer),
      phase: record.phase,
      phaseName: PHASES[record.phase] ?? String(record.phase),
      round: record.round,
      clock: record.clock,
      issuedAt: record.updatedAt,
      ageMs: Math.max(0, now - Date.parse(record.updatedAt)),
      active: active.has(peer),
      stabilityFactor: stability.get(peer) ?? 1,
    }))];
    return {
      joined: true,
      self: engine.self,
      address: this.myAddress(),
      round: snapshot.round,
      phase: snapshot.phase,
      phaseName: snapshot.phaseName,
      converged: snapshot.converged,
      ...(snapshot.problem === undefined ? {} : { problem: snapshot.problem }),
      myState,
      myRecognition,
      peers,
      allocations,
      needs: snapshot.needs,
      capacities: snapshot.capacities,
      history: snapshot.history.length > 0 ? snapshot.history : [...this.history],
      coordination: coordinationRows,
      freshnessMs: engine.config.freshnessMs,
    };
  }

  /** Every known participant's latest results, mine included. */
  private allResults(): Map<PeerId, Results> {
    const engine = this.requireEngine();
    const all = new Map(engine.stores.networkResults.value);
    const mine = engine.stores.myResults.value;
    if (mine) all.set(engine.self, mine);
    return all;
  }

  /** Network-wide convergence figures per round, from the results every participant published. */
  private recordRound(): void {
    const engine = this.engine;
    if (!engine) return;
    const round = engine.round.value;
    if (round < 1 || (this.history.at(-1)?.round ?? 0) >= round) return;
    let squares = 0;
    let maxDelta = 0;
    for (const results of this.allResults().values()) {
      squares += results.metrics.residualNeedNorm ** 2;
      maxDelta = Math.max(maxDelta, results.metrics.maxDelta);
    }
    this.history.push({ round, residualNeedNorm: Math.sqrt(squares), maxDelta });
    if (this.history.length > 500) this.history.shift();
  }

  forcePhaseAdvancement(): void {
    this.requireEngine().forcePhaseAdvancement();
  }

  dryRunResults(): Results {
    return this.requireEngine().dryRunResults();
  }

  causalClocks(): CausalClocksReport {
    const engine = this.requireEngine();
    const snapshot = engine.snapshot();
    const model = this.viewModel();
    const peers: Record<PeerId, CausalClocksReport['peers'][PeerId]> = {};
    for (const row of model.coordination) {
      if (row.peer !== engine.self) peers[row.peer] = { round: row.round, phase: row.phaseName, active: row.active, issuedAt: row.issuedAt, clock: row.clock };
    }
    const known = new Map<PeerId, string | undefined>(this.knownPeers().map(({ id, displayName }) => [id, displayName]));
    known.set(engine.self, this.myState().displayName);
    const names: Record<PeerId, string> = {};
    const ids = new Set<PeerId>([engine.self, ...Object.keys(peers), ...Object.keys(engine.clock.value), ...Object.values(peers).flatMap((peer) => Object.keys(peer.clock))]);
    for (const id of [...ids].sort()) {
      const name = known.get(id);
      if (name !== undefined) names[id] = name;
    }
    return { self: { peer: engine.self, round: snapshot.round, phase: snapshot.phaseName, clock: engine.clock.value }, peers, names };
  }

  onDidChange(listener: () => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private fire(): void {
    this.cachedViewModel = undefined;
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (error) {
        this.options.logger.warn('change listener failed', error);
      }
    }
  }

  private requireEngine(): Engine {
    if (!this.engine) throw new Error('not joined to a network: run "Mutual: Join Network" first');
    return this.engine;
  }

  private requireNode(): NonNullable<typeof this.node> {
    if (!this.node) throw new Error('not joined to a network: run "Mutual: Join Network" first');
    return this.node;
  }

  dispose(): void {
    void this.leave();
    this.listeners.clear();
  }
}
