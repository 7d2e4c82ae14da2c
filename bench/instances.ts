// Room: bench + test support. Random allocation instances of a given size, deterministic from a seed.
import { mulberry32 } from '../src/engine/random.ts';
import type { Scenario } from '../src/protocol/schemas.ts';

export interface InstanceShape {
  readonly participants: number;
  readonly edgesPerParticipant?: number;
  readonly capacitiesPerParticipant?: number;
  readonly needsPerParticipant?: number;
  readonly types?: readonly string[];
}

/** Each participant recognizes ~edges others (biased to a local neighbourhood so recognition is often mutual). */
export function randomScenario(shape: InstanceShape, seed: number): Scenario {
  const next = mulberry32(seed);
  const n = shape.participants;
  const edges = Math.min(shape.edgesPerParticipant ?? 20, n - 1);
  const types = shape.types ?? ['review', 'pairing', 'mentoring'];
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  const participants = [];
  for (let i = 0; i < n; i++) {
    const recognition: Record<string, number> = {};
    while (Object.keys(recognition).length < edges) {
      // Half the edges within a neighbourhood of 30 (mutual recognition is common there), half anywhere.
      const j = next() < 0.5 ? (i + 1 + Math.floor(next() * Math.min(30, n - 1))) % n : Math.floor(next() * n);
      if (j !== i) recognition[`p${j}`] = Math.round(1 + next() * 9);
    }
    participants.push({
      id: `p${i}`,
      recognition,
      capacities: Array.from({ length: shape.capacitiesPerParticipant ?? 2 }, (_, k) => ({ id: `c${k}`, type: pick(types), quantity: Math.round(next() * 20), skills: [] as string[] })),
      needs: Array.from({ length: shape.needsPerParticipant ?? 2 }, (_, k) => ({ id: `n${k}`, type: pick(types), quantity: Math.round(next() * 20), skills: [] as string[] })),
    });
  }
  return { participants };
}
