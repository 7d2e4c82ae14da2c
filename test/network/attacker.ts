// Room: test support (network). An attacker that speaks raw gossipsub on Mutual's topics with no application checks:
// it dials a victim on 127.0.0.1, subscribes to a topic and publishes whatever bytes a test gives it.
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { gossipsub, type GossipSub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { Libp2p, PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';

export interface Attacker {
  readonly id: string;
  readonly key: PrivateKey;
  /** Publishes raw bytes on the topic (errors ignored: a flood does not wait for anyone). */
  send(bytes: Uint8Array): Promise<void>;
  stop(): Promise<void>;
}

/** Dials the victim, subscribes to `topic` and waits (bounded) until the victim is a subscriber it can publish to. */
export async function startAttacker(victimAddress: string, victimId: string, topic: string, timeoutMs = 15_000): Promise<Attacker> {
  const key = await generateKeyPair('Ed25519');
  const node: Libp2p<{ pubsub: GossipSub }> = await createLibp2p({
    privateKey: key,
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, floodPublish: true, heartbeatInterval: 500 }) },
  });
  await node.dial(multiaddr(victimAddress));
  node.services.pubsub.subscribe(topic);
  const deadline = Date.now() + timeoutMs;
  while (!node.services.pubsub.getSubscribers(topic).some((peer) => peer.toString() === victimId)) {
    if (Date.now() > deadline) {
      await node.stop();
      throw new Error(`the victim ${victimId} did not show up as a subscriber of ${topic} within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    id: peerIdFromPrivateKey(key).toString(),
    key,
    send: async (bytes) => {
      await node.services.pubsub.publish(topic, bytes).catch(() => undefined);
    },
    stop: async () => {
      await node.stop();
    },
  };
}

/** A bare libp2p node on 127.0.0.1 (no Mutual checks): it registers raw stream handlers and dials as a test wants. */
export async function startRawPeer(): Promise<{ node: Libp2p; id: string; address: string; stop(): Promise<void> }> {
  const node = await createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { inboundConnectionThreshold: 10_000, maxIncomingPendingConnections: 256 },
    services: { identify: identify() },
  });
  return {
    node,
    id: node.peerId.toString(),
    address: node.getMultiaddrs()[0]!.toString(),
    stop: async () => {
      await node.stop();
    },
  };
}
