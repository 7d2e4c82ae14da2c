// Room: test (network). Bounds of the sync and address-lookup exchanges and of the gossip rate limit, against bare
// libp2p peers that stall, hold streams open, answer with too much or redirect dials (spec 9.2-9.5). Real nodes on
// 127.0.0.1, mDNS off, every node stopped after each test.
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { PrivateKey, Stream } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import assert from 'node:assert/strict';
import type { NetworkEvent } from '../../src/engine/network.ts';
import { coordinationTopic, createLibp2pNetwork, NETWORK_LIMITS, peersProtocol, syncProtocol, topicFor, type Libp2pPeerNetwork } from '../../src/network/index.ts';
import { canonicalJson, encodeJson } from '../../src/protocol/encoding.ts';
import type { SignedRecord } from '../../src/protocol/schemas.ts';
import { signingBytes, signRecord, toBase64Url, verifyRecordBytes } from '../../src/protocol/signature.ts';
import { startAttacker, startRawPeer, type Attacker } from './attacker.ts';
import { sleep, waitFor } from './helpers.ts';

const NETWORK = 'bounds-team';
const NEWLINE = Uint8Array.of(0x0a);

const records = (events: readonly NetworkEvent[]) => events.flatMap((event) => (event.type === 'record' ? [event.record] : []));
const rejections = (events: readonly NetworkEvent[]) => events.flatMap((event) => (event.type === 'rejected' ? [event.reason] : []));

/** A record signed by `key` (its author): state, or coordination of round `sequence`. */
async function signed(key: PrivateKey, kind: 'state' | 'coordination', sequence = 1): Promise<SignedRecord> {
  const author = peerIdFromPrivateKey(key).toString();
  const now = new Date().toISOString();
  const payload = kind === 'state' ? { displayName: `author ${sequence}`, capacities: [], needs: [] } : { round: sequence, phase: 5, clock: { [author]: sequence }, converged: false, phaseStartedAt: now, updatedAt: now };
  return signRecord({ version: '1.0', network: NETWORK, kind, author, sequence, clock: { [author]: sequence }, issuedAt: now, payload } as never, key);
}

/** Reads a stream to its end (or its reset), bounded by the test's timeout. */
async function drain(stream: Stream): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk instanceof Uint8Array ? chunk : chunk.subarray());
  } catch {
    // reset by the other side: what came so far
  }
  return Buffer.concat(chunks);
}

describe('network: exchange bounds', function () {
  this.timeout(60_000);
  const started: { stop(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((node) => node.stop()));
  });

  async function peer(bootstrap: readonly string[] = [], maxHeldRecords?: number): Promise<{ net: Libp2pPeerNetwork; events: NetworkEvent[] }> {
    const net = createLibp2pNetwork({ network: NETWORK, privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, loopback: true, bootstrap, ...(maxHeldRecords === undefined ? {} : { maxHeldRecords }) });
    const events: NetworkEvent[] = [];
    net.on((event) => events.push(event));
    started.push(net);
    await net.start();
    return { net, events };
  }
  async function rawPeer() {
    const raw = await startRawPeer();
    started.push(raw);
    return raw;
  }

  it('a silent responder: requestSync settles by the deadline, and a stuck lookup does not keep a followed author unreached', async () => {
    const victim = await peer();
    const silent = await rawPeer();
    // Reads the request, then never answers nor closes.
    const hang = async (stream: Stream) => void (await drain(stream));
    await silent.node.handle(syncProtocol(NETWORK), hang);
    await silent.node.handle(peersProtocol(NETWORK), hang);
    await silent.node.dial(multiaddr(victim.net.addresses()[0]!));
    await waitFor(() => victim.net.connectedPeers().includes(silent.id), 'the silent peer connected');

    // 700 authors of 4 kinds go out in 6 requests (at most 512 pairs each): asked one after the other, a silent
    // responder cost one deadline each; asked at once, one in all.
    const many = [silent.id, ...Array.from({ length: 699 }, (_, index) => `peer${index}`)];
    const settled = await Promise.race([victim.net.requestSync(many, ['state', 'relationships', 'results', 'coordination']).then(() => true), sleep(NETWORK_LIMITS.syncTimeoutMs + 2_000).then(() => false)]);
    assert.equal(settled, true, 'requestSync to a silent responder settles within the sync deadline');
    assert.ok(victim.net.counters.timedOut >= 1 && victim.net.counters.rejected === 0, `a stall is counted as timed out, not rejected: ${JSON.stringify(victim.net.counters)}`);

    // The victim follows A while only the silent peer is connected (that lookup stalls), then H, which knows A, connects.
    const a = await peer();
    const h = await peer(a.net.addresses());
    await waitFor(() => h.net.connectedPeers().includes(a.net.self), 'H connected to A');
    victim.net.subscribe(a.net.self, 'state');
    await sleep(1_000);
    await victim.net.dial(h.net.addresses()[0]!);
    await waitFor(() => victim.net.connectedPeers().includes(a.net.self), 'the followed author reached through H', 15_000);
  });

  it('identify text from a remote peer: another MINOR of this network\'s sync is a teammate; junk names are no network, never logged or shown (found by a review)', async () => {
    const warnings: string[] = [];
    const told: string[] = [];
    const victim = createLibp2pNetwork({ network: NETWORK, privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, loopback: true, logger: { info() {}, warn: (message) => warnings.push(message) }, onOtherNetwork: (_peer, theirs) => told.push(theirs.network) });
    started.push(victim);
    await victim.start();
    const answerNothing = async (stream: Stream) => void (await drain(stream));
    const minor = await rawPeer();
    // Listed after another MAJOR's: any of its sync protocols on this network and MAJOR makes it a teammate.
    await minor.node.handle(`/mutual/2/${NETWORK}/sync/1.0.0`, answerNothing);
    await minor.node.handle(`/mutual/1/${NETWORK}/sync/1.1.0`, answerNothing);
    const junk = await rawPeer();
    await junk.node.handle('/mutual/1/evil\n2026 warn forged line [Fix](command:workbench.action.quickOpen)/sync/1.0.0', answerNothing);
    for (const raw of [minor, junk]) await raw.node.dial(multiaddr(victim.addresses()[0]!));
    await sleep(1500);
    assert.ok(victim.connectedPeers().includes(minor.id), 'a peer of another MINOR of this network stays connected');
    assert.ok(victim.connectedPeers().includes(junk.id), 'a junk name reads as a bare libp2p peer: not hung up on');
    assert.deepEqual(told, []);
    assert.deepEqual(warnings.filter((warning) => warning.includes('is on')), []);
  });

  it('a request closed before its first byte (the requester stopped) is closed in return, not counted as rejected input; a cut one is', async () => {
    const victim = await peer();
    const address = multiaddr(victim.net.addresses()[0]!);
    // Stopping between opening the stream and writing: libp2p closes the stream gracefully, so the responder reads an
    // empty request. Before, every such stop counted as rejected input (3 per churn bench run).
    const stopping = await startRawPeer();
    await stopping.node.dialProtocol(address, syncProtocol(NETWORK));
    await stopping.stop();
    const closing = await rawPeer();
    await (await closing.node.dialProtocol(address, peersProtocol(NETWORK))).close();
    await waitFor(() => victim.net.counters.abandoned === 2, 'both empty requests seen', 4_000);
    assert.equal(victim.net.counters.rejected, 0, rejections(victim.events).join('\n'));
    // A request cut inside its JSON is still malformed input.
    const cut = await closing.node.dialProtocol(address, syncProtocol(NETWORK));
    cut.send(new TextEncoder().encode('{"network":"bounds-te'));
    await cut.close();
    await waitFor(() => victim.net.counters.rejected === 1, 'the cut request rejected', 4_000);
    assert.match(rejections(victim.events).join('\n'), /sync: input is not valid JSON/);
  });

  it('sync: every peer is asked at once with what I hold (have), answers only newer records, and an old answer hides no newer one', async () => {
    const victim = await peer();
    const author = await generateKeyPair('Ed25519');
    const authorId = peerIdFromPrivateKey(author).toString();
    const versions = [encodeJson(await signed(author, 'state', 1)), encodeJson(await signed(author, 'state', 2))];
    // Four peers holding the author's state (the author is not connected); each answers as a responder of spec 9.3
    // would, given the sequence it holds, and keeps the requests it got.
    const holding = [1, 1, 1, 2];
    const requests: { have?: { state?: number[] } }[][] = [[], [], [], []];
    for (let index = 0; index < 4; index++) {
      const raw = await rawPeer();
      await raw.node.handle(syncProtocol(NETWORK), async (stream: Stream) => {
        const request = JSON.parse(new TextDecoder().decode(await drain(stream))) as { have?: { state?: number[] } };
        requests[index]!.push(request);
        if (holding[index]! > (request.have?.state?.[0] ?? 0)) stream.send(Buffer.concat([versions[holding[index]! - 1]!, NEWLINE]));
        await stream.close();
      });
      await raw.node.dial(multiaddr(victim.net.addresses()[0]!));
      await waitFor(() => victim.net.connectedPeers().includes(raw.id), 'holder connected');
    }
    // Three answer the old record, one the newest: asked in turn, the first old answer ended the search (a review's
    // probe got the newest in 1 of 10 trials); asked at once, the newest always arrives.
    await victim.net.requestSync([authorId], ['state'], () => undefined);
    assert.ok(records(victim.events).some((record) => record.sequence === 2), JSON.stringify(records(victim.events).map((record) => record.sequence)));
    assert.deepEqual(requests.map((got) => got.map((request) => request.have)), [[{ state: [0] }], [{ state: [0] }], [{ state: [0] }], [{ state: [0] }]]);
    // Holding sequence 2, the requester says so and nobody sends anything.
    const received = victim.net.counters.syncRecordsReceived;
    await victim.net.requestSync([authorId], ['state'], (asked, kind) => (asked === authorId && kind === 'state' ? 2 : undefined));
    assert.deepEqual(requests.map((got) => got.at(-1)?.have), [{ state: [2] }, { state: [2] }, { state: [2] }, { state: [2] }]);
    assert.equal(victim.net.counters.syncRecordsReceived, received);
    assert.equal(victim.net.counters.rejected, 0);
  });

  it('a sync response: a line too long is dropped unparsed and the lines after it still count', async () => {
    const victim = await peer();
    const raw = await rawPeer();
    const keys = await Promise.all(Array.from({ length: 3 }, () => generateKeyPair('Ed25519')));
    const ids = keys.map((key) => peerIdFromPrivateKey(key).toString());
    const lines = await Promise.all(keys.map(async (key) => encodeJson(await signed(key, 'state'))));
    await raw.node.handle(syncProtocol(NETWORK), async (stream: Stream) => {
      await drain(stream);
      // A responder whose bounds differ: one line of 70 KiB between two records, sent in parts so that the requester
      // holds more than a record's bound with no newline yet.
      const parts = [Buffer.concat([lines[0]!, NEWLINE]), new Uint8Array(35 * 1024).fill(0x20), new Uint8Array(35 * 1024).fill(0x20), Buffer.concat([NEWLINE, lines[1]!, NEWLINE, lines[2]!, NEWLINE])];
      for (const part of parts) {
        if (!stream.send(part)) await stream.onDrain();
        await sleep(50);
      }
      await stream.close();
    });
    await raw.node.dial(multiaddr(victim.net.addresses()[0]!));
    await waitFor(() => victim.net.connectedPeers().includes(raw.id), 'raw peer connected');
    await victim.net.requestSync(ids, ['state']);
    // Thrown before, the long line lost the whole response.
    assert.deepEqual(records(victim.events).map((record) => record.author).sort(), [...ids].sort());
    assert.match(rejections(victim.events).join('\n'), /a sync line larger than 65536 bytes, dropped unparsed/);
    assert.equal(victim.net.counters.rejected, 1);
  });

  it('a sync response past its record bound: the records before it count, the rest is not read', async () => {
    const victim = await peer();
    const raw = await rawPeer();
    const keys = await Promise.all(Array.from({ length: NETWORK_LIMITS.maxSyncRecords + 2 }, () => generateKeyPair('Ed25519')));
    const lines = await Promise.all(keys.map(async (key) => encodeJson(await signed(key, 'state'))));
    await raw.node.handle(syncProtocol(NETWORK), async (stream: Stream) => {
      await drain(stream);
      for (const line of lines) if (!stream.send(Buffer.concat([line, NEWLINE]))) await stream.onDrain();
      await stream.close().catch(() => undefined);
    });
    await raw.node.dial(multiaddr(victim.net.addresses()[0]!));
    await waitFor(() => victim.net.connectedPeers().includes(raw.id), 'raw peer connected');
    await victim.net.requestSync(keys.map((key) => peerIdFromPrivateKey(key).toString()), ['state']);
    await waitFor(() => records(victim.events).length >= NETWORK_LIMITS.maxSyncRecords, 'the records within the bound', 10_000);
    await sleep(300);
    assert.equal(records(victim.events).length, NETWORK_LIMITS.maxSyncRecords);
    assert.match(rejections(victim.events).join('\n'), new RegExp(`more than ${NETWORK_LIMITS.maxSyncRecords} records: the rest was not read`));
  });

  it('sync requests over the requester\'s rate are dropped and counted as rate limited, not as rejected input (spec 9.2)', async () => {
    const victim = await peer();
    const raw = await rawPeer();
    const address = multiaddr(victim.net.addresses()[0]!);
    for (let index = 0; index < 3 * NETWORK_LIMITS.rateBurst && victim.net.counters.rateLimited === 0; index++) {
      const stream = await raw.node.dialProtocol(address, syncProtocol(NETWORK));
      try {
        stream.send(encodeJson({ network: NETWORK, authors: [], kinds: [] }));
        await stream.close();
      } catch {
        // reset by the responder already (over the rate)
      }
      await drain(stream);
    }
    assert.ok(victim.net.counters.rateLimited > 0, 'the requests outran the rate');
    assert.equal(victim.net.counters.rejected, 0, rejections(victim.events).join('\n'));
  });

  it('a sync of more (author, kind) pairs than one answer carries is split, so that no pair is cut off unsaid (spec 9.3)', async () => {
    const victim = await peer();
    const raw = await rawPeer();
    const requests: { authors: string[]; kinds: string[] }[] = [];
    await raw.node.handle(syncProtocol(NETWORK), async (stream: Stream) => {
      requests.push(JSON.parse(new TextDecoder().decode(await drain(stream))) as { authors: string[]; kinds: string[] });
      await stream.close();
    }, { maxInboundStreams: 64 });
    await raw.node.dial(multiaddr(victim.net.addresses()[0]!));
    await waitFor(() => victim.net.connectedPeers().includes(raw.id), 'raw peer connected');
    const authors = Array.from({ length: 700 }, (_, index) => `peer${index}`);
    await victim.net.requestSync(authors, ['state', 'relationships', 'results', 'coordination']);
    // Before: one request of 700 x 4 pairs, whose answer a responder cuts at 512 records.
    assert.ok(requests.every((request) => request.authors.length * request.kinds.length <= NETWORK_LIMITS.maxSyncRecords), requests.map((request) => request.authors.length).join(', '));
    assert.deepEqual(requests.flatMap((request) => request.authors).sort(), [...authors].sort());
  });

  it('a requester keeps at most 8 sync exchanges open with one peer, so a responder resets none of them (spec 9.3)', async () => {
    const victim = await peer();
    const raw = await rawPeer();
    let open = 0;
    let most = 0;
    let answered = 0;
    await raw.node.handle(syncProtocol(NETWORK), async (stream: Stream) => {
      open++;
      most = Math.max(most, open);
      await drain(stream);
      await sleep(200);
      open--;
      answered++;
      await stream.close();
    }, { maxInboundStreams: 64 });
    await raw.node.dial(multiaddr(victim.net.addresses()[0]!));
    await waitFor(() => victim.net.connectedPeers().includes(raw.id), 'raw peer connected');
    // Twelve at once (repairs of four kinds, a connection, a subscription change): before, all twelve were opened and
    // a reference responder reset the four beyond its 8.
    await Promise.all(Array.from({ length: 12 }, () => victim.net.requestSync([raw.id], ['state'])));
    assert.equal(answered, 12);
    assert.ok(most <= 8, `open at once: ${most}`);
  });

  it('sync serves a newer MINOR\'s record as received, unknown members included, so its signature still verifies; unknown and repeated kinds are ignored', async () => {
    const holder = await peer();
    const author = await startAttacker(holder.net.addresses()[0]!, holder.net.self, coordinationTopic(NETWORK));
    started.push(author);
    const now = new Date().toISOString();
    const unsigned = { version: '1.7', network: NETWORK, kind: 'coordination', author: author.id, sequence: 5, clock: { [author.id]: 1 }, issuedAt: now, hint: 'new in 1.7', payload: { round: 1, phase: 5, clock: { [author.id]: 1 }, converged: false, phaseStartedAt: now, updatedAt: now, newMember: { a: 1 } } };
    const sent = { ...unsigned, signature: toBase64Url(await author.key.sign(signingBytes(unsigned))) };
    // Sent with 600 newlines of JSON whitespace (any equivalent text is allowed on the wire, spec 4): served as
    // received, they split the sync answer into 601 lines and cut off every record after it (found by a review).
    await author.send(new TextEncoder().encode(`{${'\n'.repeat(600)}${JSON.stringify(sent).slice(1)}`));
    await waitFor(() => records(holder.events).some((record) => record.author === author.id), 'the holder received the record');
    const raw = await rawPeer();
    const stream = await raw.node.dialProtocol(multiaddr(holder.net.addresses()[0]!), syncProtocol(NETWORK));
    // A later version may ask for kinds this one does not know, and name one twice.
    stream.send(encodeJson({ network: NETWORK, authors: [author.id], kinds: ['coordination', 'coordination', 'endorsement'] }));
    await stream.close();
    const lines = new TextDecoder().decode(await drain(stream)).split('\n').filter((line) => line !== '');
    assert.equal(lines.length, 1);
    // Served re-encoded from the parsed record, it had lost hint and newMember, and failed every requester's check;
    // now its canonical text (RFC 8785), which keeps them.
    assert.deepEqual(JSON.parse(lines[0]!), sent);
    assert.equal(lines[0], canonicalJson(sent));
    assert.equal((await verifyRecordBytes(new TextEncoder().encode(lines[0]!))).ok, true);
    assert.equal(holder.net.counters.rejected, 0);
  });

  it('sync: have says only what this peer also holds to serve; cached records handed over are served and not asked for again', async () => {
    const victim = await peer();
    const author = await generateKeyPair('Ed25519');
    const authorId = peerIdFromPrivateKey(author).toString();
    const cached = await signed(author, 'state', 7);
    const raw = await rawPeer();
    const haves: unknown[] = [];
    await raw.node.handle(syncProtocol(NETWORK), async (stream: Stream) => {
      haves.push((JSON.parse(new TextDecoder().decode(await drain(stream))) as { have?: unknown }).have);
      await stream.close();
    });
    await raw.node.dial(multiaddr(victim.net.addresses()[0]!));
    await waitFor(() => victim.net.connectedPeers().includes(raw.id), 'raw peer connected');
    const engineHolds = () => 7;
    // The engine holds sequence 7 (from its cache) but the network layer does not: asked again, so that it can serve it.
    await victim.net.requestSync([authorId], ['state'], engineHolds);
    assert.deepEqual(haves.at(-1), { state: [0] });
    // Handed over from the cache: held, served to a late joiner, and claimed in have.
    await victim.net.holdForSync([cached]);
    await victim.net.requestSync([authorId], ['state'], engineHolds);
    assert.deepEqual(haves.at(-1), { state: [7] });
    const asking = await raw.node.dialProtocol(multiaddr(victim.net.addresses()[0]!), syncProtocol(NETWORK));
    asking.send(encodeJson({ network: NETWORK, authors: [authorId], kinds: ['state'] }));
    await asking.close();
    const served = new TextDecoder().decode(await drain(asking)).split('\n').filter((line) => line !== '');
    assert.deepEqual(served.map((line) => (JSON.parse(line) as SignedRecord).sequence), [7]);
    // A cached record that no longer verifies (stored as read, a newer MINOR's members lost) is not held.
    await victim.net.holdForSync([{ ...(await signed(author, 'state', 8)), sequence: 9 }]);
    await victim.net.requestSync([authorId], ['state'], () => 9);
    assert.deepEqual(haves.at(-1), { state: [7] });
  });

  it('sync responder: leaves out what the requester holds (have, aligned with authors), and answers everything without it', async () => {
    const holder = await peer();
    const teammate = await peer([holder.net.addresses()[0]!]);
    await waitFor(() => holder.net.connectedPeers().includes(teammate.net.self), 'the teammate connected');
    holder.net.subscribe(teammate.net.self, 'state');
    await sleep(1200);
    for (let sequence = 1; sequence <= 3; sequence++) await teammate.net.publish({ kind: 'state' as const, sequence, clock: { [teammate.net.self]: sequence }, issuedAt: new Date().toISOString(), payload: { displayName: `v${sequence}`, capacities: [], needs: [] } });
    await waitFor(() => records(holder.events).some((record) => record.sequence === 3), 'the holder has sequence 3');
    await teammate.net.stop();
    const raw = await rawPeer();
    const ask = async (request: unknown): Promise<number[]> => {
      const stream = await raw.node.dialProtocol(multiaddr(holder.net.addresses()[0]!), syncProtocol(NETWORK));
      stream.send(encodeJson(request));
      await stream.close();
      const text = new TextDecoder().decode(await drain(stream));
      return text.split('\n').filter((line) => line !== '').map((line) => (JSON.parse(line) as SignedRecord).sequence);
    };
    const other = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString();
    const base = { network: NETWORK, authors: [other, teammate.net.self], kinds: ['state'] };
    assert.deepEqual(await ask(base), [3], 'no have: everything held');
    assert.deepEqual(await ask({ ...base, have: { state: [0, 2] } }), [3], 'older held: the newer one');
    assert.deepEqual(await ask({ ...base, have: { state: [0, 3] } }), [], 'the same held: nothing');
    assert.deepEqual(await ask({ ...base, have: { results: [0, 3] } }), [3], 'a have of another kind leaves this one whole');
    assert.equal(holder.net.counters.rejected, 0);
    await ask({ ...base, have: { state: [-1, 3] } });
    assert.equal(holder.net.counters.rejected, 1, 'a malformed have is a malformed request');
  });

  it('a request that never closes: the responder caps concurrent serves per connection and aborts held ones by the deadline', async () => {
    const victim = await peer();
    const raw = await rawPeer();
    const address = multiaddr(victim.net.addresses()[0]!);
    const held: Stream[] = [];
    for (let index = 0; index < 8; index++) {
      const stream = await raw.node.dialProtocol(address, syncProtocol(NETWORK));
      stream.send(new Uint8Array(1024).fill(0x20));
      held.push(stream);
    }
    await sleep(300);
    const ninth = await raw.node.dialProtocol(address, syncProtocol(NETWORK));
    await waitFor(() => ninth.status !== 'open', 'the ninth concurrent request on one connection refused', 2_000);
    assert.ok(held.every((stream) => stream.status === 'open'), 'the first eight are served (held) meanwhile');
    await waitFor(() => held.every((stream) => stream.status !== 'open'), 'held requests aborted by the responder', NETWORK_LIMITS.syncTimeoutMs + 3_000);
    // Abandoned at the deadline: counted as timed out, not as rejected input (a loaded honest peer stalls too).
    assert.ok(victim.net.counters.timedOut >= 8, `timed out: ${victim.net.counters.timedOut}`);
    assert.doesNotMatch(rejections(victim.events).join('\n'), /within 5000 ms/);
  });

  it('a hub relaying more than the per-peer rate from others is not blamed; over-limit messages are ignored, not rejected', async () => {
    const hub = await peer();
    const victim = await peer(hub.net.addresses());
    await waitFor(() => victim.net.connectedPeers().includes(hub.net.self), 'victim connected to the hub');
    const topic = coordinationTopic(NETWORK);
    const outsiders = [await startAttacker(hub.net.addresses()[0]!, hub.net.self, topic), await startAttacker(hub.net.addresses()[0]!, hub.net.self, topic)];
    started.push(...outsiders);
    await sleep(1_500); // the hub and the victim graft each other on the coordination topic
    // Each outsider stays within its own limit at the hub (150 < burst 200); the hub forwards 300 to the victim at once.
    const batches = await Promise.all(outsiders.map(async (outsider) => Promise.all(Array.from({ length: 150 }, (_, index) => signed(outsider.key, 'coordination', index + 1)))));
    await Promise.all(outsiders.map((outsider, index) => Promise.all(batches[index]!.map((record) => outsider.send(encodeJson(record))))));
    await waitFor(() => records(victim.events).length >= 300, 'all 300 relayed records at the victim', 10_000);
    assert.equal(victim.net.counters.rateLimited, 0);
    assert.ok(victim.net.scoreOf(hub.net.self) >= 0, `the hub's score at the victim is ${victim.net.scoreOf(hub.net.self)}`);

    // One publisher over its own limit, straight to the victim: the excess is dropped (ignored), never scored as invalid.
    const flooder = await startAttacker(victim.net.addresses()[0]!, victim.net.self, topic);
    started.push(flooder);
    const flood = await Promise.all(Array.from({ length: 400 }, (_, index) => signed(flooder.key, 'coordination', index + 1)));
    const rejectedBefore = victim.net.counters.rejected;
    await Promise.all(flood.map((record) => flooder.send(encodeJson(record))));
    await waitFor(() => victim.net.counters.rateLimited > 0, 'the flood rate limited');
    await sleep(500);
    assert.equal(victim.net.counters.rejected, rejectedBefore, 'rate-limited messages are not counted as rejected');
    assert.ok(victim.net.scoreOf(flooder.id) >= 0, `a rate-limited publisher is not scored down (${victim.net.scoreOf(flooder.id)})`);
  });

  it('a sync response of 400 honest records is delivered whole (one token per exchange)', async () => {
    const victim = await peer();
    const responder = await rawPeer();
    const keys = await Promise.all(Array.from({ length: 400 }, () => generateKeyPair('Ed25519')));
    const lines = await Promise.all(keys.map(async (key) => encodeJson(await signed(key, 'state'))));
    await responder.node.handle(syncProtocol(NETWORK), async (stream: Stream) => {
      await drain(stream);
      for (const line of lines) {
        if (!stream.send(line)) await stream.onDrain();
        if (!stream.send(NEWLINE)) await stream.onDrain();
      }
      await stream.close();
    });
    await responder.node.dial(multiaddr(victim.net.addresses()[0]!));
    await waitFor(() => victim.net.connectedPeers().includes(responder.id), 'responder connected');
    await victim.net.requestSync(keys.map((key) => peerIdFromPrivateKey(key).toString()), ['state']);
    await waitFor(() => records(victim.events).length >= 400, 'all 400 records', 5_000);
    assert.equal(victim.net.counters.rateLimited, 0);
  });

  it('stop() while start() is in flight leaves no node running', async () => {
    const net = createLibp2pNetwork({ network: NETWORK, privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, loopback: true });
    started.push(net);
    const starting = net.start();
    await net.stop();
    await starting;
    assert.deepEqual(net.addresses(), []);
    assert.deepEqual(net.connectedPeers(), []);
  });

  it('a looked-up address is bound to the wanted peer: an address naming another peer is not dialled', async () => {
    const victim = await peer();
    const wanted = await peer();
    const other = await rawPeer();
    let otherConnections = 0;
    other.node.addEventListener('connection:open', () => otherConnections++);
    const liar = await rawPeer();
    // Answers for the wanted author with another peer's full address first, then the wanted one's without /p2p/.
    const direct = wanted.net.addresses()[0]!.replace(/\/p2p\/[^/]+$/, '');
    assert.match(other.address, /\/p2p\//);
    await liar.node.handle(peersProtocol(NETWORK), async (stream: Stream) => {
      await drain(stream);
      stream.send(encodeJson({ peers: [{ id: wanted.net.self, addresses: [other.address, direct] }] }));
      await stream.close();
    });
    await liar.node.dial(multiaddr(victim.net.addresses()[0]!));
    await waitFor(() => victim.net.connectedPeers().includes(liar.id), 'liar connected');
    victim.net.subscribe(wanted.net.self, 'state');
    await waitFor(() => victim.net.connectedPeers().includes(wanted.net.self), 'the wanted author dialled at its own address', 10_000);
    assert.equal(otherConnections, 0, 'the peer the lookup named instead was never dialled');
  });

  it('sync: a request repeating (author, kind) is answered once; lines the requester did not ask for are dropped', async () => {
    const victim = await peer();
    await victim.net.publish({ kind: 'state', sequence: 1, clock: { [victim.net.self]: 1 }, issuedAt: new Date().toISOString(), payload: { displayName: 'v', capacities: [], needs: [] } });
    const raw = await rawPeer();
    const stream = await raw.node.dialProtocol(multiaddr(victim.net.addresses()[0]!), syncProtocol(NETWORK));
    stream.send(encodeJson({ network: NETWORK, authors: Array(100).fill(victim.net.self), kinds: ['state', 'state', 'state', 'state'] }));
    await stream.close();
    const response = await drain(stream);
    assert.equal(response.filter((byte) => byte === 0x0a).length, 1, 'one line for one distinct (author, kind)');

    // A responder that adds a record nobody asked for (and repeats the one asked for).
    const asked = await generateKeyPair('Ed25519');
    const unasked = await generateKeyPair('Ed25519');
    const lines = [encodeJson(await signed(asked, 'state')), encodeJson(await signed(unasked, 'state')), encodeJson(await signed(asked, 'state', 2))];
    await raw.node.handle(syncProtocol(NETWORK), async (incoming: Stream) => {
      await drain(incoming);
      for (const line of lines) incoming.send(Buffer.concat([line, NEWLINE]));
      await incoming.close();
    });
    await waitFor(() => victim.net.connectedPeers().includes(raw.id), 'raw peer connected');
    await victim.net.requestSync([peerIdFromPrivateKey(asked).toString()], ['state']);
    await waitFor(() => rejections(victim.events).length >= 2, 'two dropped lines');
    assert.deepEqual(records(victim.events).map((record) => [record.author, record.sequence]), [[peerIdFromPrivateKey(asked).toString(), 1]]);
  });

  it('forgets lookups and topic score parameters of authors no longer followed', async () => {
    const victim = await peer();
    const authors = await Promise.all(Array.from({ length: 5 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()));
    const before = victim.net.trackedSizes();
    for (const author of authors) victim.net.subscribe(author, 'state');
    await waitFor(() => victim.net.trackedSizes().lookups === 5, 'lookups of the five authors');
    assert.equal(victim.net.trackedSizes().scoredTopics, before.scoredTopics + 5);
    for (const author of authors) victim.net.unsubscribe(author, 'state');
    assert.equal(victim.net.trackedSizes().scoredTopics, before.scoredTopics);
    await waitFor(() => victim.net.trackedSizes().lookups === 0, 'lookups forgotten', 3 * NETWORK_LIMITS.lookupRetryMs);
  });

  it('a flood of junk authors filling the store does not push out a followed teammate, and replays stay dropped', async function () {
    this.timeout(120_000);
    // A store of 300 instead of 4096: the same rules, filled by two bursts (the full-size flood of 6,000 records
    // overloaded a 2-core machine: dials timed out in 1 of 3 runs).
    const HELD = 300;
    const victim = await peer([], HELD);
    const teammate = await peer(victim.net.addresses());
    await waitFor(() => victim.net.connectedPeers().includes(teammate.net.self), 'the teammate to connect');
    victim.net.subscribe(teammate.net.self, 'state');

    // Enough attackers that one burst each fills the store; a burst is under the publisher's bucket (200), so none is
    // rate limited.
    const PER_BURST = 190;
    const attackers: Attacker[] = [];
    const bursts = Math.ceil(HELD / PER_BURST) + 1;
    for (let index = 0; index < bursts; index++) {
      const attacker = await startAttacker(victim.net.addresses()[0]!, victim.net.self, coordinationTopic(NETWORK));
      started.push(attacker);
      attackers.push(attacker);
    }
    const flood = async (count: number): Promise<SignedRecord[][]> => {
      const sent = await Promise.all(attackers.slice(0, count).map(async () => Promise.all(Array.from({ length: PER_BURST }, async () => signed(await generateKeyPair('Ed25519'), 'coordination')))));
      await Promise.all(attackers.slice(0, count).map((attacker, index) => Promise.all(sent[index]!.map((record) => attacker.send(encodeJson(record))))));
      return sent;
    };
    await flood(bursts);
    await waitFor(() => victim.net.heldRecordCount() >= HELD, 'the junk to fill the store', 30_000);

    // The teammate publishes after the store is full; the victim follows it and receives it.
    const published: SignedRecord[] = [];
    for (let sequence = 1; sequence <= 20 && !records(victim.events).some((record) => record.author === teammate.net.self && record.sequence >= 2); sequence++) {
      published.push(await teammate.net.publish({ kind: 'state' as const, sequence, clock: { [teammate.net.self]: sequence }, issuedAt: new Date().toISOString(), payload: { displayName: 'teammate', capacities: [], needs: [] } }));
      await sleep(300);
    }
    assert.ok(records(victim.events).some((record) => record.author === teammate.net.self), 'the victim received the teammate\'s state');

    // More junk after it (the buckets refilled): the store churns, the followed teammate stays.
    await sleep(2100);
    const second = await flood(bursts);
    await sleep(1500);
    assert.ok(victim.net.heldRecordCount() <= HELD);

    // Replays, by fresh attackers (the flooding ones may have been disconnected by the load on loopback), of a held
    // author's older record (stale) and of the latest junk (held or evicted: a copy of what is held or was last seen)
    // reach nothing.
    const replayer = await startAttacker(victim.net.addresses()[0]!, victim.net.self, topicFor(NETWORK, 'state', teammate.net.self));
    started.push(replayer);
    const junkReplayer = await startAttacker(victim.net.addresses()[0]!, victim.net.self, coordinationTopic(NETWORK));
    started.push(junkReplayer);
    const { stale, received } = victim.net.counters;
    const seen = records(victim.events).length;
    await replayer.send(encodeJson(published[0]!));
    // The latest junk: held, or evicted and still remembered (a store remembers as many evicted keys as it holds).
    await Promise.all(second.at(-1)!.slice(0, 50).map((record) => junkReplayer.send(encodeJson(record))));
    await waitFor(() => victim.net.counters.received >= received + 51, 'the replays to arrive', 10_000);
    await sleep(500);
    assert.equal(records(victim.events).length, seen, 'no replay reached the engine');
    assert.ok(victim.net.counters.stale > stale, 'the teammate\'s old record counted as stale');

    // A late joiner syncing the teammate's state from the victim (the teammate itself gone) gets it.
    await teammate.net.stop();
    const late = await peer(victim.net.addresses());
    await waitFor(() => late.net.connectedPeers().includes(victim.net.self), 'the late joiner to connect');
    await late.net.requestSync([teammate.net.self], ['state']);
    const synced = records(late.events).filter((record) => record.author === teammate.net.self);
    assert.equal(synced.length, 1, 'the late joiner got the teammate\'s state from the victim');
    assert.equal(synced[0]!.sequence, published.at(-1)!.sequence);
  });
});
