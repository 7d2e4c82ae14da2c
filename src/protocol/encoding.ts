// Room: protocol (pure). May touch: canonicalize, ./limits. No I/O.
// Wire encoding: UTF-8 JSON. The signed form is the RFC 8785 canonical JSON (JCS) of the record without `signature`.
// decodeJson is the only way bytes from outside become values: it bounds size before parsing, bounds nesting depth,
// refuses duplicate member names, keys that could reach Object.prototype and lone surrogates, so nothing is silently
// dropped or read differently later.
import canonicalize from 'canonicalize';
import { FORBIDDEN_KEYS, MAX_JSON_DEPTH, MAX_RECORD_BYTES } from './limits.ts';

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

// ignoreBOM keeps a leading byte order mark in the text, where decodeJson refuses it (or skips it when allowed): by
// default TextDecoder drops it silently, and other parsers refuse it (spec 4).
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** RFC 8785 canonical JSON text. Throws for values JSON cannot carry (NaN, Infinity, undefined at the top). */
export function canonicalJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (error) {
    throw new DecodeError(`cannot canonicalize: ${(error as Error).message}`);
  }
  if (text === undefined) throw new DecodeError('cannot canonicalize: the value is not representable in JSON');
  return text;
}

export function encodeJson(value: unknown): Uint8Array {
  return utf8Encoder.encode(JSON.stringify(value));
}

export function utf8Bytes(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

export interface DecodeOptions {
  /** Largest accepted input in bytes (UTF-8 for strings); default MAX_RECORD_BYTES. */
  readonly maxBytes?: number;
  /**
   * Skip a leading byte order mark (files people edit: some editors write one). Off for network input, where it is
   * refused (spec 4): other parsers reject it, so it must not pass here (an implementer's pass).
   */
  readonly allowByteOrderMark?: boolean;
}

/** Bytes or text -> plain JSON value, or a DecodeError that says what is wrong and where. */
export function decodeJson(input: Uint8Array | string, options: DecodeOptions = {}): unknown {
  const maxBytes = options.maxBytes ?? MAX_RECORD_BYTES;
  let text: string;
  if (typeof input === 'string') {
    // Cheap upper bound first (UTF-8 uses at most 3 bytes per UTF-16 code unit), exact count only when needed.
    if (input.length > maxBytes || (input.length * 3 > maxBytes && utf8Encoder.encode(input).length > maxBytes)) {
      throw new DecodeError(`input is larger than ${maxBytes} bytes`);
    }
    text = input;
  } else {
    if (input.byteLength > maxBytes) throw new DecodeError(`input is ${input.byteLength} bytes, larger than ${maxBytes}`);
    try {
      text = utf8Decoder.decode(input);
    } catch {
      throw new DecodeError('input is not valid UTF-8');
    }
  }
  if (text.charCodeAt(0) === 0xfeff) {
    if (options.allowByteOrderMark !== true) throw new DecodeError('input starts with a byte order mark (U+FEFF), which is not JSON text');
    text = text.slice(1);
  }
  scanStructure(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DecodeError(`input is not valid JSON: ${(error as Error).message}`);
  }
  assertAllowedValue(value, '');
  return value;
}

/**
 * One pass over the text before JSON.parse recurses into it: rejects nesting deeper than MAX_JSON_DEPTH (guards the
 * parser's stack) and an object that names a member twice (JSON.parse would silently keep the last one, while other
 * parsers keep the first: a signed record must mean the same thing to every implementation — I-JSON, RFC 7493).
 * Malformed text is left for JSON.parse to report.
 */
function scanStructure(text: string): void {
  // One entry per open bracket: the member names seen so far for an object, null for an array.
  const open: (Set<string> | null)[] = [];
  let stringStart = -1;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (stringStart >= 0) {
      if (code === 0x5c /* \ */) index++;
      else if (code === 0x22 /* " */) {
        const names = open.at(-1);
        if (names && isFollowedByColon(text, index + 1)) {
          const name = decodeName(text.slice(stringStart, index + 1));
          if (name !== undefined) {
            if (names.has(name)) throw new DecodeError(`input names the member "${name}" twice in one object (at character ${stringStart})`);
            names.add(name);
          }
        }
        stringStart = -1;
      }
    } else if (code === 0x22) stringStart = index;
    else if (code === 0x7b /* { */ || code === 0x5b /* [ */) {
      open.push(code === 0x7b ? new Set() : null);
      if (open.length > MAX_JSON_DEPTH) throw new DecodeError(`input is nested deeper than ${MAX_JSON_DEPTH} levels`);
    } else if (code === 0x7d /* } */ || code === 0x5d /* ] */) open.pop();
  }
}

function isFollowedByColon(text: string, from: number): boolean {
  for (let index = from; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x3a /* : */) return true;
    if (code !== 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) return false;
  }
  return false;
}

/** The member name a JSON string token stands for (escapes resolved), or undefined when the token is malformed. */
function decodeName(token: string): string | undefined {
  if (!token.includes('\\')) return token.slice(1, -1);
  try {
    return JSON.parse(token) as string;
  } catch {
    return undefined;
  }
}


/**
 * Refuses the keys that could reach Object.prototype, and strings (keys and values) with a lone surrogate escape
 * (JSON.parse lets `"\ud800"` through; isWellFormed is the engine's own check, 8 times the speed of a regex): not
 * I-JSON (RFC 7493 2.1), and the canonical form of such a string differs between implementations, so a signature
 * over it would not mean the same text to all of them (spec 4).
 */
export function assertAllowedValue(value: unknown, path = ''): void {
  // 1e400 parses to Infinity: not a finite number, at any depth (spec 3; an unknown member let it through).
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new DecodeError(`${path === '' ? 'the value' : path}: a number too large for a double (it reads as ${value})`);
  } else if (typeof value === 'string') {
    if (!value.isWellFormed()) throw new DecodeError(`${path === '' ? 'the value' : path}: a string holds a lone UTF-16 surrogate (not Unicode text)`);
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => assertAllowedValue(item, `${path}[${index}]`));
  } else if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      const where = path === '' ? key : `${path}.${key}`;
      if (FORBIDDEN_KEYS.has(key)) throw new DecodeError(`${where}: the key "${key}" is not allowed anywhere`);
      if (!key.isWellFormed()) throw new DecodeError(`${where}: a member name holds a lone UTF-16 surrogate (not Unicode text)`);
      assertAllowedValue((value as Record<string, unknown>)[key], where);
    }
  }
}
