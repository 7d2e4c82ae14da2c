// Room: protocol (pure). May touch: nothing but constants.
// Bounds that every implementation enforces at its boundary. The spec (spec/PROTOCOL.md, "Bounds") repeats them;
// changing one is a protocol change.

/** Protocol version carried by every signed record: MAJOR.MINOR. */
export const PROTOCOL_VERSION = '1.1';
export const PROTOCOL_MAJOR = 1;

/** The MAJOR of a `MAJOR.MINOR` version string (NaN when it has none). */
export function majorOf(version: string): number {
  return Number(version.split('.')[0]);
}

/** Largest encoded size (UTF-8 bytes of the JSON text) of one record or one message. */
export const MAX_RECORD_BYTES = 64 * 1024;
/** Deepest nesting of objects and arrays a decoder accepts before it gives up (guards the parser's stack). */
export const MAX_JSON_DEPTH = 32;

export const MAX_SLOTS = 256;
export const MAX_RECOGNITION_ENTRIES = 1024;
export const MAX_CLOCK_ENTRIES = 1024;
export const MAX_SKILLS = 64;
export const MAX_ALLOCATION_ENTRIES = 4096;

export const MAX_ID_LENGTH = 128;
export const MAX_TYPE_LENGTH = 64;
export const MAX_NAME_LENGTH = 128;
export const MAX_DESCRIPTION_LENGTH = 2048;
export const MAX_UNIT_LENGTH = 32;

/** Stream protocols (spec 9.3, 9.4): authors one sync request names, kinds it names, addresses per looked-up peer. */
export const MAX_SYNC_AUTHORS = 1024;
export const MAX_SYNC_KINDS = 16;
export const MAX_LOOKUP_PEERS = 64;
export const MAX_ADDRESSES_PER_PEER = 8;
/** Characters of one address in a lookup answer that a reader accepts (the reference answers at most 400). */
export const MAX_ADDRESS_LENGTH = 512;

/** Quantities and weights are finite and at most this (keeps sums exact enough in IEEE doubles). */
export const MAX_QUANTITY = 1e12;

/** Scenario bounds for `mutual simulate` (a local file, not a network message, so larger than a record). */
export const MAX_SCENARIO_PARTICIPANTS = 100_000;

/** Keys that could reach Object.prototype through a naive assignment; never valid anywhere. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
