// Room: bench. Allocation figures (issue: Performance): one synchronous round at 1k/10k/50k participants beside a bare
// loop over the same edges, one provider's own computeResults at 10k, and rounds to converge on random instances.
// Prints figures; asserts nothing. Run: npm run bench -- allocation
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { compileNetwork, computeResults, scenarioParticipants, SynchronousRun } from '../src/protocol/allocation/index.ts';
import { pairTolerance } from '../src/protocol/allocation/convergence.ts';
import { providerOffers, RationScratch, rationOffers, RoundScratch, type AllocationNetwork } from '../src/protocol/allocation/network.ts';
import type { PeerId, Relationships, Results, State } from '../src/protocol/schemas.ts';
import { randomScenario } from './instances.ts';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]!;

/**
 * One synchronous round at one size, in a process of its own (`--round-size N`), so the process's memory is that of
 * this size alone. The generated scenario objects are dropped after compiling, as a peer holds only the compiled form.
 */
function roundAtSize(participants: number): void {
  gc();
  const baseline = process.memoryUsage();
  let scenario: ReturnType<typeof randomScenario> | undefined = randomScenario({ participants, edgesPerParticipant: 20 }, 42);
  let started = performance.now();
  const network = compileNetwork(scenarioParticipants(scenario));
  const compileMs = performance.now() - started;
  scenario = undefined;
  const run = new SynchronousRun(network);
  const roundMs: number[] = [];
  for (let round = 0; round < 7; round++) {
    started = performance.now();
    run.step();
    roundMs.push(performance.now() - started);
  }
  gc();
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
  const peak = process.resourceUsage().maxRSS * 1024;
  console.log(
    `${String(participants).padStart(6)} participants: ${network.candidateRecipient.length} candidate edges, ${network.pairNeed.length} compatible pairs; ` +
      `round median ${median(roundMs.slice(1)).toFixed(1)} ms (first ${roundMs[0]!.toFixed(1)} ms), bare edge loop ${median(bareMs).toFixed(2)} ms; compile ${compileMs.toFixed(0)} ms; ` +
      `network + round buffers ${mb(after.heapUsed - baseline.heapUsed + after.arrayBuffers - baseline.arrayBuffers)} MB; ` +
      `process rss ${mb(after.rss)} MB after the rounds (${mb(baseline.rss)} MB before the scenario was generated), peak ${mb(peak)} MB${sink < 0 ? '' : ''}`,
  );
}

const roundSize = process.argv.indexOf('--round-size');
if (roundSize >= 0) {
  roundAtSize(Number(process.argv[roundSize + 1]));
  process.exit(0);
}

console.log(`node ${process.version}, ${process.arch}; one thread (the round kernel is single-threaded)`);

console.log('\n-- one synchronous round (20 recognition edges, 2 capacity + 2 need slots each, 3 types; each size in its own process)');
for (const participants of [1_000, 10_000, 50_000]) {
  spawnSync(process.execPath, ['--expose-gc', import.meta.filename, '--round-size', String(participants)], { stdio: 'inherit' });
}
// V8 sizes its young generation from the machine's memory; most of the process RSS above is that headroom (the round
// itself allocates nothing). The same 10k round with the young generation capped shows what the work needs.
process.stdout.write('  with node --max-semi-space-size=4:');
spawnSync(process.execPath, ['--expose-gc', '--max-semi-space-size=4', import.meta.filename, '--round-size', '10000'], { stdio: 'inherit' });

console.log('\n-- one provider\'s own computeResults at 10,000 participants (previous results from a converged run)');
{
  const scenario = randomScenario({ participants: 10_000, edgesPerParticipant: 20 }, 7);
  const participants = scenarioParticipants(scenario);
  const network = compileNetwork(participants);
  const run = new SynchronousRun(network);
  for (let round = 0; round < 30; round++) if (run.step().converged) break;
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

/** Epsilon 1e-6 times the network's largest quantity: the bound for over-allocation and for the centralized sweeps. */
function absoluteTolerance(network: AllocationNetwork): number {
  let scale = 1;
  for (const quantity of network.needDeclared) scale = Math.max(scale, quantity);
  for (const quantity of network.capacityDeclared) scale = Math.max(scale, quantity);
  return 1e-6 * scale;
}

/**
 * A centralized solver of the same fixed point, for comparison: Gauss-Seidel sweeps, in which each provider computes
 * its offers from the acceptance of everyone before it in the same sweep (all recipients re-ration after every
 * provider). No peer can do this; it shows how much of the rounds the distributed, simultaneous version adds. Returns
 * sweeps (the last confirms) and the total accepted.
 */
function centralizedSweeps(network: AllocationNetwork, tolerance: number): { sweeps: number; total: number } {
  const pairs = network.pairNeed.length;
  const offers = new Float64Array(pairs);
  const accepted = new Float64Array(pairs);
  const acceptedTotal = new Float64Array(network.needSlot.length);
  const before = new Float64Array(pairs);
  const offersBefore = new Float64Array(pairs);
  const scratch = new RoundScratch(network);
  const rationScratch = new RationScratch(network);
  let sweeps = 0;
  while (sweeps < 50) {
    sweeps++;
    before.set(accepted);
    offersBefore.set(offers);
    for (let provider = 0; provider < network.participants.length; provider++) {
      providerOffers(network, provider, acceptedTotal, accepted, offers, scratch);
      rationOffers(network, offers, accepted, acceptedTotal, undefined, rationScratch);
    }
    let maxDelta = 0;
    for (let pair = 0; pair < pairs; pair++) maxDelta = Math.max(maxDelta, Math.abs(accepted[pair]! - before[pair]!), Math.abs(offers[pair]! - offersBefore[pair]!));
    if (maxDelta <= tolerance) break;
  }
  return { sweeps, total: acceptedTotal.reduce((sum, value) => sum + value, 0) };
}

console.log('\n-- rounds to converge (relative epsilon 1e-6; a round counts when it runs, the last one confirms no change)');
for (const [participants, seeds] of [[100, 40], [1_000, 15], [10_000, 4]] as const) {
  const rounds: number[] = [];
  const lastChange: number[] = [];
  // Offered but not accepted, summed over instances, per round: how fast the competition for the same needs dies out.
  const rejectedByRound: number[] = [];
  const centralized: number[] = [];
  const totalRatio: number[] = [];
  let overAllocations = 0;
  let notConverged = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const network = compileNetwork(scenarioParticipants(randomScenario({ participants, edgesPerParticipant: 20 }, seed)));
    const run = new SynchronousRun(network, 1e-6);
    const tolerance = absoluteTolerance(network);
    let converged = false;
    let last = 0;
    while (run.round < 50) {
      const metrics = run.step();
      let rejected = 0;
      for (let pair = 0; pair < run.offers.length; pair++) rejected += run.offers[pair]! - run.accepted[pair]!;
      rejectedByRound[metrics.round - 1] = (rejectedByRound[metrics.round - 1] ?? 0) + rejected;
      if (!metrics.converged) last = metrics.round;
      else {
        converged = true;
        break;
      }
    }
    if (!converged) notConverged++;
    if (run.maxOverAcceptance > tolerance) overAllocations++;
    rounds.push(run.round);
    lastChange.push(last);
    if (participants <= 1_000) {
      const central = centralizedSweeps(network, tolerance);
      centralized.push(central.sweeps);
      totalRatio.push(run.acceptedTotal.reduce((sum, value) => sum + value, 0) / central.total);
    }
  }
  console.log(
    `${String(participants).padStart(6)} participants x ${seeds} instances: rounds median ${median(rounds)}, p95 ${quantile(rounds, 0.95)}, max ${Math.max(...rounds)}` +
      ` (last round with a change: median ${median(lastChange)}, max ${Math.max(...lastChange)}); not converged ${notConverged}; instances with any over-allocation ${overAllocations}`,
  );
  console.log(`        offered but not accepted, per round, relative to round 1: ${rejectedByRound.map((volume) => (volume / rejectedByRound[0]!).toExponential(1)).join(', ')}`);
  if (centralized.length > 0) {
    console.log(
      `        centralized Gauss-Seidel solver of the same fixed point: sweeps median ${median(centralized)}, max ${Math.max(...centralized)} (the last confirms); ` +
        `total accepted, distributed / centralized: min ${Math.min(...totalRatio).toFixed(4)}, max ${Math.max(...totalRatio).toFixed(4)}`,
    );
  }
}

/**
 * Rounds by network size, and what a round that carried two steps would give. The rounds end when no pair changes, so
 * their number is the length of the longest chain of corrections (a need fills, a provider's capacity moves to its other
 * candidates, another need fills...), and a chain moves one hop per round. "Two steps per round" is the count if every
 * provider, before offering, computed the next offers of the providers that share its recipients and answered those:
 * round r would then publish step 2r of these same rounds. Those offers depend on the acceptance at those providers'
 * own recipients, so each provider would follow records three hops away (at 20 edges, most of a 10k network).
 */
console.log('\n-- rounds by network size (same shape, relative epsilon 1e-6): chains of corrections grow with the network');
for (const [participants, seeds] of [[10, 40], [30, 40], [100, 40], [300, 20], [1_000, 10], [3_000, 5]] as const) {
  const rounds: number[] = [];
  const twoSteps: number[] = [];
  const changedByRound: number[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const network = compileNetwork(scenarioParticipants(randomScenario({ participants, edgesPerParticipant: 20 }, seed)));
    const run = new SynchronousRun(network, 1e-6);
    const pairs = run.offers.length;
    const tolerance = Float64Array.from({ length: pairs }, (_, pair) => pairTolerance(network.capacityDeclared[network.pairCapacity[pair]!]!, network.needDeclared[network.pairNeed[pair]!]!, 1e-6));
    // Offers and acceptance after every step; step 0 is all zero.
    const steps: Float64Array[] = [new Float64Array(2 * pairs)];
    let converged = 0;
    while (run.round < 50 && (converged === 0 || run.round < 2 * converged)) {
      const metrics = run.step();
      const snapshot = new Float64Array(2 * pairs);
      snapshot.set(run.offers);
      snapshot.set(run.accepted, pairs);
      const previous = steps[steps.length - 1]!;
      let changed = 0;
      for (let k = 0; k < pairs; k++) if (Math.abs(snapshot[k]! - previous[k]!) > tolerance[k]! || Math.abs(snapshot[pairs + k]! - previous[pairs + k]!) > tolerance[k]!) changed++;
      changedByRound[metrics.round - 1] = (changedByRound[metrics.round - 1] ?? 0) + changed / pairs / seeds;
      steps.push(snapshot);
      if (converged === 0 && metrics.converged) converged = metrics.round;
    }
    rounds.push(converged);
    for (let round = 1; 2 * round < steps.length; round++) {
      const [now, before] = [steps[2 * round]!, steps[2 * round - 2]!];
      let settled = true;
      for (let k = 0; k < now.length && settled; k++) settled = Math.abs(now[k]! - before[k]!) <= tolerance[k % pairs]!;
      if (settled) {
        twoSteps.push(round);
        break;
      }
    }
  }
  console.log(
    `${String(participants).padStart(6)} participants x ${seeds}: rounds median ${median(rounds)}, max ${Math.max(...rounds)}; ` +
      `two steps per round: median ${median(twoSteps)}, max ${Math.max(...twoSteps)}; ` +
      `share of pairs that change in rounds 2-6: ${changedByRound.slice(1, 6).map((share) => (100 * share).toFixed(share < 0.001 ? 3 : 1) + '%').join(', ')}`,
  );
}
