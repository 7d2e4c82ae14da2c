// Room: bench (support). The ring scenario the network and churn benches share, and the check of one peer's
// allocations against the synchronous reference.
import type { EngineSnapshot } from '../src/engine/index.ts';
import type { Scenario, SimulationResult } from '../src/protocol/schemas.ts';

export type Row = SimulationResult['allocations'][number];

/**
 * Each peer recognizes its two neighbours, offers `review`, and needs more than its two providers can give, so the
 * fixed point is unique (the ring of test/cli/peer.test.ts).
 */
export function ringScenario(ids: readonly string[]): Scenario {
  const n = ids.length;
  return {
    participants: ids.map((id, index) => ({
      id,
      displayName: `peer ${index}`,
      recognition: { [ids[(index + 1) % n]!]: 2, [ids[(index + n - 1) % n]!]: 1 },
      capacities: [{ id: 'offer', type: 'review', quantity: 4 + (index % 3), skills: [] }],
      needs: [{ id: 'ask', type: 'review', quantity: 12 + (index % 4), skills: [] }],
    })),
  };
}

export const rowKey = (row: Pick<Row, 'provider' | 'capacity' | 'recipient' | 'need'>) => `${row.provider}/${row.capacity}->${row.recipient}/${row.need}`;

/** Why a peer's snapshot does not (yet) hold the reference on its own rows and report converged; undefined when it does. */
export function lagBehind(snapshot: EngineSnapshot, self: string, expected: readonly Row[], tolerance: number): string | undefined {
  const mine = new Map(snapshot.allocations.filter((row) => row.quantity > tolerance).map((row) => [rowKey(row), row.quantity]));
  const reference = new Map(expected.filter((row) => (row.provider === self || row.recipient === self) && row.quantity > tolerance).map((row) => [rowKey(row), row.quantity]));
  for (const [name, quantity] of reference) {
    const got = mine.get(name);
    if (got === undefined || Math.abs(got - quantity) > tolerance) return `${name}: expected ${quantity.toFixed(3)}, got ${got?.toFixed(3)}`;
  }
  for (const [name, quantity] of mine) if (!reference.has(name)) return `${name}: unexpected ${quantity.toFixed(3)}`;
  if (!snapshot.converged || snapshot.phase !== 9) return `not converged (phase ${snapshot.phaseName}, round ${snapshot.round})`;
  return undefined;
}
