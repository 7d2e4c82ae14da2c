// Room: test (network). Circuit relay v2 on 127.0.0.1 (mDNS off, explicit bootstrap): a peer that cannot be dialled
// (it listens on no address of its own, as behind a NAT) is reached through a headless peer's relay, and records
// flow both ways over the relayed connection.
import { generateKeyPair } from '@libp2p/crypto/keys';
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

  async function peer(options: { listen: string[]; bootstrap?: string[]; relay?: boolean }) {
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
});
