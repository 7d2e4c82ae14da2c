// Room: network. May touch: engine's PeerNetwork contract, protocol (encoding, signature, schemas, limits), libp2p, node:crypto.
// The libp2p implementation of the engine's PeerNetwork: TCP + WebSockets, noise, yamux, identify, gossipsub with
// per-author topics, mDNS and bootstrap discovery, circuit relay v2, and the late-joiner sync protocol. Every byte from
// outside passes the boundary here (size before parsing, schema, signature, network name, topic/author match,
// per-peer token bucket) before an event reaches the engine.
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { bootstrap } from '@libp2p/bootstrap';
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { gossipsub, TopicValidatorResult, type GossipSub } from '@libp2p/gossipsub';
import { createTopicScoreParams, type PeerScoreParams } from '@libp2p/gossipsub/score';
import { identify, identifyPush } from '@libp2p/identify';
import type { Connection, Libp2p, MultiaddrConnection, PeerId as Libp2pPeerId, PrivateKey, Stream } from '@libp2p/interface';
import { mdns } from '@libp2p/mdns';
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id';
import { tcp } from '@libp2p/tcp';
import { webSockets } from '@libp2p/websockets';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { createHash } from 'node:crypto';
import type { Disposable, HeldSequence, NetworkEvent, OutgoingRecord, PeerNetwork } from '../engine/network.ts';
import { encodeJson, decodeJson, DecodeError } from '../protocol/encoding.ts';
import { MAX_RECORD_BYTES, PROTOCOL_MAJOR, PROTOCOL_VERSION } from '../protocol/limits.ts';
import { LookupRequest, LookupResponse, NetworkName, RecordKind, SyncRequest, type SignedRecord, type SyncHave } from '../protocol/schemas.ts';
import { signRecord, verifyRecord, verifyRecordBytes, type UnsignedRecord } from '../protocol/signature.ts';
import { HeldRecords } from './held-records.ts';
import { AddressBook, type AddressStorage } from './address-book.ts';
import { connectionSource, peerIdOfAddress } from './addresses.ts';
import { bindAddress, EXCHANGE_LIMITS, ExchangeTimeout, readAll, readLines, serveSlots, waitingSlots, withDeadline, type ResponseLines } from './exchange.ts';
import { coordinationTopic, NETWORK_LIMITS, networksOfProtocols, parseTopic, peersProtocol, syncProtocol, topicFor } from './names.ts';
import { z } from 'zod';

export interface NetworkLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** Settings of one libp2p peer (the extension and `mutual peer` both build one of these). */
export interface Libp2pNetworkOptions {
  /** The team's network name (scopes topics, the sync protocol and the records accepted). */
  readonly network: string;
  /** The peer's Ed25519 identity; it signs every record (see identity.ts to load or create one). */
  readonly privateKey: PrivateKey;
  /** Multiaddrs to listen on, e.g. /ip4/127.0.0.1/tcp/0 and /ip4/127.0.0.1/tcp/0/ws. Default: both on 0.0.0.0. */
  readonly listen?: readonly string[];
  /** Multiaddrs with /p2p/<id> of peers to dial at start. */
  readonly bootstrap?: readonly string[];
  /** mDNS discovery on the local network (product default true; tests turn it off). */
  readonly mdns?: boolean;
  /** Serve as a circuit relay v2 for peers behind NAT (headless peers). Default false. */
  readonly relay?: boolean;
  /**
   * Loopback setups (tests, benches, several peers on one host): lift libp2p's inbound connection rate limit and the
   * gossipsub IP-colocation penalty, which otherwise treat many local peers as one abusive host.
   */
  readonly loopback?: boolean;
  readonly logger?: NetworkLogger;
  /**
   * Where the last addresses of followed peers are kept across restarts (the engine's storage; key
   * `network/addresses`). Without it, a restarted peer reaches teammates only through peers it can connect to.
   */
  readonly addressStorage?: AddressStorage;
  /**
   * Told once per peer that turns out to be on another network or MAJOR version (read from identify); the connection
   * is closed. The extension shows it: a typo in the network name otherwise shows only as having no peers.
   */
  readonly onOtherNetwork?: (peer: string, theirs: { readonly network: string; readonly major: string }) => void;
  /** How many latest records are held for sync (spec 9.5: 4096). Smaller only so tests can fill it quickly. */
  readonly maxHeldRecords?: number;
  /** Connections open at once (NETWORK_LIMITS.maxConnections). Smaller only so tests can reach it. */
  readonly maxConnections?: number;
  /** Inbound connections from one IP address (NETWORK_LIMITS; none on loopback setups). Set only by tests. */
  readonly maxInboundConnectionsPerHost?: number;
}


export interface NetworkCounters {
  published: number;
  publishedBytes: number;
  /** Of `published`, coordination (announcements of phase and round, which carry no change of their own). */
  publishedCoordination: number;
  received: number;
  receivedBytes: number;
  rejected: number;
  /** Records older than one held (a late relay, a slow sync, or a replay): dropped, not held against the sender. */
  stale: number;
  rateLimited: number;
  /** Sync and lookup exchanges abandoned at their deadline (either side); a stall, not counted as rejected input. */
  timedOut: number;
  /** Sync and lookup requests closed before their first byte (the requester stopped meanwhile); not rejected input. */
  abandoned: number;
  syncRequestsServed: number;
  syncRecordsReceived: number;
}

export interface Libp2pPeerNetwork extends PeerNetwork {
  /** Addresses this peer listens on, with /p2p/<id>, once started. */
  addresses(): string[];
  readonly network: string;
  readonly counters: Readonly<NetworkCounters>;
  /** Records of others from the engine's cache, verified and held for sync (spec 9.3). */
  holdForSync(records: readonly SignedRecord[]): Promise<void>;
  /** Dials a multiaddr (with /p2p/<id>); for tests and manual joins. */
  dial(address: string): Promise<void>;
  /** How many (author, kind) records are held for sync; bounded by NETWORK_LIMITS.maxHeldRecords. */
  heldRecordCount(): number;
  /** The gossipsub score this peer gives another (negative after invalid messages); 0 when unknown or stopped. */
  scoreOf(peer: string): number;
  /** Sizes of state kept per followed author (for tests: it must shrink when authors are unfollowed). */
  trackedSizes(): { lookups: number; scoredTopics: number };
}

const silentLogger: NetworkLogger = { info() {}, warn() {} };

/** The `have` of a sync request: per requested kind, what I hold of each author (0: nothing), aligned with `authors`. */
function haveOf(authors: readonly string[], kinds: readonly RecordKind[], heldSequence: HeldSequence): SyncHave {
  const have: SyncHave = {};
  for (const kind of new Set(kinds)) have[kind] = authors.map((author) => heldSequence(author, kind) ?? 0);
  return have;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
  lastLoggedAt: number;
  invalid: number;
}

const NEWLINE = 0x0a;

/** Checks a verified record against where it came from; a reason when it does not belong there. */
type Placement = (record: SignedRecord) => string | undefined;

export function createLibp2pNetwork(options: Libp2pNetworkOptions): Libp2pPeerNetwork {
  const network = NetworkName.parse(options.network);
  const logger = options.logger ?? silentLogger;
  const selfId = peerIdFromPrivateKey(options.privateKey);
  const self = selfId.toString();
  const listeners = new Set<(event: NetworkEvent) => void>();
  const subscriptions = new Set<string>();
  /**
   * Latest verified record per (author, kind), my own included: what the sync protocol answers with. When full, my own
   * and those of authors I follow are kept first (9.5).
   */
  /** Whether I follow `author`'s state or results: its records are worth holding, its addresses worth remembering. */
  const follows = (author: string) => (['state', 'results'] as const).some((kind) => subscriptions.has(topicFor(network, kind, author)));
  const held = new HeldRecords(options.maxHeldRecords ?? NETWORK_LIMITS.maxHeldRecords, (author) => author === self || follows(author), self);
  /**
   * Token buckets of publishers (gossip, keyed by the gossipsub publisher, not the record's author: spec 9.2) and of
   * peers asking or answering a sync or lookup; insertion order = age, so the oldest is evicted when full.
   */
  const buckets = new Map<string, Bucket>();
  /** Per relaying peer: the backstop bucket of gossip it delivers, and the log throttle of its invalid input. */
  const relays = new Map<string, Bucket>();
  const counters: NetworkCounters = { published: 0, publishedBytes: 0, publishedCoordination: 0, received: 0, receivedBytes: 0, rejected: 0, stale: 0, rateLimited: 0, timedOut: 0, abandoned: 0, syncRequestsServed: 0, syncRecordsReceived: 0 };
  let node: Libp2p<{ pubsub: GossipSub }> | undefined;
  let stopped = false;
  /** The start() in flight, which stop() waits for. */
  let starting: Promise<void> | undefined;

  function emit(event: NetworkEvent): void {
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (error) {
        logger.warn(`network listener failed: ${(error as Error).message}`);
      }
    }
  }

  function bucketOf(map: Map<string, Bucket>, key: string, burst: number): Bucket {
    let bucket = map.get(key);
    if (bucket === undefined) {
      if (map.size >= NETWORK_LIMITS.maxTrackedPeers) map.delete(map.keys().next().value!);
      bucket = { tokens: burst, updatedAt: Date.now(), lastLoggedAt: 0, invalid: 0 };
      map.set(key, bucket);
    }
    return bucket;
  }

  /** Token bucket: true when `key` may send one more message (or open one more exchange) now. */
  function takeToken(key: string, map = buckets, burst: number = NETWORK_LIMITS.rateBurst, perSecond: number = NETWORK_LIMITS.ratePerSecond): boolean {
    const bucket = bucketOf(map, key, burst);
    const now = Date.now();
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * perSecond);
    bucket.updatedAt = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Logs a peer's problem input at most once per peer per minute. */
  function logThrottled(from: string, what: string, reason: string): void {
    const bucket = bucketOf(relays, from, EXCHANGE_LIMITS.relayBurst);
    bucket.invalid++;
    const now = Date.now();
    if (now - bucket.lastLoggedAt >= NETWORK_LIMITS.logIntervalMs) {
      bucket.lastLoggedAt = now;
      logger.warn(`${what} from ${from} (${bucket.invalid} so far): ${reason}`);
    }
  }

  /** Counts every rejection; logs at most once per peer per minute; tells the engine. */
  function reject(from: string | undefined, reason: string): void {
    counters.rejected++;
    if (from !== undefined) logThrottled(from, 'rejected input', reason);
    else logger.warn(`rejected input: ${reason}`);
    emit({ type: 'rejected', from, reason });
  }

  /**
   * An exchange past its deadline: counted apart (`timedOut`) and not as rejected input, since an honest peer under load
   * stalls too (a churn bench counted 4-18 such "rejections" of honest peers while they started or reconnected). The
   * deadline already bounds what a stalling peer costs.
   */
  function timedOut(from: string, what: string, error: ExchangeTimeout): void {
    counters.timedOut++;
    logThrottled(from, 'slow exchange', `${what}: ${error.message}`);
  }

  /** Over a rate limit: counted apart and dropped, not held against the peer (it may only relay others' traffic). */
  function rateLimited(from: string, what: string): void {
    counters.rateLimited++;
    logThrottled(from, 'dropped input over the rate limit', what);
    emit({ type: 'rejected', from, reason: `rate limit exceeded: ${what}` });
  }

  /**
   * The boundary for one record's bytes from `from`, once the rate limit let them in (9.2: per gossip message, or per
   * sync exchange). Returns the verdict for gossipsub: reject lowers the sender's score, ignore drops silently (a
   * stale record relayed late is not misbehaviour). `placement` checks the record belongs where it came from.
   */
  async function accept(bytes: Uint8Array, from: string, placement: Placement): Promise<TopicValidatorResult> {
    if (bytes.byteLength > MAX_RECORD_BYTES) {
      reject(from, `record is ${bytes.byteLength} bytes, larger than ${MAX_RECORD_BYTES}`);
      return TopicValidatorResult.Reject;
    }
    const verified = await verifyRecordBytes(bytes);
    if (!verified.ok) {
      reject(from, verified.reason);
      return TopicValidatorResult.Reject;
    }
    const record = verified.record;
    if (record.network !== network) {
      reject(from, `record of network ${record.network}, not ${network}`);
      return TopicValidatorResult.Reject;
    }
    const misplaced = placement(record);
    if (misplaced !== undefined) {
      reject(from, misplaced);
      return TopicValidatorResult.Reject;
    }
    if (record.author === self) {
      // My own record, other than the latest I published: it may be an earlier run's, whose cache is gone, and the engine
      // goes on above it (spec 8.3). What I publish then is what I hold and serve.
      if (record.signature !== held.get(record.kind, self)?.signature) emit({ type: 'record', record, from });
      return TopicValidatorResult.Ignore;
    }
    const holding = held.hold(record, verified.raw);
    if (holding === 'duplicate') return TopicValidatorResult.Ignore;
    if (holding === 'old') {
      // Honest peers relay late and syncs cross gossip, so an old record is no evidence of misbehaviour: counted on its
      // own, dropped (ignore, no score penalty), reported to the engine at debug level only.
      counters.stale++;
      emit({ type: 'rejected', from, reason: `stale or replayed ${record.kind} record of ${record.author} (sequence ${record.sequence})` });
      return TopicValidatorResult.Ignore;
    }
    emit({ type: 'record', record, from });
    return TopicValidatorResult.Accept;
  }

  function pubsub(): GossipSub {
    if (node === undefined) throw new Error('the network is not started');
    return node.services.pubsub;
  }

  /** gossipsub's per-topic score parameters (the implementation has them; the exported interface does not say). */
  function scoredTopics(): PeerScoreParams['topics'] | undefined {
    return (pubsub() as unknown as { score?: { params?: PeerScoreParams } }).score?.params?.topics;
  }

  /** Scores rejected messages on a topic (gossipsub counts them per topic only where topic params exist). */
  function scoreTopic(topic: string): void {
    const topics = scoredTopics();
    if (topics === undefined || topics[topic] !== undefined) return;
    topics[topic] = createTopicScoreParams({
      topicWeight: 1,
      timeInMeshWeight: 0,
      firstMessageDeliveriesWeight: 0,
      meshMessageDeliveriesWeight: 0,
      meshFailurePenaltyWeight: 0,
      invalidMessageDeliveriesWeight: -10,
      invalidMessageDeliveriesDecay: 0.9,
    });
  }

  function listenOn(topic: string): void {
    const gossip = pubsub();
    scoreTopic(topic);
    const expected = parseTopic(network, topic);
    const placement: Placement = (record) =>
      expected !== undefined && (record.kind !== expected.kind || (expected.author !== undefined && record.author !== expected.author))
        ? `a ${record.kind} record of ${record.author} on the topic of ${expected.kind} of ${expected.author ?? 'everyone'}`
        : undefined;
    gossip.topicValidators.set(topic, (peer: Libp2pPeerId, message) => {
      const relay = peer.toString();
      counters.received++;
      counters.receivedBytes += message.data.byteLength;
      // The bucket is the publisher's (gossipsub checked its signature; reference peers publish only their own records),
      // with a looser backstop per relaying peer. Over either: ignore, as a peer relaying others' records to me is no
      // evidence of misbehaviour, while a reject would lower an honest hub's score until it is graylisted.
      const publisher = message.type === 'signed' ? message.from.toString() : relay;
      const over = !takeToken(publisher) ? `gossip published by ${publisher}` : !takeToken(relay, relays, EXCHANGE_LIMITS.relayBurst, EXCHANGE_LIMITS.relayPerSecond) ? 'gossip relayed' : undefined;
      if (over === undefined) return accept(message.data, relay, placement);
      rateLimited(relay, over);
      return TopicValidatorResult.Ignore;
    });
    gossip.subscribe(topic);
  }

  const syncServes = serveSlots(EXCHANGE_LIMITS.maxSyncServesPerConnection, EXCHANGE_LIMITS.maxSyncServes);
  /**
   * My sync exchanges open at once with one peer, at most what a responder serves per connection (9.3): beyond it the
   * responder resets the stream, so the next one waits for a slot (each exchange ends by its deadline) instead.
   */
  const syncSlots = waitingSlots(EXCHANGE_LIMITS.maxSyncServesPerConnection, NETWORK_LIMITS.syncTimeoutMs);
  const lookupServes = serveSlots(EXCHANGE_LIMITS.maxLookupServesPerConnection, EXCHANGE_LIMITS.maxLookupServes);

  /**
   * Serves one inbound sync or lookup stream: within the caps of serves in progress, for one token of the requester,
   * and within one deadline from the stream's arrival to the answer's last byte, after which the stream is aborted.
   */
  async function serve(stream: Stream, connection: Connection, what: 'sync' | 'lookup', answer: (stream: Stream, signal: AbortSignal) => Promise<void>): Promise<void> {
    const remote = connection.remotePeer.toString();
    const release = (what === 'sync' ? syncServes : lookupServes).take(connection.id);
    if (release === undefined) {
      rateLimited(remote, `${what} requests in progress at the cap`);
      stream.abort(new Error(`too many ${what} requests in progress`));
      return;
    }
    try {
      if (!takeToken(remote)) {
        // Over the requester's rate (9.2): counted as rateLimited and dropped, not as rejected input.
        rateLimited(remote, `${what} request over the rate limit`);
        stream.abort(new Error('rate limit exceeded'));
        return;
      }
      await withDeadline(NETWORK_LIMITS.syncTimeoutMs, `${what} request`, (deadline) => answer(deadline.bind(stream), deadline.signal));
    } catch (error) {
      if (error instanceof ExchangeTimeout) timedOut(remote, what, error);
      else if (error instanceof DecodeError) reject(remote, `${what}: ${error.message}`);
      stream.abort(error as Error);
    } finally {
      release();
    }
  }

  /**
   * A request stream closed before its first byte: the requester stopped between opening the stream and writing (a
   * node stopping closes its streams gracefully). No malformed input (spec 9.3): counted apart and closed in return.
   * Counted as rejected, every restart in a churn run blamed an honest peer.
   */
  async function abandoned(stream: Stream, signal: AbortSignal): Promise<void> {
    counters.abandoned++;
    await stream.close({ signal });
  }

  /** Answers a sync request with the latest record held of each distinct requested (author, kind) (spec 9.3). */
  async function answerSync(stream: Stream, signal: AbortSignal): Promise<void> {
    const requestBytes = await readAll(stream, NETWORK_LIMITS.maxSyncRequestBytes);
    if (requestBytes.byteLength === 0) return abandoned(stream, signal);
    const raw = decodeJson(requestBytes, { maxBytes: NETWORK_LIMITS.maxSyncRequestBytes });
    const request = SyncRequest.safeParse(raw);
    if (!request.success || request.data.network !== network) throw new DecodeError('malformed sync request');
    counters.syncRequestsServed++;
    const { authors, kinds, have } = request.data;
    // Each author at its first position (a pair named twice is answered once; `have` is read there).
    const firstIndex = new Map<string, number>();
    for (const [index, author] of authors.entries()) if (!firstIndex.has(author)) firstIndex.set(author, index);
    let count = 0;
    let bytes = 0;
    answering: for (const kind of new Set(kinds.filter((named): named is RecordKind => RecordKind.safeParse(named).success))) {
      for (const [author, index] of firstIndex) {
        const entry = held.get(kind, author);
        // Nothing the requester holds already (its `have`, aligned with `authors`; absent or 0: nothing).
        if (entry === undefined || entry.sequence <= (have?.[kind]?.[index] ?? 0)) continue;
        // The canonical text of the record as verified (held-records.ts): re-encoded from the parsed record, a newer
        // MINOR's would lose members its signature covers.
        const encoded = entry.wire;
        if (count + 1 > NETWORK_LIMITS.maxSyncRecords || bytes + encoded.byteLength + 1 > NETWORK_LIMITS.maxSyncBytes) break answering;
        count++;
        bytes += encoded.byteLength + 1;
        if (!stream.send(encoded)) await stream.onDrain({ signal });
        if (!stream.send(Uint8Array.of(NEWLINE))) await stream.onDrain({ signal });
      }
    }
    await stream.close({ signal });
  }

  /** Answers an address lookup from this node's peer store (addresses learnt through identify). */
  async function answerLookup(stream: Stream, signal: AbortSignal): Promise<void> {
    const bytes = await readAll(stream, NETWORK_LIMITS.maxLookupBytes);
    if (bytes.byteLength === 0) return abandoned(stream, signal);
    const request = LookupRequest.safeParse(decodeJson(bytes, { maxBytes: NETWORK_LIMITS.maxLookupBytes }));
    if (!request.success) throw new DecodeError('malformed address lookup');
    const peers = [];
    for (const id of new Set(request.data.peers)) {
      if (node === undefined) break;
      try {
        const known = await node.peerStore.get(peerIdFromString(id));
        const addresses = known.addresses.map((address) => address.multiaddr.toString()).filter((address) => address.length <= 400).slice(0, NETWORK_LIMITS.maxAddressesPerPeer);
        if (addresses.length > 0) peers.push({ id, addresses });
      } catch {
        // unknown peer: nothing to say about it
      }
    }
    stream.send(encodeJson({ peers }));
    await stream.close({ signal });
  }

  /**
   * One request/response exchange with `peer` under one deadline (dial, request, whole response); the response's
   * bytes, or undefined when the peer did not answer in time or at all (a malformed or too long answer is rejected).
   */
  async function ask<T>(peer: Libp2pPeerId, protocol: string, what: string, request: unknown, read: (stream: Stream) => Promise<T>, current: Libp2p | undefined = node): Promise<T | undefined> {
    if (current === undefined) return undefined;
    try {
      return await withDeadline(NETWORK_LIMITS.syncTimeoutMs, what, async (deadline) => {
        const stream = deadline.bind(await current.dialProtocol(peer, protocol, { signal: deadline.signal }));
        try {
          stream.send(encodeJson(request));
          await stream.close({ signal: deadline.signal });
          return await read(stream);
        } catch (error) {
          stream.abort(error as Error);
          throw error;
        }
      });
    } catch (error) {
      // A peer that does not speak the protocol (or is gone) has nothing to tell; one that stalls or answers badly is
      // counted against it.
      if (error instanceof ExchangeTimeout) timedOut(peer.toString(), what, error);
      else if (error instanceof DecodeError) reject(peer.toString(), `${what}: ${error.message}`);
      return undefined;
    }
  }

  /**
   * Whether `peer` proves it is on this network (9 intro): it completes, within the exchange's deadline, a sync
   * exchange of this network asking nothing (kinds empty, so the answer is empty). A libp2p peer that does not speak
   * the network's sync protocol fails at once. The relay asks before every reservation (and its refresh).
   */
  async function provesMembership(current: Libp2p | undefined, peer: Libp2pPeerId): Promise<boolean> {
    if (stopped || current === undefined) return false;
    // A sync exchange like any other: with 8 of mine open to that peer, a ninth would be reset by its cap.
    const answer = await askSync(current, peer, 'membership check', { network, authors: [peer.toString()], kinds: [] }, 0, 0);
    const granted = answer !== undefined && answer.lines.length === 0 && answer.dropped.length === 0;
    if (!granted) logThrottled(peer.toString(), 'relay reservation refused', 'it did not complete a sync exchange of this network');
    return granted;
  }

  /**
   * One sync exchange with `peer` in one of my slots for it (syncSlots); undefined when no slot came within a deadline
   * (the peer is slow and busy with my other syncs) or the peer is gone meanwhile, as when it does not answer.
   */
  async function askSync(current: Libp2p, peer: Libp2pPeerId, what: string, request: { readonly network: string; readonly authors: readonly string[]; readonly kinds: readonly string[]; readonly have?: SyncHave }, maxRecords: number, maxBytes: number): Promise<ResponseLines | undefined> {
    const release = await syncSlots.take(peer.toString());
    if (release === undefined) return undefined;
    try {
      if (current.getConnections(peer).length === 0) return undefined;
      return await ask(peer, syncProtocol(network), what, request, (stream) => readLines(stream, maxRecords, maxBytes), current);
    } finally {
      release();
    }
  }

  /** Asks `peer` for the latest records of `authors` x `kinds` (at most 512 pairs, one answer's worth), newer than `have`. */
  async function syncWith(peer: Libp2pPeerId, authors: readonly string[], kinds: readonly RecordKind[], have: SyncHave | undefined): Promise<void> {
    if (node === undefined) return;
    const request = { network, authors, kinds, ...(have === undefined ? {} : { have }) };
    // Not answered (the engine's repair asks again): nothing to read.
    const response = await askSync(node, peer, 'sync', request, NETWORK_LIMITS.maxSyncRecords, NETWORK_LIMITS.maxSyncBytes);
    if (response === undefined) return;
    const remote = peer.toString();
    for (const reason of response.dropped) reject(remote, reason);
    const lines = response.lines;
    if (lines.length === 0) return;
    // One token per exchange: the response's own bounds (512 records, 4 MiB) cap what one exchange costs.
    if (!takeToken(remote)) return rateLimited(remote, 'sync response');
    // Each requested (author, kind) at most once; anything else is not what I asked for.
    const unanswered = new Set(kinds.flatMap((kind) => authors.map((author) => `${kind}/${author}`)));
    const placement: Placement = (record) => (unanswered.delete(`${record.kind}/${record.author}`) ? undefined : `a ${record.kind} record of ${record.author} not requested (or repeated) in a sync response`);
    for (const line of lines) {
      counters.received++;
      counters.receivedBytes += line.byteLength;
      counters.syncRecordsReceived++;
      await accept(line, remote, placement);
    }
  }

  /** Asks one peer for the addresses of `wanted` (9.4); only entries for wanted peers are kept. */
  async function lookupAt(peer: Libp2pPeerId, wanted: ReadonlySet<string>): Promise<z.infer<typeof LookupResponse>['peers']> {
    const parse = async (stream: Stream) => {
      const response = LookupResponse.safeParse(decodeJson(await readAll(stream, NETWORK_LIMITS.maxLookupBytes), { maxBytes: NETWORK_LIMITS.maxLookupBytes }));
      if (!response.success) throw new DecodeError('malformed address lookup response');
      return response.data.peers;
    };
    const peers = await ask(peer, peersProtocol(network), 'address lookup', { peers: [...wanted] }, parse);
    return (peers ?? []).filter((entry) => wanted.has(entry.id));
  }

  /** Dials `id` at all of `addresses` at once, bounded. */
  async function dialAt(id: string, addresses: readonly string[]): Promise<void> {
    if (node === undefined || node.getConnections(peerIdFromString(id)).length > 0) return;
    await node.dial(addresses.map((address) => multiaddr(address)), { signal: AbortSignal.timeout(EXCHANGE_LIMITS.lookupDialTimeoutMs) }).catch(() => undefined);
  }

  /** When each unreachable followed author was last looked up; entries older than the retry interval are dropped. */
  const lastLookup = new Map<string, number>();
  let lookupTimer: NodeJS.Timeout | undefined;
  let bootstrapTimer: NodeJS.Timeout | undefined;
  let lookupRunning = false;
  /**
   * Gossipsub forwards a topic only through peers subscribed to it, so a subscriber must be connected to the author
   * (relationship-based topology). Authors I subscribe to but am not connected to are looked up at connected peers,
   * all asked at once, each exchange under its own deadline, and dialled as soon as an answer names them.
   */
  async function reachAuthors(): Promise<void> {
    if (node === undefined || lookupRunning) return;
    lookupRunning = true;
    try {
      const now = Date.now();
      for (const [author, at] of lastLookup) if (now - at >= NETWORK_LIMITS.lookupRetryMs) lastLookup.delete(author);
      const connected = new Set(node.getPeers().map((peer) => peer.toString()));
      // Authors followed only for their relationships (to learn who recognizes me) are not dialled: that would connect
      // every peer to every other. An author that recognizes me follows my records and dials me itself, and its
      // relationships then arrive over that connection.
      const wanted = [...new Set([...subscriptions].map((topic) => parseTopic(network, topic)).filter((parsed) => parsed?.author !== undefined && parsed.kind !== 'relationships').map((parsed) => parsed!.author!))]
        .filter((author) => !connected.has(author) && !lastLookup.has(author))
        .slice(0, NETWORK_LIMITS.maxLookupPeers);
      if (wanted.length === 0) return;
      for (const author of wanted) lastLookup.set(author, now);
      // Addresses bound to the author they were given for, at most maxAddressesPerPeer per author over all answers.
      const tried = new Map<string, Set<string>>();
      const dials: Promise<void>[] = [];
      // Where they last listened (the address book): found even when no connected peer knows them. Apart from the
      // lookup's budget (remembered addresses of a teammate that restarted on new ports must not crowd out the fresh
      // ones), and under the book's own backoff: an author gone for good is forgotten after a few failed dials.
      for (const author of wanted) {
        const remembered = addressBook.dialable(author, now);
        if (remembered.length === 0) continue;
        dials.push(
          node
            .dial(remembered.map((address) => multiaddr(address)), { signal: AbortSignal.timeout(EXCHANGE_LIMITS.lookupDialTimeoutMs) })
            .then(() => addressBook.reached(author), () => addressBook.unreached(author, Date.now())),
        );
      }
      // A random sample each time, so a retry can reach peers the previous attempt did not ask.
      const asking = sample(node.getPeers(), NETWORK_LIMITS.maxSyncPeers).map(async (peer) => {
        for (const entry of await lookupAt(peer, new Set(wanted))) {
          const known = tried.get(entry.id) ?? new Set<string>();
          tried.set(entry.id, known);
          const fresh: string[] = [];
          for (const address of entry.addresses) {
            const bound = bindAddress(address, entry.id);
            if (bound === undefined || known.has(bound) || known.size >= NETWORK_LIMITS.maxAddressesPerPeer) continue;
            known.add(bound);
            fresh.push(bound);
          }
          if (fresh.length > 0) dials.push(dialAt(entry.id, fresh));
        }
      });
      await Promise.all(asking);
      await Promise.all(dials);
    } finally {
      lookupRunning = false;
    }
  }
  function scheduleReach(delayMs: number): void {
    if (lookupTimer !== undefined || node === undefined) return;
    lookupTimer = setTimeout(() => {
      lookupTimer = undefined;
      void reachAuthors().finally(() => {
        // Retry while some subscribed author stays unreachable.
        if (node !== undefined) scheduleReach(NETWORK_LIMITS.lookupRetryMs);
      });
    }, delayMs);
    lookupTimer.unref();
  }

  const addressBook = new AddressBook(options.addressStorage, (error) => logger.warn(`cannot save the address book: ${error.message}`));

  /** A peer followed while already connected: its identify came before, so its addresses come from the peer store. */
  function rememberIfConnected(author: string): void {
    let id: Libp2pPeerId;
    try {
      id = peerIdFromString(author);
    } catch {
      return; // not a libp2p peer id (recognition may name anything): nobody to dial
    }
    if (node === undefined || node.getConnections(id).length === 0) return;
    void rememberFromPeerStore(node, id);
  }

  /** What the peer store knows of where `id` listens goes into the address book. */
  async function rememberFromPeerStore(current: Libp2p, id: Libp2pPeerId): Promise<void> {
    try {
      const known = await current.peerStore.get(id);
      addressBook.remember(id.toString(), known.addresses.map((address) => address.multiaddr.toString()));
    } catch {
      // not in the peer store: nothing to remember
    }
  }

  /** Peers found on another network or MAJOR version (each is logged once). */
  const otherNetworks = new Set<string>();
  /**
   * One bootstrap address and its own backoff: one entry that stays down does not slow the redial of the others.
   * `failing` makes a failure logged when it starts and the reconnection when it ends, not on every retry.
   */
  interface BootstrapEntry {
    readonly address: string;
    readonly peer: Libp2pPeerId;
    delayMs: number;
    nextAt: number;
    failing: boolean;
    /** Connected at some point: a bootstrap peer that was, and is no more, is dialled again even while others are. */
    wasConnected: boolean;
  }
  // Every bootstrap address names its peer (the callers check it); one that does not, or names this peer (a list
  // shared by a team's headless peers), is never dialled.
  const bootstrapEntries: BootstrapEntry[] = (options.bootstrap ?? []).flatMap((address) => {
    const id = peerIdOfAddress(address);
    try {
      const peer = id === undefined ? undefined : peerIdFromString(id);
      return peer === undefined || peer.equals(selfId) ? [] : [{ address, peer, delayMs: NETWORK_LIMITS.bootstrapRetryMs, nextAt: 0, failing: false, wasConnected: false }];
    } catch {
      return [];
    }
  });
  /** A bootstrap peer reached again (by my dial or its own): a failure that ended is said to have ended. */
  /** `dialled`: this address answered; otherwise the peer is connected by another route (it dialled, another address). */
  function bootstrapReached(entry: BootstrapEntry, dialled: boolean): void {
    if (entry.failing) {
      // Not "reconnected to <address>" when that address never answered: a wrong port read as working (found by a
      // usability pass; the connection came from an address remembered from before).
      logger.info(dialled ? `reconnected to bootstrap peer ${entry.address}` : `connected to bootstrap peer ${entry.peer.toString()} by another route; ${entry.address} did not answer (check that address if this persists)`);
    }
    entry.failing = false;
  }
  function dialBootstrap(entry: BootstrapEntry, now: number): void {
    entry.nextAt = now + entry.delayMs;
    entry.delayMs = Math.min(entry.delayMs * 2, NETWORK_LIMITS.bootstrapRetryMaxMs);
    node?.dial(multiaddr(entry.address), { signal: AbortSignal.timeout(10_000) }).then(
      () => bootstrapReached(entry, true),
      (error: Error) => {
        if (!entry.failing) logger.warn(`cannot dial ${entry.address}: ${error.message} (trying again, backing off up to ${NETWORK_LIMITS.bootstrapRetryMaxMs / 1000} s)`);
        entry.failing = true;
      },
    );
  }
  // A first bootstrap dial can fail (the bootstrap peer is still starting, or the host is busy), and neither libp2p's
  // bootstrap module nor its reconnect queue retries a peer never connected. A bootstrap peer that restarts does not
  // dial its former peers back either: they kept their other connections, and a peer joining through it later reached
  // none of them (found by an operator pass). So every 2 s, each bootstrap peer not connected is dialled again when its
  // own backoff allows, if this peer is connected to nobody or was connected to that bootstrap peer before; a connected
  // one starts its backoff afresh. A bootstrap peer never reached is not dialled again while others are connected:
  // at 50 peers in one process, retrying every first dial that failed under load brought all 49 to the hub one by one
  // over half a minute, each connection with its sync, and the changes meanwhile took 603 ms at p50 instead of 326.
  // A peer of another network is not dialled again.
  function checkBootstrap(): void {
    const now = Date.now();
    for (const entry of bootstrapEntries) {
      if (node === undefined) return;
      if (node.getConnections(entry.peer).length > 0) {
        // Connected, whoever dialled: the backoff starts afresh.
        bootstrapReached(entry, false);
        entry.wasConnected = true;
        entry.delayMs = NETWORK_LIMITS.bootstrapRetryMs;
        entry.nextAt = 0;
        continue;
      }
      if (otherNetworks.has(entry.peer.toString()) || now < entry.nextAt) continue;
      if (!entry.wasConnected && node.getConnections().length > 0) continue;
      dialBootstrap(entry, now);
    }
  }

  /** Creates and starts the node; a stop() meanwhile wins (the node created is stopped at once). */
  async function startNode(): Promise<void> {
    if (node !== undefined || stopped) return;
    const listen = options.listen ?? ['/ip4/0.0.0.0/tcp/0', '/ip4/0.0.0.0/tcp/0/ws'];
    const peerDiscovery = [];
    if ((options.bootstrap?.length ?? 0) > 0) peerDiscovery.push(bootstrap({ list: [...options.bootstrap!], timeout: 0 }));
    if (options.mdns ?? true) peerDiscovery.push(mdns({ interval: 10_000 }));
    const loopback = options.loopback ?? false;
    const maxConnections = options.maxConnections ?? NETWORK_LIMITS.maxConnections;
    const refusedHosts = new Map<string, number>();
    /** Inbound connections by source (connectionSource), from the gater on: upgrading ones count too. */
    const inboundBySource = new Map<string, Set<MultiaddrConnection>>();
    const perHost = options.maxInboundConnectionsPerHost ?? (loopback ? Infinity : NETWORK_LIMITS.maxInboundConnectionsPerHost);
    // libp2p limits the rate of inbound connections per host (5 a second), not how many stay open: one host with
    // throwaway identities filled all 300, and pruning then closed the newest first, teammates among them.
    // Counted from the gater on, not from getConnections(): connections still upgrading are not listed there, and a
    // burst of simultaneous dials all passed one count (8 open with a cap of 3; found by a review).
    const tooManyFromHost = (connection: MultiaddrConnection): boolean => {
      const host = connectionSource(connection.remoteAddr);
      if (host === undefined || perHost === Infinity) return false;
      let sources = inboundBySource.get(host);
      // A close event missed (none after an abort, say) must not hold a slot for good.
      for (const counted of sources ?? []) if (counted.status !== 'open' && counted.status !== 'closing') sources!.delete(counted);
      const open = sources?.size ?? 0;
      if (open < perHost) {
        if (sources === undefined) inboundBySource.set(host, (sources = new Set()));
        const counted = sources;
        counted.add(connection);
        connection.addEventListener(
          'close',
          () => {
            counted.delete(connection);
            if (counted.size === 0 && inboundBySource.get(host) === counted) inboundBySource.delete(host);
          },
          { once: true },
        );
        return false;
      }
      // Said once a minute per address (bounded like the rate-limit buckets): a flood would flood the log too.
      const now = Date.now();
      if (now - (refusedHosts.get(host) ?? -Infinity) >= NETWORK_LIMITS.logIntervalMs) {
        refusedHosts.delete(host);
        refusedHosts.set(host, now);
        if (refusedHosts.size > NETWORK_LIMITS.maxTrackedPeers) refusedHosts.delete(refusedHosts.keys().next().value!);
        logger.warn(`refused inbound connections from ${host}: ${open} are open from that address (at most ${perHost}; said once a minute)`);
      }
      return true;
    };
    /** The node being created, for the connection gater (which runs once it is started). */
    let gated: Libp2p | undefined;
    const created = await createLibp2p({
      // Started below, once the sync and lookup protocols are handled: a relay checks them at once (provesMembership).
      start: false,
      privateKey: options.privateKey,
      addresses: { listen: [...listen] },
      transports: [tcp(), webSockets(), circuitRelayTransport()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      peerDiscovery,
      connectionManager: loopback ? { inboundConnectionThreshold: 10_000, maxIncomingPendingConnections: 256, maxConnections } : { maxConnections },
      connectionGater: {
        denyInboundConnection: tooManyFromHost,
        // A relay reserves a slot only for a peer that proves on its connection that it is on this network (9 intro).
        ...(options.relay === true ? { denyInboundRelayReservation: async (peer: Libp2pPeerId) => !(await provesMembership(gated, peer)) } : {}),
      },
      services: {
        identify: identify(),
        // A relay-only peer has its circuit address only once its reservation is made, after the identify of its
        // connection to the relay: pushed then, the relay's peer store has it to answer address lookups (9.4).
        identifyPush: identifyPush(),
        // A team's headless peer relays its teammates' whole traffic (gossip and sync), not a 128 KiB / 2 min
        // hole-punching window: relayed connections get no data or time limit; reservations are capped instead, and
        // granted only to teammates (the connection gater above).
        ...(options.relay === true ? { relay: circuitRelayServer({ reservations: { applyDefaultLimit: false, maxReservations: NETWORK_LIMITS.maxRelayReservations } }) } : {}),
        pubsub: gossipsub({
          // Records are signed at the application level as well; gossipsub's own signature (StrictSign, the default)
          // binds each message to its publisher, whose bucket the rate limit of 9.2 takes from.
          allowPublishToZeroTopicPeers: true,
          emitSelf: false,
          floodPublish: true,
          heartbeatInterval: 500,
          // The sync protocol, not gossip history, serves late joiners.
          scoreParams: loopback ? { IPColocationFactorWeight: 0, behaviourPenaltyWeight: -1 } : {},
          scoreThresholds: { gossipThreshold: -100, publishThreshold: -200, graylistThreshold: -400 },
          // Duplicates (each record reaches a peer over several mesh links) are dropped on sight, before gossipsub
          // verifies their transport signature: without this every copy was verified (26% of the CPU at 20 peers).
          fastMsgIdFn: gossipDuplicateKey,
          // Records are at most 64 KiB; one gossip frame carries at most a few of them.
          maxInboundDataLength: 4 * MAX_RECORD_BYTES,
        }),
      },
    });
    gated = created;
    await created.handle(syncProtocol(network), (stream, connection) => serve(stream, connection, 'sync', answerSync), { maxInboundStreams: 32 });
    await created.handle(peersProtocol(network), (stream, connection) => serve(stream, connection, 'lookup', answerLookup), { maxInboundStreams: 8 });
    // Loaded before the node starts, so no identify heard meanwhile is overwritten by an older saved entry.
    await addressBook.load();
    if (!stopped) await created.start();
    if (stopped) {
      // stop() was called while the node was being created: it must not outlive the network object.
      await created.stop();
      return;
    }
    node = created;
    node.addEventListener('peer:connect', (event) => emit({ type: 'peer:connect', peer: event.detail.toString() }));
    node.addEventListener('peer:disconnect', (event) => emit({ type: 'peer:disconnect', peer: event.detail.toString() }));
    node.addEventListener('peer:identify', (event) => {
      const { peerId, protocols, listenAddrs } = event.detail;
      const id = peerId.toString();
      const networks = networksOfProtocols(protocols);
      if (networks.length === 0) return; // a bare libp2p peer: nothing to say about it
      // Any MINOR of this network's sync protocol on this MAJOR is a teammate (chapter 10).
      if (networks.some((theirs) => theirs.network === network && theirs.major === String(PROTOCOL_MAJOR))) {
        if (follows(id)) addressBook.remember(id, listenAddrs.map((address) => address.toString()));
        return;
      }
      const theirs = networks[0]!;
      // A peer of another team or version shares no topic and no record: connected, it only looked like a teammate
      // (listed as a peer, while nothing flowed and both sides reported converged). Said once per peer, then hung up.
      if (!otherNetworks.has(id)) {
        otherNetworks.add(id);
        if (otherNetworks.size > NETWORK_LIMITS.maxTrackedPeers) otherNetworks.delete(otherNetworks.values().next().value!);
        const what = theirs.major === String(PROTOCOL_MAJOR) ? `on network "${theirs.network}", not "${network}"` : `on protocol version ${theirs.major}, not ${PROTOCOL_MAJOR}`;
        logger.warn(`peer ${id} is ${what}: nothing is shared with it, so the connection is closed (check the network name both sides use)`);
        options.onOtherNetwork?.(id, theirs);
      }
      node?.hangUp(peerId).catch(() => undefined);
    });
    node.addEventListener('peer:discovery', (event) => {
      const info = event.detail;
      if (info.id.equals(selfId) || node === undefined || node.getConnections(info.id).length > 0) return;
      // Discovered peers are dialled (mDNS and bootstrap only announce them).
      node.dial(info.id, { signal: AbortSignal.timeout(10_000) }).catch(() => {});
    });
    listenOn(coordinationTopic(network));
    for (const topic of subscriptions) listenOn(topic);
    if (subscriptions.size > 0) scheduleReach(500);
    // Bootstrap addresses are dialled straight away, and again while this peer is not connected to them.
    checkBootstrap();
    if (bootstrapEntries.length > 0) {
      bootstrapTimer = setInterval(checkBootstrap, NETWORK_LIMITS.bootstrapRetryMs);
      bootstrapTimer.unref();
    }
    const addresses = api.addresses();
    // A relay-only peer has no address until its reservation is made.
    logger.info(`peer ${self} on network ${network} ${addresses.length > 0 ? `listening on ${addresses.join(' ')}` : 'listening only through a relay (no direct addresses yet)'}`);
  }

  const api: Libp2pPeerNetwork = {
    self,
    network,
    counters,

    start() {
      // A second start() while the first is in flight waits for it rather than creating a second node.
      starting ??= startNode().finally(() => (starting = undefined));
      return starting;
    },

    async stop() {
      stopped = true;
      // A start in flight finishes first (it sees `stopped` and stops its node, or its node is stopped below).
      await starting?.catch(() => undefined);
      if (lookupTimer !== undefined) clearTimeout(lookupTimer);
      lookupTimer = undefined;
      if (bootstrapTimer !== undefined) clearInterval(bootstrapTimer);
      bootstrapTimer = undefined;
      const current = node;
      node = undefined;
      if (current !== undefined) {
        // The followed teammates connected now, whose identify may still be on its way: a stop right after connecting
        // saved nothing of them (a flaky test), and the next start then had only the bootstrap peer to ask.
        await Promise.all(current.getPeers().filter((peer) => follows(peer.toString())).map((peer) => rememberFromPeerStore(current, peer)));
        await current.stop();
      }
      await addressBook.flush();
    },

    async publish(outgoing) {
      const unsigned = {
        version: PROTOCOL_VERSION,
        network,
        kind: outgoing.kind,
        author: self,
        sequence: outgoing.sequence,
        clock: outgoing.clock,
        issuedAt: outgoing.issuedAt,
        payload: outgoing.payload,
      } as UnsignedRecord;
      const record = await signRecord(unsigned, options.privateKey);
      const bytes = encodeJson(record);
      held.hold(record, record);
      if (node !== undefined) {
        counters.published++;
        if (record.kind === 'coordination') counters.publishedCoordination++;
        counters.publishedBytes += bytes.byteLength;
        try {
          await pubsub().publish(topicFor(network, record.kind, self), bytes);
        } catch (error) {
          // Nobody subscribed yet is not an error: the record is held and served to whoever syncs later.
          logger.warn(`publish ${record.kind}: ${(error as Error).message}`);
        }
      }
      return record as never;
    },

    subscribe(author, kind) {
      const topic = topicFor(network, kind, author);
      if (author === self || subscriptions.has(topic)) return;
      subscriptions.add(topic);
      held.revalue(author);
      if (node !== undefined) {
        listenOn(topic);
        scheduleReach(200);
        if (kind !== 'relationships') rememberIfConnected(author);
      }
    },

    unsubscribe(author, kind) {
      const topic = topicFor(network, kind, author);
      if (kind === 'coordination' || !subscriptions.delete(topic)) return;
      held.revalue(author);
      lastLookup.delete(topic.slice(topic.lastIndexOf('/') + 1));
      if (node !== undefined) {
        pubsub().unsubscribe(topic);
        pubsub().topicValidators.delete(topic);
        const topics = scoredTopics();
        if (topics !== undefined) delete topics[topic];
      }
    },

    async requestSync(authors, kinds, heldSequence) {
      if (node === undefined || authors.length === 0 || kinds.length === 0) return;
      // The authors themselves hold their latest records: ask them first, then other peers up to the bound, all at
      // once (asked in turn, an old record from the first peers asked ended the search: a review's probe got the
      // newest in 1 of 10 trials). What I hold already goes with the request (`have`), so that each answers only
      // what is newer (9.3): a restarted bootstrap peer took 183-243 records where about 41 were new.
      const wanted = new Set(authors);
      const connected = node.getPeers();
      // Others in random order, so that repeated syncs spread over the peers instead of asking the same ones.
      const peers = [...connected.filter((peer) => wanted.has(peer.toString())), ...sample(connected.filter((peer) => !wanted.has(peer.toString())), NETWORK_LIMITS.maxSyncPeers)].slice(0, NETWORK_LIMITS.maxSyncPeers);
      // What I hold *and serve*: a record the engine holds but this layer does not (evicted, or cached and not handed
      // over) is asked for again, so that I serve it to late joiners as well (a review's probe: after a restart, a
      // teammate's cached state was neither fetched nor served until its author published again).
      // My own records are held here as the engine publishes them, and those of its cache only once it republishes them
      // after the start's first connections: mine are what the engine says it holds.
      const serving =
        heldSequence === undefined ? undefined : (author: string, kind: RecordKind) => (author === self ? (heldSequence(author, kind) ?? 0) : Math.min(heldSequence(author, kind) ?? 0, held.get(kind, author)?.sequence ?? 0));
      // At most as many (author, kind) pairs per request as an answer carries records: a responder cuts an answer at
      // 512 records without saying which pairs it left out, so a larger request is split (9.3).
      const perRequest = Math.min(NETWORK_LIMITS.maxSyncAuthors, Math.max(1, Math.floor(NETWORK_LIMITS.maxSyncRecords / new Set(kinds).size)));
      const distinct = [...new Set(authors)];
      const chunks: string[][] = [];
      for (let start = 0; start < distinct.length; start += perRequest) chunks.push(distinct.slice(start, start + perRequest));
      // All at once: a silent peer then costs one deadline, not one per chunk; the exchanges open with one peer are
      // bounded by syncSlots all the same.
      await Promise.all(chunks.flatMap((asked) => {
        const have = serving === undefined ? undefined : haveOf(asked, kinds, serving);
        return peers.map((peer) => syncWith(peer, asked, kinds, have));
      }));
    },

    connectedPeers() {
      return node === undefined ? [] : node.getPeers().map((peer) => peer.toString());
    },

    async holdForSync(records) {
      for (const record of records) {
        if (record.author === self || record.network !== network) continue;
        // Verified again: a cached record is stored as this version read it, and one of a newer MINOR has lost the
        // members its signature covers; such a record is not held, and so is asked for again (requestSync's have).
        const verified = await verifyRecord(record);
        if (verified.ok) held.hold(verified.record, verified.raw);
      }
    },

    on(listener) {
      listeners.add(listener);
      return { dispose: () => listeners.delete(listener) } satisfies Disposable;
    },

    addresses() {
      return node === undefined ? [] : node.getMultiaddrs().map((address) => address.toString());
    },

    async dial(address) {
      if (node === undefined) throw new Error('the network is not started');
      await node.dial(multiaddr(address), { signal: AbortSignal.timeout(10_000) });
    },

    heldRecordCount() {
      return held.size;
    },

    scoreOf(peer) {
      // The implementation has getScore; the exported GossipSub interface does not declare it.
      return node === undefined ? 0 : ((pubsub() as unknown as { getScore?(peer: string): number }).getScore?.(peer) ?? 0);
    },

    trackedSizes() {
      return { lookups: lastLookup.size, scoredTopics: node === undefined ? 0 : Object.keys(scoredTopics() ?? {}).length };
    },
  };
  return api;
}

/**
 * The key gossipsub dedupes received messages by before validating them: the publisher and its sequence number, which
 * is also gossipsub's own message id under the signing policy used here; content-hashed for a message without them.
 */
function gossipDuplicateKey(message: { from?: Uint8Array; seqno?: Uint8Array; data?: Uint8Array }): string {
  if (message.from !== undefined && message.seqno !== undefined) return `${Buffer.from(message.from).toString('base64')}/${Buffer.from(message.seqno).toString('base64')}`;
  return `sha256:${createHash('sha256').update(message.data ?? new Uint8Array()).digest('base64')}`;
}

/** Up to `count` items in random order (partial Fisher-Yates on a copy). */
function sample<T>(items: readonly T[], count: number): T[] {
  const copy = [...items];
  const take = Math.min(count, copy.length);
  for (let index = 0; index < take; index++) {
    const pick = index + Math.floor(Math.random() * (copy.length - index));
    [copy[index], copy[pick]] = [copy[pick]!, copy[index]!];
  }
  return copy.slice(0, take);
}

/** For callers holding a peer id string: checks it is a libp2p peer id (throws otherwise). */
export function parsePeerId(text: string): string {
  return peerIdFromString(text).toString();
}

export type { OutgoingRecord };
