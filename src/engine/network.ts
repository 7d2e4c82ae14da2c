// Room: engine. May touch: protocol types only. The boundary between the engine and any transport.
// The libp2p node (src/network/) implements PeerNetwork; tests and `mutual simulate --async` use the in-memory one.
// Contract: every record a PeerNetwork emits has been size-checked, schema-validated and signature-verified
// (author == signer); the engine still applies its own sequence/clock rules before a record reaches a store.
import type { CausalClock, PeerId, RecordKind, SignedRecord } from '../protocol/schemas.ts';

export interface Disposable {
  dispose(): void;
}

/** What the engine hands to publish(): the network adds version, network name, author and signature. */
export interface OutgoingRecord<K extends RecordKind = RecordKind> {
  readonly kind: K;
  /** Per author and kind, strictly increasing across restarts (the engine persists it). */
  readonly sequence: number;
  readonly clock: CausalClock;
  /** ISO 8601 with offset. */
  readonly issuedAt: string;
  readonly payload: Extract<SignedRecord, { kind: K }>['payload'];
}

export type NetworkEvent =
  /** A verified record from `from` (the peer that relayed it; the author is record.author). */
  | { readonly type: 'record'; readonly record: SignedRecord; readonly from: PeerId }
  | { readonly type: 'peer:connect'; readonly peer: PeerId }
  | { readonly type: 'peer:disconnect'; readonly peer: PeerId }
  /** Input dropped at the boundary (bad signature, oversized, malformed, rate limited, ...). */
  | { readonly type: 'rejected'; readonly from: PeerId | undefined; readonly reason: string };

/** The sequence of the record I hold of an author and kind, if any. */
export type HeldSequence = (author: PeerId, kind: RecordKind) => number | undefined;

export interface PeerNetwork {
  /** My peer id (the author of what I publish). */
  readonly self: PeerId;
  /** The network's name, which every record it signs carries (when known: cached records of others are dropped). */
  readonly network?: string;
  start(): Promise<void>;
  /** Stops and releases every resource; idempotent. */
  stop(): Promise<void>;
  /** Signs and sends one of my records to whoever subscribes to that author and kind. Resolves to what was sent. */
  publish<K extends RecordKind>(record: OutgoingRecord<K>): Promise<SignedRecord>;
  /** Receive an author's records of a kind from now on (idempotent). Coordination of all peers is one shared topic. */
  subscribe(author: PeerId, kind: RecordKind): void;
  unsubscribe(author: PeerId, kind: RecordKind): void;
  /**
   * Ask connected peers for the latest records they hold of these authors/kinds (late joiners, repair); results arrive
   * as events. `heldSequence` says what I hold already, so that only newer records are sent (spec 9.3).
   */
  requestSync(authors: readonly PeerId[], kinds: readonly RecordKind[], heldSequence?: HeldSequence): Promise<void>;
  /**
   * Records of others from my cache, for the network to serve to late joiners as it serves what it received (spec
   * 9.3); optional (the in-memory network keeps one medium for all).
   */
  holdForSync?(records: readonly SignedRecord[]): Promise<void>;
  /** Peers currently connected. */
  connectedPeers(): readonly PeerId[];
  on(listener: (event: NetworkEvent) => void): Disposable;
}
