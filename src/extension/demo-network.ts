// Room: extension (host side, no vscode import). May touch: engine (in-memory network), protocol, the sample team,
// @libp2p/crypto, node:crypto.
// The in-process demo network: the embedded sample team (four teammates with capacities, needs and recognition)
// runs as real engines on the engine's in-memory network, and this VS Code's peer joins them. It lets a new user see
// allocations converge without any other machine or any listening socket.
import { createHash } from 'node:crypto';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { createEngine, MemoryNetworkHub, memoryStorage, realScheduler, type Engine, type EngineConfig } from '../engine/index.ts';
import type { PeerId } from '../protocol/schemas.ts';
import { Scenario } from '../protocol/schemas.ts';
import demoTeam from '../../examples/demo-team.json' with { type: 'json' };
import type { NetworkFactory } from './service.ts';

export const SAMPLE_TEAM: Scenario = Scenario.parse(demoTeam);

export function createDemoNetworkFactory(config: () => Partial<EngineConfig>): NetworkFactory {
  return async (privateKey: PrivateKey) => {
    const hub = new MemoryNetworkHub({ scheduler: realScheduler, seed: 1, latencyMs: [5, 20], networkName: 'mutual-demo' });
    const network = await hub.createPeer(privateKey);
    const teammates: Engine[] = [];
    // Fixed identities: the same teammates in every session, so the user's recognition of them stays meaningful and
    // no earlier session's teammates linger as strangers.
    const teammateNetworks = await Promise.all(SAMPLE_TEAM.participants.map(async (participant) => hub.createPeer(await teammateKey(participant.id))));
    const toPeer = new Map<string, PeerId>(SAMPLE_TEAM.participants.map((participant, index) => [participant.id, teammateNetworks[index]!.self]));
    // Teammates start once this peer's network is up, so they discover it like any other peer.
    const startTeammates = async () => {
      for (const [index, participant] of SAMPLE_TEAM.participants.entries()) {
        const engine = createEngine({ network: teammateNetworks[index]!, storage: memoryStorage(), config: config() });
        await engine.start();
        await engine.declareState({ displayName: participant.displayName ?? participant.id, capacities: participant.capacities, needs: participant.needs });
        const recognition: Record<string, number> = {};
        for (const [id, weight] of Object.entries(participant.recognition)) {
          const peer = toPeer.get(id);
          if (peer !== undefined) recognition[peer] = weight;
        }
        // Every teammate recognizes the newcomer a little, so the user is a mutual peer once they recognize back.
        recognition[network.self] = 1;
        await engine.setRecognition(recognition);
        teammates.push(engine);
      }
    };
    return {
      network,
      afterJoin: startTeammates,
      addresses: () => [`/memory/mutual-demo/p2p/${network.self}`],
      stop: async () => {
        await Promise.all(teammates.map((engine) => engine.stop()));
        await Promise.all(teammateNetworks.map((teammate) => teammate.stop()));
        await network.stop();
      },
    };
  };
}

/** A demo teammate's key, the same in every session (derived from its id in the sample team). */
function teammateKey(id: string): Promise<PrivateKey> {
  return generateKeyPairFromSeed('Ed25519', createHash('sha256').update(`mutual-demo/${id}`).digest());
}
