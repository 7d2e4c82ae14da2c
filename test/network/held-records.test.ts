// Room: test (network). The store of latest records served to late joiners (spec 9.5) keeps records by value; the
// flood of junk authors against a real peer is in exchange-bounds.test.ts.
import assert from 'node:assert/strict';
import { HeldRecords } from '../../src/network/held-records.ts';
import type { SignedRecord } from '../../src/protocol/schemas.ts';

describe('network: records held for sync', () => {
  it('keeps own and followed authors first, evicts the least recently updated other, and remembers evicted records', () => {
    let following = new Set(['me', 'teammate']);
    const held = new HeldRecords(3, (author) => following.has(author), 'me');
    const hold = (record: SignedRecord) => held.hold(record, record);
    const record = (author: string, sequence: number, signature = 'S') => ({ kind: 'state', author, sequence, clock: {}, signature }) as unknown as SignedRecord;
    assert.equal(hold(record('junk1', 1)), 'newer');
    assert.equal(hold(record('junk2', 1)), 'newer');
    assert.equal(hold(record('teammate', 1)), 'newer');
    // Full: a newer record of junk1 updates it in place; a new other author evicts junk2 (the least recently updated).
    assert.equal(hold(record('junk1', 2)), 'newer');
    assert.equal(hold(record('junk3', 1)), 'newer');
    assert.equal(held.get('state', 'junk2'), undefined);
    assert.equal(held.size, 3);
    // Replays: of an author held (full store), and of the evicted one, are both old; the same record again a duplicate.
    assert.equal(hold(record('teammate', 1, 'R')), 'old');
    assert.equal(hold(record('junk2', 1)), 'duplicate');
    assert.equal(hold(record('junk2', 0)), 'old');
    // My own record evicts an other; when only valued records remain, a new other is delivered but not held.
    assert.equal(hold(record('me', 1)), 'newer');
    assert.equal(hold(record('junk4', 1)), 'newer');
    assert.equal(held.get('state', 'junk3'), undefined);
    assert.equal(held.get('state', 'junk4')?.sequence, 1);
    following = new Set(['me', 'teammate', 'junk4']);
    held.revalue('junk4');
    assert.equal(hold(record('junk5', 1)), 'newer');
    assert.equal(held.get('state', 'junk5'), undefined, 'full of valued records: an other is not held');
    assert.ok(held.get('state', 'me') !== undefined && held.get('state', 'teammate') !== undefined && held.get('state', 'junk4') !== undefined);
    // A followed author beyond the cap evicts the least recently updated valued record, never mine.
    following.add('friend');
    assert.equal(hold(record('friend', 1)), 'newer');
    assert.equal(held.get('state', 'teammate'), undefined);
    assert.ok(held.get('state', 'me') !== undefined);
  });

  it('resolves an equivocation (two records, one sequence) by spec 8.3, as the engine does: the later clock, then the greater signature', () => {
    const held = new HeldRecords(8, () => true, 'me');
    const hold = (record: SignedRecord) => held.hold(record, record);
    const record = (clock: Record<string, number>, signature: string) => ({ kind: 'state', author: 'a', sequence: 5, clock, signature }) as unknown as SignedRecord;
    assert.equal(hold(record({ a: 2 }, 'Z')), 'newer');
    // Before, the greater signature won whatever the clocks said: sync served another record than the stores kept.
    assert.equal(hold(record({ a: 3 }, 'A')), 'newer', 'a clock that happened after wins over a greater signature');
    assert.equal(hold(record({ a: 2 }, 'Z')), 'old');
    assert.equal(hold(record({ a: 3, b: 1 }, 'B')), 'newer');
    assert.equal(hold(record({ a: 4 }, 'A')), 'old', 'concurrent clocks: the greater signature stays');
    assert.equal(held.get('state', 'a')?.signature, 'B');
  });
});
