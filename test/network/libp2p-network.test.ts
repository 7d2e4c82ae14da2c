// Room: test (network). Real libp2p nodes in this process on 127.0.0.1 (mDNS off, explicit dials): gossip on
// per-author topics, late-joiner sync, and the boundary defenses against a raw gossipsub attacker.
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import assert from 'node:assert/strict';
import type { NetworkEvent } from '../../src/engine/network.ts';
import { startAttacker, startRawPeer } from './attacker.ts';
import { ADDRESS_BOOK_KEY } from '../../src/network/address-book.ts';
import { coordinationTopic, createLibp2pNetwork, NETWORK_LIMITS, parseTopic, topicFor, type Libp2pPeerNetwork } from '../../src/network/index.ts';
import { memoryStorage } from '../../src/engine/index.ts';
import { encodeJson } from '../../src/protocol/encoding.ts';
import { signRecord } from '../../src/protocol/signature.ts';
import { sleep, state, waitFor } from './helpers.ts';

const NETWORK = 'test-team';

function coordination(sequence: number, author: string) {
  const now = new Date().toISOString();
  return { kind: 'coordination' as const, sequence, clock: { [author]: sequence }, issuedAt: now, payload: { round: sequence, phase: 5, clock: { [author]: sequence }, converged: false, phaseStartedAt: now, updatedAt: now } };
}

async function startPeer(bootstrap: readonly string[] = []): Promise<{ net: Libp2pPeerNetwork; events: NetworkEvent[] }> {
  const net = createLibp2pNetwork({ network: NETWORK, privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, loopback: true, bootstrap });
  const events: NetworkEvent[] = [];
  net.on((event) => events.push(event));
  await net.start();
  return { net, events };
}

const records = (events: readonly NetworkEvent[]) => events.flatMap((event) => (event.type === 'record' ? [event.record] : []));
const rejections = (events: readonly NetworkEvent[]) => events.flatMap((event) => (event.type === 'rejected' ? [event.reason] : []));

describe('network: topic names', () => {
  it('are versioned, scoped by the network, and parse back', () => {
    assert.equal(coordinationTopic('team'), '/mutual/1/team/coordination');
    assert.equal(topicFor('team', 'state', '12D3KooWabc'), '/mutual/1/team/state/12D3KooWabc');
    assert.deepEqual(parseTopic('team', '/mutual/1/team/results/12D3KooWabc'), { kind: 'results', author: '12D3KooWabc' });
    assert.deepEqual(parseTopic('team', '/mutual/1/team/coordination'), { kind: 'coordination', author: undefined });
    assert.equal(parseTopic('team', '/mutual/1/other/state/x'), undefined);
    assert.equal(parseTopic('team', '/mutual/1/team/state/x/y'), undefined);
  });
});

describe('network: libp2p on loopback', function () {
  this.timeout(60_000);
  const started: { stop(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((node) => node.stop()));
  });

  it('delivers verified records on per-author topics only to subscribers, and syncs a late joiner', async () => {
    const a = await startPeer();
    started.push(a.net);
    await a.net.publish(state(1, a.net.self, 'before anyone listened'));
    const b = await startPeer(a.net.addresses());
    started.push(b.net);
    const c = await startPeer(a.net.addresses());
    started.push(c.net);
    await waitFor(() => b.net.connectedPeers().includes(a.net.self) && c.net.connectedPeers().includes(a.net.self), 'connections');

    // Late joiner: what A published before B existed arrives through the sync protocol.
    b.net.subscribe(a.net.self, 'state');
    await b.net.requestSync([a.net.self], ['state']);
    await waitFor(() => records(b.events).some((record) => record.kind === 'state' && record.sequence === 1), 'sync');
    const synced = records(b.events).find((record) => record.kind === 'state')!;
    assert.equal(synced.author, a.net.self);
    assert.equal(synced.payload.displayName, 'before anyone listened');

    // Gossip: B subscribed to A's state, C did not.
    // Subscriptions travel to A with gossipsub's control messages.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await a.net.publish(state(2, a.net.self, 'gossiped'));
    await waitFor(() => records(b.events).some((record) => record.sequence === 2), 'gossip');
    assert.equal(records(c.events).filter((record) => record.kind === 'state').length, 0);

    // Coordination is one shared topic: everyone gets it.
    await a.net.publish(coordination(3, a.net.self));
    await waitFor(() => records(c.events).some((record) => record.kind === 'coordination'), 'coordination at C');
    await waitFor(() => records(b.events).some((record) => record.kind === 'coordination'), 'coordination at B');
  });

  it('peers dial a restarted bootstrap peer again, so a peer joining through it later reaches them (found by an operator pass)', async function () {
    this.timeout(90_000);
    const bootstrapKey = await generateKeyPair('Ed25519');
    const bootstrapPeer = (listen: string) => createLibp2pNetwork({ network: NETWORK, privateKey: bootstrapKey, listen: [listen], mdns: false, loopback: true });
    const first = bootstrapPeer('/ip4/127.0.0.1/tcp/0');
    started.push(first);
    await first.start();
    const address = first.addresses()[0]!;
    // Beside it, a bootstrap entry that never answers: its backoff (grown to 16-30 s below) must not slow the others'.
    const dead = `/ip4/127.0.0.1/tcp/1/p2p/${peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()}`;
    const b = await startPeer([address, dead]);
    started.push(b.net);
    const c = await startPeer([address, dead]);
    started.push(c.net);
    // B follows C, so B dials C: when the bootstrap peer goes, neither is left alone.
    b.net.subscribe(c.net.self, 'state');
    await waitFor(() => b.net.connectedPeers().includes(c.net.self) && c.net.connectedPeers().includes(first.self), 'B to reach C, C the bootstrap peer', 15_000);
    await sleep(16_000);
    await first.stop();
    const restarted = bootstrapPeer(address.split('/p2p/')[0]!);
    started.push(restarted);
    await restarted.start();
    await waitFor(() => restarted.connectedPeers().includes(b.net.self) && restarted.connectedPeers().includes(c.net.self), 'B and C to dial the restarted bootstrap peer within 6 s', 6_000);
    // A newcomer knows only the bootstrap peer, and finds C through its address lookup.
    const d = await startPeer([address]);
    started.push(d.net);
    d.net.subscribe(c.net.self, 'state');
    await waitFor(() => d.net.connectedPeers().includes(c.net.self), 'the newcomer to reach C', 15_000);
  });

  it('a restarted peer dials the teammates it follows where they last listened, while its bootstrap peer is down (found by a churn bench)', async function () {
    this.timeout(60_000);
    const bootstrapPeer = await startPeer();
    started.push(bootstrapPeer.net);
    const c = await startPeer(bootstrapPeer.net.addresses());
    started.push(c.net);
    const bKey = await generateKeyPair('Ed25519');
    const bStorage = memoryStorage();
    const startB = async () => {
      const net = createLibp2pNetwork({ network: NETWORK, privateKey: bKey, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, loopback: true, bootstrap: bootstrapPeer.net.addresses(), addressStorage: bStorage });
      started.push(net);
      await net.start();
      net.subscribe(c.net.self, 'state');
      return net;
    };
    const first = await startB();
    await waitFor(() => first.connectedPeers().includes(c.net.self), 'B to reach C through the bootstrap peer', 15_000);
    await first.stop();
    assert.ok(bStorage.data.has(ADDRESS_BOOK_KEY), 'the address book is saved when the network stops');
    await bootstrapPeer.net.stop();
    // On a new port, with nobody to ask: only the address book knows where C listens.
    const second = await startB();
    await waitFor(() => second.connectedPeers().includes(c.net.self), 'B to reach C from its address book', 15_000);
  });

  it('remembered addresses that no longer answer do not crowd out a lookup\'s fresh answer (found by a review)', async function () {
    this.timeout(60_000);
    const b = await startPeer();
    started.push(b.net);
    const c = await startPeer(b.net.addresses());
    started.push(c.net);
    await waitFor(() => c.net.connectedPeers().includes(b.net.self), 'C to know B');
    // A remembers 8 addresses of B where nothing listens any more (B restarted on new ports).
    const stale = Array.from({ length: 8 }, (_, index) => `/ip4/127.0.0.1/tcp/${index + 1}/p2p/${b.net.self}`);
    const a = createLibp2pNetwork({ network: NETWORK, privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, loopback: true, bootstrap: c.net.addresses(), addressStorage: memoryStorage({ [ADDRESS_BOOK_KEY]: [[b.net.self, stale]] }) });
    started.push(a);
    await a.start();
    await waitFor(() => a.connectedPeers().includes(c.net.self), 'A to reach C');
    a.subscribe(b.net.self, 'state');
    await waitFor(() => a.connectedPeers().includes(b.net.self), 'A to reach B through C\'s lookup answer', 15_000);
  });

  it('caps the inbound connections open from one address: throwaway identities on one host cannot take every slot (noticed in a network review)', async () => {
    const warnings: string[] = [];
    const logger = { info() {}, warn: (message: string) => warnings.push(message) };
    // Every test peer is on 127.0.0.1, so the cap (lifted on loopback setups) is set here to 3.
    const victim = createLibp2pNetwork({ network: NETWORK, privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, loopback: true, logger, maxInboundConnectionsPerHost: 3 });
    started.push(victim);
    await victim.start();
    const strangers = await Promise.all([1, 2, 3, 4, 5].map(() => startRawPeer()));
    try {
      // All at once: connections still upgrading count too (a burst of dials all passed one count of the open ones:
      // 8 open with a cap of 3; found by a review).
      const dials = await Promise.all(strangers.map((stranger) => stranger.node.dial(multiaddr(victim.addresses()[0]!), { signal: AbortSignal.timeout(5_000) }).then(() => 'connected', (error: Error) => error.name)));
      assert.equal(dials.filter((dial) => dial === 'connected').length, 3, dials.join(', '));
      // Denied by the gater: the socket is closed before the upgrade, which the dialler sees as a failed dial.
      await waitFor(() => victim.connectedPeers().length === 3, 'three connections held');
      await sleep(300);
      assert.equal(victim.connectedPeers().length, 3, `two were refused: ${dials.join(', ')}`);
      assert.equal(warnings.filter((warning) => warning.startsWith('refused inbound connections from 127.0.0.1: 3 are open from that address (at most 3')).length, 1, `said once: ${warnings.join(' | ')}`);
      // A slot freed is a slot again.
      const refused = strangers.filter((_, index) => dials[index] !== 'connected');
      await strangers[dials.indexOf('connected')]!.stop();
      await waitFor(() => victim.connectedPeers().length === 2, 'a stranger gone');
      await refused[0]!.node.dial(multiaddr(victim.addresses()[0]!), { signal: AbortSignal.timeout(5_000) });
      await waitFor(() => victim.connectedPeers().includes(refused[0]!.id), 'a refused stranger in the freed slot');
    } finally {
      await Promise.all(strangers.map((stranger) => stranger.stop()));
    }
  });

  it('a peer of another network is named in the log once and hung up on, not listed as a peer (found by an operator pass)', async () => {
    const warnings: string[] = [];
    const logger = { info() {}, warn: (message: string) => warnings.push(message) };
    const a = createLibp2pNetwork({ network: NETWORK, privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, loopback: true });
    started.push(a);
    await a.start();
    // A typo in the network name: it bootstraps through A, and keeps dialling A again (the bootstrap retry).
    const told: string[] = [];
    const typo = createLibp2pNetwork({ network: 'test-teem', privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, loopback: true, bootstrap: a.addresses(), logger, onOtherNetwork: (peer, theirs) => told.push(`${peer} ${theirs.major}/${theirs.network}`) });
    started.push(typo);
    await typo.start();
    await waitFor(() => warnings.some((warning) => warning.includes(`peer ${a.self} is on network "${NETWORK}", not "test-teem"`)), 'the warning about the other network');
    // The retries connect again for as long as identify takes; no connection is kept (sampled for 5 s).
    let connectedSamples = 0;
    for (let sample = 0; sample < 50; sample++) {
      if (a.connectedPeers().includes(typo.self) || typo.connectedPeers().includes(a.self)) connectedSamples++;
      await sleep(100);
    }
    assert.ok(connectedSamples <= 5, `connected in ${connectedSamples} of 50 samples`);
    assert.equal(warnings.filter((warning) => warning.includes(`peer ${a.self} is on`)).length, 1, `said once: ${warnings.join(' | ')}`);
    assert.deepEqual(told, [`${a.self} 1/${NETWORK}`], 'the extension is told once');
  });

  it('a peer restarted without its records gets its own newer ones back from a teammate, and only those (spec 8.3)', async () => {
    const key = await generateKeyPair('Ed25519');
    const teammate = await startPeer();
    started.push(teammate.net);
    const run = async () => {
      const net = createLibp2pNetwork({ network: NETWORK, privateKey: key, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, loopback: true, bootstrap: teammate.net.addresses() });
      const events: NetworkEvent[] = [];
      net.on((event) => events.push(event));
      started.push(net);
      await net.start();
      await waitFor(() => net.connectedPeers().includes(teammate.net.self) && teammate.net.connectedPeers().includes(net.self), 'connected to the teammate');
      return { net, events };
    };
    const first = await run();
    await first.net.publish(state(5, first.net.self, 'earlier run'));
    teammate.net.subscribe(first.net.self, 'state');
    await teammate.net.requestSync([first.net.self], ['state']);
    await waitFor(() => records(teammate.events).some((record) => record.sequence === 5), 'the teammate holds the earlier run\'s state');
    await first.net.stop();

    const again = await run();
    // Holding it already (the engine's cache): have names it for me, though this network layer has published nothing yet.
    await again.net.requestSync([again.net.self], ['state'], () => 5);
    assert.equal(again.net.counters.syncRecordsReceived, 0);
    // Holding nothing: my own record comes back, verified, for the engine to go on above it.
    await again.net.requestSync([again.net.self], ['state'], () => undefined);
    await waitFor(() => records(again.events).some((record) => record.author === again.net.self && record.sequence === 5), 'my own record back');
    const mine = records(again.events).find((record) => record.author === again.net.self);
    assert.equal(mine?.kind === 'state' ? mine.payload.displayName : undefined, 'earlier run');
    // Not the latest I published, when it comes back.
    await again.net.publish(state(6, again.net.self, 'this run'));
    await teammate.net.requestSync([again.net.self], ['state']);
    await waitFor(() => records(teammate.events).some((record) => record.sequence === 6), 'the teammate holds this run\'s state');
    const before = records(again.events).length;
    await again.net.requestSync([again.net.self], ['state'], () => undefined);
    assert.equal(again.net.counters.syncRecordsReceived, 2);
    assert.equal(records(again.events).length, before);
    assert.equal(again.net.counters.rejected, 0);
  });

  it('rejects forged, replayed, oversized and malformed records and a flood, and still delivers honest records', async () => {
    const victim = await startPeer();
    started.push(victim.net);
    const honest = await startPeer(victim.net.addresses());
    started.push(honest.net);

    // The attacker speaks raw gossipsub on our topics, with no application checks of its own.
    const topic = coordinationTopic(NETWORK);
    const attacker = await startAttacker(victim.net.addresses()[0]!, victim.net.self, topic);
    started.push(attacker);
    await waitFor(() => honest.net.connectedPeers().includes(victim.net.self), 'honest connection');
    const attackerId = attacker.id;
    const attackerKey = attacker.key;
    const send = (bytes: Uint8Array) => attacker.send(bytes);

    // Honest records 5 and 6, published by their author; then the attacker replays 5.
    const original = await honest.net.publish(coordination(5, honest.net.self));
    await honest.net.publish(coordination(6, honest.net.self));
    await waitFor(() => records(victim.events).some((record) => record.sequence === 6), 'honest records');
    await send(encodeJson(original));
    // Bad signature: one character of the honest record's signature changed.
    const flipped = original.signature[10] === 'A' ? 'B' : 'A';
    await send(encodeJson({ ...original, sequence: 16, signature: original.signature.slice(0, 10) + flipped + original.signature.slice(11) }));
    // Author different from signer: signed by the attacker's key, claiming to be the honest peer.
    const own = await signRecord({ version: '1.0', network: NETWORK, author: attackerId, ...coordination(7, attackerId) }, attackerKey);
    await send(encodeJson({ ...own, author: honest.net.self }));
    // Correctly signed, but for another team's network.
    await send(encodeJson(await signRecord({ version: '1.0', network: 'other-team', author: attackerId, ...coordination(9, attackerId) }, attackerKey)));
    // Oversized (dropped before parsing) and malformed bytes.
    await send(new Uint8Array(70 * 1024).fill(0x20));
    await send(new TextEncoder().encode('{"version":'));
    await waitFor(() => rejections(victim.events).length >= 6, 'six rejections');
    const reasons = rejections(victim.events).join('\n');
    assert.match(reasons, /stale or replayed/);
    assert.match(reasons, /signature does not verify/);
    assert.match(reasons, /larger than 65536/);
    assert.match(reasons, /network other-team/);
    assert.match(reasons, /not valid JSON|unexpected end|JSON/i);
    // Nothing the attacker sent became a record, and the invalid messages lowered its gossipsub score at the victim.
    assert.deepEqual(records(victim.events).map((record) => record.sequence), [5, 6]);
    await waitFor(() => victim.net.scoreOf(attackerId) < 0, 'the attacker\'s score to drop below 0');
    assert.equal(victim.net.scoreOf(honest.net.self) >= 0, true, 'the honest peer keeps a non-negative score');

    // A flood of 10,000 messages from one peer: rate limited, scored down, never stalls the victim.
    const before = process.memoryUsage().heapUsed;
    for (let index = 0; index < 10_000; index++) {
      void send(new TextEncoder().encode(`{"flood":${index}}`));
      if (index % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const counters = victim.net.counters;
    assert.ok(counters.rateLimited > 0 || counters.received < 10_000, 'the flood was cut short by the rate limit or the score');
    assert.equal(records(victim.events).filter((record) => record.author === attackerId).length, 0);
    assert.ok(victim.net.heldRecordCount() <= NETWORK_LIMITS.maxHeldRecords);
    const growthMiB = (process.memoryUsage().heapUsed - before) / 2 ** 20;
    assert.ok(growthMiB < 200, `heap grew by ${growthMiB.toFixed(1)} MiB`);

    // Honest traffic still flows to the victim after the flood.
    await honest.net.publish(coordination(8, honest.net.self));
    await waitFor(() => records(victim.events).some((record) => record.sequence === 8), 'honest record after the flood');
  });
});
