// Room: test (network). readLines, the reader of sync answers (spec 9.3), on a stand-in stream: chunk edges, the
// byte and record bounds, lines too long.
import type { Stream } from '@libp2p/interface';
import assert from 'node:assert/strict';
import { readLines, waitingSlots } from '../../src/network/exchange.ts';
import { MAX_RECORD_BYTES } from '../../src/protocol/limits.ts';

/** A stream that yields the given chunks and records whether it was aborted. */
function chunks(...parts: (string | Uint8Array)[]): Stream & { aborted: boolean } {
  const fake = {
    aborted: false,
    abort() {
      fake.aborted = true;
    },
    async *[Symbol.asyncIterator]() {
      for (const part of parts) yield typeof part === 'string' ? new TextEncoder().encode(part) : part;
    },
  };
  return fake as unknown as Stream & { aborted: boolean };
}
const text = (lines: Uint8Array[]) => lines.map((line) => new TextDecoder().decode(line));

describe('network: reading a sync answer', () => {
  it('splits lines across chunk edges, keeps a last line without a newline, and reads to the end within the bounds', async () => {
    const stream = chunks('a\nb', 'c\n', '\nd');
    const { lines, dropped } = await readLines(stream, 10, 100);
    assert.deepEqual(text(lines), ['a', 'bc', '', 'd']);
    assert.deepEqual(dropped, []);
    assert.equal(stream.aborted, false);
  });

  it('past the byte bound, keeps the lines that end within it, even inside the chunk that crosses it, and stops (found by a review)', async () => {
    const stream = chunks('a\nb\n', 'c\nd\nefgh\n');
    const { lines, dropped } = await readLines(stream, 10, 8);
    assert.deepEqual(text(lines), ['a', 'b', 'c', 'd']);
    assert.match(dropped.join(), /larger than 8 bytes: the rest was not read/);
    assert.equal(stream.aborted, true);
  });

  it('past the record bound, keeps the first records and stops', async () => {
    const stream = chunks('1\n2\n3\n4\n');
    const { lines, dropped } = await readLines(stream, 2, 100);
    assert.deepEqual(text(lines), ['1', '2']);
    assert.match(dropped.join(), /more than 2 records/);
    assert.equal(stream.aborted, true);
  });

  it('drops a line longer than a record can be, spread over chunks, and reads on', async () => {
    const half = new Uint8Array(Math.ceil(MAX_RECORD_BYTES / 2) + 10).fill(0x20);
    const { lines, dropped } = await readLines(chunks('x\n', half, half, '\ny\n'), 10, 4 * MAX_RECORD_BYTES);
    assert.deepEqual(text(lines), ['x', 'y']);
    assert.match(dropped.join(), /larger than 65536 bytes, dropped unparsed/);
  });

  it('with no room at all (the relay\'s membership check), any byte is refused and an empty answer is not', async () => {
    for (const answer of ['{}', '\n']) assert.equal((await readLines(chunks(answer), 0, 0)).dropped.length, 1, JSON.stringify(answer));
    assert.deepEqual(await readLines(chunks(), 0, 0), { lines: [], dropped: [] });
  });
});

describe('network: my sync exchanges per peer', () => {
  it('holds at most the per-key number at once; the next waits, first come first served, and gets the slot when one is released', async () => {
    const slots = waitingSlots(2, 1_000);
    const order: string[] = [];
    const first = (await slots.take('p'))!;
    const second = (await slots.take('p'))!;
    const third = slots.take('p').then((release) => (order.push('third'), release!));
    const fourth = slots.take('p').then((release) => (order.push('fourth'), release!));
    const other = (await slots.take('q'))!; // another peer is not held up
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(order, []);
    assert.equal(slots.inUse('p'), 2);
    first();
    first(); // a second release of the same slot changes nothing
    (await third)();
    second();
    (await fourth)();
    other();
    assert.deepEqual(order, ['third', 'fourth']);
    assert.equal(slots.inUse('p'), 0);
    assert.equal(slots.inUse('q'), 0);
  });

  it('a waiter gives up after the longest wait and leaves the queue, so the slot goes to the next one (found by a review)', async () => {
    const slots = waitingSlots(1, 50);
    const held = (await slots.take('p'))!;
    assert.equal(await slots.take('p'), undefined, 'no slot within 50 ms');
    const next = slots.take('p');
    held();
    const release = await next;
    assert.ok(release !== undefined, 'the slot went to the waiter still queued, not to the one that left');
    release();
    assert.equal(slots.inUse('p'), 0);
  });
});
