// Room: test (protocol). The wire encoding and the canonical form: RFC 8785 examples, the decoder's bounds and its
// refusals (duplicate member names, prototype keys, depth, size, invalid UTF-8), each with a message saying where.
import assert from 'node:assert/strict';
import { canonicalJson, DecodeError, decodeJson, encodeJson } from '../../src/protocol/encoding.ts';
import { MAX_JSON_DEPTH, MAX_RECORD_BYTES } from '../../src/protocol/limits.ts';

describe('encoding', () => {
  it('canonicalJson serializes numbers as RFC 8785 (ECMAScript shortest round trip)', () => {
    const cases: [number, string][] = [
      [1e21, '1e+21'],
      [1e-7, '1e-7'],
      [0.000001, '0.000001'],
      [-0, '0'],
      [333333333.33333329, '333333333.3333333'],
      [4.5, '4.5'],
      [2e-3, '0.002'],
      [1e-27, '1e-27'],
      [9007199254740991, '9007199254740991'],
    ];
    for (const [value, text] of cases) assert.equal(canonicalJson(value), text, String(value));
  });

  it('canonicalJson sorts members by UTF-16 code units and escapes strings minimally (RFC 8785 3.2.3 example)', () => {
    const value = { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' };
    // Read the member order from the text: JS objects would put the integer-like key "1" first.
    const names = [...canonicalJson(value).matchAll(/"((?:[^"\\]|\\.)*)":/g)].map((match) => JSON.parse(`"${match[1]}"`) as string);
    assert.deepEqual(names, ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']);
    assert.equal(canonicalJson({ b: [1, { d: true, c: null }], a: 'x/\n\u000f\u00e9' }), '{"a":"x/\\n\\u000f\u00e9","b":[1,{"c":null,"d":true}]}');
  });

  it('canonicalJson refuses values JSON cannot carry', () => {
    assert.throws(() => canonicalJson(Number.NaN), DecodeError);
    assert.throws(() => canonicalJson({ quantity: Number.POSITIVE_INFINITY }), DecodeError);
    assert.throws(() => canonicalJson(undefined), DecodeError);
  });

  it('encodeJson and decodeJson round-trip bytes and text', () => {
    const value = { displayName: 'Zoë 😀', capacities: [{ id: 'c1', type: 'review', quantity: 0.5 }] };
    assert.deepEqual(decodeJson(encodeJson(value)), value);
    assert.deepEqual(decodeJson(JSON.stringify(value)), value);
  });

  it('refuses a member named twice in one object, even when spelled with an escape', () => {
    assert.throws(() => decodeJson('{"a":1,"a":2}'), /member "a" twice/);
    assert.throws(() => decodeJson('{"x":{"a":1, "\\u0061" :2}}'), /member "a" twice/);
    // The same name in different objects, and equal strings as values or array items, are fine.
    assert.deepEqual(decodeJson('{"a":{"a":1},"b":[{"a":1},{"a":2}],"c":["a","a"],"d":"a"}'), { a: { a: 1 }, b: [{ a: 1 }, { a: 2 }], c: ['a', 'a'], d: 'a' });
  });

  it('refuses invalid UTF-8, non-JSON, depth and size with a DecodeError that says what is wrong', () => {
    assert.throws(() => decodeJson(new Uint8Array([0x7b, 0xc3, 0x28, 0x7d])), /not valid UTF-8/);
    assert.throws(() => decodeJson('{"a":}'), /not valid JSON/);
    assert.throws(() => decodeJson('{"a":1} x'), /not valid JSON/);
    assert.throws(() => decodeJson('{"a":'.repeat(MAX_JSON_DEPTH + 1)), /nested deeper than 32/);
    assert.throws(() => decodeJson(`"${'x'.repeat(MAX_RECORD_BYTES)}"`), /larger than 65536/);
    // Multi-byte characters count as their UTF-8 bytes, not as UTF-16 code units.
    const threeBytes = '\u20ac'.repeat(Math.floor(MAX_RECORD_BYTES / 3));
    assert.throws(() => decodeJson(`"${threeBytes}"`), /larger than/);
    assert.equal(decodeJson(`"${threeBytes}"`, { maxBytes: MAX_RECORD_BYTES * 2 }), threeBytes);
  });

  it('refuses a leading byte order mark off the wire, and skips it only when asked (files people edit; spec 4)', () => {
    const withMark = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('{"a":1}')]);
    assert.throws(() => decodeJson(withMark), /starts with a byte order mark \(U\+FEFF\), which is not JSON text/);
    assert.throws(() => decodeJson('\ufeff{"a":1}'), /byte order mark/);
    assert.deepEqual(decodeJson(withMark, { allowByteOrderMark: true }), { a: 1 });
    assert.deepEqual(decodeJson('\ufeff{"a":1}', { allowByteOrderMark: true }), { a: 1 });
  });

  it('refuses a number literal that overflows a double, at any depth (spec 3: 1e400 reads as Infinity)', () => {
    assert.throws(() => decodeJson('{"network":"team","x":1e400}'), /x: a number too large for a double \(it reads as Infinity\)/);
    assert.throws(() => decodeJson('{"peers":[],"deep":[[-1e999]]}'), /deep\[0\]\[0\]: a number too large for a double \(it reads as -Infinity\)/);
    assert.equal(decodeJson('1.7976931348623157e308'), Number.MAX_VALUE);
  });

  it('refuses prototype keys with the path where they occur', () => {
    assert.throws(() => decodeJson('{"payload":{"recognition":{"constructor":1}}}'), /payload\.recognition\.constructor: the key "constructor" is not allowed/);
    assert.throws(() => decodeJson('[{"__proto__":{}}]'), /\[0\]\.__proto__: the key/);
  });

  it('refuses a lone surrogate escape in a value or a member name, and keeps a pair (spec 4: not I-JSON)', () => {
    assert.throws(() => decodeJson('{"payload":{"displayName":"a\\ud800"}}'), /payload\.displayName: a string holds a lone UTF-16 surrogate/);
    assert.throws(() => decodeJson('["\\udc00x"]'), /\[0\]: a string holds a lone/);
    assert.throws(() => decodeJson('{"\\ud83d":1}'), /a member name holds a lone/);
    assert.equal(decodeJson('"\\ud83d\\ude00"'), '\u{1F600}');
  });
});
