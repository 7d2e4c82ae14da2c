// Room: network. May touch: libp2p's stream interface, multiaddr, peer ids, the protocol's decode errors.
// Bounds of one stream exchange (sync 9.3, address lookup 9.4): one deadline that aborts the stream, bounded reads,
// caps on concurrent serves, and binding a looked-up address to the peer id it was asked for.
import type { Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { MAX_RECORD_BYTES } from '../protocol/limits.ts';
import { DecodeError } from '../protocol/encoding.ts';

/** Bounds of the exchanges and of the gossip rate limit that names.ts does not carry (spec 9.2, 9.3, 9.5). */
export const EXCHANGE_LIMITS = {
  /** Sync requests served at once per connection, and in all: at most 64 x 160 KiB of requests buffered. */
  maxSyncServesPerConnection: 8,
  maxSyncServes: 64,
  /** Address lookups served at once per connection, and in all. */
  maxLookupServesPerConnection: 2,
  maxLookupServes: 32,
  /** Gossip messages one relaying peer delivers, whoever published them: burst and refill per second. */
  relayBurst: 2000,
  relayPerSecond: 1000,
  /** One dial of a looked-up author, to all its addresses at once. */
  lookupDialTimeoutMs: 5_000,
} as const;

/** The exchange's deadline passed and its stream was aborted: a slow or silent peer. */
export class ExchangeTimeout extends Error {
  override readonly name = 'ExchangeTimeout';
}

export interface Deadline {
  /** Aborts when the deadline passes (for the dial). */
  readonly signal: AbortSignal;
  /** Aborts `stream` when the deadline passes, so that any pending read, write or close throws ExchangeTimeout. */
  bind(stream: Stream): Stream;
}

/** Runs one exchange under one deadline of `ms`, from the dial (or the stream's arrival) to the last byte. */
export async function withDeadline<T>(ms: number, what: string, run: (deadline: Deadline) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const streams: Stream[] = [];
  // Made when the deadline passes, not for every exchange: an Error captures a stack trace, which showed in profiles
  // of 50 peers starting at once (188 ms of one core).
  const timer = setTimeout(() => {
    const timeout = new ExchangeTimeout(`${what} not done within ${ms} ms`);
    controller.abort(timeout);
    for (const stream of streams) stream.abort(timeout);
  }, ms);
  try {
    return await run({
      signal: controller.signal,
      bind(stream) {
        if (controller.signal.aborted) stream.abort(controller.signal.reason as Error);
        else streams.push(stream);
        return stream;
      },
    });
  } finally {
    clearTimeout(timer);
  }
}

const chunkBytes = (chunk: Uint8Array | { subarray(): Uint8Array }): Uint8Array => (chunk instanceof Uint8Array ? chunk : chunk.subarray());

/** Reads a whole stream (until the other side closes its write end), at most maxBytes. */
export async function readAll(stream: Stream, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes = chunkBytes(chunk);
    size += bytes.byteLength;
    if (size > maxBytes) throw new DecodeError(`message larger than ${maxBytes} bytes`);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

/** The lines of a sync response, and what was dropped of it (each reported as rejected input). */
export interface ResponseLines {
  readonly lines: Uint8Array[];
  readonly dropped: string[];
}

/**
 * Reads newline-separated records until the other side closes (spec 9.3): a line longer than a record can be is
 * dropped before it is ever parsed, and the lines after it are still read; past maxRecords lines or maxBytes in all,
 * reading stops and the stream is aborted, keeping the lines before. (Thrown instead, one long line or one record
 * too many lost a whole response, valid records included.)
 */
export async function readLines(stream: Stream, maxRecords: number, maxBytes: number): Promise<ResponseLines> {
  let pending: Uint8Array = new Uint8Array(0);
  let total = 0;
  /** Inside a line already dropped for its length: its bytes up to the next newline are skipped. */
  let skipping = false;
  const lines: Uint8Array[] = [];
  const dropped: string[] = [];
  /** Past a bound: the rest of the answer is not read. */
  let cut = false;
  const tooMany = `sync response has more than ${maxRecords} records: the rest was not read`;
  reading: for await (const chunk of stream) {
    let bytes = chunkBytes(chunk);
    const over = total + bytes.byteLength > maxBytes;
    // The lines that end within the bound still count; the rest of the chunk and of the stream is not read.
    if (over) bytes = bytes.subarray(0, maxBytes - total);
    total += bytes.byteLength;
    pending = pending.byteLength === 0 ? bytes : Buffer.concat([pending, bytes]);
    let newline: number;
    while ((newline = pending.indexOf(0x0a)) >= 0) {
      if (skipping) skipping = false;
      else if (lines.length === maxRecords) {
        dropped.push(tooMany);
        cut = true;
        break reading;
      } else lines.push(pending.subarray(0, newline));
      pending = pending.subarray(newline + 1);
    }
    if (pending.byteLength > MAX_RECORD_BYTES) {
      if (!skipping) dropped.push(`a sync line larger than ${MAX_RECORD_BYTES} bytes, dropped unparsed`);
      skipping = true;
      pending = new Uint8Array(0);
    }
    if (over) {
      dropped.push(`sync response larger than ${maxBytes} bytes: the rest was not read`);
      cut = true;
      break;
    }
  }
  if (cut) stream.abort(new DecodeError('sync response beyond its bounds'));
  else if (pending.byteLength > 0 && !skipping) {
    if (lines.length === maxRecords) dropped.push(tooMany);
    else lines.push(pending);
  }
  return { lines, dropped };
}

/** Counts serves in progress per connection and in all; `take` gives a release function, or undefined at a cap. */
export function serveSlots(perConnection: number, overall: number): { take(connection: string): (() => void) | undefined } {
  const used = new Map<string, number>();
  let total = 0;
  return {
    take(connection) {
      const mine = used.get(connection) ?? 0;
      if (mine >= perConnection || total >= overall) return undefined;
      used.set(connection, mine + 1);
      total++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        total--;
        const left = (used.get(connection) ?? 1) - 1;
        if (left > 0) used.set(connection, left);
        else used.delete(connection);
      };
    },
  };
}

/**
 * At most `perKey` holders at once per key; `take` waits for a slot (first come, first served) at most `maxWaitMs`
 * and gives its release, or undefined when none came in time (the waiter then leaves the queue). Without that bound a
 * queue fed faster than its holders' deadlines end grew without limit, and so did its wait (a review's probe: 24 syncs
 * to a silent peer settled after 15 s).
 */
export function waitingSlots(perKey: number, maxWaitMs: number): { take(key: string): Promise<(() => void) | undefined>; inUse(key: string): number } {
  const used = new Map<string, number>();
  const waiting = new Map<string, (() => void)[]>();
  const leave = (key: string, waiter: () => void) => {
    const queue = waiting.get(key)?.filter((entry) => entry !== waiter) ?? [];
    if (queue.length > 0) waiting.set(key, queue);
    else waiting.delete(key);
  };
  const release = (key: string) => {
    const next = waiting.get(key)?.shift();
    if (waiting.get(key)?.length === 0) waiting.delete(key);
    // The slot passes straight to the next waiter; with none, it is freed.
    if (next !== undefined) return next();
    const left = (used.get(key) ?? 1) - 1;
    if (left > 0) used.set(key, left);
    else used.delete(key);
  };
  return {
    async take(key) {
      if ((used.get(key) ?? 0) < perKey) used.set(key, (used.get(key) ?? 0) + 1);
      else {
        const granted = await new Promise<boolean>((resolve) => {
          const waiter = () => {
            clearTimeout(timer);
            resolve(true);
          };
          const timer = setTimeout(() => {
            leave(key, waiter);
            resolve(false);
          }, maxWaitMs);
          const queue = waiting.get(key);
          if (queue === undefined) waiting.set(key, [waiter]);
          else queue.push(waiter);
        });
        if (!granted) return undefined;
      }
      let released = false;
      return () => {
        if (released) return;
        released = true;
        release(key);
      };
    },
    inUse: (key) => used.get(key) ?? 0,
  };
}

/**
 * An address a lookup returned for peer `id`, bound to `id`: a trailing /p2p/<id> is kept, an address without one
 * gets it appended. An address whose last /p2p/ names another peer (a responder redirecting my dial), or that is no
 * multiaddr, gives undefined. A relay's own /p2p/ before /p2p-circuit stays.
 */
export function bindAddress(address: string, id: string): string | undefined {
  let text: string;
  try {
    text = multiaddr(address).toString();
  } catch {
    return undefined;
  }
  const named = /\/p2p\/([^/]+)$/.exec(text)?.[1];
  if (named === undefined) return `${text}/p2p/${id}`;
  try {
    return peerIdFromString(named).toString() === id ? text : undefined;
  } catch {
    return undefined;
  }
}
