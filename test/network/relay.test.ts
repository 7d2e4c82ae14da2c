// Room: test (network). Circuit relay v2 on 127.0.0.1 (mDNS off, explicit bootstrap): a peer that cannot be dialled
// (it listens on no address of its own, as behind a NAT) is reached through a headless peer's relay, and records
// flow both ways over the relayed connection.
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { identify } from '@libp2p/identify';
import type { Libp2p } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import { createLibp2p } from 'libp2p';
import assert from 'node:assert/strict';
import type { NetworkEvent } from '../../src/engine/network.ts';
import { createLibp2pNetwork, type Libp2pPeerNetwork } from '../../src/network/index.ts';
import { state, waitFor } from './helpers.ts';

const NETWORK = 'relay-test';
const RELAY_WAIT_MS = 15_000;

describe('network: circuit relay v2', function () {
  this.timeout(60_000);
  const started: Libp2pPeerNetwork[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((node) => node.stop()));
  });

  async function peer(options: { listen: string[]; bootstrap?: string[]; relay?: boolean; network?: string }) {
    const net = createLibp2pNetwork({ network: NETWORK, privateKey: await generateKeyPair('Ed25519'), mdns: false, loopback: true, ...options });
    const events: NetworkEvent[] = [];
    net.on((event) => events.push(event));
    await net.start();
    started.push(net);
    return { net, events };
  }
  const stateNames = (events: readonly NetworkEvent[]) => events.flatMap((event) => (event.type === 'record' && event.record.kind === 'state' ? [event.record.payload.displayName] : []));

  it('reaches a peer without a dialable address through a headless relay, and gossips over the relayed connection', async () => {
    const relay = await peer({ listen: ['/ip4/127.0.0.1/tcp/0'], relay: true });
    // Behind the NAT: no listen address of its own, only a reservation on the relay.
    const hidden = await peer({ listen: ['/p2p-circuit'], bootstrap: relay.net.addresses() });
    await waitFor(() => hidden.net.addresses().some((address) => address.includes('/p2p-circuit')), 'a relay reservation', RELAY_WAIT_MS);
    const circuit = hidden.net.addresses().find((address) => address.includes('/p2p-circuit'))!;
    assert.ok(circuit.startsWith(relay.net.addresses()[0]!.split('/p2p/')[0]!), `the circuit address goes through the relay: ${circuit}`);
    assert.ok(!hidden.net.addresses().some((address) => /\/tcp\/\d+\/p2p\/[^/]+$/.test(address) && !address.includes('p2p-circuit')), 'no direct address');

    const outside = await peer({ listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: relay.net.addresses() });
    await waitFor(() => outside.net.connectedPeers().includes(relay.net.self), 'the outside peer to reach the relay', RELAY_WAIT_MS);
    // Following the hidden peer: the address lookup (asked of the relay) returns its circuit address, which is dialled.
    outside.net.subscribe(hidden.net.self, 'state');
    hidden.net.subscribe(outside.net.self, 'state');
    await waitFor(() => outside.net.connectedPeers().includes(hidden.net.self), 'a relayed connection to the hidden peer', RELAY_WAIT_MS);

    await hidden.net.publish(state(1, hidden.net.self, 'from behind the NAT'));
    await outside.net.publish(state(1, outside.net.self, 'from outside'));
    // Gossip may need the mesh to form; publish again until both records crossed (bounded).
    for (let sequence = 2; sequence < 40 && !(stateNames(outside.events).includes('from behind the NAT') && stateNames(hidden.events).includes('from outside')); sequence++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      await hidden.net.publish(state(sequence, hidden.net.self, 'from behind the NAT'));
      await outside.net.publish(state(sequence, outside.net.self, 'from outside'));
    }
    assert.ok(stateNames(outside.events).includes('from behind the NAT'));
    assert.ok(stateNames(hidden.events).includes('from outside'));
  });

  it('a one-way follower finds a relay-only peer through the relay\'s address lookup, and so does another relay-only peer (found by an operator pass)', async () => {
    const relay = await peer({ listen: ['/ip4/127.0.0.1/tcp/0'], relay: true });
    const hidden = await peer({ listen: ['/p2p-circuit'], bootstrap: relay.net.addresses() });
    const alsoHidden = await peer({ listen: ['/p2p-circuit'], bootstrap: relay.net.addresses() });
    const outside = await peer({ listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: relay.net.addresses() });
    for (const node of [hidden, alsoHidden]) await waitFor(() => node.net.addresses().some((address) => address.includes('/p2p-circuit')), 'a relay reservation', RELAY_WAIT_MS);
    await waitFor(() => outside.net.connectedPeers().includes(relay.net.self), 'the outside peer to reach the relay', RELAY_WAIT_MS);
    // Only the followers subscribe: the hidden peer does not dial them, so they must find its circuit address. The
    // relay learnt it only after the hidden peer's reservation, after the identify of their connection.
    outside.net.subscribe(hidden.net.self, 'state');
    alsoHidden.net.subscribe(hidden.net.self, 'state');
    await waitFor(() => outside.net.connectedPeers().includes(hidden.net.self), 'the outside follower to reach the hidden peer', RELAY_WAIT_MS);
    await waitFor(() => alsoHidden.net.connectedPeers().includes(hidden.net.self), 'a relay-only follower to reach the hidden peer', RELAY_WAIT_MS);
  });
});

describe('network: circuit relay v2 reservations', function () {
  this.timeout(60_000);
  const started: { stop(): unknown }[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map(async (node) => node.stop()));
  });

  /** A bare libp2p node (no Mutual protocols) asking the relay for a reservation at start; whether it got one. */
  async function outsider(relayAddress: string): Promise<boolean> {
    const node: Libp2p = await createLibp2p({
      start: false,
      privateKey: await generateKeyPair('Ed25519'),
      addresses: { listen: [`${relayAddress}/p2p-circuit`] },
      transports: [tcp(), circuitRelayTransport()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify() },
    });
    started.push(node);
    try {
      await node.start();
    } catch {
      // refused: its only listen address failed
    }
    return node.getMultiaddrs().some((address) => address.toString().includes('/p2p-circuit'));
  }

  it('grants a reservation only to a peer that completes a sync exchange of this network', async () => {
    const relay = createLibp2pNetwork({ network: NETWORK, privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, loopback: true, relay: true });
    started.push(relay);
    await relay.start();
    const relayAddress = relay.addresses()[0]!;
    // Bare libp2p peers (they do not speak this network's sync protocol) are refused, however many.
    const outsiders = await Promise.all(Array.from({ length: 6 }, () => outsider(relayAddress)));
    assert.deepEqual(outsiders, [false, false, false, false, false, false]);
    // So is a Mutual peer of another network; a teammate asking the same relay at start gets its reservation.
    const stranger = createLibp2pNetwork({ network: 'other-team', privateKey: await generateKeyPair('Ed25519'), listen: [`${relayAddress}/p2p-circuit`], mdns: false, loopback: true });
    started.push(stranger);
    try {
      await stranger.start();
    } catch {
      // refused on its only listen address: the node may not start at all
    }
    const teammate = createLibp2pNetwork({ network: NETWORK, privateKey: await generateKeyPair('Ed25519'), listen: [`${relayAddress}/p2p-circuit`], mdns: false, loopback: true });
    started.push(teammate);
    await teammate.start();
    await waitFor(() => teammate.addresses().some((address) => address.includes('/p2p-circuit')), 'the teammate\'s reservation', RELAY_WAIT_MS);
    assert.ok(!stranger.addresses().some((address) => address.includes('/p2p-circuit')), 'a peer of another network holds no reservation');
  });
});
