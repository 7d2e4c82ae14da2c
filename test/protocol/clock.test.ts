// Room: test (protocol). Vector clock laws (the spec's causal clock rules) on generated clocks.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { classifyUpdate, compareClocks, incrementClock, mergeClocks, retainClockEntries } from '../../src/protocol/clock.ts';
import { clockArbitrary } from './arbitraries.ts';

const inverse = { before: 'after', after: 'before', equal: 'equal', concurrent: 'concurrent' } as const;

describe('causal clocks', () => {
  it('compare is antisymmetric and reflexive', () => {
    fc.assert(
      fc.property(clockArbitrary, clockArbitrary, (a, b) => {
        assert.equal(compareClocks(b, a), inverse[compareClocks(a, b)]);
        assert.equal(compareClocks(a, a), 'equal');
      }),
    );
  });

  it('merge is commutative, associative, idempotent and an upper bound', () => {
    fc.assert(
      fc.property(clockArbitrary, clockArbitrary, clockArbitrary, (a, b, c) => {
        assert.deepEqual(mergeClocks(a, b), mergeClocks(b, a));
        assert.deepEqual(mergeClocks(mergeClocks(a, b), c), mergeClocks(a, mergeClocks(b, c)));
        assert.equal(compareClocks(mergeClocks(a, a), a), 'equal');
        assert.ok(['after', 'equal'].includes(compareClocks(mergeClocks(a, b), a)));
      }),
    );
  });

  it('increment makes the clock strictly later', () => {
    fc.assert(fc.property(clockArbitrary, fc.constantFrom('a', 'b', 'x'), (clock, peer) => {
      assert.equal(compareClocks(clock, incrementClock(clock, peer)), 'before');
    }));
  });

  it('classifies: happened-before accept, concurrent merge, equal or older stale', () => {
    fc.assert(
      fc.property(clockArbitrary, clockArbitrary, (local, incoming) => {
        const expected = { before: 'accept', concurrent: 'merge', equal: 'stale', after: 'stale' }[compareClocks(local, incoming)];
        assert.equal(classifyUpdate(local, incoming), expected);
      }),
    );
    assert.equal(classifyUpdate({ a: 1 }, { a: 1, b: 1 }), 'accept');
    assert.equal(classifyUpdate({ a: 2 }, { b: 1 }), 'merge');
    assert.equal(classifyUpdate({ a: 2 }, { a: 1 }), 'stale');
  });

  it('retainClockEntries keeps the listed peers in their order of priority, up to the limit, and never adds', () => {
    assert.deepEqual(retainClockEntries({ a: 1, b: 2, c: 3, d: 0 }, ['c', 'a', 'd', 'x']), { a: 1, c: 3 });
    assert.deepEqual(retainClockEntries({ a: 1, b: 2, c: 3 }, ['c', 'b', 'a'], 2), { b: 2, c: 3 });
    fc.assert(
      fc.property(clockArbitrary, fc.subarray(['a', 'b', 'x', 'y']), fc.nat(4), (clock, peers, limit) => {
        const kept = retainClockEntries(clock, peers, limit);
        assert.ok(Object.keys(kept).length <= limit);
        for (const [peer, value] of Object.entries(kept)) assert.ok(peers.includes(peer) && clock[peer] === value);
        // Dropping entries only ever moves a comparison towards "concurrent", never past the original clock.
        assert.ok(['before', 'equal'].includes(compareClocks(kept, clock)));
      }),
    );
  });
});
