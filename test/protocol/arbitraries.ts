// Room: test support (protocol). fast-check arbitraries that produce values valid for the protocol's schemas.
import fc from 'fast-check';

/** JSON has no -0: generate only numbers the wire can carry. */
function jsonDouble(constraints: fc.DoubleConstraints) {
  return fc.double({ noNaN: true, noDefaultInfinity: true, ...constraints }).map((value) => value + 0);
}

const identifier = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,20}$/).filter((id) => !['constructor', 'prototype'].includes(id));
const slotType = fc.constantFrom('review', 'pairing', 'on-call', 'mentoring');
const quantity = jsonDouble({ min: 0, max: 1000 });
const skill = fc.constantFrom('rust', 'typescript', 'go', 'libp2p', 'ux');

const weeklyWindow = fc.record({
  kind: fc.constant('weekly' as const),
  days: fc.uniqueArray(fc.constantFrom('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun' as const), { minLength: 1, maxLength: 7 }),
  start: fc.constantFrom('00:00', '09:00', '22:30'),
  end: fc.constantFrom('02:00', '17:00', '23:59'),
  timeZone: fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'),
});
const absoluteWindow = fc.record({
  kind: fc.constant('absolute' as const),
  start: fc.constantFrom('2026-12-01T09:00:00Z', '2026-12-01T09:00:00+01:00'),
  end: fc.constantFrom('2026-12-01T17:00:00Z', '2026-12-02T10:00:00-05:00'),
});

export const slotArbitrary = fc.record(
  {
    id: identifier,
    type: slotType,
    quantity,
    unit: fc.constantFrom('hours', 'sessions'),
    skills: fc.uniqueArray(skill, { maxLength: 3 }),
    window: fc.oneof(weeklyWindow, absoluteWindow),
    location: fc.record({ remote: fc.boolean(), city: fc.constantFrom('Lisbon', 'Berlin'), lat: jsonDouble({ min: -90, max: 90 }), lon: jsonDouble({ min: -180, max: 180 }) }, { requiredKeys: [] }),
    description: fc.string({ maxLength: 40 }),
  },
  { requiredKeys: ['id', 'type', 'quantity', 'skills'] },
);

export const stateArbitrary = fc.record({
  displayName: fc.string({ minLength: 1, maxLength: 30 }),
  capacities: fc.array(slotArbitrary, { maxLength: 4 }),
  needs: fc.array(slotArbitrary, { maxLength: 4 }),
});

export const clockArbitrary = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.nat({ max: 20 }));

export const relationshipsArbitrary = fc.record({
  recognition: fc.dictionary(identifier, jsonDouble({ min: 0, max: 100 }), { maxKeys: 8 }),
});

const isoInstant = fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }).map((date) => date.toISOString());

export const coordinationArbitrary = fc.record({
  round: fc.nat({ max: 10_000 }),
  phase: fc.integer({ min: 0, max: 9 }),
  clock: clockArbitrary,
  converged: fc.boolean(),
  phaseStartedAt: isoInstant,
  updatedAt: isoInstant,
});

export const resultsArbitrary = fc.record({
  round: fc.nat({ max: 10_000 }),
  allocations: fc.array(fc.record({ capacity: identifier, recipient: identifier, need: identifier, quantity, tier: fc.constantFrom('mutual', 'one-way' as const) }), { maxLength: 5 }),
  acceptance: fc.array(fc.record({ provider: identifier, capacity: identifier, need: identifier, quantity }), { maxLength: 5 }),
  stability: fc.dictionary(identifier, jsonDouble({ min: 0, max: 1 }), { maxKeys: 3 }),
  metrics: fc.record({ residualNeedNorm: quantity, maxDelta: quantity }),
  converged: fc.boolean(),
});

// Canonical base64url of 64 bytes: the last character has its 4 unused bits 0 (spec 5).
const signature = fc.stringMatching(/^[A-Za-z0-9_-]{85}[AQgw]$/);

export const signedRecordArbitrary = fc.oneof(
  ...([['state', stateArbitrary], ['relationships', relationshipsArbitrary], ['results', resultsArbitrary], ['coordination', coordinationArbitrary]] as const).map(([kind, payload]) =>
    fc.record({
      version: fc.constantFrom('1.0', '1.3'),
      network: fc.constantFrom('team', 'demo-team'),
      kind: fc.constant(kind),
      author: identifier,
      sequence: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      clock: clockArbitrary,
      issuedAt: isoInstant,
      payload: payload as fc.Arbitrary<unknown>,
      signature,
    }),
  ),
);

export const scenarioArbitrary = fc.record({
  participants: fc.array(
    fc.record({ id: identifier, recognition: relationshipsArbitrary.map((value) => value.recognition), capacities: fc.array(slotArbitrary, { maxLength: 2 }), needs: fc.array(slotArbitrary, { maxLength: 2 }) }),
    { minLength: 1, maxLength: 5 },
  ),
});

export const simulationResultArbitrary = fc.record({
  converged: fc.boolean(),
  rounds: fc.nat({ max: 50 }),
  allocations: fc.array(fc.record({ provider: identifier, capacity: identifier, recipient: identifier, need: identifier, quantity, tier: fc.constantFrom('mutual', 'one-way' as const) }), { maxLength: 4 }),
  needs: fc.array(fc.record({ participant: identifier, need: identifier, declared: quantity, received: quantity, residual: quantity }), { maxLength: 4 }),
  capacities: fc.array(fc.record({ participant: identifier, capacity: identifier, declared: quantity, allocated: quantity, leftover: quantity }), { maxLength: 4 }),
  history: fc.array(fc.record({ round: fc.integer({ min: 1, max: 50 }), residualNeedNorm: quantity, maxDelta: quantity }), { maxLength: 4 }),
});
