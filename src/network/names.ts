// Room: network. May touch: protocol schemas and limits only (pure names and bounds).
// Topic and protocol names (spec/PROTOCOL.md, chapter 9). They carry the protocol MAJOR and the network name, so
// two teams, or two major versions, never share a topic.
import { MAX_ADDRESSES_PER_PEER, MAX_LOOKUP_PEERS, MAX_SYNC_AUTHORS, PROTOCOL_MAJOR } from '../protocol/limits.ts';
import { NetworkName, type PeerId, type RecordKind } from '../protocol/schemas.ts';

/** Per-author topic of one record kind; coordination of every peer shares one topic. */
export function topicFor(network: string, kind: RecordKind, author: PeerId): string {
  if (kind === 'coordination') return coordinationTopic(network);
  return `/mutual/${PROTOCOL_MAJOR}/${network}/${kind}/${author}`;
}

export function coordinationTopic(network: string): string {
  return `/mutual/${PROTOCOL_MAJOR}/${network}/coordination`;
}

/** The late-joiner sync protocol (request/response over one stream). */
export function syncProtocol(network: string): string {
  return `/mutual/${PROTOCOL_MAJOR}/${network}/sync/1.0.0`;
}

/** Address lookup: asks a connected peer for the addresses it knows of given peer ids (to reach relationship partners). */
export function peersProtocol(network: string): string {
  return `/mutual/${PROTOCOL_MAJOR}/${network}/peers/1.0.0`;
}

/**
 * The networks (and protocol MAJORs) a peer is on, read from the sync protocols it speaks (identify lists them); empty
 * for a libp2p peer that speaks no Mutual sync protocol. The names are the remote peer's own text, shown in logs and
 * to the user: only a MAJOR of digits (without leading zeros) and a valid network name count (a review put newlines
 * and a markdown command link into them); anything else reads as no Mutual protocol at all.
 */
export function networksOfProtocols(protocols: readonly string[]): { major: string; network: string }[] {
  const found = [];
  for (const protocol of protocols) {
    const match = /^\/mutual\/(0|[1-9]\d{0,3})\/([^/]+)\/sync\/[^/]+$/.exec(protocol);
    if (match && NetworkName.safeParse(match[2]).success) found.push({ major: match[1]!, network: match[2]! });
  }
  return found;
}

/** Parses a topic name back into (kind, author); undefined when it is not one of this network's topics. */
export function parseTopic(network: string, topic: string): { kind: RecordKind; author: PeerId | undefined } | undefined {
  if (topic === coordinationTopic(network)) return { kind: 'coordination', author: undefined };
  const prefix = `/mutual/${PROTOCOL_MAJOR}/${network}/`;
  if (!topic.startsWith(prefix)) return undefined;
  const [kind, author, ...rest] = topic.slice(prefix.length).split('/');
  if (rest.length > 0 || author === undefined || author === '') return undefined;
  if (kind !== 'state' && kind !== 'relationships' && kind !== 'results') return undefined;
  return { kind, author };
}

/** Bounds of the network layer (spec chapter 9). */
export const NETWORK_LIMITS = {
  /** Records one sync response carries at most. */
  maxSyncRecords: 512,
  /** Bytes one sync response carries at most (records are newline-separated, each at most MAX_RECORD_BYTES). */
  maxSyncBytes: 4 * 1024 * 1024,
  /** Authors one sync request names at most. */
  maxSyncAuthors: MAX_SYNC_AUTHORS,
  /** Bytes of a sync request. */
  maxSyncRequestBytes: 160 * 1024,
  /** Peers asked per requestSync call. */
  maxSyncPeers: 8,
  /** Latest records held for sync: (author, kind) pairs. */
  maxHeldRecords: 4096,
  /** Peers whose rate-limit bucket and log state is tracked. */
  maxTrackedPeers: 4096,
  /** Token bucket per sending peer: burst and refill per second. */
  rateBurst: 200,
  ratePerSecond: 100,
  /** Invalid input from one peer is logged at most once per this interval. */
  logIntervalMs: 60_000,
  /** Peer ids one address lookup names at most, and addresses returned per peer. */
  maxLookupPeers: MAX_LOOKUP_PEERS,
  maxAddressesPerPeer: MAX_ADDRESSES_PER_PEER,
  /** Bytes of an address lookup request or response. */
  maxLookupBytes: 64 * 1024,
  /** An unreachable subscribed author is looked up again at most this often. */
  lookupRetryMs: 3_000,
  /** A bootstrap peer not connected is dialled again after this long, doubling up to the maximum while it fails. */
  bootstrapRetryMs: 2_000,
  bootstrapRetryMaxMs: 30_000,
  /** Peers a headless relay holds reservations for. */
  maxRelayReservations: 128,
  /** Connections open at once; past it libp2p closes the least used ones (never one carrying gossip or sync). */
  maxConnections: 300,
  /**
   * Inbound connections open at once from one IP address (not applied on loopback setups): one host could otherwise
   * take all 300 with throwaway identities. Generous, since a whole team behind one NAT shares an address.
   */
  maxInboundConnectionsPerHost: 32,
  /** A sync exchange is abandoned after this long. */
  syncTimeoutMs: 5_000,
} as const;

/** Whether a listen multiaddr stays on this machine (peers listening only there share one host). */
export function isLoopbackAddress(address: string): boolean {
  return /^\/(ip4\/127\.|ip6\/::1\/|dns4?\/localhost\/)/.test(address);
}
