// Room: engine. May touch: protocol (signature, schemas), @libp2p/crypto + @libp2p/peer-id (keys only), ./network,
// ./scheduler. An in-memory PeerNetwork for tests and `mutual simulate --async`: real Ed25519-signed records, delivery
// on a virtual clock with configurable latency (which also reorders), loss, duplication and partitions.
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { encodeJson } from '../protocol/encoding.ts';
import { PROTOCOL_VERSION } from '../protocol/limits.ts';
import type { PeerId, RecordKind, SignedRecord } from '../protocol/schemas.ts';
import { signRecord, type UnsignedRecord } from '../protocol/signature.ts';
import type { Disposable, HeldSequence, NetworkEvent, OutgoingRecord, PeerNetwork } from './network.ts';
import type { Scheduler } from './scheduler.ts';
import { mulberry32 } from './random.ts';

export interface MemoryNetworkOptions {
  readonly scheduler: Scheduler;
  readonly networkName?: string;
  /** Seed of the delivery randomness (latency, loss, duplication). */
  readonly seed?: number;
  /** Latency range in ms; a range also reorders messages. Default [5, 20]. */
  readonly latencyMs?: readonly [number, number];
  /** Probability a delivery is lost. */
  readonly loss?: number;
  /** Probability a delivery arrives twice. */
  readonly duplicate?: number;
}

export interface TrafficCounters {
  messagesSent: number;
  bytesSent: number;
  messagesReceived: number;
  bytesReceived: number;
}

/** The shared medium: who is on it, who subscribes to what, what is latest per (author, kind), and partitions. */
export class MemoryNetworkHub {
  readonly networkName: string;
  private readonly peers = new Map<PeerId, MemoryPeerNetwork>();
  private readonly random: () => number;
  private readonly latest = new Map<string, SignedRecord>();
  private partitionOf = new Map<PeerId, number>();
  readonly options: MemoryNetworkOptions;

  constructor(options: MemoryNetworkOptions) {
    this.options = options;
    this.networkName = options.networkName ?? 'memory';
    this.random = mulberry32(options.seed ?? 1);
  }

  async createPeer(privateKey?: PrivateKey): Promise<MemoryPeerNetwork> {
    const key = privateKey ?? (await generateKeyPair('Ed25519'));
    const peer = new MemoryPeerNetwork(this, key);
    return peer;
  }

  /** Splits the network: peers in different groups cannot reach each other until heal(). */
  partition(groups: readonly (readonly PeerId[])[]): void {
    const before = this.reachablePairs();
    this.partitionOf = new Map();
    groups.forEach((group, index) => group.forEach((peer) => this.partitionOf.set(peer, index)));
    this.announceChanges(before);
  }

  heal(): void {
    const before = this.reachablePairs();
    this.partitionOf = new Map();
    this.announceChanges(before);
  }

  private reachablePairs(): Set<string> {
    const pairs = new Set<string>();
    for (const a of this.peers.keys()) for (const b of this.peers.keys()) if (a !== b && this.canReach(a, b)) pairs.add(`${a}\u0000${b}`);
    return pairs;
  }

  /** Connections that a partition cut or a heal restored are announced as libp2p would: disconnect / connect. */
  private announceChanges(before: ReadonlySet<string>): void {
    const after = this.reachablePairs();
    for (const pair of before) if (!after.has(pair)) this.emitTo(pair, 'peer:disconnect');
    for (const pair of after) if (!before.has(pair)) this.emitTo(pair, 'peer:connect');
  }

  private emitTo(pair: string, type: 'peer:connect' | 'peer:disconnect'): void {
    const [to, peer] = pair.split('\u0000') as [PeerId, PeerId];
    this.peers.get(to)?.emit({ type, peer });
  }

  canReach(from: PeerId, to: PeerId): boolean {
    return (this.partitionOf.get(from) ?? -1) === (this.partitionOf.get(to) ?? -1);
  }

  /** Peers on the medium that `peer` can reach now. */
  reachableFrom(peer: PeerId): PeerId[] {
    return [...this.peers.keys()].filter((other) => other !== peer && this.canReach(peer, other));
  }

  /** @internal */
  attach(peer: MemoryPeerNetwork): void {
    this.peers.set(peer.self, peer);
    for (const other of this.peers.values()) {
      if (other === peer || !this.canReach(peer.self, other.self)) continue;
      other.emit({ type: 'peer:connect', peer: peer.self });
      peer.emit({ type: 'peer:connect', peer: other.self });
    }
  }

  /** @internal */
  detach(peer: MemoryPeerNetwork): void {
    this.peers.delete(peer.self);
    for (const other of this.peers.values()) other.emit({ type: 'peer:disconnect', peer: peer.self });
  }

  /** @internal Sends a record from `from` to every peer subscribed to its author and kind. */
  broadcast(from: MemoryPeerNetwork, record: SignedRecord): void {
    const key = `${record.author}\u0000${record.kind}`;
    const held = this.latest.get(key);
    if (held === undefined || held.sequence <= record.sequence) this.latest.set(key, record);
    const bytes = encodeJson(record).length;
    for (const peer of this.peers.values()) {
      if (peer === from || !peer.wants(record.author, record.kind)) continue;
      this.deliver(from, peer, record, bytes);
    }
  }

  /**
   * @internal Late-joiner sync: the latest records of these authors/kinds. Every peer relays in this model, so a record
   * is available when its author is reachable, or is offline (others keep what it published).
   */
  sync(to: MemoryPeerNetwork, authors: readonly PeerId[], kinds: readonly RecordKind[], heldSequence?: HeldSequence): void {
    for (const author of authors) {
      const holder = this.peers.get(author);
      if (holder !== undefined && holder !== to && !this.canReach(author, to.self)) continue;
      for (const kind of kinds) {
        const record = this.latest.get(`${author}\u0000${kind}`);
        // As on libp2p (spec 9.3): only what is newer than what the requester holds.
        if (record !== undefined && record.sequence > (heldSequence?.(author, kind) ?? 0)) this.deliver(holder ?? to, to, record, encodeJson(record).length);
      }
    }
  }

  /** Authors whose records the medium holds (what a late joiner can ask for). */
  knownAuthors(): PeerId[] {
    return [...new Set([...this.latest.keys()].map((key) => key.split('\u0000')[0]!))];
  }

  private deliver(from: MemoryPeerNetwork, to: MemoryPeerNetwork, record: SignedRecord, bytes: number): void {
    const [low, high] = this.options.latencyMs ?? [5, 20];
    const copies = this.random() < (this.options.duplicate ?? 0) ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      from.traffic.messagesSent++;
      from.traffic.bytesSent += bytes;
      if (this.random() < (this.options.loss ?? 0)) continue;
      const latency = low + this.random() * (high - low);
      this.options.scheduler.setTimeout(() => {
        if (!this.peers.has(to.self) || !this.canReach(from.self, to.self)) return;
        to.traffic.messagesReceived++;
        to.traffic.bytesReceived += bytes;
        to.emit({ type: 'record', record, from: from.self });
      }, latency);
    }
  }
}

export class MemoryPeerNetwork implements PeerNetwork {
  readonly self: PeerId;
  readonly traffic: TrafficCounters = { messagesSent: 0, bytesSent: 0, messagesReceived: 0, bytesReceived: 0 };
  private readonly hub: MemoryNetworkHub;
  private readonly key: PrivateKey;
  private readonly listeners = new Set<(event: NetworkEvent) => void>();
  private readonly subscriptions = new Set<string>();
  private started = false;

  get network(): string {
    return this.hub.networkName;
  }

  constructor(hub: MemoryNetworkHub, key: PrivateKey) {
    this.hub = hub;
    this.key = key;
    this.self = peerIdFromPrivateKey(key).toString();
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.hub.attach(this);
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.hub.detach(this);
    this.subscriptions.clear();
  }

  async publish<K extends RecordKind>(outgoing: OutgoingRecord<K>): Promise<SignedRecord> {
    const unsigned = { version: PROTOCOL_VERSION, network: this.hub.networkName, author: this.self, ...outgoing } as UnsignedRecord;
    const record = await signRecord(unsigned, this.key);
    if (this.started) this.hub.broadcast(this, record);
    return record;
  }

  subscribe(author: PeerId, kind: RecordKind): void {
    this.subscriptions.add(`${author}\u0000${kind}`);
  }

  unsubscribe(author: PeerId, kind: RecordKind): void {
    this.subscriptions.delete(`${author}\u0000${kind}`);
  }

  /** Current subscriptions as "author kind" pairs (for tests of subscription hygiene). */
  subscriptionList(): string[] {
    return [...this.subscriptions].map((entry) => entry.replace('\u0000', ' ')).sort();
  }

  /** Coordination of every peer shares one topic, as on libp2p (src/network/names.ts): every started peer receives it. */
  wants(author: PeerId, kind: RecordKind): boolean {
    return this.started && (kind === 'coordination' || this.subscriptions.has(`${author}\u0000${kind}`));
  }

  async requestSync(authors: readonly PeerId[], kinds: readonly RecordKind[], heldSequence?: HeldSequence): Promise<void> {
    if (this.started) this.hub.sync(this, authors, kinds, heldSequence);
  }

  connectedPeers(): readonly PeerId[] {
    return this.started ? this.hub.reachableFrom(this.self) : [];
  }

  on(listener: (event: NetworkEvent) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** @internal */
  emit(event: NetworkEvent): void {
    if (!this.started) return;
    for (const listener of [...this.listeners]) listener(event);
  }
}
