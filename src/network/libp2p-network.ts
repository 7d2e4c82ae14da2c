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
import { identify } from '@libp2p/identify';
import type { Libp2p, PeerId as Libp2pPeerId, PrivateKey, Stream } from '@libp2p/interface';
import { mdns } from '@libp2p/mdns';
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id';
import { tcp } from '@libp2p/tcp';
import { webSockets } from '@libp2p/websockets';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { createHash } from 'node:crypto';
import type { Disposable, NetworkEvent, OutgoingRecord, PeerNetwork } from '../engine/network.ts';
import { encodeJson, decodeJson, DecodeError } from '../protocol/encoding.ts';
import { MAX_RECORD_BYTES, PROTOCOL_VERSION } from '../protocol/limits.ts';
import { NetworkName, PeerId, RecordKind, type SignedRecord } from '../protocol/schemas.ts';
import { signRecord, verifyRecordBytes, type UnsignedRecord } from '../protocol/signature.ts';
import { coordinationTopic, NETWORK_LIMITS, parseTopic, peersProtocol, syncProtocol, topicFor } from './names.ts';
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
}

export interface NetworkCounters {
  published: number;
  publishedBytes: number;
  received: number;
  receivedBytes: number;
  rejected: number;
  /** Records older than one held (a late relay, a slow sync, or a replay): dropped, not held against the sender. */
  stale: number;
  rateLimited: number;
  syncRequestsServed: number;
  syncRecordsReceived: number;
}

export interface Libp2pPeerNetwork extends PeerNetwork {
  /** Addresses this peer listens on, with /p2p/<id>, once started. */
  addresses(): string[];
  readonly network: string;
  readonly counters: Readonly<NetworkCounters>;
  /** Dials a multiaddr (with /p2p/<id>); for tests and manual joins. */
  dial(address: string): Promise<void>;
  /** How many (author, kind) records are held for sync; bounded by NETWORK_LIMITS.maxHeldRecords. */
  heldRecordCount(): number;
  /** The gossipsub score this peer gives another (negative after invalid messages); 0 when unknown or stopped. */
  scoreOf(peer: string): number;
}

const silentLogger: NetworkLogger = { info() {}, warn() {} };

const SyncRequest = z.object({
  network: NetworkName,
  authors: z.array(PeerId).max(NETWORK_LIMITS.maxSyncAuthors),
  kinds: z.array(RecordKind).max(4),
});

const LookupRequest = z.object({ peers: z.array(PeerId).max(NETWORK_LIMITS.maxLookupPeers) });
const LookupResponse = z.object({
  peers: z.array(z.object({ id: PeerId, addresses: z.array(z.string().max(512)).max(NETWORK_LIMITS.maxAddressesPerPeer) })).max(NETWORK_LIMITS.maxLookupPeers),
});

interface Bucket {
  tokens: number;
  updatedAt: number;
  lastLoggedAt: number;
  invalid: number;
}

const NEWLINE = 0x0a;

export function createLibp2pNetwork(options: Libp2pNetworkOptions): Libp2pPeerNetwork {
  const network = NetworkName.parse(options.network);
  const logger = options.logger ?? silentLogger;
  const selfId = peerIdFromPrivateKey(options.privateKey);
  const self = selfId.toString();
  const listeners = new Set<(event: NetworkEvent) => void>();
  const subscriptions = new Set<string>();
  /** Latest verified record per `${kind}/${author}` (my own included): what the sync protocol answers with. */
  const held = new Map<string, SignedRecord>();
  /** Per-peer token bucket and log throttle; insertion order = age, so the oldest is evicted when full. */
  const buckets = new Map<string, Bucket>();
  const counters: NetworkCounters = { published: 0, publishedBytes: 0, received: 0, receivedBytes: 0, rejected: 0, stale: 0, rateLimited: 0, syncRequestsServed: 0, syncRecordsReceived: 0 };
  let node: Libp2p<{ pubsub: GossipSub }> | undefined;
  let stopped = false;

  function emit(event: NetworkEvent): void {
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (error) {
        logger.warn(`network listener failed: ${(error as Error).message}`);
      }
    }
  }

  function bucketOf(peer: string): Bucket {
    let bucket = buckets.get(peer);
    if (bucket === undefined) {
      if (buckets.size >= NETWORK_LIMITS.maxTrackedPeers) buckets.delete(buckets.keys().next().value!);
      bucket = { tokens: NETWORK_LIMITS.rateBurst, updatedAt: Date.now(), lastLoggedAt: 0, invalid: 0 };
      buckets.set(peer, bucket);
    }
    return bucket;
  }

  /** Token bucket: true when the peer may send one more message now. */
  function takeToken(peer: string): boolean {
    const bucket = bucketOf(peer);
    const now = Date.now();
    bucket.tokens = Math.min(NETWORK_LIMITS.rateBurst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * NETWORK_LIMITS.ratePerSecond);
    bucket.updatedAt = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Counts every rejection; logs at most once per peer per minute; tells the engine. */
  function reject(from: string | undefined, reason: string): void {
    counters.rejected++;
    if (from !== undefined) {
      const bucket = bucketOf(from);
      bucket.invalid++;
      const now = Date.now();
      if (now - bucket.lastLoggedAt >= NETWORK_LIMITS.logIntervalMs) {
        bucket.lastLoggedAt = now;
        logger.warn(`rejected input from ${from} (${bucket.invalid} so far): ${reason}`);
      }
    } else {
      logger.warn(`rejected input: ${reason}`);
    }
    emit({ type: 'rejected', from, reason });
  }

  /** Keeps the latest record per (author, kind) for sync: higher sequence wins; equal sequence, greater signature. */
  function hold(record: SignedRecord): 'newer' | 'old' | 'duplicate' {
    const key = `${record.kind}/${record.author}`;
    const current = held.get(key);
    if (current !== undefined) {
      // The same record again (gossip and sync both brought it) is normal, not misbehaviour.
      if (record.sequence === current.sequence && record.signature === current.signature) return 'duplicate';
      if (record.sequence < current.sequence) return 'old';
      if (record.sequence === current.sequence && record.signature <= current.signature) return 'old';
    } else if (held.size >= NETWORK_LIMITS.maxHeldRecords && record.author !== self) {
      // Full: still deliver (the engine's stores have their own bounds) but do not keep it for sync.
      return 'newer';
    }
    held.set(key, record);
    return 'newer';
  }

  /**
   * The boundary for one record's bytes from `from`. Returns the verdict for gossipsub: reject lowers the sender's
   * score, ignore drops silently (a stale record relayed late is not misbehaviour).
   */
  async function accept(bytes: Uint8Array, from: string, expected: { kind: RecordKind; author: string | undefined } | undefined): Promise<TopicValidatorResult> {
    counters.received++;
    counters.receivedBytes += bytes.byteLength;
    if (!takeToken(from)) {
      counters.rateLimited++;
      reject(from, 'rate limit exceeded');
      return TopicValidatorResult.Reject;
    }
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
    if (expected !== undefined && (record.kind !== expected.kind || (expected.author !== undefined && record.author !== expected.author))) {
      reject(from, `a ${record.kind} record of ${record.author} on the topic of ${expected.kind} of ${expected.author ?? 'everyone'}`);
      return TopicValidatorResult.Reject;
    }
    if (record.author === self) return TopicValidatorResult.Ignore;
    const holding = hold(record);
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

  /** Scores rejected messages on a topic (gossipsub counts them per topic only where topic params exist). */
  function scoreTopic(topic: string): void {
    const score = (pubsub() as unknown as { score?: { params?: PeerScoreParams } }).score;
    if (score?.params === undefined || score.params.topics[topic] !== undefined) return;
    score.params.topics[topic] = createTopicScoreParams({
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
    gossip.topicValidators.set(topic, (peer: Libp2pPeerId, message) => accept(message.data, peer.toString(), expected));
    gossip.subscribe(topic);
  }

  async function serveSync(stream: Stream, remote: string): Promise<void> {
    try {
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of stream) {
        const bytes = chunk instanceof Uint8Array ? chunk : chunk.subarray();
        size += bytes.byteLength;
        if (size > NETWORK_LIMITS.maxSyncRequestBytes) throw new DecodeError('sync request too large');
        chunks.push(bytes);
      }
      if (!takeToken(remote)) {
        counters.rateLimited++;
        throw new DecodeError('rate limit exceeded');
      }
      const raw = decodeJson(Buffer.concat(chunks), { maxBytes: NETWORK_LIMITS.maxSyncRequestBytes });
      const request = SyncRequest.safeParse(raw);
      if (!request.success || request.data.network !== network) throw new DecodeError('malformed sync request');
      counters.syncRequestsServed++;
      let count = 0;
      let bytes = 0;
      for (const kind of request.data.kinds) {
        for (const author of request.data.authors) {
          const record = held.get(`${kind}/${author}`);
          if (record === undefined) continue;
          const encoded = encodeJson(record);
          if (count + 1 > NETWORK_LIMITS.maxSyncRecords || bytes + encoded.byteLength + 1 > NETWORK_LIMITS.maxSyncBytes) break;
          count++;
          bytes += encoded.byteLength + 1;
          if (!stream.send(encoded)) await stream.onDrain();
          if (!stream.send(Uint8Array.of(NEWLINE))) await stream.onDrain();
        }
      }
      await stream.close();
    } catch (error) {
      if (error instanceof DecodeError) reject(remote, `sync: ${error.message}`);
      stream.abort(error as Error);
    }
  }

  async function syncWith(peer: Libp2pPeerId, authors: readonly string[], kinds: readonly RecordKind[]): Promise<void> {
    if (node === undefined) return;
    const signal = AbortSignal.timeout(NETWORK_LIMITS.syncTimeoutMs);
    const remote = peer.toString();
    let stream: Stream;
    try {
      stream = await node.dialProtocol(peer, syncProtocol(network), { signal });
    } catch {
      return; // the peer does not speak our sync protocol (or is gone): nothing to learn from it
    }
    try {
      stream.send(encodeJson({ network, authors: authors.slice(0, NETWORK_LIMITS.maxSyncAuthors), kinds }));
      await stream.close({ signal });
      let pending: Uint8Array = new Uint8Array(0);
      let total = 0;
      let count = 0;
      const lines: Uint8Array[] = [];
      for await (const chunk of stream) {
        const bytes = chunk instanceof Uint8Array ? chunk : chunk.subarray();
        total += bytes.byteLength;
        if (total > NETWORK_LIMITS.maxSyncBytes) throw new DecodeError(`sync response larger than ${NETWORK_LIMITS.maxSyncBytes} bytes`);
        pending = pending.byteLength === 0 ? bytes : Buffer.concat([pending, bytes]);
        let newline: number;
        while ((newline = pending.indexOf(NEWLINE)) >= 0) {
          lines.push(pending.subarray(0, newline));
          pending = pending.subarray(newline + 1);
          if (++count > NETWORK_LIMITS.maxSyncRecords) throw new DecodeError(`sync response has more than ${NETWORK_LIMITS.maxSyncRecords} records`);
        }
        // A line longer than a record can be is dropped before it is ever parsed.
        if (pending.byteLength > MAX_RECORD_BYTES) throw new DecodeError(`sync record larger than ${MAX_RECORD_BYTES} bytes`);
        if (signal.aborted) throw new DecodeError('sync response too slow');
      }
      if (pending.byteLength > 0) lines.push(pending);
      for (const line of lines) {
        counters.syncRecordsReceived++;
        const record = await accept(line, remote, undefined);
        void record;
      }
    } catch (error) {
      if (error instanceof DecodeError) reject(remote, `sync: ${error.message}`);
      stream.abort(error as Error);
    }
  }

  /** Reads a whole stream (the other side closes its write end), at most maxBytes. */
  async function readAll(stream: Stream, maxBytes: number): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of stream) {
      const bytes = chunk instanceof Uint8Array ? chunk : chunk.subarray();
      size += bytes.byteLength;
      if (size > maxBytes) throw new DecodeError(`message larger than ${maxBytes} bytes`);
      chunks.push(bytes);
    }
    return Buffer.concat(chunks);
  }

  /** Answers an address lookup from this node's peer store (addresses learnt through identify). */
  async function serveLookup(stream: Stream, remote: string): Promise<void> {
    try {
      if (!takeToken(remote)) {
        counters.rateLimited++;
        throw new DecodeError('rate limit exceeded');
      }
      const request = LookupRequest.safeParse(decodeJson(await readAll(stream, NETWORK_LIMITS.maxLookupBytes), { maxBytes: NETWORK_LIMITS.maxLookupBytes }));
      if (!request.success) throw new DecodeError('malformed address lookup');
      const peers = [];
      for (const id of request.data.peers) {
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
      await stream.close();
    } catch (error) {
      if (error instanceof DecodeError) reject(remote, `lookup: ${error.message}`);
      stream.abort(error as Error);
    }
  }

  const lastLookup = new Map<string, number>();
  let lookupTimer: NodeJS.Timeout | undefined;
  let bootstrapTimer: NodeJS.Timeout | undefined;
  let lookupRunning = false;
  /**
   * Gossipsub forwards a topic only through peers subscribed to it, so a subscriber must be connected to the author
   * (relationship-based topology). Authors I subscribe to but am not connected to are looked up at connected peers
   * and dialled.
   */
  async function reachAuthors(): Promise<void> {
    if (node === undefined || lookupRunning) return;
    lookupRunning = true;
    try {
      const connected = new Set(node.getPeers().map((peer) => peer.toString()));
      const now = Date.now();
      // Authors followed only for their relationships (to learn who recognizes me) are not dialled: that would connect
      // every peer to every other. An author that recognizes me follows my records and dials me itself, and its
      // relationships then arrive over that connection.
      const wanted = [...new Set([...subscriptions].map((topic) => parseTopic(network, topic)).filter((parsed) => parsed?.author !== undefined && parsed.kind !== 'relationships').map((parsed) => parsed!.author!))]
        .filter((author) => !connected.has(author) && now - (lastLookup.get(author) ?? 0) >= NETWORK_LIMITS.lookupRetryMs)
        .slice(0, NETWORK_LIMITS.maxLookupPeers);
      if (wanted.length === 0) return;
      for (const author of wanted) lastLookup.set(author, now);
      if (lastLookup.size > NETWORK_LIMITS.maxTrackedPeers) lastLookup.delete(lastLookup.keys().next().value!);
      const found = new Map<string, Set<string>>();
      // A random sample each time, so a retry can reach peers the previous attempt did not ask.
      for (const peer of sample(node.getPeers(), NETWORK_LIMITS.maxSyncPeers)) {
        try {
          const stream = await node.dialProtocol(peer, peersProtocol(network), { signal: AbortSignal.timeout(NETWORK_LIMITS.syncTimeoutMs) });
          stream.send(encodeJson({ peers: wanted }));
          await stream.close();
          const response = LookupResponse.safeParse(decodeJson(await readAll(stream, NETWORK_LIMITS.maxLookupBytes), { maxBytes: NETWORK_LIMITS.maxLookupBytes }));
          if (!response.success) {
            reject(peer.toString(), 'malformed address lookup response');
            continue;
          }
          for (const entry of response.data.peers) {
            if (!wanted.includes(entry.id)) continue;
            const set = found.get(entry.id) ?? new Set();
            for (const address of entry.addresses) set.add(address);
            found.set(entry.id, set);
          }
        } catch {
          // that peer does not help; ask the next
        }
        if (wanted.every((author) => found.has(author))) break;
      }
      await Promise.all(
        [...found].map(async ([id, addresses]) => {
          const target = peerIdFromString(id);
          if (node === undefined || node.getConnections(target).length > 0) return;
          for (const address of addresses) {
            try {
              const withId = address.includes('/p2p/') ? address : `${address}/p2p/${id}`;
              await node.dial(multiaddr(withId), { signal: AbortSignal.timeout(5_000) });
              return;
            } catch {
              // try the next address
            }
          }
        }),
      );
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

  function dialBootstrap(): void {
    for (const address of options.bootstrap ?? []) {
      node?.dial(multiaddr(address), { signal: AbortSignal.timeout(10_000) }).catch((error: Error) => logger.warn(`cannot dial ${address}: ${error.message}`));
    }
  }
  // A first bootstrap dial can fail (the bootstrap peer is still starting, or the host is busy) and neither libp2p's
  // bootstrap module nor its reconnect queue retries a peer never connected. A peer alone keeps trying, backing off.
  function scheduleBootstrapRetry(delayMs: number): void {
    if ((options.bootstrap?.length ?? 0) === 0 || node === undefined || bootstrapTimer !== undefined) return;
    bootstrapTimer = setTimeout(() => {
      bootstrapTimer = undefined;
      if (node === undefined) return;
      if (node.getConnections().length > 0) return scheduleBootstrapRetry(NETWORK_LIMITS.bootstrapRetryMs);
      dialBootstrap();
      scheduleBootstrapRetry(Math.min(delayMs * 2, NETWORK_LIMITS.bootstrapRetryMaxMs));
    }, delayMs);
    bootstrapTimer.unref();
  }

  const api: Libp2pPeerNetwork = {
    self,
    network,
    counters,

    async start() {
      if (node !== undefined || stopped) return;
      const listen = options.listen ?? ['/ip4/0.0.0.0/tcp/0', '/ip4/0.0.0.0/tcp/0/ws'];
      const peerDiscovery = [];
      if ((options.bootstrap?.length ?? 0) > 0) peerDiscovery.push(bootstrap({ list: [...options.bootstrap!], timeout: 0 }));
      if (options.mdns ?? true) peerDiscovery.push(mdns({ interval: 10_000 }));
      const loopback = options.loopback ?? false;
      node = await createLibp2p({
        privateKey: options.privateKey,
        addresses: { listen: [...listen] },
        transports: [tcp(), webSockets(), circuitRelayTransport()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        peerDiscovery,
        connectionManager: loopback ? { inboundConnectionThreshold: 10_000, maxIncomingPendingConnections: 256, maxConnections: 300 } : { maxConnections: 300 },
        services: {
          identify: identify(),
          // A team's headless peer relays its teammates' whole traffic (gossip and sync), not a 128 KiB / 2 min
          // hole-punching window: relayed connections get no data or time limit, and reservations are capped instead.
          ...(options.relay === true ? { relay: circuitRelayServer({ reservations: { applyDefaultLimit: false, maxReservations: NETWORK_LIMITS.maxRelayReservations } }) } : {}),
          pubsub: gossipsub({
            // Our records are signed at the application level; gossipsub's own signature binds the relaying hop.
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
      node.addEventListener('peer:connect', (event) => emit({ type: 'peer:connect', peer: event.detail.toString() }));
      node.addEventListener('peer:disconnect', (event) => emit({ type: 'peer:disconnect', peer: event.detail.toString() }));
      node.addEventListener('peer:discovery', (event) => {
        const info = event.detail;
        if (info.id.equals(selfId) || node === undefined || node.getConnections(info.id).length > 0) return;
        // Discovered peers are dialled (mDNS and bootstrap only announce them).
        node.dial(info.id, { signal: AbortSignal.timeout(10_000) }).catch(() => {});
      });
      await node.handle(syncProtocol(network), (stream, connection) => serveSync(stream, connection.remotePeer.toString()), { maxInboundStreams: 32 });
      await node.handle(peersProtocol(network), (stream, connection) => serveLookup(stream, connection.remotePeer.toString()), { maxInboundStreams: 8 });
      listenOn(coordinationTopic(network));
      for (const topic of subscriptions) listenOn(topic);
      if (subscriptions.size > 0) scheduleReach(500);
      // Bootstrap addresses are dialled straight away, and again while this peer is connected to nobody.
      dialBootstrap();
      scheduleBootstrapRetry(NETWORK_LIMITS.bootstrapRetryMs);
      const addresses = api.addresses();
      // A relay-only peer has no address until its reservation is made.
      logger.info(`peer ${self} on network ${network} ${addresses.length > 0 ? `listening on ${addresses.join(' ')}` : 'listening only through a relay (no direct addresses yet)'}`);
    },

    async stop() {
      stopped = true;
      if (lookupTimer !== undefined) clearTimeout(lookupTimer);
      lookupTimer = undefined;
      if (bootstrapTimer !== undefined) clearTimeout(bootstrapTimer);
      bootstrapTimer = undefined;
      const current = node;
      node = undefined;
      if (current !== undefined) await current.stop();
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
      hold(record);
      if (node !== undefined) {
        const bytes = encodeJson(record);
        counters.published++;
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
      if (node !== undefined) {
        listenOn(topic);
        scheduleReach(200);
      }
    },

    unsubscribe(author, kind) {
      const topic = topicFor(network, kind, author);
      if (kind === 'coordination' || !subscriptions.delete(topic)) return;
      if (node !== undefined) {
        pubsub().unsubscribe(topic);
        pubsub().topicValidators.delete(topic);
      }
    },

    async requestSync(authors, kinds) {
      if (node === undefined || authors.length === 0 || kinds.length === 0) return;
      // The authors themselves hold their latest records: ask them first, then other peers up to the bound.
      const wanted = new Set(authors);
      const connected = node.getPeers();
      // Others in random order, so that repeated syncs spread over the peers instead of asking the same ones.
      const peers = [...connected.filter((peer) => wanted.has(peer.toString())), ...sample(connected.filter((peer) => !wanted.has(peer.toString())), NETWORK_LIMITS.maxSyncPeers)].slice(0, NETWORK_LIMITS.maxSyncPeers);
      await Promise.all(peers.map((peer) => syncWith(peer, authors, kinds)));
    },

    connectedPeers() {
      return node === undefined ? [] : node.getPeers().map((peer) => peer.toString());
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
