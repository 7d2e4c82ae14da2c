// Room: test (protocol). Values generated for each schema survive encode -> decode -> parse unchanged, and the
// canonical form is stable (independent of key order and of a round trip).
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalJson, decodeJson, encodeJson } from '../../src/protocol/encoding.ts';
import { CausalClock, Coordination, Relationships, Results, Scenario, SignedRecord, SimulationResult, State } from '../../src/protocol/schemas.ts';
import {
  clockArbitrary,
  coordinationArbitrary,
  relationshipsArbitrary,
  resultsArbitrary,
  scenarioArbitrary,
  signedRecordArbitrary,
  simulationResultArbitrary,
  stateArbitrary,
} from './arbitraries.ts';

/** The same object with its keys in reverse order, recursively. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).reverse().map(([key, inner]) => [key, reverseKeys(inner)]));
  }
  return value;
}

const cases = [
  ['State', State, stateArbitrary],
  ['Relationships', Relationships, relationshipsArbitrary],
  ['Results', Results, resultsArbitrary],
  ['Coordination', Coordination, coordinationArbitrary],
  ['CausalClock', CausalClock, clockArbitrary],
  ['SignedRecord', SignedRecord, signedRecordArbitrary],
  ['Scenario', Scenario, scenarioArbitrary],
  ['SimulationResult', SimulationResult, simulationResultArbitrary],
] as const;

describe('schemas', () => {
  for (const [name, schema, arbitrary] of cases) {
    it(`${name}: generated values round-trip through encode/decode/parse unchanged`, () => {
      fc.assert(
        fc.property(arbitrary, (value) => {
          const parsed = schema.parse(value);
          const again = schema.parse(decodeJson(encodeJson(parsed)));
          assert.deepEqual(again, parsed);
        }),
        { numRuns: 200 },
      );
    });

    it(`${name}: the canonical encoding is stable across key order and round trips`, () => {
      fc.assert(
        fc.property(arbitrary, (value) => {
          const parsed = schema.parse(value);
          const canonical = canonicalJson(parsed);
          assert.equal(canonicalJson(reverseKeys(parsed)), canonical);
          assert.equal(canonicalJson(schema.parse(decodeJson(canonical))), canonical);
        }),
        { numRuns: 200 },
      );
    });
  }

  it('drops unknown fields of a newer minor version instead of failing (forward compatibility)', () => {
    const parsed = State.parse({ displayName: 'Ana', avatar: 'a.png', capacities: [{ id: 'c1', type: 'review', quantity: 1, color: 'red' }] });
    assert.deepEqual(parsed, { displayName: 'Ana', capacities: [{ id: 'c1', type: 'review', quantity: 1, skills: [] }], needs: [] });
  });

  it('bounds record-like maps (recognition entries)', () => {
    const recognition = Object.fromEntries(Array.from({ length: 1025 }, (_, index) => [`p${index}`, 1]));
    assert.equal(Relationships.safeParse({ recognition }).success, false);
    delete recognition.p0;
    assert.equal(Relationships.safeParse({ recognition }).success, true);
  });
});
