// Room: bench. Allocation figures (issue: Performance): one synchronous round at 1k/10k/50k participants beside a bare
// loop over the same edges, one provider's own computeResults at 10k, and rounds to converge on random instances.
// Prints figures; asserts nothing. Run: npm run bench -- allocation
import { performance } from 'node:perf_hooks';
import { compileNetwork, computeResults, scenarioParticipants, SynchronousRun } from '../src/protocol/allocation/index.ts';
import { convergenceTolerance } from '../src/protocol/allocation/convergence.ts';
import type { PeerId, Relationships, Results, State } from '../src/protocol/schemas.ts';
import { randomScenario } from './instances.ts';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]!;

console.log(`node ${process.version}, ${process.arch}; one thread (the round kernel is single-threaded)`);

console.log('\n-- one synchronous round (20 recognition edges, 2 capacity + 2 need slots each, 3 types)');
for (const participants of [1_000, 10_000, 50_000]) {
  gc();
  const before = process.memoryUsage();
  const scenario = randomScenario({ participants, edgesPerParticipant: 20 }, 42);
  let started = performance.now();
  const network = compileNetwork(scenarioParticipants(scenario));
  const compileMs = performance.now() - started;
  const run = new SynchronousRun(network);
  const roundMs: number[] = [];
  for (let round = 0; round < 7; round++) {
    started = performance.now();
    run.step();
    roundMs.push(performance.now() - started);
  }
  const after = process.memoryUsage();
  // The floor: one pass over the same candidate and pair arrays, touching every edge once.
  const bareMs: number[] = [];
  let sink = 0;
  for (let repeat = 0; repeat < 7; repeat++) {
    started = performance.now();
    for (let candidate = 0; candidate < network.candidateRecipient.length; candidate++) {
      sink += network.candidateMutual[candidate]!;
      for (let pair = network.candidatePairStart[candidate]!; pair < network.candidatePairStart[candidate + 1]!; pair++) sink += run.offers[pair]! + network.needDeclared[network.pairNeed[pair]!]!;
    }
    bareMs.push(performance.now() - started);
  }
  console.log(
    `${String(participants).padStart(6)} participants: ${network.candidateRecipient.length} candidate edges, ${network.pairNeed.length} compatible pairs; ` +
      `round median ${median(roundMs.slice(1)).toFixed(1)} ms (first ${roundMs[0]!.toFixed(1)} ms), bare edge loop ${median(bareMs).toFixed(2)} ms; ` +
      `compile ${compileMs.toFixed(0)} ms; heap +${mb(after.heapUsed - before.heapUsed)} MB, rss ${mb(after.rss)} MB${sink < 0 ? '' : ''}`,
  );
}

console.log('\n-- one provider\'s own computeResults at 10,000 participants (previous results from a converged run)');
{
  const scenario = randomScenario({ participants: 10_000, edgesPerParticipant: 20 }, 7);
  const participants = scenarioParticipants(scenario);
  const network = compileNetwork(participants);
  const run = new SynchronousRun(network);
  for (let round = 0; round < 30; round++) if (run.step().maxDelta <= convergenceTolerance(network, 1e-6)) break;
  const states = new Map<PeerId, State>(participants.map((participant) => [participant.id, participant.state]));
  const relationships = new Map<PeerId, Relationships>(scenario.participants.map((participant) => [participant.id, { recognition: participant.recognition }]));
  const previousResults = new Map<PeerId, Results>();
  for (const participant of participants) previousResults.set(participant.id, { round: run.round, allocations: [], acceptance: [], stability: {}, metrics: { residualNeedNorm: 0, maxDelta: 0 }, converged: true });
  for (let capacity = 0; capacity < network.capacitySlot.length; capacity++) {
    const provider = participants[network.capacityOwner[capacity]!]!.id;
    for (let candidate = network.candidateStart[capacity]!; candidate < network.candidateStart[capacity + 1]!; candidate++) {
      const recipient = participants[network.candidateRecipient[candidate]!]!.id;
      for (let pair = network.candidatePairStart[candidate]!; pair < network.candidatePairStart[candidate + 1]!; pair++) {
        const need = network.needSlot[network.pairNeed[pair]!]!.id;
        if (run.offers[pair]! > 0) previousResults.get(provider)!.allocations.push({ capacity: network.capacitySlot[capacity]!.id, recipient, need, quantity: run.offers[pair]!, tier: network.candidateMutual[candidate]! > 0 ? 'mutual' : 'one-way' });
        if (run.accepted[pair]! > 0) previousResults.get(recipient)!.acceptance.push({ provider, capacity: network.capacitySlot[capacity]!.id, need, quantity: run.accepted[pair]! });
      }
    }
  }
  // The engine keeps who recognizes whom as a derived subgroup; the bench builds the same reverse index up front.
  const sourcesOf = new Map<PeerId, PeerId[]>();
  for (const participant of scenario.participants) {
    for (const [recipient, weight] of Object.entries(participant.recognition)) if (weight > 0) (sourcesOf.get(recipient) ?? sourcesOf.set(recipient, []).get(recipient)!).push(participant.id);
  }
  const times: number[] = [];
  // 1,000 calls warm the JIT up; the next 1,000 are measured (steady state, as in a long-running peer).
  for (let k = 0; k < 2000; k++) {
    const self = participants[(k * 7919) % participants.length]!.id;
    const started = performance.now();
    computeResults({ self, round: run.round + 1, states, relationships, previousResults, sourcesOfMe: sourcesOf.get(self) ?? [] });
    times.push(performance.now() - started);
  }
  const measured = times.slice(1000);
  console.log(`computeResults: median ${median(measured).toFixed(3)} ms, p95 ${quantile(measured, 0.95).toFixed(3)} ms, max ${Math.max(...measured).toFixed(3)} ms over ${measured.length} providers`);
}

console.log('\n-- rounds to converge (relative epsilon 1e-6; a round counts when it runs, the last one confirms no change)');
for (const [participants, seeds] of [[100, 40], [1_000, 15], [10_000, 4]] as const) {
  const rounds: number[] = [];
  const lastChange: number[] = [];
  let overAllocations = 0;
  let notConverged = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const network = compileNetwork(scenarioParticipants(randomScenario({ participants, edgesPerParticipant: 20 }, seed)));
    const run = new SynchronousRun(network);
    const tolerance = convergenceTolerance(network, 1e-6);
    let converged = false;
    let last = 0;
    while (run.round < 50) {
      const metrics = run.step();
      if (metrics.maxDelta > tolerance) last = metrics.round;
      if (metrics.maxDelta <= tolerance) {
        converged = true;
        break;
      }
    }
    if (!converged) notConverged++;
    if (run.maxOverAcceptance > tolerance) overAllocations++;
    rounds.push(run.round);
    lastChange.push(last);
  }
  console.log(
    `${String(participants).padStart(6)} participants x ${seeds} instances: rounds median ${median(rounds)}, p95 ${quantile(rounds, 0.95)}, max ${Math.max(...rounds)}` +
      ` (last round with a change: median ${median(lastChange)}, max ${Math.max(...lastChange)}); not converged ${notConverged}; instances with any over-allocation ${overAllocations}`,
  );
}
