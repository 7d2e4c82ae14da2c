// Room: bench. `npm run bench -- engine` (or `node bench/engine.bench.ts 50`): engines over the in-memory network on a
// virtual clock (latency 5-20 ms, no loss). Prints, for 50 and 200 engines:
//   1. from the initial declarations to network convergence: virtual time, rounds, messages and bytes per peer,
//      recomputations per peer;
//   2. after convergence, one participant's change (a need grows by half, 20 times, at different participants):
//      virtual time and rounds until the network has converged again, messages, bytes and recomputations per peer
//      for that change, and how many peers stayed quiet (did not recompute at all).
// Figures only; nothing is asserted.
import { randomScenario } from './instances.ts';
import { runAsyncSimulation } from '../src/engine/index.ts';
import { compileNetwork, scenarioParticipants, SynchronousRun } from '../src/protocol/allocation/index.ts';

/** The same changes in synchronous rounds, warm-started from the converged state: how fast the algorithm itself settles. */
function synchronousWarmRounds(scenario: Parameters<typeof scenarioParticipants>[0], participants: number): number[] {
  const network = compileNetwork(scenarioParticipants(scenario));
  const run = new SynchronousRun(network, 1e-6);
  while (!run.step().converged && run.round < 60);
  const rounds: number[] = [];
  for (let change = 0; change < CHANGES; change++) {
    const owner = (change * 7919) % participants;
    const need = network.needOwner.findIndex((candidate) => candidate === owner);
    if (need < 0) continue;
    network.needDeclared[need] = network.needDeclared[need]! * 1.5;
    const start = run.round;
    while (!run.step().converged && run.round - start < 60);
    rounds.push(run.round - start);
  }
  return rounds;
}

const CHANGES = 20;

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

// `--jitter J` overrides the aggregation window jitter and `--phase-threshold T` the phase threshold (engine config;
// above 1 turns threshold advancement off), for an A/B of the same changes; `--seed S` picks another random network
// (default 11).
const flag = (name: string) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : undefined);
const jitter = flag('--jitter');
const threshold = flag('--phase-threshold');
const config = { ...(jitter === undefined ? {} : { aggregationWindowJitter: jitter }), ...(threshold === undefined ? {} : { phaseThreshold: threshold }) };
const seed = flag('--seed') ?? 11;
const sizes = process.argv.slice(2).filter((_, index, args) => !['--jitter', '--seed', '--phase-threshold'].includes(args[index - 1]!)).map(Number).filter((n) => n > 0);
for (const participants of sizes.length > 0 ? sizes : [50, 200]) {
  const scenario = randomScenario({ participants, edgesPerParticipant: 6 }, seed);
  const started = performance.now();
  const run = await runAsyncSimulation(scenario, { seed, maxVirtualMs: 120_000, keepRunning: true, config });
  const wallMs = performance.now() - started;
  const sent = run.networks.reduce((sum, network) => sum + network.traffic.messagesSent, 0);
  const bytes = run.networks.reduce((sum, network) => sum + network.traffic.bytesSent, 0);
  const recomputations = run.engines.map((engine) => engine.recomputations.peek());
  console.log(
    `${participants} engines, initial convergence: converged=${run.result.converged} virtual ${run.virtualMs} ms, rounds ${run.result.rounds}, ` +
      `per peer ${(sent / participants).toFixed(0)} messages, ${(bytes / participants / 1024).toFixed(1)} KiB, ` +
      `recomputations mean ${(recomputations.reduce((a, b) => a + b, 0) / participants).toFixed(1)} max ${Math.max(...recomputations)}; wall ${(wallMs / 1000).toFixed(1)} s`,
  );

  const changes: { virtualMs: number; converged: boolean; rounds: number; changedRounds: number; messages: number; kib: number; recomputeMean: number; recomputeMax: number; quiet: number }[] = [];
  for (let change = 0; change < CHANGES; change++) {
    // A participant with a need, spread over the network.
    const index = (change * 7919) % participants;
    const engine = run.engines[index]!;
    const state = engine.stores.myState.peek()!;
    if (state.needs.length === 0) continue;
    const before = {
      rounds: run.engines.map((each) => each.round.peek()),
      recomputations: run.engines.map((each) => each.recomputations.peek()),
      messages: run.networks.reduce((sum, network) => sum + network.traffic.messagesSent, 0),
      bytes: run.networks.reduce((sum, network) => sum + network.traffic.bytesSent, 0),
    };
    await engine.declareState({ ...state, needs: state.needs.map((need, position) => (position === 0 ? { ...need, quantity: need.quantity * 1.5 } : need)) });
    const settled = await run.settle(60_000);
    const recomputed = run.engines.map((each, position) => each.recomputations.peek() - before.recomputations[position]!);
    const roundsAdvanced = run.engines.map((each, position) => each.round.peek() - before.rounds[position]!);
    changes.push({
      virtualMs: settled.virtualMs,
      converged: settled.converged,
      rounds: Math.max(...roundsAdvanced),
      changedRounds: roundsAdvanced[index]!,
      messages: (run.networks.reduce((sum, network) => sum + network.traffic.messagesSent, 0) - before.messages) / participants,
      kib: (run.networks.reduce((sum, network) => sum + network.traffic.bytesSent, 0) - before.bytes) / participants / 1024,
      recomputeMean: recomputed.reduce((a, b) => a + b, 0) / participants,
      recomputeMax: Math.max(...recomputed),
      quiet: recomputed.filter((count) => count === 0).length,
    });
  }
  await run.stop();
  const pick = (key: keyof (typeof changes)[number]) => changes.map((entry) => Number(entry[key]));
  console.log(
    `${participants} engines, one change (${changes.length} changes, median / max): converged ${changes.filter((entry) => entry.converged).length}/${changes.length}, ` +
      `virtual ${quantile(pick('virtualMs'), 0.5)} / ${Math.max(...pick('virtualMs'))} ms, rounds (max over peers) ${quantile(pick('rounds'), 0.5)} / ${Math.max(...pick('rounds'))} (p90 ${quantile(pick('rounds'), 0.9)}), ` +
      `rounds at the changed peer ${quantile(pick('changedRounds'), 0.5)} / ${Math.max(...pick('changedRounds'))}, ` +
      `per peer ${quantile(pick('messages'), 0.5).toFixed(1)} messages ${quantile(pick('kib'), 0.5).toFixed(1)} KiB, ` +
      `recomputations per peer mean ${quantile(pick('recomputeMean'), 0.5).toFixed(2)} max ${Math.max(...pick('recomputeMax'))}, ` +
      `quiet peers ${quantile(pick('quiet'), 0.5)} of ${participants}`,
  );
  const warm = synchronousWarmRounds(scenario, participants);
  console.log(
    `${participants} participants, the same changes in synchronous rounds from the converged state: rounds median ${quantile(warm, 0.5)}, p90 ${quantile(warm, 0.9)}, max ${Math.max(...warm)} ` +
      `(the last one confirms: rounds with a change median ${quantile(warm, 0.5) - 1}, max ${Math.max(...warm) - 1})`,
  );
}
