// Room: protocol (pure). May touch: zod and ./limits only. No I/O, no vscode, no libp2p.
// The single source of the protocol's types: every TypeScript type below is z.infer of a schema, and
// `npm run schemas` publishes each schema with an id as schemas/<id>.schema.json (JSON Schema draft 2020-12).
//
// Forward compatibility (spec/PROTOCOL.md, "Versioning"): objects accept unknown fields and drop them on parse
// (z.object strips), so a peer on 1.0 reads records written by 1.1. Signatures are checked over the bytes as
// received, before fields are dropped. A record whose MAJOR differs is rejected.
import { z } from 'zod';
import {
  FORBIDDEN_KEYS,
  MAX_ADDRESS_LENGTH,
  MAX_ADDRESSES_PER_PEER,
  MAX_ALLOCATION_ENTRIES,
  MAX_CLOCK_ENTRIES,
  MAX_DESCRIPTION_LENGTH,
  MAX_ID_LENGTH,
  MAX_LOOKUP_PEERS,
  MAX_NAME_LENGTH,
  MAX_QUANTITY,
  MAX_RECOGNITION_ENTRIES,
  MAX_SCENARIO_PARTICIPANTS,
  MAX_SKILLS,
  MAX_SLOTS,
  MAX_SYNC_AUTHORS,
  MAX_SYNC_KINDS,
  MAX_TYPE_LENGTH,
  MAX_UNIT_LENGTH,
} from './limits.ts';

/** Record-size bound; published as maxProperties through .meta so JSON Schema validators enforce it too. */
function atMostEntries(max: number) {
  return (value: Record<string, unknown>) => Object.keys(value).length <= max;
}

const forbidden = [...FORBIDDEN_KEYS].join('|');

/** Identifiers (peer ids, slot ids): printable, no whitespace, never a prototype key. */
const IDENTIFIER_PATTERN = new RegExp(`^(?!(?:${forbidden})$)[A-Za-z0-9][A-Za-z0-9._:@+-]*$`);

export const PeerId = z
  .string()
  .min(1)
  .max(MAX_ID_LENGTH)
  .regex(IDENTIFIER_PATTERN, 'must start with a letter or digit and contain only letters, digits and . _ : @ + -')
  .meta({
    id: 'PeerId',
    title: 'Peer id',
    description:
      'Identifies a participant. On the network it is the libp2p peer id (base58btc) of the Ed25519 key that signs its records; in simulations any identifier.',
  });

export const SlotId = z
  .string()
  .min(1)
  .max(MAX_ID_LENGTH)
  .regex(IDENTIFIER_PATTERN, 'must start with a letter or digit and contain only letters, digits and . _ : @ + -')
  .meta({ id: 'SlotId', title: 'Slot id', description: "Identifies a capacity or need slot within its owner's state." });

export const Quantity = z
  .number()
  .nonnegative()
  .max(MAX_QUANTITY)
  .meta({ id: 'Quantity', title: 'Quantity', description: 'A finite, non-negative amount (hours, sessions, ...).' });

export const SlotType = z
  .string()
  .min(1)
  .max(MAX_TYPE_LENGTH)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lower case letters, digits and . _ - (starting with a letter or digit)')
  .meta({ id: 'SlotType', title: 'Slot type', description: 'What kind of work a slot offers or asks for: review, pairing, on-call, mentoring, ...' });

export const CausalClock = z
  .record(PeerId, z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER))
  .refine(atMostEntries(MAX_CLOCK_ENTRIES), `must have at most ${MAX_CLOCK_ENTRIES} entries`)
  .meta({
    id: 'CausalClock',
    maxProperties: MAX_CLOCK_ENTRIES,
    title: 'Causal clock',
    description: 'Vector clock: peer id -> number of events of that peer seen. Missing entries are 0.',
  });

const IsoDateTime = z.iso.datetime({ offset: true });
const TimeOfDay = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24 hours)');

export const Weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']).meta({ id: 'Weekday', title: 'Weekday' });

export const AbsoluteWindow = z
  .object({
    kind: z.literal('absolute'),
    start: IsoDateTime,
    end: IsoDateTime,
  })
  .meta({
    id: 'AbsoluteWindow',
    title: 'Absolute time window',
    description: 'A single interval [start, end) between two instants, ISO 8601 with UTC offset. An end not after start makes the window empty: valid, and it matches nothing.',
  });

export const WeeklyWindow = z
  .object({
    kind: z.literal('weekly'),
    days: z.array(Weekday).min(1).max(7),
    start: TimeOfDay,
    end: TimeOfDay,
    timeZone: z.string().min(1).max(64).regex(/^[A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)*$|^UTC$/, 'must be an IANA time zone such as Europe/Berlin'),
  })
  .meta({
    id: 'WeeklyWindow',
    title: 'Weekly recurring window',
    description:
      'Every listed weekday from start to end local time in timeZone (IANA). An end not after start means the window runs past midnight to end on the next day (equal times: 24 hours).',
  });

export const TimeWindow = z.discriminatedUnion('kind', [AbsoluteWindow, WeeklyWindow]).meta({
  id: 'TimeWindow',
  title: 'Time window',
  description: 'When a slot is available. Absent means any time.',
});

export const Location = z
  .object({
    remote: z.boolean().optional(),
    city: z.string().min(1).max(MAX_NAME_LENGTH).optional(),
    country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code').optional(),
    lat: z.number().min(-90).max(90).optional(),
    lon: z.number().min(-180).max(180).optional(),
  })
  .meta({
    id: 'Location',
    title: 'Location',
    description: 'Where a slot can be served. remote true matches anything; coordinates count only when both lat and lon are present.',
  });

export const Slot = z
  .object({
    id: SlotId,
    type: SlotType,
    quantity: Quantity,
    unit: z.string().min(1).max(MAX_UNIT_LENGTH).optional(),
    skills: z.array(z.string().min(1).max(MAX_TYPE_LENGTH)).max(MAX_SKILLS).default([]),
    window: TimeWindow.optional(),
    location: Location.optional(),
    description: z.string().max(MAX_DESCRIPTION_LENGTH).optional(),
  })
  .meta({
    id: 'Slot',
    title: 'Slot',
    description:
      'A capacity (what a participant offers) or a need (what it asks for). For a capacity, skills are what it brings; for a need, the skills it requires.',
  });

export const State = z
  .object({
    displayName: z.string().min(1).max(MAX_NAME_LENGTH),
    capacities: z.array(Slot).max(MAX_SLOTS).default([]),
    needs: z.array(Slot).max(MAX_SLOTS).default([]),
  })
  // One id space for capacities and needs (spec 2): results name slots by id, so a repeated id would be two slots
  // that acceptance and allocations cannot tell apart. Receivers reject such a state (an implementer's pass).
  .superRefine((state, context) => {
    const seen = new Set<string>();
    for (const [list, slots] of [['capacities', state.capacities], ['needs', state.needs]] as const) {
      slots.forEach((slot, index) => {
        if (seen.has(slot.id)) context.addIssue({ code: 'custom', path: [list, index, 'id'], message: `"${slot.id}" is used by another slot of this state (capacities and needs share one id space)` });
        seen.add(slot.id);
      });
    }
  })
  .meta({ id: 'State', title: 'State', description: "A participant's declarations: its name, capacities and needs. Slot ids are unique across capacities and needs (a rule JSON Schema cannot express)." });

export const RecognitionWeights = z
  .record(PeerId, z.number().nonnegative().max(MAX_QUANTITY))
  .refine(atMostEntries(MAX_RECOGNITION_ENTRIES), `must have at most ${MAX_RECOGNITION_ENTRIES} entries`)
  .meta({
    id: 'RecognitionWeights',
    maxProperties: MAX_RECOGNITION_ENTRIES,
    title: 'Recognition weights',
    description: "Peer id -> how much that peer contributes to the author's work. Normalized to sum 1 where used; all zero means no recognition.",
  });

export const Relationships = z
  .object({ recognition: RecognitionWeights })
  .meta({ id: 'Relationships', title: 'Relationships', description: "The author's recognition of other participants (and possibly itself)." });

export const Tier = z.enum(['mutual', 'one-way']).meta({
  id: 'Tier',
  title: 'Tier',
  description: 'mutual: provider and recipient recognize each other (MR > 0). one-way: only the provider recognizes the recipient.',
});

export const Allocation = z
  .object({
    capacity: SlotId,
    recipient: PeerId,
    need: SlotId,
    quantity: Quantity,
    tier: Tier,
  })
  .meta({ id: 'Allocation', title: 'Allocation', description: "What the author's capacity slot offers to one recipient's need slot in this round." });

export const Acceptance = z
  .object({
    provider: PeerId,
    capacity: SlotId,
    need: SlotId,
    quantity: Quantity,
  })
  .meta({
    id: 'Acceptance',
    title: 'Acceptance',
    description: "What the author, as recipient, accepts into its need slot from one provider's capacity slot in this round.",
  });

export const RoundMetrics = z
  .object({
    residualNeedNorm: z.number().nonnegative(),
    maxDelta: z.number().nonnegative(),
  })
  .meta({
    id: 'RoundMetrics',
    title: 'Round metrics',
    description: "residualNeedNorm: Euclidean norm of the author's unmet need; maxDelta: largest change of any of the author's allocations since its previous round.",
  });

export const Results = z
  .object({
    round: z.number().int().nonnegative(),
    allocations: z.array(Allocation).max(MAX_ALLOCATION_ENTRIES).default([]),
    acceptance: z.array(Acceptance).max(MAX_ALLOCATION_ENTRIES).default([]),
    stability: z
      .record(SlotId, z.number().min(0).max(1))
      .refine(atMostEntries(MAX_SLOTS), `must have at most ${MAX_SLOTS} entries`)
      .default({})
      .meta({ maxProperties: MAX_SLOTS, description: 'Stability factor per own need slot, in [0, 1]: 1 is steady, lower damps oscillating offers.' }),
    metrics: RoundMetrics,
    converged: z.boolean(),
  })
  .meta({
    id: 'Results',
    title: 'Results',
    description: "A participant's results for one round: its allocations as provider, its acceptance as recipient, stability factors and metrics.",
  });

export const Phase = z.number().int().min(0).max(9).meta({
  id: 'Phase',
  title: 'Phase',
  description: 'Protocol phase 0-9 (spec/PROTOCOL.md, "Phases").',
});

export const Coordination = z
  .object({
    round: z.number().int().nonnegative(),
    phase: Phase,
    clock: CausalClock,
    converged: z.boolean(),
    phaseStartedAt: IsoDateTime,
    updatedAt: IsoDateTime,
    heads: z
      .object({
        state: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
        relationships: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
        results: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
      })
      .optional()
      .meta({ description: "The sequences of the author's latest state, relationships and results records: a reader holding an older one asks for it (spec 8.5, repair)." }),
  })
  .meta({ id: 'Coordination', title: 'Coordination', description: "Where the author is in the protocol: round, phase, causal clock, convergence, and its latest records' sequences." });

export const RecordKind = z.enum(['state', 'relationships', 'results', 'coordination']).meta({
  id: 'RecordKind',
  title: 'Record kind',
});

export const ProtocolVersion = z
  .string()
  .regex(/^[0-9]{1,4}\.[0-9]{1,4}$/, 'must be MAJOR.MINOR')
  .meta({ id: 'ProtocolVersion', title: 'Protocol version', description: 'MAJOR.MINOR. Readers accept any MINOR of their MAJOR.' });

export const NetworkName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lower case letters, digits and . _ - (starting with a letter or digit), at most 64')
  .meta({ id: 'NetworkName', title: 'Network name', description: "The team's network id; scopes topics and signatures." });

/** base64url without padding of a 64-byte Ed25519 signature. */
export const Signature = z
  .string()
  // 64 bytes are 512 bits, and 86 characters carry 516: the last character's 4 spare bits MUST be 0 (A, Q, g or w),
  // or one signature would have 16 spellings, each a different record for stores and equivocation (spec 5).
  .regex(/^[A-Za-z0-9_-]{85}[AQgw]$/, 'must be 86 base64url characters (a 64-byte Ed25519 signature, the last one A, Q, g or w)')
  .meta({ id: 'Signature', title: 'Signature', description: 'Ed25519 signature, base64url without padding, canonical (unused trailing bits zero).' });

function recordOf<K extends z.infer<typeof RecordKind>, P extends z.ZodType>(kind: K, payload: P) {
  return z.object({
    version: ProtocolVersion,
    network: NetworkName,
    kind: z.literal(kind),
    author: PeerId,
    sequence: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    clock: CausalClock,
    issuedAt: IsoDateTime,
    payload,
    signature: Signature,
  });
}

export const SignedRecord = z
  .discriminatedUnion('kind', [
    recordOf('state', State),
    recordOf('relationships', Relationships),
    recordOf('results', Results),
    recordOf('coordination', Coordination),
  ])
  .meta({
    id: 'SignedRecord',
    title: 'Signed record',
    description:
      'The envelope of every network message. sequence counts per author and kind; signature covers the canonical form of every other field (spec/PROTOCOL.md, "Signatures").',
  });

export const ScenarioParticipant = z
  .looseObject({
    id: PeerId,
    displayName: z.string().min(1).max(MAX_NAME_LENGTH).optional(),
    recognition: RecognitionWeights.default({}),
    capacities: z.array(Slot).max(MAX_SLOTS).default([]),
    needs: z.array(Slot).max(MAX_SLOTS).default([]),
  })
  .meta({
    id: 'ScenarioParticipant',
    title: 'Scenario participant',
    description: 'One participant of a simulation: id, recognition of others, capacities, needs. Extra fields are allowed and ignored.',
  });

export const Scenario = z
  .looseObject({
    participants: z.array(ScenarioParticipant).min(1).max(MAX_SCENARIO_PARTICIPANTS),
  })
  .meta({ id: 'Scenario', title: 'Scenario', description: 'Input of `mutual simulate`. Extra fields are allowed and ignored.' });

export const SimulationResult = z
  .object({
    converged: z.boolean(),
    rounds: z.number().int().nonnegative(),
    allocations: z.array(
      z.object({
        provider: PeerId,
        capacity: SlotId,
        recipient: PeerId,
        need: SlotId,
        quantity: Quantity,
        tier: Tier,
      }),
    ),
    needs: z.array(
      z.object({ participant: PeerId, need: SlotId, declared: Quantity, received: Quantity, residual: Quantity }),
    ),
    capacities: z.array(
      z.object({ participant: PeerId, capacity: SlotId, declared: Quantity, allocated: Quantity, leftover: Quantity }),
    ),
    history: z.array(
      z.object({
        round: z.number().int().min(1),
        residualNeedNorm: z.number().nonnegative(),
        maxDelta: z.number().nonnegative(),
      }),
    ),
  })
  .meta({ id: 'SimulationResult', title: 'Simulation result', description: 'Output of `mutual simulate`: the converged allocations and per-round history.' });

export type PeerId = z.infer<typeof PeerId>;
export type SlotId = z.infer<typeof SlotId>;
export type CausalClock = z.infer<typeof CausalClock>;
export type TimeWindow = z.infer<typeof TimeWindow>;
export type Location = z.infer<typeof Location>;
export type Slot = z.infer<typeof Slot>;
export type State = z.infer<typeof State>;
export type RecognitionWeights = z.infer<typeof RecognitionWeights>;
export type Relationships = z.infer<typeof Relationships>;
export type Tier = z.infer<typeof Tier>;
export type Allocation = z.infer<typeof Allocation>;
export type Acceptance = z.infer<typeof Acceptance>;
export type RoundMetrics = z.infer<typeof RoundMetrics>;
export type Results = z.infer<typeof Results>;
export type Coordination = z.infer<typeof Coordination>;
export type RecordKind = z.infer<typeof RecordKind>;
export type SignedRecord = z.infer<typeof SignedRecord>;
export type ScenarioParticipant = z.infer<typeof ScenarioParticipant>;
export type Scenario = z.infer<typeof Scenario>;
export type SimulationResult = z.infer<typeof SimulationResult>;

/** Payload schema per record kind. */
export const PAYLOAD_SCHEMAS = {
  state: State,
  relationships: Relationships,
  results: Results,
  coordination: Coordination,
} as const satisfies Record<RecordKind, z.ZodType>;

export type PayloadOf<K extends RecordKind> = z.infer<(typeof PAYLOAD_SCHEMAS)[K]>;

// --- Stream protocols of the network (spec 9.3, 9.4): requests and answers that are not signed records.

const HaveSequences = z
  .array(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER))
  .max(MAX_SYNC_AUTHORS)
  .optional()
  .meta({ description: 'The sequence held of each requested author, aligned with authors (0: none; missing entries at the end: 0).' });

export type SyncHave = z.infer<typeof SyncHave>;
export const SyncHave = z
  .object({ state: HaveSequences, relationships: HaveSequences, results: HaveSequences, coordination: HaveSequences })
  .meta({
    id: 'SyncHave',
    title: 'What a sync requester holds',
    description: 'Per record kind, the sequences the requester holds and serves; a responder sends only newer records (spec 9.3).',
  });

export const SyncRequest = z
  .object({
    network: NetworkName,
    authors: z.array(PeerId).max(MAX_SYNC_AUTHORS),
    kinds: z
      .array(z.string().min(1).max(32))
      .max(MAX_SYNC_KINDS)
      .meta({ description: 'Record kinds; a kind the responder does not know is ignored, one named twice is answered once.' }),
    have: SyncHave.optional(),
  })
  .meta({
    id: 'SyncRequest',
    title: 'Sync request',
    description: 'Written by the requester on a sync/1.0.0 stream (at most 160 KiB of JSON text, which a schema cannot check), then its write side closed; answered by newline-separated records (spec 9.3).',
  });

export const LookupRequest = z
  .object({ peers: z.array(PeerId).max(MAX_LOOKUP_PEERS) })
  .meta({ id: 'LookupRequest', title: 'Address lookup request', description: 'Written on a peers/1.0.0 stream, at most 64 KiB of JSON text (spec 9.4).' });

export const LookupResponse = z
  .object({
    peers: z
      .array(z.object({ id: PeerId, addresses: z.array(z.string().max(MAX_ADDRESS_LENGTH)).max(MAX_ADDRESSES_PER_PEER) }))
      .max(MAX_LOOKUP_PEERS),
  })
  .meta({
    id: 'LookupResponse',
    title: 'Address lookup answer',
    description: 'The multiaddrs a responder knows of the peers asked about, at most 64 KiB of JSON text; the requester binds each to its peer (spec 9.4).',
  });

/** The schemas published under schemas/, by file name. Order is the order of the spec's data model chapter. */
export const PUBLISHED_SCHEMAS = {
  PeerId,
  SlotId,
  Quantity,
  SlotType,
  CausalClock,
  TimeWindow,
  Location,
  Slot,
  State,
  RecognitionWeights,
  Relationships,
  Tier,
  Allocation,
  Acceptance,
  RoundMetrics,
  Results,
  Phase,
  Coordination,
  RecordKind,
  ProtocolVersion,
  NetworkName,
  Signature,
  SignedRecord,
  ScenarioParticipant,
  Scenario,
  SimulationResult,
  SyncHave,
  SyncRequest,
  LookupRequest,
  LookupResponse,
} as const;
