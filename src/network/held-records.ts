// Room: network. May touch: protocol (schemas as types, the conflict rule, canonical encoding).
// The latest records a peer holds for late-joiner sync (spec 9.3, 9.5), kept by value: records of authors this peer
// values (its own, and those it follows) first; among the rest the least recently updated is evicted first. A key
// evicted (or never held for want of room) leaves its newest (sequence, signature), so its replays stay detected.
// Each record is kept with the canonical text (RFC 8785) of the record as received: sync serves that, since the parsed
// record has lost the members of a newer MINOR that the signature covers (served re-encoded, such a record failed
// every requester's check). Canonical, not the bytes received: JSON whitespace may hold newlines, which split a sync
// answer's lines (one padded record cut off every record after it), and a view of the received bytes kept the whole
// frame it came in alive.
import { resolveConflict } from '../protocol/conflict.ts';
import { canonicalJson, utf8Bytes } from '../protocol/encoding.ts';
import type { CausalClock, SignedRecord } from '../protocol/schemas.ts';

export type Holding = 'newer' | 'old' | 'duplicate';

/**
 * A held record: what the conflict rule and sync need of it, and the canonical JSON text of the record as verified,
 * unknown members included. Not the parsed record beside its text: its payload is the engine's, and kept twice the
 * store cost up to 4096 x (64 KiB parsed + 64 KiB of text).
 */
export interface HeldRecord extends Mark {
  readonly author: string;
  readonly wire: Uint8Array;
}

interface Mark {
  readonly sequence: number;
  readonly clock: CausalClock;
  readonly signature: string;
}

const KINDS = ['state', 'relationships', 'results', 'coordination'] as const;

/**
 * The clock is read back from the text when the conflict rule asks for it (two records of one sequence, rare): kept
 * parsed, a coordination record's clock of up to 1024 entries cost as much heap again as its text (a review's probe:
 * 100 MiB beside 114 MiB of text for 4096 records of 500 entries).
 */
function heldRecord(record: SignedRecord, wire: Uint8Array): HeldRecord {
  return {
    author: record.author,
    sequence: record.sequence,
    signature: record.signature,
    wire,
    get clock(): CausalClock {
      return (JSON.parse(new TextDecoder().decode(wire)) as { clock: CausalClock }).clock;
    },
  };
}

export class HeldRecords {
  /** Records of valued authors, and of the others; each map in order of last update, least recent first. */
  private readonly valued = new Map<string, HeldRecord>();
  private readonly others = new Map<string, HeldRecord>();
  /** The newest record seen of keys no longer (or never) held, least recently evicted first; at most `max`. */
  private readonly marks = new Map<string, Mark>();

  /**
   * @param max records held at most, and evicted keys remembered at most.
   * @param isValued whether an author's records are kept before others' (my own, the authors I follow).
   * @param self my own id: my records are never evicted.
   */
  private readonly max: number;
  private readonly isValued: (author: string) => boolean;
  private readonly self: string;

  constructor(max: number, isValued: (author: string) => boolean, self: string) {
    this.max = max;
    this.isValued = isValued;
    this.self = self;
  }

  get size(): number {
    return this.valued.size + this.others.size;
  }

  get(kind: string, author: string): HeldRecord | undefined {
    const key = `${kind}/${author}`;
    return this.valued.get(key) ?? this.others.get(key);
  }

  /**
   * Keeps the latest record per (author, kind) by the rule of spec 8.3, as the engine's stores do (sync then serves
   * the record every peer keeps): higher sequence; at an equal sequence, the later clock, then the greater signature.
   */
  /** `received` is the record as received and verified (members of a newer MINOR included); its canonical text is kept. */
  hold(record: SignedRecord, received: unknown): Holding {
    const key = `${record.kind}/${record.author}`;
    const outcome = resolveConflict(this.valued.get(key) ?? this.others.get(key) ?? this.marks.get(key), record);
    // The same record again (gossip and sync both brought it) is normal, not misbehaviour.
    if (outcome === 'duplicate') return 'duplicate';
    if (outcome === 'stale' || outcome === 'equivocation-ignored') return 'old';
    this.valued.delete(key);
    this.others.delete(key);
    this.marks.delete(key);
    const pool = this.isValued(record.author) ? this.valued : this.others;
    if (this.size >= this.max && !this.evictFor(pool === this.valued)) {
      // Full of records valued more: deliver it (the engine's stores have their own bounds), hold only its mark.
      this.mark(key, record);
      return 'newer';
    }
    pool.set(key, heldRecord(record, utf8Bytes(canonicalJson(received))));
    return 'newer';
  }

  /** Moves an author's records to the pool its value now says (after a subscription changed). */
  revalue(author: string): void {
    const [to, from] = this.isValued(author) ? [this.valued, this.others] : [this.others, this.valued];
    for (const kind of KINDS) {
      const key = `${kind}/${author}`;
      const record = from.get(key);
      if (record === undefined) continue;
      from.delete(key);
      to.set(key, record);
    }
  }

  /** Evicts one record to make room: the least recently updated not valued; else, for a valued one, the least recently updated valued one but mine. */
  private evictFor(valued: boolean): boolean {
    const pools = valued ? [this.others, this.valued] : [this.others];
    for (const pool of pools) {
      for (const [key, held] of pool) {
        if (held.author === this.self) continue;
        pool.delete(key);
        this.mark(key, held);
        return true;
      }
    }
    return false;
  }

  private mark(key: string, record: Mark): void {
    if (this.marks.size >= this.max) this.marks.delete(this.marks.keys().next().value!);
    this.marks.set(key, { sequence: record.sequence, clock: record.clock, signature: record.signature });
  }
}
