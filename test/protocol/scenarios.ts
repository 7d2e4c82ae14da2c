// Room: test support (protocol). Fixed scenarios shared by the protocol and engine suites.
import type { Scenario } from '../../src/protocol/schemas.ts';

/** b's offers move by 2.5 after round 1 while b also declares a need of 1e12 (test of epsilon per pair). */
export const changeBesideLargeNeed: Scenario['participants'] = [
  { id: 'b', recognition: { r1: 1, r3: 1 }, capacities: [{ id: 'b1', type: 'review', quantity: 10, skills: [] }], needs: [{ id: 'b2', type: 'pairing', quantity: 1e12, skills: [] }] },
  { id: 'c', recognition: { r3: 1 }, capacities: [{ id: 'c1', type: 'review', quantity: 10, skills: [] }], needs: [] },
  { id: 'r1', recognition: { b: 1 }, capacities: [], needs: [{ id: 'r1n', type: 'review', quantity: 10, skills: [] }] },
  { id: 'r3', recognition: { b: 1, c: 1 }, capacities: [], needs: [{ id: 'r3n', type: 'review', quantity: 5, skills: [] }] },
];
