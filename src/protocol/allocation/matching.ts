// Room: protocol (pure). May touch: ../schemas, ./compatibility, ./recognition. Debugging views of the algorithm's
// inputs: which slots can meet, and how participants recognize each other.
import type { PeerId, RecognitionWeights, Slot } from '../schemas.ts';
import { isCompatible } from './compatibility.ts';
import { normalizeRecognition } from './recognition.ts';

export interface SlotMatch {
  /** Compatible (target, source) pairs: target is a need, source a capacity. */
  readonly pairs: readonly { readonly target: string; readonly source: string }[];
  /** sum over targets of min(target quantity, total quantity of its compatible sources). */
  readonly totalMatchable: number;
  readonly unmatchedTargets: readonly string[];
  readonly unmatchedSources: readonly string[];
}

/** Which need slots (targets) each capacity slot (source) can serve. Bucketed by type, never dropping a pair. */
export function matchTargetToSources(targets: readonly Slot[], sources: readonly Slot[]): SlotMatch {
  const sourcesByType = new Map<string, Slot[]>();
  for (const source of sources) {
    let list = sourcesByType.get(source.type);
    if (list === undefined) sourcesByType.set(source.type, (list = []));
    list.push(source);
  }
  const pairs: { target: string; source: string }[] = [];
  const usedSources = new Set<string>();
  const unmatchedTargets: string[] = [];
  let totalMatchable = 0;
  for (const target of targets) {
    let available = 0;
    let compatible = 0;
    for (const source of sourcesByType.get(target.type) ?? []) {
      if (!isCompatible(source, target)) continue;
      pairs.push({ target: target.id, source: source.id });
      usedSources.add(source.id);
      available += source.quantity;
      compatible++;
    }
    if (compatible === 0) unmatchedTargets.push(target.id);
    totalMatchable += Math.min(target.quantity, available);
  }
  return { pairs, totalMatchable, unmatchedTargets, unmatchedSources: sources.filter((source) => !usedSources.has(source.id)).map((source) => source.id) };
}

export interface RelationshipMetric {
  readonly peer: PeerId;
  /** R_self(peer), normalized. */
  readonly given: number;
  /** R_peer(self), normalized. */
  readonly received: number;
  /** MR(self, peer) = min(given, received). */
  readonly mutual: number;
  /** mutual: MR > 0; one-way: only self recognizes peer; incoming: only peer recognizes self. */
  readonly tier: 'mutual' | 'one-way' | 'incoming';
}

/** How `self` and every peer it knows recognize each other, strongest mutual first. */
export function computeRelationshipMetrics(self: PeerId, recognition: ReadonlyMap<PeerId, RecognitionWeights>): RelationshipMetric[] {
  const mine = normalizeRecognition(recognition.get(self));
  const peers = new Set<PeerId>(mine.keys());
  for (const [peer, weights] of recognition) if (peer !== self && (weights[self] ?? 0) > 0) peers.add(peer);
  const metrics: RelationshipMetric[] = [];
  for (const peer of peers) {
    const given = mine.get(peer) ?? 0;
    const received = peer === self ? given : (normalizeRecognition(recognition.get(peer)).get(self) ?? 0);
    const mutual = Math.min(given, received);
    metrics.push({ peer, given, received, mutual, tier: mutual > 0 ? 'mutual' : given > 0 ? 'one-way' : 'incoming' });
  }
  return metrics.sort((a, b) => b.mutual - a.mutual || b.given - a.given || (a.peer < b.peer ? -1 : 1));
}
