// Room: protocol (pure). May touch: nothing. Convergence, rounding residues and stability (spec/PROTOCOL.md 7.5-7.6).

export const DEFAULT_EPSILON = 1e-6;
/** Random instances converge in 4-7 rounds (bench/RESULTS.md); the bound leaves room for adversarial ones. */
export const DEFAULT_MAX_ROUNDS = 50;

/**
 * Rounding residue, relative to the quantities of the subtraction that produced it (spec 7.6): a need's room, or what
 * is left of it in rationing, at or below RESIDUE_FRACTION x its declared quantity is no room; what tier 1 left of a
 * capacity at or below RESIDUE_FRACTION x the largest quantity tier 1 worked with is nothing. Removed where it arises,
 * residue never becomes an offer, so every positive amount is a flow and is published. About 45 ulps: sums over many
 * acceptance entries round by more than one.
 */
export const RESIDUE_FRACTION = 1e-14;

/** `amount`, or 0 when it is residue of a subtraction whose quantities were of `scale` (spec 7.6). */
export function withoutResidue(amount: number, scale: number): number {
  return amount <= RESIDUE_FRACTION * scale ? 0 : amount;
}

/**
 * How far the amount on a pair (capacity slot, need slot) may still move in a round that counts as converged (spec
 * 7.6): epsilon relative to what the pair can carry, the smaller of the two declared quantities, and never below the
 * rounding of the arithmetic behind it, which repeated rounds may toggle: RESIDUE_FRACTION x `roundingScale`, the
 * larger of the capacity and the largest need the slot's amount for that recipient is split over (default: the
 * larger of the pair's two quantities). Per pair, so a quantity of 1e12 elsewhere (tolerance 1e6 if epsilon were
 * relative to the network's largest quantity) does not let a change of 2.5 pass as converged.
 */
export function pairTolerance(capacityDeclared: number, needDeclared: number, epsilon: number = DEFAULT_EPSILON, roundingScale: number = Math.max(capacityDeclared, needDeclared)): number {
  return Math.max(epsilon * Math.min(capacityDeclared, needDeclared), RESIDUE_FRACTION * roundingScale);
}

/** The change of one pair's amount between two rounds, with the pair's declared quantities (see pairTolerance). */
export interface PairChange {
  readonly delta: number;
  readonly capacityDeclared: number;
  readonly needDeclared: number;
  readonly roundingScale?: number;
}

/** A round has converged when no pair's offer or acceptance moved by more than its pairTolerance. */
export function hasConverged(changes: Iterable<PairChange>, epsilon: number = DEFAULT_EPSILON): boolean {
  for (const change of changes) if (!(change.delta <= pairTolerance(change.capacityDeclared, change.needDeclared, epsilon, change.roundingScale))) return false;
  return true;
}

/**
 * Stability factor of a need (spec 7.5): 1 / (1 + k), where k counts recent over-offers (rounds in which all providers
 * together offered the need more than its declared quantity): +1 for a round with an over-offer, -1 (not below 0) for
 * a round without. 1 is steady. A need that keeps oscillating accumulates k and gets damped; once it is calm it
 * recovers, so a need damped during one episode does not slow the convergence of every later change.
 */
export function computeStabilityFactor(overOfferHistory: readonly boolean[]): number {
  let count = 0;
  for (const overOffered of overOfferHistory) count = overOffered ? count + 1 : Math.max(0, count - 1);
  return 1 / (1 + count);
}

/** The recent over-offer count a stability factor encodes. */
export function overOfferCount(stability: number): number {
  return stability > 0 ? Math.max(0, Math.round(1 / stability - 1)) : Number.MAX_SAFE_INTEGER;
}

/** The next stability factor of a need after a round in which it was, or was not, over-offered. */
export function updateStateStability(previousStability: number, overOffered: boolean): number {
  const count = overOfferCount(previousStability);
  return 1 / (1 + (overOffered ? count + 1 : Math.max(0, count - 1)));
}

/**
 * Recent over-offers a need tolerates before providers damp (spec 7.5). Over-offers are the normal start of a run and,
 * between peers that compute at different times on records of different age, the normal response to any change: a
 * need with several providers is over-offered whenever they answer the same residual before seeing each other's
 * offers. Damped from the third over-offer on, such needs made one change at 50 engines take 22 rounds instead of 4;
 * only a need over-offered in more than 8 recent rounds (net of calm ones) is oscillating.
 */
export const TOLERATED_OVER_OFFERS = 8;
export const MIN_DAMPING = 0.25;

/**
 * The factor providers apply to the increase of their offers to a need: 1 up to TOLERATED_OVER_OFFERS over-offers,
 * then TOLERATED_OVER_OFFERS/count, never below MIN_DAMPING. Only increases are damped — a decrease can never break a cap — so damping
 * cannot cancel out against the caps.
 */
export function dampingFactor(stability: number): number {
  const count = overOfferCount(stability);
  return count <= TOLERATED_OVER_OFFERS ? 1 : Math.max(MIN_DAMPING, TOLERATED_OVER_OFFERS / count);
}
