// Room: protocol (pure). May touch: ../schemas, ./network, ./recognition, ./convergence, ./compatibility.
// One participant's own computation (spec/PROTOCOL.md 7.7): its offers as provider, from the acceptance its recipients
// last published, and its acceptance as recipient, from the offers providers last published. It compiles only its own
// neighbourhood (itself and the recipients it recognizes), so its cost does not grow with the network.
import type { Acceptance, Allocation, PeerId, Relationships, Results, State } from '../schemas.ts';
import { dampingFactor, DEFAULT_EPSILON, hasConverged, updateStateStability, type PairChange } from './convergence.ts';
import { compileNetwork, pairRoundingScales, providerOffers, rationOffers, RoundScratch, type CompiledParticipant } from './network.ts';
import { normalizeRecognition } from './recognition.ts';
import type { AllocationOptions } from './simulate.ts';

export interface ParticipantView {
  /** Whose results these are. */
  readonly self: PeerId;
  /** The round being computed (>= 1). */
  readonly round: number;
  /** Every known participant's declarations, self included. */
  readonly states: ReadonlyMap<PeerId, State>;
  /** Every known participant's recognition, self included. */
  readonly relationships: ReadonlyMap<PeerId, Relationships>;
  /** The latest results known of each participant (self included); may be empty. */
  readonly previousResults: ReadonlyMap<PeerId, Results>;
  readonly options?: AllocationOptions;
  /**
   * The participants that recognize me, i.e. every provider that may offer to me (the engine's primary and secondary
   * sources). Optional: without it they are found by scanning `relationships`, which costs one lookup per known peer.
   */
  readonly sourcesOfMe?: Iterable<PeerId>;
}

function pairKey(a: string, b: string, c: string): string {
  return `${a}\u0000${b}\u0000${c}`;
}

export function computeResults(view: ParticipantView): Results {
  const { self } = view;
  const epsilon = view.options?.epsilon ?? DEFAULT_EPSILON;
  const myState = view.states.get(self) ?? { displayName: self, capacities: [], needs: [] };
  const recognitionOf = (peer: PeerId) => normalizeRecognition(view.relationships.get(peer)?.recognition);
  const myRecognition = recognitionOf(self);
  const previous = view.previousResults.get(self);

  // --- As provider: compile self and the recipients it recognizes whose state is known.
  const neighbours = [...myRecognition.keys()].filter((peer) => peer !== self && view.states.has(peer)).sort();
  const participants: CompiledParticipant[] = [
    { id: self, state: myState, recognition: myRecognition },
    ...neighbours.map((peer) => ({ id: peer, state: view.states.get(peer)!, recognition: recognitionOf(peer) })),
  ];
  const network = compileNetwork(participants, { providers: new Set([0]) });
  const needIndex = new Map<string, number>();
  network.needSlot.forEach((slot, need) => needIndex.set(pairKey(participants[network.needOwner[need]!]!.id, slot.id, ''), need));

  // Only the compiled recipients' results matter on this side: cost follows my neighbourhood, not the network.
  const acceptedTotal = new Float64Array(network.needSlot.length);
  const damping = new Float64Array(network.needSlot.length).fill(1);
  for (const owner of participants.map((participant) => participant.id)) {
    const results = view.previousResults.get(owner);
    if (results === undefined) continue;
    for (const entry of results.acceptance) {
      const need = needIndex.get(pairKey(owner, entry.need, ''));
      if (need !== undefined) acceptedTotal[need]! += entry.quantity;
    }
    for (const [needId, stability] of Object.entries(results.stability)) {
      const need = needIndex.get(pairKey(owner, needId, ''));
      if (need !== undefined) damping[need] = dampingFactor(stability);
    }
  }
  for (let need = 0; need < acceptedTotal.length; need++) acceptedTotal[need] = Math.min(acceptedTotal[need]!, network.needDeclared[need]!);

  const pairs = network.pairNeed.length;
  const accepted = new Float64Array(pairs);
  const previousOffers = new Float64Array(pairs);
  const pairIndex = new Map<string, number>();
  for (let capacity = 0; capacity < network.capacitySlot.length; capacity++) {
    for (let candidate = network.candidateStart[capacity]!; candidate < network.candidateStart[capacity + 1]!; candidate++) {
      const recipient = participants[network.candidateRecipient[candidate]!]!.id;
      for (let pair = network.candidatePairStart[candidate]!; pair < network.candidatePairStart[candidate + 1]!; pair++) {
        pairIndex.set(pairKey(network.capacitySlot[capacity]!.id, recipient, network.needSlot[network.pairNeed[pair]!]!.id), pair);
      }
    }
  }
  for (const owner of participants.map((participant) => participant.id)) {
    for (const entry of view.previousResults.get(owner)?.acceptance ?? []) {
      if (entry.provider !== self) continue;
      const pair = pairIndex.get(pairKey(entry.capacity, owner, entry.need));
      if (pair !== undefined) accepted[pair] = entry.quantity;
    }
  }
  for (const entry of previous?.allocations ?? []) {
    const pair = pairIndex.get(pairKey(entry.capacity, entry.recipient, entry.need));
    if (pair !== undefined) previousOffers[pair] = entry.quantity;
  }

  const offers = new Float64Array(pairs);
  providerOffers(network, 0, acceptedTotal, accepted, offers, new RoundScratch(network), { previousOffers, factor: damping });

  const allocations: Allocation[] = [];
  for (let capacity = 0; capacity < network.capacitySlot.length; capacity++) {
    for (let candidate = network.candidateStart[capacity]!; candidate < network.candidateStart[capacity + 1]!; candidate++) {
      for (let pair = network.candidatePairStart[candidate]!; pair < network.candidatePairStart[candidate + 1]!; pair++) {
        if (!(offers[pair]! > 0)) continue;
        allocations.push({
          capacity: network.capacitySlot[capacity]!.id,
          recipient: participants[network.candidateRecipient[candidate]!]!.id,
          need: network.needSlot[network.pairNeed[pair]!]!.id,
          quantity: offers[pair]!,
          tier: network.candidateMutual[candidate]! > 0 ? 'mutual' : 'one-way',
        });
      }
    }
  }

  // --- As recipient: place the offers addressed to me with the same kernel step the synchronous rounds use (spec 7.4).
  // My own offers to myself are this round's; others' are the latest they published. Only offers that could have been
  // made count: the local network has pairs only for providers that recognize me and compatible slots.
  const providers = [...new Set(view.sourcesOfMe ?? view.relationships.keys())]
    .filter((peer) => peer !== self && (view.relationships.get(peer)?.recognition[self] ?? 0) > 0 && view.states.has(peer) && view.previousResults.has(peer))
    .sort();
  const local: CompiledParticipant[] = [
    { id: self, state: { ...myState, capacities: myRecognition.has(self) ? myState.capacities : [] }, recognition: myRecognition },
    ...providers.map((peer) => ({ id: peer, state: { ...view.states.get(peer)!, needs: [] }, recognition: new Map([[self, recognitionOf(peer).get(self) ?? 0]]) })),
  ];
  const incoming = compileNetwork(local);
  const incomingPair = new Map<string, number>();
  for (let capacity = 0; capacity < incoming.capacitySlot.length; capacity++) {
    const provider = local[incoming.capacityOwner[capacity]!]!.id;
    for (let candidate = incoming.candidateStart[capacity]!; candidate < incoming.candidateStart[capacity + 1]!; candidate++) {
      for (let pair = incoming.candidatePairStart[candidate]!; pair < incoming.candidatePairStart[candidate + 1]!; pair++) {
        incomingPair.set(pairKey(provider, incoming.capacitySlot[capacity]!.id, incoming.needSlot[incoming.pairNeed[pair]!]!.id), pair);
      }
    }
  }
  const incomingOffers = new Float64Array(incoming.pairNeed.length);
  const offerOn = (provider: PeerId, capacity: string, need: string, quantity: number) => {
    const pair = incomingPair.get(pairKey(provider, capacity, need));
    if (pair !== undefined) incomingOffers[pair] = quantity;
  };
  for (const allocation of allocations) if (allocation.recipient === self) offerOn(self, allocation.capacity, allocation.need, allocation.quantity);
  for (const provider of providers) {
    for (const allocation of view.previousResults.get(provider)!.allocations) {
      if (allocation.recipient === self) offerOn(provider, allocation.capacity, allocation.need, allocation.quantity);
    }
  }
  // A slot's offers to me count at most at its declared quantity together (spec 7.4): a provider that publishes its
  // whole slot on each of several of my needs can still deliver it only once. Capped per entry instead, k such offers
  // were accepted up to k times the slot. (Offers made by the rules never exceed it: 7.8 property 1.)
  for (let capacity = 0; capacity < incoming.capacitySlot.length; capacity++) {
    const [first, end] = [incoming.candidatePairStart[incoming.candidateStart[capacity]!]!, incoming.candidatePairStart[incoming.candidateStart[capacity + 1]!]!];
    let total = 0;
    for (let pair = first; pair < end; pair++) total += incomingOffers[pair]!;
    const declared = incoming.capacityDeclared[capacity]!;
    if (total > declared) for (let pair = first; pair < end; pair++) incomingOffers[pair] = incomingOffers[pair]! * (declared / total);
  }
  const incomingAccepted = new Float64Array(incoming.pairNeed.length);
  const overOffered = new Uint8Array(incoming.needSlot.length);
  rationOffers(incoming, incomingOffers, incomingAccepted, new Float64Array(incoming.needSlot.length), overOffered);
  const acceptance: Acceptance[] = [];
  const acceptedPerNeed = new Map<string, number>();
  const overOfferedNeeds = new Set<string>();
  incoming.needSlot.forEach((slot, need) => overOffered[need] === 1 && overOfferedNeeds.add(slot.id));
  for (let pair = 0; pair < incoming.pairNeed.length; pair++) {
    const quantity = incomingAccepted[pair]!;
    const capacity = incoming.pairCapacity[pair]!;
    if (!(quantity > 0)) continue;
    const need = incoming.needSlot[incoming.pairNeed[pair]!]!.id;
    acceptance.push({ provider: local[incoming.capacityOwner[capacity]!]!.id, capacity: incoming.capacitySlot[capacity]!.id, need, quantity });
    acceptedPerNeed.set(need, (acceptedPerNeed.get(need) ?? 0) + quantity);
  }

  const stability: Record<string, number> = {};
  let squares = 0;
  for (const need of myState.needs) {
    const residual = Math.max(0, need.quantity - (acceptedPerNeed.get(need.id) ?? 0));
    squares += residual * residual;
    const before = previous?.stability[need.id] ?? 1;
    stability[need.id] = updateStateStability(before, overOfferedNeeds.has(need.id));
  }

  // Each change judged against its own pair's quantities (spec 7.6); a slot that no longer exists counts as 0.
  const quantityOf = (slots: readonly { id: string; quantity: number }[] | undefined, id: string) => slots?.find((slot) => slot.id === id)?.quantity ?? 0;
  // A pair no longer compiled (a slot or recognition gone) falls back to its own two quantities.
  const offerScales = pairRoundingScales(network);
  const acceptanceScales = pairRoundingScales(incoming);
  const scaleOf = (scales: Float64Array, pair: number | undefined) => (pair === undefined ? undefined : scales[pair]);
  const changes = [
    ...changesOf(previous?.allocations ?? [], allocations, (entry) => pairKey(entry.capacity, entry.recipient, entry.need), (entry, key) => ({
      capacityDeclared: quantityOf(myState.capacities, entry.capacity),
      needDeclared: quantityOf(view.states.get(entry.recipient)?.needs, entry.need),
      roundingScale: scaleOf(offerScales, pairIndex.get(key)),
    })),
    ...changesOf(previous?.acceptance ?? [], acceptance, (entry) => pairKey(entry.provider, entry.capacity, entry.need), (entry, key) => ({
      capacityDeclared: quantityOf(view.states.get(entry.provider)?.capacities, entry.capacity),
      needDeclared: quantityOf(myState.needs, entry.need),
      roundingScale: scaleOf(acceptanceScales, incomingPair.get(key)),
    })),
  ];
  return {
    round: view.round,
    allocations,
    acceptance,
    stability,
    metrics: { residualNeedNorm: Math.sqrt(squares), maxDelta: changes.reduce((max, change) => Math.max(max, change.delta), 0) },
    converged: previous !== undefined && hasConverged(changes, epsilon),
  };
}

/** The change of every quantity between two lists keyed alike (a missing entry counts as 0), with its pair's quantities. */
function changesOf<T extends { quantity: number }>(
  before: readonly T[],
  after: readonly T[],
  key: (entry: T) => string,
  declared: (entry: T, key: string) => Omit<PairChange, 'delta'>,
): PairChange[] {
  const old = new Map(before.map((entry) => [key(entry), entry]));
  const changes: PairChange[] = [];
  for (const entry of after) {
    const entryKey = key(entry);
    const delta = Math.abs(entry.quantity - (old.get(entryKey)?.quantity ?? 0));
    if (delta > 0) changes.push({ delta, ...declared(entry, entryKey) });
    old.delete(entryKey);
  }
  for (const [entryKey, entry] of old) if (entry.quantity > 0) changes.push({ delta: entry.quantity, ...declared(entry, entryKey) });
  return changes;
}
