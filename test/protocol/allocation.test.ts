// Room: test (protocol). The allocation properties (spec/PROTOCOL.md 7.8) on random instances of 2-200 participants
// and on fixed cases; the index against brute force; computeResults against the synchronous simulation.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isCompatible } from '../../src/protocol/allocation/compatibility.ts';
import {
  compileNetwork,
  computeResults,
  computeStabilityFactor,
  dampingFactor,
  hasConverged,
  matchTargetToSources,
  normalizeRecognition,
  pairTolerance,
  scenarioParticipants,
  simulate,
  summarizeResults,
  SynchronousRun,
  updateStateStability,
  waterFill,
} from '../../src/protocol/allocation/index.ts';
import { rationOffers } from '../../src/protocol/allocation/network.ts';
import type { PeerId, Relationships, Results, Scenario, SimulationResult, State, TimeWindow } from '../../src/protocol/schemas.ts';
import { assertAllocationProperties } from './allocation-properties.ts';
import { changeBesideLargeNeed } from './scenarios.ts';

const TYPES = ['review', 'pairing', 'mentoring'];
const SKILLS = ['rust', 'go', 'ts'];

/** Random scenarios: sparse recognition (zeros and self-recognition included), skills, windows and locations. */
interface ScenarioShape {
  /** Recognition weights to draw from (default 0, 1, 2, 5). */
  readonly weights?: readonly number[];
  /** Slot quantities (default 0-20, integers and reals). */
  readonly quantity?: fc.Arbitrary<number>;
  /** Slots instead of the default ones (any type, skills, window and location), given the slot's id. */
  readonly slot?: (id: string) => fc.Arbitrary<Record<string, unknown>>;
  /** At most this many capacity slots and need slots per participant (default 2), and recognition edges (default 8). */
  readonly slots?: number;
  readonly edges?: number;
}

function scenarioArbitrary(minParticipants: number, maxParticipants: number, shape: ScenarioShape = {}): fc.Arbitrary<Scenario> {
  const weights = shape.weights ?? [0, 1, 2, 5];
  const slot = shape.slot ?? ((prefix: string) =>
    fc.record({
      type: fc.constantFrom(...TYPES),
      quantity: shape.quantity ?? fc.oneof(fc.integer({ min: 0, max: 20 }), fc.double({ min: 0, max: 20, noNaN: true }).map((value) => value + 0)),
      skills: fc.subarray(SKILLS, { maxLength: 2 }),
      window: fc.option(fc.record({ kind: fc.constant('weekly' as const), days: fc.constantFrom(['mon'], ['mon', 'tue'], ['sat']), start: fc.constantFrom('09:00', '22:00'), end: fc.constantFrom('12:00', '02:00'), timeZone: fc.constantFrom('UTC', 'Europe/Berlin') }), { nil: undefined }),
      location: fc.option(fc.constantFrom({ remote: true }, { city: 'Lisbon' }, { city: 'Porto' }, { lat: 38.7, lon: -9.1 }, { lat: 41.1, lon: -8.6 }), { nil: undefined }),
    }).map((value) => ({ id: prefix, ...value, ...(value.window === undefined ? { window: undefined } : {}) })));
  return fc.integer({ min: minParticipants, max: maxParticipants }).chain((count) =>
    fc
      .array(
        fc.record({
          recognition: fc.array(fc.tuple(fc.nat({ max: count - 1 }), fc.constantFrom(...weights)), { maxLength: Math.min(shape.edges ?? 8, count) }),
          capacities: fc.array(slot('c'), { maxLength: shape.slots ?? 2 }),
          needs: fc.array(slot('n'), { maxLength: shape.slots ?? 2 }),
        }),
        { minLength: count, maxLength: count },
      )
      .map((people) => ({
        participants: people.map((person, index) => ({
          id: `p${index}`,
          recognition: Object.fromEntries(person.recognition.map(([peer, weight]) => [`p${peer}`, weight])),
          capacities: person.capacities.map((capacity, k) => JSON.parse(JSON.stringify({ ...capacity, id: `c${k}` }))),
          needs: person.needs.map((need, k) => JSON.parse(JSON.stringify({ ...need, id: `n${k}` }))),
        })),
      })),
  );
}

describe('allocation', () => {
  describe('properties on random instances', function () {
    this.timeout(120_000);
    it('hold after convergence for 2-40 participants, and no need ever accepts more than declared', () => {
      fc.assert(
        fc.property(scenarioArbitrary(2, 40), (scenario) => {
          const run = new SynchronousRun(compileNetwork(scenarioParticipants(scenario)));
          for (let round = 0; round < 100; round++) if (run.step().maxDelta <= 1e-9) break;
          assert.ok(run.maxOverAcceptance <= 1e-9 * 20, `over-acceptance ${run.maxOverAcceptance}`);
          const result = simulate(scenario);
          assert.ok(result.converged, `no convergence in ${result.rounds} rounds`);
          assertAllocationProperties(scenario, result);
        }),
        { numRuns: 150 },
      );
    });

    it('keep capacities and needs within their quantities in every round when weights differ by hundreds of orders of magnitude', () => {
      // Normalized, such weights are subnormal next to the others; a water level formed by dividing by them overflowed
      // to Infinity and gave a capacity of 5 an offer of 10.
      fc.assert(
        fc.property(scenarioArbitrary(2, 30, { weights: [0, 1, 1e12, 1e-300, 5e-324] }), (scenario) => {
          const network = compileNetwork(scenarioParticipants(scenario));
          const run = new SynchronousRun(network);
          for (let round = 0; round < 30; round++) {
            const { maxDelta } = run.step();
            for (let capacity = 0; capacity < network.capacitySlot.length; capacity++) {
              let offered = 0;
              for (let pair = network.candidatePairStart[network.candidateStart[capacity]!]!; pair < network.candidatePairStart[network.candidateStart[capacity + 1]!]!; pair++) {
                assert.ok(Number.isFinite(run.offers[pair]!) && Number.isFinite(run.accepted[pair]!));
                offered += run.offers[pair]!;
              }
              // (Plus a few subnormal units: amounts near 5e-324 round by whole units.)
              assert.ok(offered <= network.capacityDeclared[capacity]! * (1 + 1e-9) + 1e-320, `capacity ${network.capacityDeclared[capacity]} offered ${offered}`);
            }
            assert.ok(run.maxOverAcceptance <= 1e-9 * 20, `over-acceptance ${run.maxOverAcceptance}`);
            if (maxDelta <= 1e-9) break;
          }
        }),
        { numRuns: 150 },
      );
    });

    it('hold after convergence with weights and quantities anywhere from 1e-300 to 1e12', () => {
      const extremeScenario = scenarioArbitrary(2, 12, {
        weights: [0, 1e-300, 1e-9, 1, 3, 1e12],
        quantity: fc.constantFrom(0, 1e-300, 1e-9, 1e-3, 1, 7, 1e3, 1e6, 1e12),
      });
      fc.assert(
        fc.property(extremeScenario, (scenario) => {
          const result = simulate(scenario, { maxRounds: 100 });
          assert.ok(result.converged, `no convergence in ${result.rounds} rounds`);
          assertAllocationProperties(scenario, result);
        }),
        { numRuns: 1000 },
      );
    });

    it('hold for 100-200 participants', () => {
      fc.assert(
        fc.property(scenarioArbitrary(100, 200), (scenario) => {
          const result = simulate(scenario);
          assert.ok(result.converged);
          assert.ok(assertAllocationProperties(scenario, result) > 0);
        }),
        { numRuns: 12 },
      );
    });

    it('hold when providers have several slots of one type, some restricted by skill or time (specialized and general)', () => {
      // One type, so every provider's slots compete for the same needs. Before the most specialized slot was served
      // first and proposals placed first, 112-128 of 3,000 such scenarios broke a property (a general slot idle while a
      // need it fits stayed short) and 19-26 had not converged after 200 rounds.
      const restricted = (id: string) =>
        fc
          .record({ quantity: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 1, max: 1000 })), skills: fc.subarray(['rust', 'go'], { maxLength: 1 }), monday: fc.boolean() })
          .map(({ quantity, skills, monday }) => ({
            id,
            type: 'review',
            quantity,
            skills,
            ...(monday ? { window: { kind: 'weekly' as const, days: ['mon' as const], start: '09:00', end: '12:00', timeZone: 'UTC' } } : {}),
          }));
      const scenarios = scenarioArbitrary(2, 5, { weights: [1, 2, 5], slot: restricted, slots: 3, edges: 4 });
      fc.assert(
        fc.property(scenarios, (scenario) => {
          const result = simulate(scenario, { maxRounds: 200 });
          assert.ok(result.converged, `not converged in 200 rounds`);
          assertAllocationProperties(scenario, result);
        }),
        { numRuns: 1000 },
      );
    });
  });

  describe('fixed cases', () => {
    const slot = (id: string, quantity: number, type = 'review') => ({ id, type, quantity, skills: [] });
    const run = (participants: Scenario['participants']) => {
      const scenario = { participants } as Scenario;
      const result = simulate(scenario, { maxRounds: 100 });
      assertAllocationProperties(scenario, result);
      return result;
    };
    const flow = (result: ReturnType<typeof simulate>, provider: string, recipient: string) =>
      result.allocations.filter((entry) => entry.provider === provider && entry.recipient === recipient).reduce((sum, entry) => sum + entry.quantity, 0);

    it('water-fills one capacity in proportion to mutual recognition', () => {
      const result = run([
        { id: 'a', recognition: { b: 3, c: 1 }, capacities: [slot('a1', 8)], needs: [] },
        { id: 'b', recognition: { a: 1 }, capacities: [], needs: [slot('b1', 100)] },
        { id: 'c', recognition: { a: 1 }, capacities: [], needs: [slot('c1', 100)] },
      ]);
      // MR(a,b) = min(0.75, 1) = 0.75, MR(a,c) = 0.25.
      assert.ok(Math.abs(flow(result, 'a', 'b') - 6) < 1e-9);
      assert.ok(Math.abs(flow(result, 'a', 'c') - 2) < 1e-9);
      assert.ok(result.allocations.every((entry) => entry.tier === 'mutual'));
    });

    it('re-divides capacity freed by a cap inside the tier before tier 2 gets anything', () => {
      const result = run([
        { id: 'a', recognition: { b: 1, c: 1, d: 1 }, capacities: [slot('a1', 10)], needs: [] },
        { id: 'b', recognition: { a: 1 }, capacities: [], needs: [slot('b1', 1)] },
        { id: 'c', recognition: { a: 1 }, capacities: [], needs: [slot('c1', 100)] },
        { id: 'd', recognition: {}, capacities: [], needs: [slot('d1', 100)] },
      ]);
      assert.ok(Math.abs(flow(result, 'a', 'b') - 1) < 1e-9);
      assert.ok(Math.abs(flow(result, 'a', 'c') - 9) < 1e-9);
      assert.equal(flow(result, 'a', 'd'), 0);
    });

    it('overflows to one-way recipients only when mutual ones are met', () => {
      const result = run([
        { id: 'a', recognition: { b: 1, d: 1 }, capacities: [slot('a1', 10)], needs: [] },
        { id: 'b', recognition: { a: 1 }, capacities: [], needs: [slot('b1', 4)] },
        { id: 'd', recognition: {}, capacities: [], needs: [slot('d1', 100)] },
      ]);
      assert.ok(Math.abs(flow(result, 'a', 'b') - 4) < 1e-9);
      assert.ok(Math.abs(flow(result, 'a', 'd') - 6) < 1e-9);
      assert.equal(result.allocations.find((entry) => entry.recipient === 'd')?.tier, 'one-way');
    });

    it('never fills one need twice when several providers share it', () => {
      const result = run([
        { id: 'a', recognition: { r: 1 }, capacities: [slot('a1', 10)], needs: [] },
        { id: 'b', recognition: { r: 1 }, capacities: [slot('b1', 10)], needs: [] },
        { id: 'c', recognition: { r: 1 }, capacities: [slot('c1', 10)], needs: [] },
        { id: 'r', recognition: { a: 1, b: 1, c: 1 }, capacities: [], needs: [slot('r1', 10)] },
      ]);
      assert.ok(Math.abs(result.needs[0]!.received - 10) < 1e-9);
      assert.ok(result.converged && result.rounds <= 3, `rounds ${result.rounds}`);
    });

    it('rations simultaneous offers in the recipient\'s order of preference', () => {
      const result = run([
        { id: 'a', recognition: { r: 1 }, capacities: [slot('a1', 10)], needs: [] },
        { id: 'b', recognition: { r: 1 }, capacities: [slot('b1', 10)], needs: [] },
        { id: 'r', recognition: { a: 3, b: 1 }, capacities: [], needs: [slot('r1', 12)] },
      ]);
      assert.ok(Math.abs(flow(result, 'a', 'r') - 10) < 1e-9);
      assert.ok(Math.abs(flow(result, 'b', 'r') - 2) < 1e-9);
    });

    it('shares a need among offers of equal preference by water level, so one offer\'s change moves only its own share', () => {
      // r recognizes neither provider: their offers form one class. 10 + 2 offered to a need of 8.
      const network = compileNetwork(
        scenarioParticipants({
          participants: [
            { id: 'a', recognition: { r: 1 }, capacities: [slot('a1', 10)], needs: [] },
            { id: 'b', recognition: { r: 1 }, capacities: [slot('b1', 10)], needs: [] },
            { id: 'r', recognition: {}, capacities: [], needs: [slot('r1', 8)] },
          ],
        }),
      );
      const pairOf = (provider: string) => network.pairCapacity.findIndex((capacity) => network.participants[network.capacityOwner[capacity]!]!.id === provider);
      const offers = new Float64Array(network.pairNeed.length);
      const accepted = new Float64Array(network.pairNeed.length);
      const ration = (a: number, b: number) => {
        offers[pairOf('a')] = a;
        offers[pairOf('b')] = b;
        rationOffers(network, offers, accepted, new Float64Array(network.needSlot.length));
        return [accepted[pairOf('a')]!, accepted[pairOf('b')]!];
      };
      // b's 2 is under the level: accepted in full; a gets the rest (proportional sharing would give 6.67 and 1.33).
      assert.deepEqual(ration(10, 2), [6, 2]);
      // a offers more: b's acceptance does not move.
      assert.deepEqual(ration(14, 2), [6, 2]);
      // Both above the level: equal shares.
      assert.deepEqual(ration(10, 6), [4, 4]);
      // Under the need: everything accepted.
      assert.deepEqual(ration(5, 2), [5, 2]);
    });

    it('shares an over-asked need by water level per provider, so splitting a capacity into slots earns no larger share', () => {
      // b offers 5 + 5 from two slots, a offers 10 from one, to a need of 8; all three offers form one class.
      const network = compileNetwork(
        scenarioParticipants({
          participants: [
            { id: 'a', recognition: { r: 1 }, capacities: [slot('a1', 10)], needs: [] },
            { id: 'b', recognition: { r: 1 }, capacities: [slot('b1', 5), slot('b2', 5)], needs: [] },
            { id: 'r', recognition: {}, capacities: [], needs: [slot('r1', 8)] },
          ],
        }),
      );
      const pairOf = (capacity: string) => network.pairCapacity.findIndex((index) => network.capacitySlot[index]!.id === capacity);
      const offers = new Float64Array(network.pairNeed.length);
      const accepted = new Float64Array(network.pairNeed.length);
      const ration = (a1: number, b1: number, b2: number) => {
        offers[pairOf('a1')] = a1;
        offers[pairOf('b1')] = b1;
        offers[pairOf('b2')] = b2;
        rationOffers(network, offers, accepted, new Float64Array(network.needSlot.length));
        return ['a1', 'b1', 'b2'].map((capacity) => accepted[pairOf(capacity)]!);
      };
      // 4 each; b's 4 split over its slots in proportion to their offers (a level per slot would give a 2.67, b 5.33).
      assert.deepEqual(ration(10, 5, 5), [4, 2, 2]);
      assert.deepEqual(ration(10, 6, 2), [4, 3, 1]);
      // b's 3 in all is under the level: accepted in full, a gets the rest.
      assert.deepEqual(ration(10, 2, 1), [5, 2, 1]);
    });

    it('leaves capacity over when every recipient is met (under-capacity of need)', () => {
      const result = run([
        { id: 'a', recognition: { b: 1 }, capacities: [slot('a1', 10)], needs: [] },
        { id: 'b', recognition: { a: 1 }, capacities: [], needs: [slot('b1', 3)] },
      ]);
      assert.equal(result.capacities[0]!.leftover, 7);
    });

    it('gives nothing across incompatible slots (type, skills, place, time)', () => {
      const result = run([
        {
          id: 'a',
          recognition: { b: 1 },
          capacities: [
            { id: 'a1', type: 'pairing', quantity: 5, skills: [] },
            { id: 'a2', type: 'review', quantity: 5, skills: ['go'] },
            { id: 'a3', type: 'review', quantity: 5, skills: ['rust'], location: { city: 'Porto' } },
            { id: 'a4', type: 'review', quantity: 5, skills: ['rust'], window: { kind: 'weekly', days: ['sat'], start: '09:00', end: '10:00', timeZone: 'UTC' } },
          ],
          needs: [],
        },
        {
          id: 'b',
          recognition: { a: 1 },
          capacities: [],
          needs: [{ id: 'b1', type: 'review', quantity: 5, skills: ['rust'], location: { city: 'Lisbon' }, window: { kind: 'weekly', days: ['mon'], start: '09:00', end: '10:00', timeZone: 'UTC' } }],
        },
      ]);
      assert.deepEqual(result.allocations, []);
    });

    it('an empty absolute window (end not after start) meets nothing, also an absolute window around it (found by review)', () => {
      const window = (start: string, end: string) => ({ kind: 'absolute' as const, start, end });
      const slotIn = (w: ReturnType<typeof window>) => ({ id: 's', type: 'review', quantity: 1, skills: [], window: w });
      const around = window('2026-01-05T09:00:00Z', '2026-01-05T11:00:00Z');
      for (const empty of [window('2026-01-05T10:00:00Z', '2026-01-05T10:00:00Z'), window('2026-01-05T10:30:00Z', '2026-01-05T10:00:00Z')]) {
        assert.equal(isCompatible(slotIn(empty), slotIn(around)), false, JSON.stringify(empty));
        assert.equal(isCompatible(slotIn(around), slotIn(empty)), false, JSON.stringify(empty));
      }
      assert.equal(isCompatible(slotIn(window('2026-01-05T10:00:00Z', '2026-01-05T10:01:00Z')), slotIn(around)), true);
    });

    it('an absolute window on a day the zone changes offset meets a weekly one as spec 7.2 rule 3 says: one offset o_d (at 12:00 UTC) per date', () => {
      type Day = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
      const weekly = (day: Day, start: string, end: string, timeZone: string) => ({ kind: 'weekly' as const, days: [day], start, end, timeZone });
      const absolute = (start: string, end: string) => ({ kind: 'absolute' as const, start, end });
      const slotIn = (window: ReturnType<typeof weekly> | ReturnType<typeof absolute>) => ({ id: 's', type: 'review', quantity: 1, skills: [], window });
      const meets = (w: ReturnType<typeof weekly>, a: ReturnType<typeof absolute>) => {
        const forward = isCompatible(slotIn(w), slotIn(a));
        assert.equal(isCompatible(slotIn(a), slotIn(w)), forward, 'symmetric');
        return forward;
      };
      // Europe/Berlin, 2026-03-29: +01:00 until 01:00 UTC, then +02:00; o = +02:00 (12:00 UTC) for the whole date.
      const early = weekly('sun', '00:30', '01:30', 'Europe/Berlin'); // before the change: [03-28 22:30Z, 23:30Z)
      assert.equal(meets(early, absolute('2026-03-28T22:30:00Z', '2026-03-28T22:45:00Z')), true);
      assert.equal(meets(early, absolute('2026-03-28T23:30:00Z', '2026-03-29T00:15:00Z')), false); // 00:30-01:15 on the wall clock, +01:00
      const skipped = weekly('sun', '02:30', '03:30', 'Europe/Berlin'); // 02:30 does not exist: [00:30Z, 01:30Z)
      assert.equal(meets(skipped, absolute('2026-03-29T01:15:00Z', '2026-03-29T01:30:00Z')), true);
      assert.equal(meets(skipped, absolute('2026-03-29T01:30:00Z', '2026-03-29T01:45:00Z')), false);
      assert.equal(meets(weekly('sun', '03:00', '04:00', 'Europe/Berlin'), absolute('2026-03-29T01:00:00Z', '2026-03-29T01:01:00Z')), true); // after: exact
      // Past midnight into the change: the occurrence of 2026-03-28 ends at 06:00 with that date's +01:00 (05:00Z, 8 hours).
      const night = weekly('sat', '22:00', '06:00', 'Europe/Berlin');
      assert.equal(meets(night, absolute('2026-03-28T20:45:00Z', '2026-03-28T21:00:00Z')), false);
      assert.equal(meets(night, absolute('2026-03-29T04:30:00Z', '2026-03-29T05:00:00Z')), true);
      assert.equal(meets(night, absolute('2026-03-29T05:00:00Z', '2026-03-29T05:30:00Z')), false);
      // America/New_York, 2026-11-01: -04:00 until 06:00 UTC, then -05:00; o = -05:00, so a repeated 01:30 is the second one.
      const twice = weekly('sun', '01:30', '02:00', 'America/New_York'); // [06:30Z, 07:00Z)
      assert.equal(meets(twice, absolute('2026-11-01T05:30:00Z', '2026-11-01T06:00:00Z')), false); // the first 01:30-02:00 (-04:00)
      assert.equal(meets(twice, absolute('2026-11-01T06:30:00Z', '2026-11-01T06:31:00Z')), true);
      // America/New_York, 2026-03-08: -05:00 until 07:00 UTC, then -04:00; o = -04:00: 01:00-02:00 is [05:00Z, 06:00Z).
      const spring = weekly('sun', '01:00', '02:00', 'America/New_York');
      assert.equal(meets(spring, absolute('2026-03-08T05:45:00Z', '2026-03-08T06:00:00Z')), true);
      assert.equal(meets(spring, absolute('2026-03-08T06:00:00Z', '2026-03-08T06:30:00Z')), false);
      // Pacific/Auckland changes +13:00 -> +12:00 at 2026-04-04T14:00Z, 03:00 local on 2026-04-05. o(04-04) = +13:00 (12:00Z
      // is before the change), o(04-05) = +12:00 also for local times before 03:00.
      const sunday = weekly('sun', '01:00', '02:00', 'Pacific/Auckland'); // [04-04 13:00Z, 14:00Z)
      assert.equal(meets(sunday, absolute('2026-04-04T12:00:00Z', '2026-04-04T13:00:00Z')), false);
      assert.equal(meets(sunday, absolute('2026-04-04T13:00:00Z', '2026-04-04T13:30:00Z')), true);
      const saturday = weekly('sat', '23:00', '01:00', 'Pacific/Auckland'); // o = +13:00: [04-04 10:00Z, 12:00Z)
      assert.equal(meets(saturday, absolute('2026-04-04T11:45:00Z', '2026-04-04T12:00:00Z')), true);
      assert.equal(meets(saturday, absolute('2026-04-04T12:00:00Z', '2026-04-04T12:30:00Z')), false);
    });

    it('an absolute window meets the occurrence of a weekly one that began two UTC dates before it (found by review)', () => {
      // Monday 17:00 to Tuesday 17:00 in Los Angeles (-08:00) is [2026-01-06T01:00Z, 2026-01-07T01:00Z); an absolute window
      // on 2026-01-07 lies in the Monday occurrence, which the walk from "the day before" (2026-01-06, a Tuesday) missed.
      const slotIn = (window: TimeWindow) => ({ id: 's', type: 'review', quantity: 1, skills: [], window });
      const day = { kind: 'weekly' as const, days: ['mon' as const], start: '17:00', end: '17:00', timeZone: 'America/Los_Angeles' };
      assert.equal(isCompatible(slotIn(day), slotIn({ kind: 'absolute', start: '2026-01-07T00:00:00Z', end: '2026-01-07T00:30:00Z' })), true);
      assert.equal(isCompatible(slotIn(day), slotIn({ kind: 'weekly', days: ['tue'], start: '16:00', end: '16:30', timeZone: 'America/Los_Angeles' })), true);
      assert.equal(isCompatible(slotIn(day), slotIn({ kind: 'absolute', start: '2026-01-07T01:00:00Z', end: '2026-01-07T01:30:00Z' })), false);
      // In zones without daylight saving an absolute window of under a day meets a weekly window exactly when the weekly
      // window of the same UTC weekday and times does.
      const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
      const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
      fc.assert(
        fc.property(
          fc.subarray([...weekdays], { minLength: 1 }),
          fc.integer({ min: 0, max: 1439 }),
          fc.integer({ min: 0, max: 1439 }),
          fc.constantFrom('UTC', 'Etc/GMT+12', 'Pacific/Honolulu', 'Asia/Kolkata', 'Pacific/Kiritimati'),
          fc.integer({ min: 0, max: 7 * 1440 - 1 }),
          fc.integer({ min: 1, max: 1439 }),
          (days, start, end, timeZone, from, length) => {
            const weekly: TimeWindow = { kind: 'weekly', days, start: hhmm(start), end: hhmm(end), timeZone };
            const startMs = Date.UTC(2026, 0, 5) + from * 60_000;
            const absolute: TimeWindow = { kind: 'absolute', start: new Date(startMs).toISOString(), end: new Date(startMs + length * 60_000).toISOString() };
            const asWeekly: TimeWindow = { kind: 'weekly', days: [weekdays[Math.floor(from / 1440)]!], start: hhmm(from % 1440), end: hhmm((from + length) % 1440), timeZone: 'UTC' };
            assert.equal(isCompatible(slotIn(weekly), slotIn(absolute)), isCompatible(slotIn(weekly), slotIn(asWeekly)));
          },
        ),
        { numRuns: 2000 },
      );
    });

    it('allows self-recognition: a capacity can meet its owner\'s own need', () => {
      const result = run([
        { id: 'a', recognition: { a: 1, b: 1 }, capacities: [slot('a1', 10)], needs: [slot('a2', 4)] },
        { id: 'b', recognition: { a: 1 }, capacities: [], needs: [slot('b1', 10)] },
      ]);
      // R_a(a) = R_a(b) = 0.5; MR(a,a) = 0.5, MR(a,b) = min(0.5, 1) = 0.5: equal shares, a capped at 4.
      assert.ok(Math.abs(flow(result, 'a', 'a') - 4) < 1e-9);
      assert.ok(Math.abs(flow(result, 'a', 'b') - 6) < 1e-9);
    });

    it('splits one recipient\'s share over its compatible needs in proportion to their declared quantities, capped at their room', () => {
      const result = run([
        { id: 'a', recognition: { b: 1 }, capacities: [slot('a1', 6)], needs: [] },
        { id: 'b', recognition: { a: 1 }, capacities: [], needs: [slot('b1', 10), slot('b2', 20)] },
      ]);
      assert.ok(Math.abs(result.needs.find((need) => need.need === 'b1')!.received - 2) < 1e-9);
      assert.ok(Math.abs(result.needs.find((need) => need.need === 'b2')!.received - 4) < 1e-9);
    });

    it('converges fast when a provider can serve two needs and another competes for one of them', () => {
      // Found by fast-check: p19 can serve n0 and n1, p8 only n1. With offers split by room alone this took 76 rounds;
      // recipients placing fungible offers, least flexible first (spec 7.4), settle it in 3.
      const result = run([
        { id: 'p2', recognition: {}, capacities: [], needs: [{ id: 'n0', type: 'pairing', quantity: 10, skills: [], location: { lat: 38.7, lon: -9.1 } }, slot('n1', 7, 'pairing')] },
        { id: 'p8', recognition: { p2: 2 }, capacities: [{ id: 'c0', type: 'pairing', quantity: 4, skills: [], location: { lat: 41.1, lon: -8.6 } }], needs: [] },
        { id: 'p19', recognition: { p2: 1 }, capacities: [slot('c0', 13, 'pairing')], needs: [] },
      ]);
      assert.ok(result.converged && result.rounds <= 4, `rounds ${result.rounds}`);
      assert.ok(Math.abs(result.needs.find((need) => need.need === 'n0')!.received - 10) < 1e-4);
      assert.ok(Math.abs(flow(result, 'p8', 'p2') - 4) < 1e-4);
    });

    it('reports small flows beside quantities twelve orders of magnitude larger, in simulate and in computeResults', () => {
      const states = (participants: Scenario['participants']) => new Map<PeerId, State>(scenarioParticipants({ participants }).map((participant) => [participant.id, participant.state]));
      const relationships = (participants: Scenario['participants']) => new Map<PeerId, Relationships>(participants.map((participant) => [participant.id, { recognition: participant.recognition }]));
      // The large quantity elsewhere (s), on the capacity side of the same pair, and on the need side of the same pair.
      for (const [capacity, need, large] of [[0.5, 0.5, 1e12], [1e12, 0.5, 0], [0.5, 1e12, 0]] as const) {
        const participants: Scenario['participants'] = [
          { id: 'p', recognition: { r: 1, s: 1 }, capacities: [slot('p1', capacity)], needs: [] },
          // r recognizes s, so s's need is in r's own computation too.
          { id: 'r', recognition: { p: 1, s: 1 }, capacities: [], needs: [slot('r1', need)] },
          { id: 's', recognition: { p: 1 }, capacities: [], needs: large > 0 ? [slot('s1', large, 'pairing')] : [] },
        ];
        const expected = Math.min(capacity, need);
        const result = run(participants);
        assert.equal(flow(result, 'p', 'r'), expected, `${capacity} -> ${need}`);
        assert.equal(result.needs.find((entry) => entry.participant === 'r')!.received, expected);
        const offered = computeResults({ self: 'p', round: 1, states: states(participants), relationships: relationships(participants), previousResults: new Map() });
        assert.deepEqual(offered.allocations.map(({ recipient, quantity }) => ({ recipient, quantity })), [{ recipient: 'r', quantity: expected }]);
        const accepted = computeResults({ self: 'r', round: 1, states: states(participants), relationships: relationships(participants), previousResults: new Map([['p', offered]]) });
        assert.deepEqual(accepted.acceptance, [{ provider: 'p', capacity: 'p1', need: 'r1', quantity: expected }]);
      }
    });

    it('counts a provider\'s published offers of one slot to a recipient at most at the slot\'s quantity together (found by review)', () => {
      // p publishes its whole slot p1 (2) on each of r's two needs: 4 offered, 2 deliverable. Capped per entry, r
      // accepted 4 from p1; scaled by Q_c / T_c, each offer counts as 1 (spec 7.4).
      const participants: Scenario['participants'] = [
        { id: 'p', recognition: { r: 1 }, capacities: [slot('p1', 2)], needs: [] },
        { id: 'r', recognition: { p: 1 }, capacities: [], needs: [slot('r1', 2), slot('r2', 2)] },
      ];
      const states = new Map<PeerId, State>(scenarioParticipants({ participants }).map((participant) => [participant.id, participant.state]));
      const relationships = new Map<PeerId, Relationships>(participants.map((participant) => [participant.id, { recognition: participant.recognition }]));
      const published: Results = {
        round: 1,
        allocations: [
          { capacity: 'p1', recipient: 'r', need: 'r1', quantity: 2, tier: 'mutual' },
          { capacity: 'p1', recipient: 'r', need: 'r2', quantity: 2, tier: 'mutual' },
        ],
        acceptance: [],
        stability: {},
        metrics: { residualNeedNorm: 0, maxDelta: 0 },
        converged: false,
      };
      const accepted = computeResults({ self: 'r', round: 2, states, relationships, previousResults: new Map([['p', published]]) });
      const fromP1 = accepted.acceptance.filter((entry) => entry.provider === 'p' && entry.capacity === 'p1');
      assert.ok(fromP1.reduce((sum, entry) => sum + entry.quantity, 0) <= 2, JSON.stringify(accepted.acceptance));
      assert.deepEqual(fromP1.map(({ need, quantity }) => ({ need, quantity })), [{ need: 'r1', quantity: 1 }, { need: 'r2', quantity: 1 }]);
    });

    it('a room reduced to rounding residue by the provider\'s own earlier offer is no room (found by an implementer\'s pass)', () => {
      // q's 999997.9999999994 and p's 2 fill N (1e6) to within 6e-10 of rounding. p's 1e-9 slot fits N and its own
      // need M of 1e-9: it put 6e-10 on N's residue and M stayed short.
      const result = run([
        { id: 'r', recognition: { p: 3 }, capacities: [], needs: [slot('N', 1e6, 'pairing')] },
        { id: 'q', recognition: { r: 0.5 }, capacities: [slot('q1', 1e6, 'pairing')], needs: [] },
        { id: 'p', recognition: { r: 3, q: 0.5, p: 2 }, capacities: [slot('p1', 2, 'pairing'), { ...slot('p2', 1e-9, 'pairing'), skills: ['GO'] }], needs: [{ ...slot('M', 1e-9, 'pairing'), skills: ['go'] }] },
      ]);
      assert.deepEqual(result.allocations.filter((entry) => entry.capacity === 'p2').map(({ recipient, need, quantity }) => ({ recipient, need, quantity })), [{ recipient: 'p', need: 'M', quantity: 1e-9 }]);
    });

    it('publishes no rounding residue as a flow: what tier 1 left of rooms of 1e11 is nothing (found by review)', () => {
      // P's capacity and c's together fill A and A2 exactly, so c has nothing left for S. The rooms of 1e11 and 2e11
      // round by about 1e-5, which before reached S as a flow of 1.5e-5.
      const participants: Scenario['participants'] = [
        { id: 'P', recognition: { R: 1 }, capacities: [slot('P1', 299999999999)], needs: [] },
        { id: 'R', recognition: { P: 5, c: 1 }, capacities: [], needs: [slot('A', 1e11), slot('A2', 2e11)] },
        { id: 'c', recognition: { R: 1, S: 1 }, capacities: [slot('c1', 1)], needs: [] },
        { id: 'S', recognition: {}, capacities: [], needs: [slot('B', 1)] },
      ];
      const result = run(participants);
      assert.equal(flow(result, 'c', 'S'), 0);
      // The rest of c's capacity goes to R (its rooms are themselves known only to about 1e-5).
      assert.ok(Math.abs(flow(result, 'c', 'R') - 1) < 1e-4, `c -> R ${flow(result, 'c', 'R')}`);
      const states = new Map<PeerId, State>(scenarioParticipants({ participants }).map((participant) => [participant.id, participant.state]));
      const relationships = new Map<PeerId, Relationships>(participants.map((participant) => [participant.id, { recognition: participant.recognition }]));
      let results = new Map<PeerId, Results>();
      for (let round = 1; round <= 8; round++) {
        const next = new Map<PeerId, Results>();
        for (const id of states.keys()) next.set(id, computeResults({ self: id, round, states, relationships, previousResults: results }));
        results = next;
        assert.deepEqual(results.get('S')!.acceptance, [], `round ${round}`);
        assert.ok(results.get('c')!.allocations.every((offer) => offer.recipient === 'R'), `round ${round}`);
      }
    });

    it('converges to the same flows beside a quantity twelve orders of magnitude larger: epsilon is relative to each pair', () => {
      // Round 1: b offers 5 + 5 to r1 and r3, c 5 to r3, which shares 2.5 + 2.5. The fixed point (round 3) moves b's
      // freed 2.5 to r1. b's own pairing need of 1e12 must not make a change of 2.5 count as converged.
      const result = run(changeBesideLargeNeed);
      assert.ok(result.converged && result.rounds >= 3, `rounds ${result.rounds}`);
      assert.ok(Math.abs(flow(result, 'b', 'r1') - 7.5) < 1e-9, `b -> r1 ${flow(result, 'b', 'r1')}`);
      assert.ok(Math.abs(flow(result, 'b', 'r3') - 2.5) < 1e-9);
      assert.ok(Math.abs(flow(result, 'c', 'r3') - 2.5) < 1e-9);
    });

    it('serves a provider\'s most constrained slot first, so each need gets the slot made for it (found by fuzzing)', () => {
      // 1 hour with the Go skill (fits both needs) and 25 general hours (fit only the general need), towards a Go need
      // and a general need of 1 each. Served in id order, the Go slot split 0.5 / 0.5 and the general slot offered the
      // 0.5 left; the recipient spread the Go offer 0.67 / 0.33 and the general need stayed at 0.83, 24.5 hours idle.
      // Zero needs elsewhere do not reorder the slots.
      const result = run([
        { id: 'p', recognition: { r: 1 }, capacities: [{ id: 'c0', type: 'review', quantity: 1, skills: ['go'] }, slot('c1', 25)], needs: [] },
        { id: 'r', recognition: {}, capacities: [], needs: [{ id: 'n0', type: 'review', quantity: 1, skills: ['go'] }, slot('n1', 1)] },
      ]);
      assert.equal(result.needs.find((need) => need.need === 'n0')!.received, 1);
      const monday = { kind: 'weekly' as const, days: ['mon' as const], start: '09:00', end: '12:00', timeZone: 'UTC' };
      const besideZeros = run([
        { id: 'p', recognition: { r: 1, s: 1 }, capacities: [{ id: 'c0', type: 'review', quantity: 1, skills: ['go'], window: monday }, slot('c1', 25)], needs: [] },
        { id: 'r', recognition: {}, capacities: [], needs: [{ id: 'n0', type: 'review', quantity: 1, skills: ['go'] }, slot('n1', 1)] },
        { id: 's', recognition: {}, capacities: [], needs: [{ ...slot('z0', 0), window: { ...monday, days: ['sat' as const] } }, { ...slot('z1', 0), window: { ...monday, days: ['sat' as const] } }] },
      ]);
      assert.deepEqual(besideZeros.needs.map((need) => need.received), [1, 1, 0, 0]);
      assert.equal(result.needs.find((need) => need.need === 'n1')!.received, 1);
      assert.equal(result.capacities.find((capacity) => capacity.capacity === 'c1')!.leftover, 24);
    });

    it('places a provider\'s offers where it proposed them, so its slots fit together (found by fuzzing)', () => {
      // A provider recognizing itself, a general slot and a Monday-only one; a Saturday need of 7 and a general need of
      // 1,000. With offers spread fungibly and slots served in id order (b6bdb33), the general slot's offer moved 0.049
      // off the general need, the Monday slot had offered only what the general one's proposal left there, and the
      // general need stayed 0.048 short with 993 idle. The second case still failed with the slot order alone.
      const monday = { kind: 'weekly' as const, days: ['mon' as const], start: '09:00', end: '12:00', timeZone: 'UTC' };
      const saturday = { ...monday, days: ['sat' as const] };
      const result = run([
        {
          id: 'p',
          recognition: { p: 1 },
          capacities: [slot('c0', 1000), { ...slot('c1', 1000), window: monday }],
          needs: [{ ...slot('n0', 7), window: saturday }, slot('n1', 1000)],
        },
      ]);
      assert.equal(result.needs.find((need) => need.need === 'n0')!.received, 7);
      assert.equal(result.needs.find((need) => need.need === 'n1')!.received, 1000);
      // Two slots that each fit two needs, one of which only the other can serve (the need for Rust is 0).
      const tie = run([
        { id: 'r', recognition: {}, capacities: [], needs: [{ ...slot('n0', 1), skills: ['go'] }, slot('n1', 1), { ...slot('n2', 0), skills: ['rust'] }] },
        { id: 'q', recognition: { r: 1 }, capacities: [{ ...slot('c0', 1), skills: ['rust'] }, { ...slot('c1', 1), skills: ['go'] }], needs: [] },
      ]);
      assert.deepEqual(tie.needs.map((need) => need.received), [1, 1, 0]);
    });

    it('converges when a tiny slot\'s split over a need of 1 and a need of 1e6 sits on a rounding threshold (found by review)', () => {
      // h's room on r/any flickers across the residue bound, which moves tiny's whole 1e-9 between r/go and r/any each
      // round. Judged against its own pair (1e-9, 1) that never converged; the split couples the pair to the 1e6 need.
      const result = run([
        { id: 'big', recognition: { r: 1 }, capacities: [slot('c', 1e12)], needs: [] },
        { id: 'tiny', recognition: { r: 1 }, capacities: [{ ...slot('c', 1e-9), skills: ['go'] }], needs: [] },
        { id: 'r', recognition: {}, capacities: [], needs: [{ ...slot('go', 1), skills: ['go'] }, slot('any', 1e6)] },
        { id: 's', recognition: {}, capacities: [], needs: [slot('n', 10)] },
        { id: 't', recognition: { h: 1 }, capacities: [], needs: [slot('n', 1)] },
        { id: 'h', recognition: { r: 1, s: 1e9, t: 1 }, capacities: [slot('c', 11)], needs: [] },
      ]);
      assert.ok(result.converged && result.rounds <= 5, `rounds ${result.rounds}`);
    });

    it('all-zero recognition means no recognition', () => {
      assert.equal(normalizeRecognition({ a: 0, b: 0 }).size, 0);
      const result = run([
        { id: 'a', recognition: { b: 0 }, capacities: [slot('a1', 10)], needs: [] },
        { id: 'b', recognition: { a: 1 }, capacities: [], needs: [slot('b1', 5)] },
      ]);
      assert.deepEqual(result.allocations, []);
    });
  });

  it('the index never drops a compatible pair (against brute force)', () => {
    fc.assert(
      fc.property(scenarioArbitrary(2, 30), (scenario) => {
        const participants = scenarioParticipants(scenario);
        const network = compileNetwork(participants);
        const indexed = new Set<string>();
        for (let pair = 0; pair < network.pairNeed.length; pair++) {
          const capacity = network.pairCapacity[pair]!;
          const need = network.pairNeed[pair]!;
          indexed.add(`${participants[network.capacityOwner[capacity]!]!.id}/${network.capacitySlot[capacity]!.id}>${participants[network.needOwner[need]!]!.id}/${network.needSlot[need]!.id}`);
        }
        const brute = new Set<string>();
        for (const provider of participants) {
          for (const recipient of participants) {
            if (!((provider.recognition.get(recipient.id) ?? 0) > 0)) continue;
            for (const capacity of provider.state.capacities) {
              for (const need of recipient.state.needs) if (isCompatible(capacity, need)) brute.add(`${provider.id}/${capacity.id}>${recipient.id}/${need.id}`);
            }
          }
        }
        assert.deepEqual([...indexed].sort(), [...brute].sort());
      }),
      { numRuns: 150 },
    );
  });

  it('flags exactly the needs some provider reaches from several slots (against brute force)', () => {
    fc.assert(
      fc.property(scenarioArbitrary(2, 30), (scenario) => {
        const network = compileNetwork(scenarioParticipants(scenario));
        for (let need = 0; need < network.needSlot.length; need++) {
          const providers = new Set<number>();
          let repeated = false;
          for (let k = network.needPairStart[need]!; k < network.needPairStart[need + 1]!; k++) {
            const provider = network.capacityOwner[network.pairCapacity[network.needPairs[k]!]!]!;
            repeated ||= providers.has(provider);
            providers.add(provider);
          }
          assert.equal(network.needHasProviderOfSeveralSlots[need], repeated ? 1 : 0);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('water-filling divides by weight, respects caps and re-divides what caps free', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ min: 0.01, max: 5, noNaN: true }), fc.double({ min: 0, max: 10, noNaN: true })), { minLength: 1, maxLength: 12 }), fc.double({ min: 0, max: 50, noNaN: true }), (entries, amount) => {
        const weights = Float64Array.from(entries.map(([weight]) => weight));
        const caps = Float64Array.from(entries.map(([, cap]) => cap));
        const out = new Float64Array(entries.length);
        const used = waterFill(amount, entries.length, weights, caps, out, new Int32Array(entries.length));
        const total = out.reduce((sum, value) => sum + value, 0);
        const capTotal = caps.reduce((sum, value) => sum + value, 0);
        assert.ok(Math.abs(total - Math.min(amount, capTotal)) <= 1e-9 * Math.max(1, amount));
        assert.ok(Math.abs(used - total) <= 1e-9 * Math.max(1, amount));
        const unsaturated = [...out.keys()].filter((i) => out[i]! < caps[i]! - 1e-12);
        const levels = unsaturated.map((i) => out[i]! / weights[i]!);
        for (const level of levels) assert.ok(Math.abs(level - levels[0]!) <= 1e-9 * Math.max(1, levels[0]!));
        for (let i = 0; i < out.length; i++) {
          assert.ok(out[i]! <= caps[i]! + 1e-12);
          if (levels.length > 0 && out[i]! >= caps[i]! - 1e-12) assert.ok(out[i]! / weights[i]! <= levels[0]! + 1e-9);
        }
      }),
    );
  });

  it('water-filling finds the same level as a scan in order of cap/weight, also when caps saturate one per step', () => {
    // Reference: entries in the order in which they saturate; each takes its cap while that is below its share.
    const reference = (amount: number, weights: number[], caps: number[]): number[] => {
      const out = weights.map(() => 0);
      const active = weights.map((_, i) => i).filter((i) => weights[i]! > 0 && caps[i]! > 0);
      if (!(amount > 0) || active.length === 0) return out;
      if (active.reduce((sum, i) => sum + caps[i]!, 0) <= amount) return weights.map((_, i) => (active.includes(i) ? caps[i]! : 0));
      active.sort((x, y) => caps[x]! / weights[x]! - caps[y]! / weights[y]!);
      let remaining = amount;
      let weightLeft = active.reduce((sum, i) => sum + weights[i]!, 0);
      let k = 0;
      for (; k < active.length && caps[active[k]!]! <= (remaining * weights[active[k]!]!) / weightLeft; k++) {
        out[active[k]!] = caps[active[k]!]!;
        remaining -= caps[active[k]!]!;
        weightLeft -= weights[active[k]!]!;
      }
      for (; k < active.length; k++) out[active[k]!] = (weights[active[k]!]! * remaining) / weightLeft;
      return out;
    };
    const check = (amount: number, weights: number[], caps: number[]) => {
      const out = new Float64Array(weights.length);
      waterFill(amount, weights.length, Float64Array.from(weights), Float64Array.from(caps), out, new Int32Array(weights.length));
      const expected = reference(amount, weights, caps);
      for (let i = 0; i < weights.length; i++) assert.ok(Math.abs(out[i]! - expected[i]!) <= 1e-9 * Math.max(1, amount), `entry ${i}: ${out[i]} vs ${expected[i]}`);
    };
    // Each cap lies between the previous level and the current one, so every rising step saturates exactly one entry:
    // 30 steps, past the bound after which the rest is sorted.
    const count = 40;
    const caps: number[] = [];
    let remaining = count;
    let previousLevel = 0;
    for (let k = 0; k < 30; k++) {
      const level = remaining / (count - k);
      caps.push((previousLevel + level) / 2);
      remaining -= caps[k]!;
      previousLevel = level;
    }
    while (caps.length < count) caps.push(1e6);
    check(count, caps.map(() => 1), caps);
    fc.assert(
      fc.property(
        // Weights and caps as they come from normalized recognition and declared quantities (no subnormals).
        fc.array(fc.tuple(fc.oneof(fc.constant(0), fc.double({ min: 1e-6, max: 5, noNaN: true })), fc.oneof(fc.constant(0), fc.double({ min: 1e-9, max: 10, noNaN: true }))), {
          minLength: 1,
          maxLength: 60,
        }),
        fc.double({ min: 0, max: 300, noNaN: true }),
        (entries, amount) => check(amount, entries.map(([weight]) => weight), entries.map(([, cap]) => cap)),
      ),
      { numRuns: 300 },
    );
  });

  it('water-filling divides by weight when every weight is subnormal', () => {
    // Products of such weights keep only a few bits; the shares use each weight's fraction of the total instead.
    const out = new Float64Array(3);
    waterFill(13.28308436648257, 3, Float64Array.from([1.5e-323, 5e-324, 5e-324]), Float64Array.from([6.552431583404541, 3.678305745124817, 18.93251061439514]), out, new Int32Array(3));
    const even = (13.28308436648257 - 6.552431583404541) / 2;
    assert.deepEqual([...out].map((value) => Number(value.toPrecision(12))), [6.552431583404541, even, even].map((value) => Number(value.toPrecision(12))));
    // The same through a whole run: p recognizes a, b and c equally; they recognize p with subnormal weights.
    const scenario = {
      participants: [
        { id: 'p', recognition: { a: 1, b: 1, c: 1 }, capacities: [{ id: 'c1', type: 'review', quantity: 13.28308436648257, skills: [] }], needs: [] },
        { id: 'a', recognition: { p: 1.5e-323, z: 1 }, capacities: [], needs: [{ id: 'n', type: 'review', quantity: 6.552431583404541, skills: [] }] },
        { id: 'b', recognition: { p: 5e-324, z: 1 }, capacities: [], needs: [{ id: 'n', type: 'review', quantity: 3.678305745124817, skills: [] }] },
        { id: 'c', recognition: { p: 5e-324, z: 1 }, capacities: [], needs: [{ id: 'n', type: 'review', quantity: 18.93251061439514, skills: [] }] },
        { id: 'z', recognition: {}, capacities: [], needs: [] },
      ],
    } as Scenario;
    const result = simulate(scenario);
    assertAllocationProperties(scenario, result);
    const received = (participant: string) => result.needs.find((need) => need.participant === participant)!.received;
    assert.ok(Math.abs(received('b') - received('c')) < 1e-9, `b ${received('b')}, c ${received('c')}`);
  });

  it('water-filling gives no entry more than its cap and no more than the amount in all, whatever the weights', () => {
    const extreme = fc.constantFrom(0, 5e-324, 1.5e-323, 1e-312, 1e-300, 1e-9, 1, 1e12);
    fc.assert(
      fc.property(fc.array(fc.tuple(extreme, fc.oneof(extreme, fc.double({ min: 0, max: 20, noNaN: true }))), { minLength: 1, maxLength: 30 }), fc.oneof(extreme, fc.double({ min: 0, max: 50, noNaN: true })), (entries, amount) => {
        const weights = Float64Array.from(entries.map(([weight]) => weight));
        const caps = Float64Array.from(entries.map(([, cap]) => cap));
        const out = new Float64Array(entries.length);
        waterFill(amount, entries.length, weights, caps, out, new Int32Array(entries.length));
        let total = 0;
        let capTotal = 0;
        for (let i = 0; i < out.length; i++) {
          assert.ok(Number.isFinite(out[i]!) && out[i]! >= 0 && out[i]! <= caps[i]!, `entry ${i}: ${out[i]} of cap ${caps[i]}`);
          total += out[i]!;
          if (weights[i]! > 0) capTotal += caps[i]!;
        }
        // (Plus a few subnormal units: amounts near 5e-324 round by whole units.)
        assert.ok(total <= amount * (1 + 1e-12) + 1e-320, `gave ${total} of ${amount}`);
        // Work-conserving: all of the amount, or every cap.
        assert.ok(total >= Math.min(amount, capTotal) * (1 - 1e-9) - 1e-320, `gave ${total} of ${Math.min(amount, capTotal)}`);
      }),
      { numRuns: 500 },
    );
  });

  it('computeResults, run by every participant on what the others published, reaches the synchronous fixed point', () => {
    fc.assert(
      fc.property(scenarioArbitrary(2, 25), (scenario) => {
        const states = new Map<PeerId, State>();
        const relationships = new Map<PeerId, Relationships>();
        for (const participant of scenarioParticipants(scenario)) states.set(participant.id, participant.state);
        for (const participant of scenario.participants) relationships.set(participant.id, { recognition: participant.recognition });
        let results = new Map<PeerId, Results>();
        const history = [];
        let converged = false;
        // Bounded; each participant reacts to what the others published one round earlier, so this takes about twice
        // the synchronous rounds.
        for (let round = 1; round <= 200 && !converged; round++) {
          const next = new Map<PeerId, Results>();
          for (const id of states.keys()) next.set(id, computeResults({ self: id, round, states, relationships, previousResults: results }));
          results = next;
          const maxDelta = Math.max(0, ...[...next.values()].map((entry) => entry.metrics.maxDelta));
          history.push({ round, residualNeedNorm: 0, maxDelta });
          converged = round > 1 && maxDelta <= 1e-9;
        }
        assert.ok(converged, 'per-participant rounds did not converge in 200 rounds');
        const asynchronous = summarizeResults(states, results, history, converged, relationships);
        assertAllocationProperties(scenario, asynchronous);
        // Both runs reach the same fixed point: every need receives, and every capacity gives, the same amounts.
        const synchronous = simulate(scenario);
        const tolerance = 1e-6 * 20;
        for (const need of synchronous.needs) {
          const other = asynchronous.needs.find((entry) => entry.participant === need.participant && entry.need === need.need)!;
          assert.ok(Math.abs(other.received - need.received) <= tolerance, `${need.participant}/${need.need}: ${other.received} vs ${need.received}`);
        }
        for (const capacity of synchronous.capacities) {
          const other = asynchronous.capacities.find((entry) => entry.participant === capacity.participant && entry.capacity === capacity.capacity)!;
          assert.ok(Math.abs(other.allocated - capacity.allocated) <= tolerance, `${capacity.participant}/${capacity.capacity}: ${other.allocated} vs ${capacity.allocated}`);
        }
        // Flow by flow where no need is served by two providers (elsewhere the split between providers may differ).
        const providersPerNeed = new Map<string, Set<string>>();
        for (const entry of [...synchronous.allocations, ...asynchronous.allocations]) {
          const key = `${entry.recipient}/${entry.need}`;
          providersPerNeed.set(key, (providersPerNeed.get(key) ?? new Set()).add(entry.provider));
        }
        if ([...providersPerNeed.values()].every((providers) => providers.size <= 1)) {
          const key = (entry: SimulationResult['allocations'][number]) => `${entry.provider}/${entry.capacity}>${entry.recipient}/${entry.need}`;
          // Both ways, a flow missing on one side counting as 0 (a flow of a few subnormal units may exist on one side only).
          const flows = new Map(synchronous.allocations.map((entry) => [key(entry), entry.quantity]));
          const asynchronousFlows = new Map(asynchronous.allocations.map((entry) => [key(entry), entry.quantity]));
          for (const entry of asynchronous.allocations) assert.ok(Math.abs(entry.quantity - (flows.get(key(entry)) ?? 0)) <= tolerance, key(entry));
          for (const entry of synchronous.allocations) assert.ok(Math.abs(entry.quantity - (asynchronousFlows.get(key(entry)) ?? 0)) <= tolerance, key(entry));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('hasConverged judges each change against its own pair: epsilon times the smaller quantity, never below the rounding of the larger', () => {
    const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) <= 1e-15 * expected, `${actual} vs ${expected}`);
    close(pairTolerance(10, 5), 5e-6);
    close(pairTolerance(10, 5, 1e-3), 5e-3);
    // A pair whose need is 0.5 beside a capacity of 1e12: its arithmetic rounds at 1e12's scale (about 1e-4 an ulp).
    close(pairTolerance(1e12, 0.5), 0.01);
    assert.equal(pairTolerance(0, 0), 0);
    assert.equal(hasConverged([]), true);
    assert.equal(hasConverged([{ delta: 4e-6, capacityDeclared: 10, needDeclared: 5 }]), true);
    assert.equal(hasConverged([{ delta: 4e-6, capacityDeclared: 10, needDeclared: 5 }, { delta: 2.5, capacityDeclared: 10, needDeclared: 10 }]), false);
    assert.equal(hasConverged([{ delta: Number.NaN, capacityDeclared: 10, needDeclared: 10 }]), false);
    assert.equal(hasConverged([{ delta: 0.5, capacityDeclared: 10, needDeclared: 10 }], 0.1), true);
  });

  it('stability factors count recent over-offers (a calm round forgets one), and damping spares the first eight', () => {
    assert.equal(computeStabilityFactor([false, false]), 1);
    assert.equal(computeStabilityFactor([true, false, true]), 1 / 2);
    assert.equal(computeStabilityFactor([true, true, true, false]), 1 / 3);
    assert.equal(computeStabilityFactor([false, true, true]), 1 / 3);
    let stability = 1;
    for (let round = 0; round < 4; round++) stability = updateStateStability(stability, true);
    assert.equal(stability, 1 / 5);
    // Calm rounds let a damped need recover, so one oscillating episode does not slow every later change.
    for (let round = 0; round < 3; round++) stability = updateStateStability(stability, false);
    assert.equal(stability, 1 / 2);
    assert.equal(updateStateStability(1, false), 1);
    assert.equal(dampingFactor(1), 1);
    assert.equal(dampingFactor(1 / 3), 1);
    assert.equal(dampingFactor(1 / 9), 1, 'eight recent over-offers are tolerated');
    assert.equal(dampingFactor(1 / 17), 0.5, 'sixteen halve the increase');
    assert.equal(dampingFactor(1 / 100), 0.25);
  });

  it('matchTargetToSources lists compatible pairs, the matchable total and what is left unmatched', () => {
    const needs = [
      { id: 'n1', type: 'review', quantity: 5, skills: ['rust'] },
      { id: 'n2', type: 'pairing', quantity: 3, skills: [] },
    ];
    const capacities = [
      { id: 'c1', type: 'review', quantity: 2, skills: ['rust', 'go'] },
      { id: 'c2', type: 'review', quantity: 10, skills: [] },
      { id: 'c3', type: 'mentoring', quantity: 1, skills: [] },
    ];
    const match = matchTargetToSources(needs, capacities);
    assert.deepEqual(match.pairs, [{ target: 'n1', source: 'c1' }]);
    assert.equal(match.totalMatchable, 2);
    assert.deepEqual(match.unmatchedTargets, ['n2']);
    assert.deepEqual(match.unmatchedSources, ['c2', 'c3']);
  });
});
