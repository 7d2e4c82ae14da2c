// Room: protocol (pure). May touch: ../schemas, ./network, ./recognition, ./convergence.
// Synchronous rounds over a whole scenario: the reference `mutual simulate` runs (spec/PROTOCOL.md 7.6).
// A round: every provider computes its offers from the previous round's acceptance; then every recipient rations the
// offers it got. Stops when no pair's offer or acceptance moved by more than epsilon relative to the pair, or at maxRounds.
import type { PeerId, Scenario, SimulationResult, State } from '../schemas.ts';
import { dampingFactor, DEFAULT_EPSILON, DEFAULT_MAX_ROUNDS, pairTolerance, updateStateStability } from './convergence.ts';
import { compileNetwork, pairRoundingScales, providerOffers, RationScratch, rationOffers, RoundScratch, type AllocationNetwork, type CompiledParticipant } from './network.ts';
import { normalizeRecognition } from './recognition.ts';

export interface AllocationOptions {
  /** Relative convergence tolerance (spec 7.6); default 1e-6. */
  readonly epsilon?: number;
  /** Rounds before giving up; default 50. */
  readonly maxRounds?: number;
}

export type RoundHistory = SimulationResult['history'];

/** Participants of a scenario, ready for compilation. */
export function scenarioParticipants(scenario: Scenario): CompiledParticipant[] {
  return scenario.participants.map((participant) => ({
    id: participant.id,
    state: { displayName: participant.displayName ?? participant.id, capacities: participant.capacities, needs: participant.needs } satisfies State,
    recognition: normalizeRecognition(participant.recognition),
  }));
}

/** Mutable state of a synchronous run; exposed so benchmarks and tests can step rounds one by one. */
export class SynchronousRun {
  readonly network: AllocationNetwork;
  readonly offers: Float64Array;
  readonly accepted: Float64Array;
  readonly acceptedTotal: Float64Array;
  private readonly previousOffers: Float64Array;
  private readonly previousAccepted: Float64Array;
  private readonly scratch: RoundScratch;
  private readonly rationScratch: RationScratch;
  /** Stability factor of every need (spec 7.5), and this round's damping derived from it. */
  readonly stability: Float64Array;
  private readonly damping: Float64Array;
  private readonly overOffered: Uint8Array;
  /** Largest over-acceptance (accepted beyond declared) seen in any round, for the contractiveness check. */
  maxOverAcceptance = 0;
  round = 0;
  /** Relative convergence tolerance (spec 7.6) that step() judges each pair's change by. */
  readonly epsilon: number;
  /** Per pair, the rounding scale of its amount (pairTolerance). */
  private readonly roundingScale: Float64Array;

  constructor(network: AllocationNetwork, epsilon: number = DEFAULT_EPSILON) {
    this.network = network;
    this.epsilon = epsilon;
    this.roundingScale = pairRoundingScales(network);
    const pairs = network.pairNeed.length;
    this.offers = new Float64Array(pairs);
    this.accepted = new Float64Array(pairs);
    this.previousOffers = new Float64Array(pairs);
    this.previousAccepted = new Float64Array(pairs);
    this.acceptedTotal = new Float64Array(network.needSlot.length);
    this.scratch = new RoundScratch(network);
    this.rationScratch = new RationScratch(network);
    this.stability = new Float64Array(network.needSlot.length).fill(1);
    this.damping = new Float64Array(network.needSlot.length).fill(1);
    this.overOffered = new Uint8Array(network.needSlot.length);
  }

  /** Runs one round; returns its metrics, and whether every pair moved within its tolerance (spec 7.6). */
  step(): { round: number; residualNeedNorm: number; maxDelta: number; converged: boolean } {
    const { network, offers, accepted, acceptedTotal, previousOffers, previousAccepted } = this;
    previousOffers.set(offers);
    previousAccepted.set(accepted);
    for (let need = 0; need < this.stability.length; need++) this.damping[need] = dampingFactor(this.stability[need]!);
    const damping = { previousOffers, factor: this.damping };
    for (let provider = 0; provider < network.participants.length; provider++) {
      providerOffers(network, provider, acceptedTotal, previousAccepted, offers, this.scratch, damping);
    }
    rationOffers(network, offers, accepted, acceptedTotal, this.overOffered, this.rationScratch);
    for (let need = 0; need < this.stability.length; need++) {
      this.stability[need] = updateStateStability(this.stability[need]!, this.overOffered[need] === 1);
    }
    let maxDelta = 0;
    let converged = true;
    const { pairCapacity, pairNeed, capacityDeclared, needDeclared } = network;
    for (let pair = 0; pair < offers.length; pair++) {
      const delta = Math.max(Math.abs(offers[pair]! - previousOffers[pair]!), Math.abs(accepted[pair]! - previousAccepted[pair]!));
      if (delta > maxDelta) maxDelta = delta;
      if (converged && delta > 0 && !(delta <= pairTolerance(capacityDeclared[pairCapacity[pair]!]!, needDeclared[pairNeed[pair]!]!, this.epsilon, this.roundingScale[pair]!))) converged = false;
    }
    let squares = 0;
    for (let need = 0; need < acceptedTotal.length; need++) {
      const residual = network.needDeclared[need]! - acceptedTotal[need]!;
      squares += residual * residual;
      let sum = 0;
      for (let k = network.needPairStart[need]!; k < network.needPairStart[need + 1]!; k++) sum += accepted[network.needPairs[k]!]!;
      if (sum - network.needDeclared[need]! > this.maxOverAcceptance) this.maxOverAcceptance = sum - network.needDeclared[need]!;
    }
    this.round++;
    return { round: this.round, residualNeedNorm: Math.sqrt(squares), maxDelta, converged };
  }
}

export function simulate(scenario: Scenario, options: AllocationOptions = {}): SimulationResult {
  const participants = scenarioParticipants(scenario);
  const network = compileNetwork(participants);
  const run = new SynchronousRun(network, options.epsilon ?? DEFAULT_EPSILON);
  const maxRounds = options.maxRounds ?? DEFAULT_MAX_ROUNDS;
  const history: RoundHistory = [];
  let converged = false;
  while (run.round < maxRounds) {
    const { round, residualNeedNorm, maxDelta, converged: settled } = run.step();
    history.push({ round, residualNeedNorm, maxDelta });
    if (settled) {
      converged = true;
      break;
    }
  }
  return summarizeNetwork(network, run.accepted, history, converged);
}

/** SimulationResult from a compiled network and the accepted amount of every pair. */
export function summarizeNetwork(network: AllocationNetwork, accepted: Float64Array, history: RoundHistory, converged: boolean): SimulationResult {
  const allocations: SimulationResult['allocations'] = [];
  const received = new Float64Array(network.needSlot.length);
  const allocated = new Float64Array(network.capacitySlot.length);
  for (let capacity = 0; capacity < network.capacitySlot.length; capacity++) {
    const provider = network.participants[network.capacityOwner[capacity]!]!.id;
    for (let candidate = network.candidateStart[capacity]!; candidate < network.candidateStart[capacity + 1]!; candidate++) {
      for (let pair = network.candidatePairStart[candidate]!; pair < network.candidatePairStart[candidate + 1]!; pair++) {
        const quantity = accepted[pair]!;
        const need = network.pairNeed[pair]!;
        if (!(quantity > 0)) continue;
        received[need]! += quantity;
        allocated[capacity]! += quantity;
        allocations.push({
          provider,
          capacity: network.capacitySlot[capacity]!.id,
          recipient: network.participants[network.candidateRecipient[candidate]!]!.id,
          need: network.needSlot[need]!.id,
          quantity,
          tier: network.candidateMutual[candidate]! > 0 ? 'mutual' : 'one-way',
        });
      }
    }
  }
  return {
    converged,
    rounds: history.length,
    allocations,
    needs: network.needSlot.map((slot, need) => {
      const declared = network.needDeclared[need]!;
      const got = Math.min(received[need]!, declared);
      return { participant: network.participants[network.needOwner[need]!]!.id, need: slot.id, declared, received: got, residual: Math.max(0, declared - got) };
    }),
    capacities: network.capacitySlot.map((slot, capacity) => {
      const declared = network.capacityDeclared[capacity]!;
      const given = Math.min(allocated[capacity]!, declared);
      return { participant: network.participants[network.capacityOwner[capacity]!]!.id, capacity: slot.id, declared, allocated: given, leftover: Math.max(0, declared - given) };
    }),
    history,
  };
}


