// Room: protocol (pure). May touch: ./schemas types. Vector clocks (spec/PROTOCOL.md, "Causal clocks").
// A missing entry counts as 0, so clocks of different peer sets compare without padding.
import type { CausalClock, PeerId } from './schemas.ts';

/** How clock a relates to clock b. */
export type ClockOrder = 'before' | 'after' | 'equal' | 'concurrent';

export function compareClocks(a: CausalClock, b: CausalClock): ClockOrder {
  let aLess = false;
  let bLess = false;
  for (const peer of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const left = a[peer] ?? 0;
    const right = b[peer] ?? 0;
    if (left < right) aLess = true;
    else if (left > right) bLess = true;
    if (aLess && bLess) return 'concurrent';
  }
  if (aLess) return 'before';
  if (bLess) return 'after';
  return 'equal';
}

/** Element-wise maximum; entries that are 0 on both sides are left out. */
export function mergeClocks(a: CausalClock, b: CausalClock): CausalClock {
  const merged: CausalClock = {};
  for (const peer of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const value = Math.max(a[peer] ?? 0, b[peer] ?? 0);
    if (value > 0) merged[peer] = value;
  }
  return merged;
}

/**
 * The clock with only the entries of `peers`, at most `limit` of them, taken in the order `peers` gives (spec 8.4: a
 * peer's clock covers its neighbourhood, not the network). Dropped entries count as 0, which can only make a later
 * comparison say "concurrent" where it would have said "stale": the record is then merged, never lost.
 */
export function retainClockEntries(clock: CausalClock, peers: Iterable<PeerId>, limit = Number.POSITIVE_INFINITY): CausalClock {
  const kept: [PeerId, number][] = [];
  for (const peer of peers) {
    if (kept.length >= limit) break;
    const value = clock[peer];
    if (value !== undefined && value > 0) kept.push([peer, value]);
  }
  kept.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return Object.fromEntries(kept);
}

/** A peer increments its own entry before it publishes. */
export function incrementClock(clock: CausalClock, self: PeerId): CausalClock {
  return { ...clock, [self]: (clock[self] ?? 0) + 1 };
}

/** What to do with an incoming clock given the local one (spec: happened-before accept, concurrent merge, stale ignore). */
export function classifyUpdate(local: CausalClock, incoming: CausalClock): 'accept' | 'merge' | 'stale' {
  switch (compareClocks(local, incoming)) {
    case 'before':
      return 'accept';
    case 'concurrent':
      return 'merge';
    case 'equal':
    case 'after':
      return 'stale';
  }
}
