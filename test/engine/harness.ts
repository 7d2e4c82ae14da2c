// Room: test support (engine). Engines over the in-memory network on a virtual clock, and a bounded settle loop.
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { createEngine, MemoryNetworkHub, memoryStorage, VirtualScheduler, type Engine, type EngineConfig, type EngineStorage, type MemoryNetworkOptions, type MemoryPeerNetwork } from '../../src/engine/index.ts';

export const flushMicrotasks = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function testKey(index: number) {
  const seed = new Uint8Array(32);
  new DataView(seed.buffer).setUint32(0, index + 1);
  seed[31] = 0x74;
  return generateKeyPairFromSeed('Ed25519', seed);
}

export class TestNetwork {
  readonly scheduler = new VirtualScheduler();
  readonly hub: MemoryNetworkHub;
  readonly engines: Engine[] = [];
  readonly networks: MemoryPeerNetwork[] = [];
  readonly storages: EngineStorage[] = [];

  constructor(options: Omit<MemoryNetworkOptions, 'scheduler'> = {}) {
    this.hub = new MemoryNetworkHub({ scheduler: this.scheduler, ...options });
  }

  async addEngine(index: number, options: { storage?: EngineStorage; config?: Partial<EngineConfig> } = {}): Promise<Engine> {
    const network = await this.hub.createPeer(await testKey(index));
    const storage = options.storage ?? memoryStorage();
    const engine = createEngine({ network, storage, scheduler: this.scheduler, config: options.config });
    this.engines.push(engine);
    this.networks.push(network);
    this.storages.push(storage);
    await engine.start();
    return engine;
  }

  /** Advances virtual time in 10 ms steps until `done` holds or `limitMs` of virtual time has passed. */
  async settle(done: () => boolean, limitMs = 60_000): Promise<number> {
    const start = this.scheduler.now();
    while (this.scheduler.now() - start < limitMs) {
      this.scheduler.advance(10);
      await flushMicrotasks();
      if (done()) return this.scheduler.now() - start;
    }
    throw new Error(`not settled within ${limitMs} ms of virtual time`);
  }

  allConverged(engines: readonly Engine[] = this.engines): boolean {
    return engines.every((engine) => engine.phase.peek() === 9 && engine.subgroups.hasSystemConverged.peek());
  }
}
