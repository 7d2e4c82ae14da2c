// Room: protocol (pure). May touch: ../schemas types. Recognition weights (spec/PROTOCOL.md 7.1).
import type { PeerId, RecognitionWeights } from '../schemas.ts';

// Recognition records are immutable once parsed, so their normalized form is memoized per object.
const normalizedCache = new WeakMap<RecognitionWeights, ReadonlyMap<PeerId, number>>();

/** Weights normalized to sum 1; all zero (or none) means no recognition: an empty map. */
export function normalizeRecognition(weights: RecognitionWeights | undefined): ReadonlyMap<PeerId, number> {
  if (weights === undefined) return new Map();
  const cached = normalizedCache.get(weights);
  if (cached !== undefined) return cached;
  const normalized = computeNormalized(weights);
  normalizedCache.set(weights, normalized);
  return normalized;
}

function computeNormalized(weights: RecognitionWeights): Map<PeerId, number> {
  const normalized = new Map<PeerId, number>();
  let total = 0;
  for (const weight of Object.values(weights)) total += weight;
  if (!(total > 0)) return normalized;
  for (const [peer, weight] of Object.entries(weights)) if (weight > 0) normalized.set(peer, weight / total);
  return normalized;
}

/** MR(a, b) = min(R_a(b), R_b(a)), on normalized recognition. MR(a, a) = R_a(a). */
export function mutualRecognition(recognitionOfA: ReadonlyMap<PeerId, number>, a: PeerId, recognitionOfB: ReadonlyMap<PeerId, number>, b: PeerId): number {
  return Math.min(recognitionOfA.get(b) ?? 0, recognitionOfB.get(a) ?? 0);
}
