// Room: test (protocol). Fuzzing the boundary. Hostile input: random bytes, deep nesting, huge arrays, NaN/Infinity, negative quantities,
// wrong types and prototype-pollution keys end in a clear error — never a crash, a hang or a polluted prototype.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DecodeError, decodeJson } from '../../src/protocol/encoding.ts';
import { MAX_JSON_DEPTH, MAX_RECORD_BYTES } from '../../src/protocol/limits.ts';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { canonicalJson, encodeJson } from '../../src/protocol/encoding.ts';
import { signRecord, verifyRecord, verifyRecordBytes, type UnsignedRecord } from '../../src/protocol/signature.ts';
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
    assert.deepEqual(parseMessage('record', { kind: 'gossip' }), { ok: false, errors: ['kind: must be one of "state", "relationships", "results", "coordination"'] });
    const window = { kind: 'absolute', start: '2026-12-01 09:00', end: '2026-12-01T10:00:00Z' };
    assert.deepEqual(parseMessage('slot', { id: 'a', type: 'review', quantity: 1, window }), { ok: false, errors: ['window.start: must be an ISO 8601 date and time with a UTC offset (2026-11-24T10:00:00Z)'] });
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
  it('duplicate member names anywhere in generated JSON are refused, never silently resolved', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom('a', 'id', 'quantity'), (value, name) => {
        const text = `{"${name}":1,"inner":${JSON.stringify(value)},"${name}":2}`;
        assert.throws(() => decodeJson(text), /twice/);
      }),
      { numRuns: 200 },
    );
  });

  it('mutating any byte of a signed record never crashes, and a mutation that changes its meaning fails to verify', async () => {
    const key = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(9));
    const author = peerIdFromPrivateKey(key).toString();
    const unsigned = {
      version: '1.0',
      network: 'team',
      kind: 'state',
      author,
      sequence: 3,
      clock: { [author]: 3 },
      issuedAt: '2026-11-24T10:00:00Z',
      payload: { displayName: 'Ana', capacities: [{ id: 'c1', type: 'review', quantity: 3, skills: ['go'] }], needs: [] },
    } as UnsignedRecord;
    const record = await signRecord(unsigned, key);
    const bytes = encodeJson(record);
    const original = canonicalJson(record);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 0, max: 255 }), async (position, byte) => {
        const mutated = bytes.slice();
        mutated[position] = byte;
        const outcome = await verifyRecordBytes(mutated);
        if (outcome.ok) {
          // Only mutations that leave the signed content unchanged (e.g. whitespace-equivalent) may still verify.
          assert.equal(canonicalJson(outcome.record), original);
        } else assert.ok(outcome.reason.length > 0);
      }),
      { numRuns: 300 },
    );
  });

  it('verifyRecord gives a reason, not an exception, for unknown members JSON cannot carry', async () => {
    const key = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(9));
    const author = peerIdFromPrivateKey(key).toString();
    const record = await signRecord({ version: '1.0', network: 'team', kind: 'relationships', author, sequence: 1, clock: {}, issuedAt: '2026-11-24T10:00:00Z', payload: { recognition: {} } }, key);
    for (const extra of [Number.NaN, Number.POSITIVE_INFINITY, 10n]) {
      const outcome = await verifyRecord({ ...record, extra });
      assert.equal(outcome.ok, false);
    }
  });

  it('verifyRecord answers with a reason for any JSON value, never throws', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 5 }), async (value) => {
        const outcome = await verifyRecord(value);
        assert.equal(outcome.ok, false);
        assert.ok(!outcome.ok && outcome.reason.length > 0);
      }),
      { numRuns: 300 },
    );
  });
});
