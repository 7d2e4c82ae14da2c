// Room: protocol (pure). May touch: ./clock, ./schemas (types). The conflict rule of spec 8.3, shared by the engine's
// stores and the network's store of records held for sync, so both keep the same record of an equivocating author.
import { compareClocks } from './clock.ts';
import type { CausalClock } from './schemas.ts';

export type ConflictOutcome = 'accepted' | 'stale' | 'duplicate' | 'equivocation-replaced' | 'equivocation-ignored';

/** What the rule reads of a verified record. */
export interface Versioned {
  readonly sequence: number;
  readonly clock: CausalClock;
  readonly signature: string;
}

/**
 * Does `incoming` win over `held` (records of one author and kind)? Higher sequence wins; at an equal sequence the
 * same signature is the same record (a verified signature covers the whole canonical form, and Ed25519 signatures
 * are deterministic), a clock that happened before loses, and concurrent or equal clocks keep the greater signature.
 */
export function resolveConflict(held: Versioned | undefined, incoming: Versioned): ConflictOutcome {
  if (held === undefined || incoming.sequence > held.sequence) return 'accepted';
  if (incoming.sequence < held.sequence) return 'stale';
  if (incoming.signature === held.signature) return 'duplicate';
  switch (compareClocks(held.clock, incoming.clock)) {
    case 'before':
      return 'equivocation-replaced';
    case 'after':
      return 'equivocation-ignored';
    default:
      return incoming.signature > held.signature ? 'equivocation-replaced' : 'equivocation-ignored';
  }
}
