// Room: test (protocol). Hostile input: random bytes, deep nesting, huge arrays, NaN/Infinity, negative quantities,
// wrong types and prototype-pollution keys end in a clear error — never a crash, a hang or a polluted prototype.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DecodeError, decodeJson } from '../../src/protocol/encoding.ts';
import { MAX_JSON_DEPTH, MAX_RECORD_BYTES } from '../../src/protocol/limits.ts';
import { verifyRecordBytes } from '../../src/protocol/signature.ts';
import { MESSAGE_KINDS, parseMessage, type MessageKind } from '../../src/protocol/validate.ts';

const kinds = Object.keys(MESSAGE_KINDS) as MessageKind[];

/** decode + parse as the boundary does; returns whether it was accepted, throws only on a defect. */
function boundary(kind: MessageKind, input: Uint8Array | string): boolean {
  let value: unknown;
  try {
    value = decodeJson(input);
  } catch (error) {
    assert.ok(error instanceof DecodeError, `unexpected ${String(error)}`);
    assert.ok((error as Error).message.length > 0);
    return false;
  }
  const outcome = parseMessage(kind, value);
  if (!outcome.ok) assert.ok(outcome.errors.length > 0 && outcome.errors.every((line) => line.includes(': ')));
  return outcome.ok;
}

describe('decoding hostile input', () => {
  it('random bytes are rejected with a DecodeError or a schema error, for every kind', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.constantFrom(...kinds), (bytes, kind) => {
        boundary(kind, bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('random JSON values are rejected or accepted, never crash', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.constantFrom(...kinds), (value, kind) => {
        boundary(kind, JSON.stringify(value) ?? 'null');
      }),
      { numRuns: 500 },
    );
  });

  it('rejects nesting deeper than the limit before parsing, and quickly even for a million brackets', () => {
    assert.throws(() => decodeJson('['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1)), /nested deeper/);
    assert.doesNotThrow(() => decodeJson('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH)));
    assert.throws(() => decodeJson('['.repeat(1_000_000), { maxBytes: 2_000_000 }), /nested deeper/);
    // Brackets inside strings do not count.
    assert.doesNotThrow(() => decodeJson(JSON.stringify({ text: '['.repeat(100) })));
  });

  it('rejects input over the size limit before parsing', () => {
    const big = JSON.stringify({ displayName: 'x'.repeat(MAX_RECORD_BYTES) });
    assert.throws(() => decodeJson(big), /larger than/);
    assert.throws(() => decodeJson(new TextEncoder().encode(big)), /larger than/);
  });

  it('rejects huge arrays by the schema bounds', () => {
    const needs = Array.from({ length: 300 }, (_, index) => ({ id: `n${index}`, type: 'review', quantity: 1 }));
    const outcome = parseMessage('state', { displayName: 'A', needs });
    assert.equal(outcome.ok, false);
    assert.match((outcome as { errors: string[] }).errors[0]!, /needs: must have at most 256 items/);
  });

  it('rejects NaN, Infinity, negative quantities and wrong types with path and reason', () => {
    assert.throws(() => decodeJson('{"quantity": NaN}'), DecodeError);
    assert.throws(() => decodeJson('{"quantity": Infinity}'), DecodeError);
    const infinite = parseMessage('slot', { id: 'a', type: 'review', quantity: Number.POSITIVE_INFINITY });
    assert.deepEqual(infinite, { ok: false, errors: ['quantity: must be a number (got Infinity)'] });
    assert.deepEqual(parseMessage('slot', { id: 'a', type: 'review', quantity: -2 }), { ok: false, errors: ['quantity: must be at least 0'] });
    assert.deepEqual(parseMessage('slot', { id: 'a', type: 'review', quantity: '2' }), { ok: false, errors: ['quantity: must be a number (got string)'] });
    assert.deepEqual(parseMessage('state', []), { ok: false, errors: ['(root): must be an object (got an array)'] });
  });

  it('rejects prototype-pollution keys anywhere, and Object.prototype stays clean', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const text = `{"displayName":"A","needs":[{"id":"n","type":"review","quantity":1,"location":{"${key}":{"polluted":true}}}]}`;
      assert.throws(() => decodeJson(text), new RegExp(`needs\\[0\\]\\.location\\.${key}: the key`));
      assert.throws(() => decodeJson(`{"recognition":{"${key}":1}}`), DecodeError);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('verifyRecordBytes turns malformed bytes into a reason, never an exception', async () => {
    for (const bytes of [new Uint8Array([0xff, 0xfe]), new TextEncoder().encode('{"kind":"state"'), new TextEncoder().encode('[]'), new Uint8Array(MAX_RECORD_BYTES + 1)]) {
      const outcome = await verifyRecordBytes(bytes);
      assert.equal(outcome.ok, false);
      assert.ok(!outcome.ok && outcome.reason.length > 0);
    }
  });
});
