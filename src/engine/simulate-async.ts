// Room: engine. May touch: protocol, ./engine, ./memory-network, ./scheduler, ./store, @libp2p/crypto (keys).
// `mutual simulate --async`: one engine per scenario participant over the in-memory network, on a virtual clock.
// Same output format as the synchronous simulation.
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { summarizeResults } from '../protocol/allocation/index.ts';
import type { PeerId, Results, Scenario, SimulationResult, State } from '../protocol/schemas.ts';
import { createEngine, type Engine, type EngineConfig } from './engine.ts';
import { MemoryNetworkHub, type MemoryPeerNetwork } from './memory-network.ts';
import { VirtualScheduler } from './scheduler.ts';
import { memoryStorage } from './store.ts';

export interface AsyncSimulationOptions {
  readonly seed?: number;
  readonly latencyMs?: readonly [number, number];
  readonly loss?: number;
  readonly duplicate?: number;
  readonly epsilon?: number;
  /** Virtual time after which the run gives up (ms); default 120 s. */
  readonly maxVirtualMs?: number;
  readonly config?: Partial<EngineConfig>;
  /** Called after each step of virtual time (10 ms) during the run: how far it is (the CLI reports it on long runs). */
  readonly onProgress?: (progress: AsyncSimulationProgress) => void;
  /** Leave the engines running after convergence (benchmarks change a declaration and settle again); stop them with `stop()`. */
  readonly keepRunning?: boolean;
}

export interface AsyncSimulationProgress {
  readonly virtualMs: number;
  readonly maxVirtualMs: number;
  /** The highest round of any engine. */
  readonly round: number;
  /** Engines that say they converged, of all. */
  readonly converged: number;
  readonly engines: number;
}

export interface AsyncSimulation {
  readonly result: SimulationResult;
  readonly virtualMs: number;
  readonly engines: readonly Engine[];
  readonly networks: readonly MemoryPeerNetwork[];
  readonly scheduler: VirtualScheduler;
  /** Advances virtual time until every engine has converged again or `limitMs` more has passed; returns the time taken. */
  settle(limitMs: number): Promise<{ converged: boolean; virtualMs: number }>;
  stop(): Promise<void>;
}

const flushMicrotasks = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Deterministic key per participant: the seed and the index make the 32-byte Ed25519 seed. */
async function keyFor(seed: number, index: number) {
  const bytes = new Uint8Array(32);
  new DataView(bytes.buffer).setUint32(0, seed >>> 0);
  new DataView(bytes.buffer).setUint32(4, index >>> 0);
  bytes[8] = 0x6d; // 'm': keeps these keys apart from the conformance test key
  return generateKeyPairFromSeed('Ed25519', bytes);
}

export async function runAsyncSimulation(scenario: Scenario, options: AsyncSimulationOptions = {}): Promise<AsyncSimulation> {
  const scheduler = new VirtualScheduler();
  const hub = new MemoryNetworkHub({ scheduler, seed: options.seed ?? 1, latencyMs: options.latencyMs ?? [5, 20], loss: options.loss ?? 0, duplicate: options.duplicate ?? 0, networkName: 'simulation' });
  const networks = await Promise.all(scenario.participants.map(async (_, index) => hub.createPeer(await keyFor(options.seed ?? 1, index))));
  const toPeer = new Map<string, PeerId>(scenario.participants.map((participant, index) => [participant.id, networks[index]!.self]));
  const toScenario = new Map<PeerId, string>([...toPeer].map(([id, peer]) => [peer, id]));
  const engines = networks.map((network) => createEngine({ network, storage: memoryStorage(), scheduler, config: { epsilon: options.epsilon ?? 1e-6, ...options.config } }));

  for (const engine of engines) await engine.start();
  await flushMicrotasks();
  await Promise.all(
    scenario.participants.map(async (participant, index) => {
      const engine = engines[index]!;
      await engine.declareState({ displayName: participant.displayName ?? participant.id, capacities: participant.capacities, needs: participant.needs });
      const recognition: Record<string, number> = {};
      for (const [id, weight] of Object.entries(participant.recognition)) {
        const peer = toPeer.get(id);
        if (peer !== undefined) recognition[peer] = weight;
      }
      await engine.setRecognition(recognition);
    }),
  );

  const maxVirtualMs = options.maxVirtualMs ?? 120_000;
  const history: SimulationResult['history'] = [];
  const hasConverged = (engine: Engine) => engine.subgroups.hasSystemConverged.peek() && engine.phase.peek() === 9;
  const allConverged = () => engines.every(hasConverged);
  const step = 10;
  const settle = async (limitMs: number, onStep?: () => void) => {
    const start = scheduler.now();
    while (scheduler.now() - start < limitMs) {
      scheduler.advance(step);
      await flushMicrotasks();
      onStep?.();
      if (allConverged()) return { converged: true, virtualMs: scheduler.now() - start };
    }
    return { converged: false, virtualMs: scheduler.now() - start };
  };
  const recordHistory = () => {
    const round = Math.max(...engines.map((engine) => engine.round.peek()));
    if (history.length === 0 || history.at(-1)!.round < round) {
      let squares = 0;
      let maxDelta = 0;
      for (const engine of engines) {
        const mine = engine.stores.myResults.peek();
        if (mine === undefined) continue;
        squares += mine.metrics.residualNeedNorm ** 2;
        maxDelta = Math.max(maxDelta, mine.metrics.maxDelta);
      }
      history.push({ round: Math.max(1, round), residualNeedNorm: Math.sqrt(squares), maxDelta });
    }
  };
  const start = scheduler.now();
  const { onProgress } = options;
  const { converged } = await settle(maxVirtualMs, () => {
    recordHistory();
    onProgress?.({ virtualMs: scheduler.now() - start, maxVirtualMs, round: Math.max(...engines.map((engine) => engine.round.peek())), converged: engines.filter(hasConverged).length, engines: engines.length });
  });
  const virtualMs = scheduler.now();

  // Back to scenario ids.
  const states = new Map<PeerId, State>();
  const results = new Map<PeerId, Results>();
  engines.forEach((engine, index) => {
    const id = scenario.participants[index]!.id;
    const state = engine.stores.myState.peek();
    if (state !== undefined) states.set(id, state);
    const mine = engine.stores.myResults.peek();
    if (mine === undefined) return;
    const name = (peer: PeerId) => toScenario.get(peer) ?? peer;
    results.set(id, {
      ...mine,
      allocations: mine.allocations.map((entry) => ({ ...entry, recipient: name(entry.recipient) })),
      acceptance: mine.acceptance.map((entry) => ({ ...entry, provider: name(entry.provider) })),
    });
  });
  const stop = async () => {
    for (const engine of engines) await engine.stop();
  };
  if (options.keepRunning !== true) await stop();
  const relationships = new Map(scenario.participants.map((participant) => [participant.id, { recognition: participant.recognition }]));
  const summary = summarizeResults(states, results, history, converged, relationships);
  return { result: summary, virtualMs, engines, networks, scheduler, settle: (limitMs) => settle(limitMs), stop };
}

export async function simulateAsync(scenario: Scenario, options: AsyncSimulationOptions = {}): Promise<SimulationResult> {
  return (await runAsyncSimulation(scenario, options)).result;
}
