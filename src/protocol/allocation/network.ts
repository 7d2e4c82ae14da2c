// Room: protocol (pure). May touch: ../schemas types, ./compatibility, ./convergence, ./water-filling.
// The allocation kernel (spec/PROTOCOL.md 7.3-7.5). A set of states and recognitions is compiled once into flat typed
// arrays (compatibility is static while declarations do not change); a round then runs over those arrays without
// allocating. The synchronous simulation and each participant's own computeResults run this same kernel, so the two
// cannot drift apart.
import type { PeerId, Slot, State } from '../schemas.ts';
import { isCompatible } from './compatibility.ts';
import { withoutResidue } from './convergence.ts';
import { waterFill } from './water-filling.ts';

export interface CompiledParticipant {
  readonly id: PeerId;
  readonly state: State;
  /** Normalized recognition (sums to 1, or empty). */
  readonly recognition: ReadonlyMap<PeerId, number>;
}

/** Flat, index-based form of a network of participants. Pairs are the compatible (capacity slot, need slot) edges. */
export interface AllocationNetwork {
  readonly participants: readonly CompiledParticipant[];
  readonly participantIndex: ReadonlyMap<PeerId, number>;
  readonly needOwner: Int32Array;
  readonly needDeclared: Float64Array;
  readonly needSlot: readonly Slot[];
  /** Capacities grouped by owner (ownerCapacityStart is CSR over participants), within an owner sorted by slot id. */
  readonly capacityOwner: Int32Array;
  readonly capacityDeclared: Float64Array;
  readonly capacitySlot: readonly Slot[];
  readonly ownerCapacityStart: Int32Array;
  /**
   * The order in which each provider serves its slots (spec 7.3): within ownerCapacityStart's range of an owner, its
   * capacities by number of compatible pairs into needs of quantity > 0, fewest first, then slot id. An efficiency
   * heuristic: a slot that fits only some needs takes them before a slot that fits more.
   */
  readonly capacityOrder: Int32Array;
  /** Candidates (recipients) of each capacity: CSR over capacities. */
  readonly candidateStart: Int32Array;
  readonly candidateRecipient: Int32Array;
  /** MR(provider, recipient): > 0 puts the candidate in tier 1 (mutual). */
  readonly candidateMutual: Float64Array;
  /** R_provider(recipient): the tier-2 weight of a candidate whose MR is 0. */
  readonly candidateRecognition: Float64Array;
  /** Pairs of each candidate: CSR over candidates. */
  readonly candidatePairStart: Int32Array;
  readonly pairNeed: Int32Array;
  readonly pairCapacity: Int32Array;
  /** R_recipient(provider): the recipient's preference among offers to one need. */
  readonly pairPriority: Float64Array;
  /** Pairs into each need: CSR over needs, for the recipients' rationing. */
  readonly needPairStart: Int32Array;
  readonly needPairs: Int32Array;
  /** 1 where some provider has several capacity slots compatible with the need. */
  readonly needHasProviderOfSeveralSlots: Uint8Array;
  /** Needs of each participant: CSR over participants (needs are contiguous per owner). */
  readonly ownerNeedStart: Int32Array;
  /**
   * Candidates addressed to each recipient (CSR over participants), in the order the recipient places offers (spec
   * 7.4): its recognition of the provider, highest first; then offers that fit fewer of its needs; then capacity index.
   */
  readonly recipientCandidateStart: Int32Array;
  readonly recipientCandidates: Int32Array;
  /** R_recipient(provider) of each candidate. */
  readonly candidatePreference: Float64Array;
}

export interface CompileOptions {
  /** Compile candidates only for these providers (indices); default: everyone. */
  readonly providers?: ReadonlySet<number>;
}

function byId(a: Slot, b: Slot): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function compileNetwork(participants: readonly CompiledParticipant[], options: CompileOptions = {}): AllocationNetwork {
  const participantIndex = new Map<PeerId, number>();
  participants.forEach((participant, index) => participantIndex.set(participant.id, index));

  // Needs, and an index of each participant's needs by type. The index only narrows by type — a necessary
  // condition of compatibility — so it can never drop a compatible pair.
  const needOwner: number[] = [];
  const needDeclared: number[] = [];
  const needSlot: Slot[] = [];
  const needsByType: Map<string, number[]>[] = [];
  participants.forEach((participant, owner) => {
    const byType = new Map<string, number[]>();
    for (const need of [...participant.state.needs].sort(byId)) {
      const index = needSlot.length;
      needOwner.push(owner);
      needDeclared.push(need.quantity);
      needSlot.push(need);
      let list = byType.get(need.type);
      if (list === undefined) byType.set(need.type, (list = []));
      list.push(index);
    }
    needsByType.push(byType);
  });

  const capacityOwner: number[] = [];
  const capacityDeclared: number[] = [];
  const capacitySlot: Slot[] = [];
  const ownerCapacityStart = new Int32Array(participants.length + 1);
  const candidateStart: number[] = [0];
  const candidateRecipient: number[] = [];
  const candidateMutual: number[] = [];
  const candidateRecognition: number[] = [];
  const candidatePreference: number[] = [];
  const candidatePairStart: number[] = [0];
  const pairNeed: number[] = [];
  const pairCapacity: number[] = [];
  const pairPriority: number[] = [];

  participants.forEach((provider, owner) => {
    ownerCapacityStart[owner] = capacitySlot.length;
    const compileCandidates = options.providers === undefined || options.providers.has(owner);
    // Recipients in index order, so results do not depend on the order of a recognition map.
    const recipients = compileCandidates
      ? [...provider.recognition.entries()]
          .map(([peer, weight]) => [participantIndex.get(peer), weight] as const)
          .filter((entry): entry is readonly [number, number] => entry[0] !== undefined && entry[1] > 0)
          .sort((a, b) => a[0] - b[0])
      : [];
    for (const capacity of [...provider.state.capacities].sort(byId)) {
      const capacityIndex = capacitySlot.length;
      capacityOwner.push(owner);
      capacityDeclared.push(capacity.quantity);
      capacitySlot.push(capacity);
      for (const [recipient, weight] of recipients) {
        const sameType = needsByType[recipient]!.get(capacity.type);
        if (sameType === undefined) continue;
        const before = pairNeed.length;
        for (const need of sameType) {
          if (isCompatible(capacity, needSlot[need]!)) {
            pairNeed.push(need);
            pairCapacity.push(capacityIndex);
            pairPriority.push(participants[recipient]!.recognition.get(provider.id) ?? 0);
          }
        }
        if (pairNeed.length === before) continue;
        const recipientRecognition = participants[recipient]!.recognition;
        candidateRecipient.push(recipient);
        candidateRecognition.push(weight);
        candidateMutual.push(Math.min(weight, recipientRecognition.get(provider.id) ?? 0));
        candidatePreference.push(recipientRecognition.get(provider.id) ?? 0);
        candidatePairStart.push(pairNeed.length);
      }
      candidateStart.push(candidateRecipient.length);
    }
  });
  ownerCapacityStart[participants.length] = capacitySlot.length;
  const capacityOrder = Int32Array.from(capacitySlot, (_, capacity) => capacity);
  // Pairs into needs of quantity 0 do not count: they cannot take anything, and they would reorder the slots.
  const pairsOfCapacity = (capacity: number) => {
    let count = 0;
    for (let pair = candidatePairStart[candidateStart[capacity]!]!; pair < candidatePairStart[candidateStart[capacity + 1]!]!; pair++) if (needDeclared[pairNeed[pair]!]! > 0) count++;
    return count;
  };
  for (let owner = 0; owner < participants.length; owner++) {
    const [first, end] = [ownerCapacityStart[owner]!, ownerCapacityStart[owner + 1]!];
    if (end - first < 2) continue;
    const slice = Array.from(capacityOrder.subarray(first, end)).sort((a, b) => pairsOfCapacity(a) - pairsOfCapacity(b) || a - b);
    capacityOrder.set(slice, first);
  }

  // Reverse index: pairs into each need.
  const needPairStart = new Int32Array(needSlot.length + 1);
  for (const need of pairNeed) needPairStart[need + 1]!++;
  for (let i = 0; i < needSlot.length; i++) needPairStart[i + 1]! += needPairStart[i]!;
  const fill = needPairStart.slice(0, needSlot.length);
  const needPairs = new Int32Array(pairNeed.length);
  pairNeed.forEach((need, pair) => (needPairs[fill[need]!++] = pair));
  // Within a need, offers are rationed in the recipient's order of preference: its recognition of the provider, highest
  // first; equal recognition shares by water level (spec 7.4).
  for (let need = 0; need < needSlot.length; need++) {
    const slice = Array.from(needPairs.subarray(needPairStart[need]!, needPairStart[need + 1]!));
    slice.sort((a, b) => pairPriority[b]! - pairPriority[a]! || pairCapacity[a]! - pairCapacity[b]!);
    needPairs.set(slice, needPairStart[need]!);
  }
  // Needs that one provider can reach from several slots: their water level is per provider (spec 7.4). The sort above
  // puts one provider's pairs next to each other (same preference, consecutive capacity indices).
  const needHasProviderOfSeveralSlots = new Uint8Array(needSlot.length);
  for (let need = 0; need < needSlot.length; need++) {
    for (let k = needPairStart[need]! + 1; k < needPairStart[need + 1]!; k++) {
      if (capacityOwner[pairCapacity[needPairs[k]!]!] === capacityOwner[pairCapacity[needPairs[k - 1]!]!]) needHasProviderOfSeveralSlots[need] = 1;
    }
  }

  const ownerNeedStart = new Int32Array(participants.length + 1);
  for (const owner of needOwner) ownerNeedStart[owner + 1]!++;
  for (let i = 0; i < participants.length; i++) ownerNeedStart[i + 1]! += ownerNeedStart[i]!;

  const recipientCandidateStart = new Int32Array(participants.length + 1);
  for (const recipient of candidateRecipient) recipientCandidateStart[recipient + 1]!++;
  for (let i = 0; i < participants.length; i++) recipientCandidateStart[i + 1]! += recipientCandidateStart[i]!;
  const recipientFill = recipientCandidateStart.slice(0, participants.length);
  const recipientCandidates = new Int32Array(candidateRecipient.length);
  candidateRecipient.forEach((recipient, candidate) => (recipientCandidates[recipientFill[recipient]!++] = candidate));
  const flexibility = (candidate: number) => candidatePairStart[candidate + 1]! - candidatePairStart[candidate]!;
  for (let recipient = 0; recipient < participants.length; recipient++) {
    const slice = Array.from(recipientCandidates.subarray(recipientCandidateStart[recipient]!, recipientCandidateStart[recipient + 1]!));
    slice.sort((a, b) => candidatePreference[b]! - candidatePreference[a]! || flexibility(a) - flexibility(b) || a - b);
    recipientCandidates.set(slice, recipientCandidateStart[recipient]!);
  }

  return {
    participants,
    participantIndex,
    needOwner: Int32Array.from(needOwner),
    needDeclared: Float64Array.from(needDeclared),
    needSlot,
    capacityOwner: Int32Array.from(capacityOwner),
    capacityDeclared: Float64Array.from(capacityDeclared),
    capacitySlot,
    ownerCapacityStart,
    capacityOrder,
    candidateStart: Int32Array.from(candidateStart),
    candidateRecipient: Int32Array.from(candidateRecipient),
    candidateMutual: Float64Array.from(candidateMutual),
    candidateRecognition: Float64Array.from(candidateRecognition),
    candidatePairStart: Int32Array.from(candidatePairStart),
    pairNeed: Int32Array.from(pairNeed),
    pairCapacity: Int32Array.from(pairCapacity),
    pairPriority: Float64Array.from(pairPriority),
    needPairStart,
    needPairs,
    needHasProviderOfSeveralSlots,
    ownerNeedStart,
    recipientCandidateStart,
    recipientCandidates,
    candidatePreference: Float64Array.from(candidatePreference),
  };
}

/**
 * Per pair, the rounding scale of its amount (spec 7.6, pairTolerance): the larger of its capacity's quantity and the
 * largest need its candidate's amount is split over (the split couples them).
 */
export function pairRoundingScales(network: AllocationNetwork): Float64Array {
  const { candidateStart, candidatePairStart, pairNeed, needDeclared, capacityDeclared } = network;
  const scales = new Float64Array(pairNeed.length);
  for (let capacity = 0; capacity < capacityDeclared.length; capacity++) {
    for (let candidate = candidateStart[capacity]!; candidate < candidateStart[capacity + 1]!; candidate++) {
      let scale = capacityDeclared[capacity]!;
      for (let pair = candidatePairStart[candidate]!; pair < candidatePairStart[candidate + 1]!; pair++) scale = Math.max(scale, needDeclared[pairNeed[pair]!]!);
      for (let pair = candidatePairStart[candidate]!; pair < candidatePairStart[candidate + 1]!; pair++) scales[pair] = scale;
    }
  }
  return scales;
}

/** Scratch arrays for one waterFill call, grown on demand and reused, so a round allocates nothing. */
export class WaterFillScratch {
  weights: Float64Array;
  caps: Float64Array;
  amounts: Float64Array;
  order: Int32Array;

  constructor(size: number) {
    this.weights = new Float64Array(size);
    this.caps = new Float64Array(size);
    this.amounts = new Float64Array(size);
    this.order = new Int32Array(size);
  }

  /** This scratch, with room for at least `size` entries. */
  ensure(size: number): this {
    if (this.weights.length >= size) return this;
    const length = Math.max(size, this.weights.length * 2);
    this.weights = new Float64Array(length);
    this.caps = new Float64Array(length);
    this.amounts = new Float64Array(length);
    this.order = new Int32Array(length);
    return this;
  }
}

/** Reusable scratch memory for rounds over one network. */
export class RoundScratch {
  readonly room: Float64Array;
  readonly touched: Int32Array;
  readonly touchedMark: Uint8Array;
  /** For water-filling a capacity over its candidates. */
  readonly candidates = new WaterFillScratch(64);
  /** For splitting one candidate's amount over its needs (distribute). */
  readonly split = new WaterFillScratch(8);

  constructor(network: AllocationNetwork) {
    this.room = new Float64Array(network.needSlot.length);
    this.touched = new Int32Array(network.needSlot.length);
    this.touchedMark = new Uint8Array(network.needSlot.length);
  }
}

/**
 * One provider's offers for a round (spec 7.3). `acceptedTotal[need]` is what each need accepted from everyone in the
 * previous round and `accepted[pair]` what it accepted over each pair, so the room this provider sees for a need is
 * declared - (acceptedTotal - what it accepted from this provider): the provider never offers more than others leave.
 * Capacity slots are served in capacityOrder (the most specialized first), each by tier-1 water-filling (weights MR)
 * and then tier-2 (weights R).
 */
export function providerOffers(
  network: AllocationNetwork,
  provider: number,
  acceptedTotal: Float64Array,
  accepted: Float64Array,
  offers: Float64Array,
  scratch: RoundScratch,
  damping?: Damping,
): void {
  const { candidateStart, candidatePairStart, pairNeed, needDeclared, candidateMutual, candidateRecognition, capacityDeclared } = network;
  const { room, touched, touchedMark } = scratch;
  const firstCapacity = network.ownerCapacityStart[provider]!;
  const endCapacity = network.ownerCapacityStart[provider + 1]!;
  const firstPair = candidatePairStart[candidateStart[firstCapacity]!]!;
  const endPair = candidatePairStart[candidateStart[endCapacity]!]!;

  // Room per need as this provider sees it.
  let touchedCount = 0;
  for (let pair = firstPair; pair < endPair; pair++) {
    const need = pairNeed[pair]!;
    if (touchedMark[need] === 0) {
      touchedMark[need] = 1;
      touched[touchedCount++] = need;
      room[need] = needDeclared[need]! - acceptedTotal[need]!;
    }
    room[need]! += accepted[pair]!;
  }
  for (let t = 0; t < touchedCount; t++) {
    const need = touched[t]!;
    // A room within the rounding of its need's own subtraction is no room (spec 7.6): offered, it would be noise.
    room[need] = withoutResidue(room[need]!, needDeclared[need]!);
  }

  for (let slot = firstCapacity; slot < endCapacity; slot++) {
    const capacity = network.capacityOrder[slot]!;
    const first = candidateStart[capacity]!;
    const count = candidateStart[capacity + 1]! - first;
    for (let pair = candidatePairStart[first]!; pair < candidatePairStart[first + count]!; pair++) offers[pair] = 0;
    if (count === 0) continue;
    const { weights, caps, amounts, order } = scratch.candidates.ensure(count);
    // The scale of tier 1's arithmetic: the capacity and every need with room it may fill.
    let tierOneScale = capacityDeclared[capacity]!;
    for (let k = 0; k < count; k++) {
      let cap = 0;
      for (let pair = candidatePairStart[first + k]!; pair < candidatePairStart[first + k + 1]!; pair++) {
        const need = pairNeed[pair]!;
        cap += room[need]!;
        if (candidateMutual[first + k]! > 0 && room[need]! > 0 && needDeclared[need]! > tierOneScale) tierOneScale = needDeclared[need]!;
      }
      caps[k] = cap;
      weights[k] = candidateMutual[first + k]!;
    }
    // Tier 1: mutual recipients. Capacity freed by caps is re-divided inside the tier by water-filling itself.
    const usedMutual = waterFill(capacityDeclared[capacity]!, count, weights, caps, amounts, order);
    distribute(network, first, count, amounts, offers, room, scratch, damping);
    // Tier 2: one-way recipients, only with what every mutual recipient left.
    // What tier 1 left carries the rounding of the rooms it filled (rooms of 1e11 leave 1e-5): within that, nothing.
    const left = withoutResidue(capacityDeclared[capacity]! - usedMutual, tierOneScale);
    if (left > 0) {
      let anyOneWay = false;
      for (let k = 0; k < count; k++) {
        const oneWay = candidateMutual[first + k] === 0;
        weights[k] = oneWay ? candidateRecognition[first + k]! : 0;
        anyOneWay ||= oneWay;
        if (oneWay) {
          let cap = 0;
          for (let pair = candidatePairStart[first + k]!; pair < candidatePairStart[first + k + 1]!; pair++) cap += room[pairNeed[pair]!]!;
          caps[k] = cap;
        }
      }
      if (anyOneWay) {
        waterFill(left, count, weights, caps, amounts, order);
        distribute(network, first, count, amounts, offers, room, scratch, damping);
      }
    }
  }
  for (let t = 0; t < touchedCount; t++) touchedMark[touched[t]!] = 0;
}

/**
 * Damping of oscillating needs (spec 7.5): `factor[need]` in (0, 1] scales the INCREASE of an offer over the
 * provider's previous offer on the same pair; decreases always apply in full.
 */
export interface Damping {
  readonly previousOffers: Float64Array;
  readonly factor: Float64Array;
}

/**
 * A recipient's amount is split over its compatible needs (spec 7.3, several needs) by water-filling: in proportion to
 * their declared quantities, each capped at its room. The split follows others' acceptance only where a room binds, so
 * a provider's proposals do not creep after every small move of a competitor (a split in proportion to the rooms did,
 * once recipients place proposals as made). Each need's room, as seen by this provider's later slots, shrinks by what
 * it got.
 */
function distribute(
  network: AllocationNetwork,
  first: number,
  count: number,
  amounts: Float64Array,
  offers: Float64Array,
  room: Float64Array,
  scratch: RoundScratch,
  damping: Damping | undefined,
): void {
  const { candidatePairStart, pairNeed, needDeclared } = network;
  for (let k = 0; k < count; k++) {
    const amount = amounts[k]!;
    if (!(amount > 0)) continue;
    const start = candidatePairStart[first + k]!;
    const width = candidatePairStart[first + k + 1]! - start;
    const { weights, caps, amounts: split, order } = scratch.split.ensure(width);
    for (let i = 0; i < width; i++) {
      const need = pairNeed[start + i]!;
      weights[i] = needDeclared[need]!;
      caps[i] = room[need]!;
    }
    waterFill(amount, width, weights, caps, split, order);
    for (let i = 0; i < width; i++) {
      const pair = start + i;
      const need = pairNeed[pair]!;
      let given = split[i]!;
      if (damping !== undefined) {
        const previous = damping.previousOffers[pair]!;
        const factor = damping.factor[need]!;
        if (factor < 1 && offers[pair]! + given > previous) given = Math.max(0, previous + factor * (offers[pair]! + given - previous) - offers[pair]!);
      }
      offers[pair]! += given;
      // Residue of this subtraction is no room either (spec 7.6): a 1e-9 slot put half its amount on the 1e-10 that
      // an earlier slot's offer left of a need of 1e6 (found by an implementer's pass that zeroed it here).
      room[need] = withoutResidue(room[need]! - given, needDeclared[need]!);
    }
  }
}

/**
 * Recipients' rationing (spec 7.4). A recipient places the offers it received over all its needs: classes of offers in
 * its order (preference, then offers that fit fewer of its needs); in each class, first every offer where its provider
 * proposed it, then what it could not place there spread over the offer's compatible needs in proportion to their
 * remaining room; a need asked for more than its remaining room shares it among the class's providers by water level.
 * What a need accepts from all providers together never exceeds its declared quantity, in every round: the network is
 * contractive.
 */
export function rationOffers(
  network: AllocationNetwork,
  offers: Float64Array,
  accepted: Float64Array,
  acceptedTotal: Float64Array,
  overOffered?: Uint8Array,
  scratch?: RationScratch,
): void {
  const { needPairStart, needPairs, needDeclared, ownerNeedStart, recipientCandidateStart, recipientCandidates, candidatePairStart, candidatePreference, pairNeed } = network;
  const work = scratch ?? new RationScratch(network);
  const { remaining, wanted, share } = work;
  for (let recipient = 0; recipient < ownerNeedStart.length - 1; recipient++) {
    const firstNeed = ownerNeedStart[recipient]!;
    const endNeed = ownerNeedStart[recipient + 1]!;
    for (let need = firstNeed; need < endNeed; need++) {
      remaining[need] = needDeclared[need]!;
      if (overOffered !== undefined) {
        let offered = 0;
        for (let k = needPairStart[need]!; k < needPairStart[need + 1]!; k++) offered += offers[needPairs[k]!]!;
        overOffered[need] = isOverOffer(offered, needDeclared[need]!) ? 1 : 0;
      }
    }
    const end = recipientCandidateStart[recipient + 1]!;
    for (let k = recipientCandidateStart[recipient]!; k < end; ) {
      // One class: equal preference and equal number of compatible needs.
      const head = recipientCandidates[k]!;
      const preference = candidatePreference[head]!;
      const width = candidatePairStart[head + 1]! - candidatePairStart[head]!;
      let classEnd = k;
      while (classEnd < end) {
        const candidate = recipientCandidates[classEnd]!;
        if (candidatePreference[candidate] !== preference || candidatePairStart[candidate + 1]! - candidatePairStart[candidate]! !== width) break;
        classEnd++;
      }
      // First each offer where its provider proposed it: the provider served its slots one after the other knowing
      // what each consumed (7.3), so its proposals fit together; spread fungibly they may not (a general slot's offer
      // spread over a need only a specialized slot can serve leaves the need the general slot was meant for short).
      for (let index = k; index < classEnd; index++) {
        const candidate = recipientCandidates[index]!;
        for (let pair = candidatePairStart[candidate]!; pair < candidatePairStart[candidate + 1]!; pair++) {
          share[pair] = offers[pair]!;
          wanted[pairNeed[pair]!]! += offers[pair]!;
        }
      }
      acceptWishes(network, recipientCandidates, k, classEnd, accepted, work);
      // Then what an offer could not place there, spread over all its needs in proportion to the room they have left.
      let anyLeft = false;
      for (let index = k; index < classEnd; index++) {
        const candidate = recipientCandidates[index]!;
        let left = 0;
        let room = 0;
        for (let pair = candidatePairStart[candidate]!; pair < candidatePairStart[candidate + 1]!; pair++) {
          left += offers[pair]! - accepted[pair]!;
          room += remaining[pairNeed[pair]!]!;
        }
        const fraction = room > 0 && left > 0 ? Math.min(1, left / room) : 0;
        for (let pair = candidatePairStart[candidate]!; pair < candidatePairStart[candidate + 1]!; pair++) {
          const want = remaining[pairNeed[pair]!]! * fraction;
          share[pair] = want;
          wanted[pairNeed[pair]!]! += want;
          anyLeft ||= want > 0;
        }
      }
      if (anyLeft) {
        const { placed } = work;
        acceptWishes(network, recipientCandidates, k, classEnd, placed, work);
        for (let index = k; index < classEnd; index++) {
          const candidate = recipientCandidates[index]!;
          for (let pair = candidatePairStart[candidate]!; pair < candidatePairStart[candidate + 1]!; pair++) accepted[pair]! += placed[pair]!;
        }
      }
      k = classEnd;
    }
    for (let need = firstNeed; need < endNeed; need++) acceptedTotal[need] = needDeclared[need]! - remaining[need]!;
  }
}

/**
 * Accepts the wishes (`work.share`, summed per need in `work.wanted`) of one class's offers into `target` (spec 7.4
 * step 2): in full where a need is asked for no more than it has left, else by water level per provider. Then lowers
 * each need's remaining room by what it accepted, and clears `wanted`.
 */
function acceptWishes(network: AllocationNetwork, recipientCandidates: Int32Array, from: number, to: number, target: Float64Array, work: RationScratch): void {
  const { candidatePairStart, pairNeed, needDeclared } = network;
  const { remaining, wanted, share, headOfNeed, nextInNeed, overAskedNeeds } = work;
  // An over-asked need shares what it has left by water level, a wish below the level in full. (Proportional sharing
  // let one late offer rescale every other provider's acceptance, which kept asynchronous peers correcting each other.)
  // Pairs into over-asked needs are chained per need (headOfNeed / nextInNeed), so nothing is sorted or allocated.
  overAskedNeeds.length = 0;
  for (let index = from; index < to; index++) {
    const candidate = recipientCandidates[index]!;
    for (let pair = candidatePairStart[candidate]!; pair < candidatePairStart[candidate + 1]!; pair++) {
      const need = pairNeed[pair]!;
      // A wish of nothing gets nothing at any level (most offers into a need are 0, so chains stay short).
      if (wanted[need]! <= remaining[need]! || share[pair] === 0) {
        target[pair] = share[pair]!;
        continue;
      }
      if (headOfNeed[need] === -1) overAskedNeeds.push(need);
      nextInNeed[pair] = headOfNeed[need]!;
      headOfNeed[need] = pair;
    }
  }
  for (const need of overAskedNeeds) {
    const first = headOfNeed[need]!;
    headOfNeed[need] = -1;
    shareByLevel(network, need, first, remaining[need]!, target, work);
  }
  for (let index = from; index < to; index++) {
    const candidate = recipientCandidates[index]!;
    for (let pair = candidatePairStart[candidate]!; pair < candidatePairStart[candidate + 1]!; pair++) {
      const need = pairNeed[pair]!;
      wanted[need] = 0;
      remaining[need] = withoutResidue(remaining[need]! - target[pair]!, needDeclared[need]!);
    }
  }
}

/**
 * Shares what an over-asked need has left among the wishes chained from `first` (spec 7.4 step 2): the level L with
 * Σ_q min(W_q, L) = left over the class's providers q, W_q the wishes of all q's slots together (water-filling with
 * equal weights). Per provider, so splitting one capacity into several slots earns no larger share; a provider's
 * acceptance is split over its slots in proportion to their wishes.
 */
function shareByLevel(network: AllocationNetwork, need: number, first: number, left: number, accepted: Float64Array, work: RationScratch): void {
  const { pairCapacity, capacityOwner } = network;
  const { share, nextInNeed, levelWeights, levelCaps, levelAmounts, levelOrder, groupOfProvider, groupProvider } = work;
  if (network.needHasProviderOfSeveralSlots[need] === 0) {
    // One slot per provider: the level over the wishes themselves.
    let count = 0;
    for (let pair = first; pair !== -1; pair = nextInNeed[pair]!) levelCaps[count++] = share[pair]!;
    waterFill(left, count, levelWeights, levelCaps, levelAmounts, levelOrder);
    count = 0;
    for (let pair = first; pair !== -1; pair = nextInNeed[pair]!) accepted[pair] = levelAmounts[count++]!;
    return;
  }
  let groups = 0;
  for (let pair = first; pair !== -1; pair = nextInNeed[pair]!) {
    const provider = capacityOwner[pairCapacity[pair]!]!;
    let group = groupOfProvider[provider]!;
    if (group === -1) {
      group = groups++;
      groupOfProvider[provider] = group;
      groupProvider[group] = provider;
      levelCaps[group] = 0;
    }
    levelCaps[group]! += share[pair]!;
  }
  waterFill(left, groups, levelWeights, levelCaps, levelAmounts, levelOrder);
  // The fraction of its wishes each provider gets.
  for (let group = 0; group < groups; group++) {
    // (Every chained wish is above 0, so every provider's total is.)
    levelAmounts[group] = levelAmounts[group]! >= levelCaps[group]! ? 1 : levelAmounts[group]! / levelCaps[group]!;
  }
  for (let pair = first; pair !== -1; pair = nextInNeed[pair]!) accepted[pair] = share[pair]! * levelAmounts[groupOfProvider[capacityOwner[pairCapacity[pair]!]!]!]!;
  for (let group = 0; group < groups; group++) groupOfProvider[groupProvider[group]!] = -1;
}

/** Scratch memory of rationOffers. */
export class RationScratch {
  readonly remaining: Float64Array;
  readonly wanted: Float64Array;
  readonly share: Float64Array;
  /** Per pair, what the second, fungible placement of a class accepted (spec 7.4). */
  readonly placed: Float64Array;
  /** Per need, the first of the class's pairs into it when it is asked for more than it has left (-1: none). */
  readonly headOfNeed: Int32Array;
  /** The next pair into the same need (-1 ends the chain). */
  readonly nextInNeed: Int32Array;
  /** The needs asked for more than they have left in the current class (reused, so a round allocates nothing). */
  readonly overAskedNeeds: number[] = [];
  /** Water-level scratch for one need, sized to the most pairs into any need; every weight is 1 (equal weights). */
  readonly levelWeights: Float64Array;
  readonly levelCaps: Float64Array;
  readonly levelAmounts: Float64Array;
  readonly levelOrder: Int32Array;
  /** Per participant, its entry in the water level of the need at hand (-1: none); per entry, its provider. */
  readonly groupOfProvider: Int32Array;
  readonly groupProvider: Int32Array;

  constructor(network: AllocationNetwork) {
    this.remaining = new Float64Array(network.needSlot.length);
    this.wanted = new Float64Array(network.needSlot.length);
    this.share = new Float64Array(network.pairNeed.length);
    this.placed = new Float64Array(network.pairNeed.length);
    this.headOfNeed = new Int32Array(network.needSlot.length).fill(-1);
    this.nextInNeed = new Int32Array(network.pairNeed.length);
    let widest = 0;
    for (let need = 0; need < network.needSlot.length; need++) widest = Math.max(widest, network.needPairStart[need + 1]! - network.needPairStart[need]!);
    this.levelWeights = new Float64Array(widest).fill(1);
    this.levelCaps = new Float64Array(widest);
    this.levelAmounts = new Float64Array(widest);
    this.levelOrder = new Int32Array(widest);
    this.groupOfProvider = new Int32Array(network.participants.length).fill(-1);
    this.groupProvider = new Int32Array(widest);
  }
}

/** Over-offered: offered beyond the declared quantity by more than rounding (relative 1e-9). */
export function isOverOffer(offered: number, declared: number): boolean {
  return offered > declared + 1e-9 * Math.max(1, declared);
}
