// Room: test (extension host side, plain mocha). The text forms of a slot's time window and location that the Declare
// commands read and the panel shows: parsed into the protocol schemas, refused with a reason, and read back as written.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describeSlot, formatLocation, formatWindow, parseLocation, parseWindow, quantityProblem, readingOfLocation, readingOfWindow, slotAnswers, slotFromAnswers, toType, sameUnit, windowIsOver, withUnit, zeroQuantityWarning } from '../../src/extension/slot-text.ts';
import { Slot } from '../../src/protocol/schemas.ts';
import { slotArbitrary } from '../protocol/arbitraries.ts';
import { Location, TimeWindow, Weekday } from '../../src/protocol/schemas.ts';

const ok = <T>(parsed: { ok: true; value: T | undefined } | { ok: false; problem: string }): T | undefined => {
  if (!parsed.ok) assert.fail(`refused: ${parsed.problem}`);
  return parsed.value;
};
const problem = (parsed: { ok: boolean; problem?: string }): string => {
  assert.equal(parsed.ok, false, 'expected a refusal');
  return parsed.problem ?? '';
};

describe('extension: time window and location as text', function () {
  it('reads weekly windows: day lists, ranges (also across Sunday), aliases, the default zone, times past midnight', function () {
    assert.deepEqual(ok(parseWindow('mon-fri 09:00-12:00 Europe/Berlin', 'UTC')), { kind: 'weekly', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '12:00', timeZone: 'Europe/Berlin' });
    assert.deepEqual(ok(parseWindow('  sat-mon   22:00-2:00 ', 'America/New_York')), { kind: 'weekly', days: ['mon', 'sat', 'sun'], start: '22:00', end: '02:00', timeZone: 'America/New_York' });
    assert.deepEqual(ok(parseWindow('Weekends,wed 9:30-10:00', 'UTC')), { kind: 'weekly', days: ['wed', 'sat', 'sun'], start: '09:30', end: '10:00', timeZone: 'UTC' });
    assert.deepEqual(ok(parseWindow('daily 00:00-00:00 Asia/Kolkata', 'UTC')), { kind: 'weekly', days: [...Weekday.options], start: '00:00', end: '00:00', timeZone: 'Asia/Kolkata' });
    assert.equal(ok(parseWindow('   ', 'UTC')), undefined, 'empty: any time');
  });

  it('reads one-off windows in a zone (its offset on that date), at a fixed offset, or as two ISO instants', function () {
    assert.deepEqual(ok(parseWindow('2026-12-01 14:00-16:00 Europe/Berlin', 'UTC')), { kind: 'absolute', start: '2026-12-01T14:00:00+01:00', end: '2026-12-01T16:00:00+01:00' });
    // Summer time, and an end not after the start: the next day.
    assert.deepEqual(ok(parseWindow('2026-07-01 23:00-01:00', 'Europe/Berlin')), { kind: 'absolute', start: '2026-07-01T23:00:00+02:00', end: '2026-07-02T01:00:00+02:00' });
    // Across the change to summer time (2026-03-29 01:00Z): each end at its own offset, 3 hours apart, not 4.
    const change = ok(parseWindow('2026-03-29 01:00-05:00 Europe/Berlin', 'UTC'));
    assert.deepEqual(change, { kind: 'absolute', start: '2026-03-29T01:00:00+01:00', end: '2026-03-29T05:00:00+02:00' });
    assert.equal(Date.parse(change!.kind === 'absolute' ? change.end : '') - Date.parse(change!.kind === 'absolute' ? change.start : ''), 3 * 3_600_000);
    assert.deepEqual(ok(parseWindow('2026-12-01 14:00-16:00 UTC-05:30', 'UTC')), { kind: 'absolute', start: '2026-12-01T14:00:00-05:30', end: '2026-12-01T16:00:00-05:30' });
    assert.deepEqual(ok(parseWindow('2026-12-01T09:00:00Z/2026-12-03T09:00:00+01:00', 'UTC')), { kind: 'absolute', start: '2026-12-01T09:00:00Z', end: '2026-12-03T09:00:00+01:00' });
  });

  it('reads times next to a change of offset by one rule in every zone: a repeated time is its first occurrence, a skipped one the moment of the change', function () {
    const minutes = (text: string) => {
      const window = ok(parseWindow(text, 'UTC'));
      assert.equal(window?.kind, 'absolute', text);
      return window?.kind === 'absolute' ? [window.start, window.end, (Date.parse(window.end) - Date.parse(window.start)) / 60_000] : [];
    };
    // Forward: 02:00-03:00 does not exist (Berlin 03-29, 01:00Z; New York 03-08, 07:00Z; Havana 03-08 at midnight).
    assert.deepEqual(minutes('2026-03-29 02:30-03:30 Europe/Berlin'), ['2026-03-29T03:00:00+02:00', '2026-03-29T03:30:00+02:00', 30]);
    assert.deepEqual(minutes('2026-03-08 02:30-03:30 America/New_York'), ['2026-03-08T03:00:00-04:00', '2026-03-08T03:30:00-04:00', 30]);
    assert.deepEqual(minutes('2026-03-08 01:00-02:00 America/New_York'), ['2026-03-08T01:00:00-05:00', '2026-03-08T03:00:00-04:00', 60]);
    assert.deepEqual(minutes('2026-03-08 00:00-02:00 America/New_York'), ['2026-03-08T00:00:00-05:00', '2026-03-08T03:00:00-04:00', 120]);
    assert.deepEqual(minutes('2026-03-07 23:00-00:00 America/Havana'), ['2026-03-07T23:00:00-05:00', '2026-03-08T01:00:00-04:00', 60]);
    // Back: 02:00-03:00 (Berlin 10-25) and 01:00-02:00 (New York 11-01) happen twice; a time there is the first.
    assert.deepEqual(minutes('2026-10-25 02:30-03:00 Europe/Berlin'), ['2026-10-25T02:30:00+02:00', '2026-10-25T03:00:00+01:00', 90]);
    assert.deepEqual(minutes('2026-11-01 01:30-02:00 America/New_York'), ['2026-11-01T01:30:00-04:00', '2026-11-01T02:00:00-05:00', 90]);
    assert.deepEqual(minutes('2026-10-25 01:30-02:30 Europe/Berlin'), ['2026-10-25T01:30:00+02:00', '2026-10-25T02:30:00+02:00', 60]);
    assert.deepEqual(minutes('2026-11-01 00:30-01:30 America/New_York'), ['2026-11-01T00:30:00-04:00', '2026-11-01T01:30:00-04:00', 60]);
  });

  it('writes a zone as the IANA list spells it, and reads fixed offsets only with valid minutes', function () {
    assert.deepEqual(ok(parseWindow('mon 09:00-10:00 europe/berlin', 'UTC')), { kind: 'weekly', days: ['mon'], start: '09:00', end: '10:00', timeZone: 'Europe/Berlin' });
    assert.deepEqual(ok(parseWindow('mon 09:00-10:00 Asia/Kolkata', 'UTC')), { kind: 'weekly', days: ['mon'], start: '09:00', end: '10:00', timeZone: 'Asia/Kolkata' }, 'not the alias ICU resolves it to');
    assert.match(problem(parseWindow('2026-12-01 09:00-10:00 +01:75', 'UTC')), /"\+01:75" is not a time zone/);
  });

  it('says why a window does not read', function () {
    assert.match(problem(parseWindow('mon-fri 9-12', 'UTC')), /"9-12" is not HH:MM-HH:MM/);
    assert.match(problem(parseWindow('funday 09:00-10:00', 'UTC')), /"funday" is not a day/);
    assert.match(problem(parseWindow('mon 09:00-10:00 Mars/Olympus_Mons', 'UTC')), /"Mars\/Olympus_Mons" is not a time zone this machine knows/);
    assert.match(problem(parseWindow('mon 09:00-10:00 +01:00', 'UTC')), /weekly window needs a time zone name/);
    assert.match(problem(parseWindow('2026-02-30 09:00-10:00', 'UTC')), /"2026-02-30" is not a date/);
    assert.match(problem(parseWindow('2026-12-01T12:00:00Z/2026-12-01T09:00:00Z', 'UTC')), /the end must be after the start/);
    assert.match(problem(parseWindow('2026-12-01T12:00Z/2026-12-01T13:00Z', 'UTC')), /./, 'ISO instants need seconds, as the schema says');
    assert.match(problem(parseWindow('mon', 'UTC')), /write days or a date, then HH:MM-HH:MM/);
  });

  it('writes windows as it reads them: day runs compressed, one-off windows at their start offset', function () {
    assert.equal(formatWindow({ kind: 'weekly', days: ['mon', 'tue', 'wed', 'fri'], start: '09:00', end: '12:00', timeZone: 'UTC' }), 'mon-wed,fri 09:00-12:00 UTC');
    assert.equal(formatWindow({ kind: 'weekly', days: ['sat', 'sun'], start: '22:00', end: '02:00', timeZone: 'Europe/Berlin' }), 'sat,sun 22:00-02:00 Europe/Berlin');
    assert.equal(formatWindow({ kind: 'absolute', start: '2026-12-01T14:00:00+01:00', end: '2026-12-01T16:00:00+01:00' }), '2026-12-01 14:00-16:00 +01:00');
    assert.equal(formatWindow({ kind: 'absolute', start: '2026-12-01T23:00:00Z', end: '2026-12-02T01:00:00Z' }), '2026-12-01 23:00-01:00 UTC');
    assert.equal(formatWindow({ kind: 'absolute', start: '2026-12-01T09:00:00Z', end: '2026-12-03T09:00:00Z' }), '2026-12-01T09:00:00Z/2026-12-03T09:00:00Z', 'two days: as declared');
    assert.equal(formatWindow(undefined), '');
    // Repeated days (the schema allows them) are six distinct days, not "daily" (which would read back as seven).
    assert.equal(formatWindow({ kind: 'weekly', days: ['mon', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '09:00', end: '12:00', timeZone: 'UTC' }), 'mon-sat 09:00-12:00 UTC');
    assert.equal(formatWindow({ kind: 'absolute', start: '0050-01-01T10:00:00Z', end: '0050-01-01T12:00:00Z' }), '0050-01-01 10:00-12:00 UTC');
  });

  it('reads back every window it writes (the same days and times, the same instants)', function () {
    const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Pacific/Auckland', 'America/St_Johns'];
    const time = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
    const weekly = fc.record({
      kind: fc.constant('weekly' as const),
      days: fc.subarray([...Weekday.options], { minLength: 1 }),
      start: time,
      end: time,
      timeZone: fc.constantFrom(...zones),
    });
    const offsets = [0, 60, 120, -300, 330, 780, -210, -150];
    const absolute = fc.tuple(fc.integer({ min: Date.UTC(2026, 0, 1) / 60_000, max: Date.UTC(2028, 0, 1) / 60_000 }), fc.integer({ min: 1, max: 4 * 24 * 60 }), fc.constantFrom(...offsets), fc.constantFrom(...offsets)).map(([startMinute, minutes, startOffset, endOffset]) => {
      const iso = (minute: number, offset: number) => {
        const local = new Date((minute + offset) * 60_000).toISOString().slice(0, 16);
        const sign = offset < 0 ? '-' : '+';
        return `${local}:00${sign}${String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0')}:${String(Math.abs(offset) % 60).padStart(2, '0')}`;
      };
      return { kind: 'absolute' as const, start: iso(startMinute, startOffset), end: iso(startMinute + minutes, endOffset) };
    });
    fc.assert(
      fc.property(fc.oneof(weekly, absolute), (window) => {
        const written = formatWindow(TimeWindow.parse(window));
        const read = ok(parseWindow(written, 'Asia/Tokyo'));
        if (window.kind === 'weekly') assert.deepEqual(read, { ...window, days: [...window.days] }, written);
        else {
          assert.equal(read?.kind, 'absolute', written);
          if (read?.kind !== 'absolute') return;
          assert.equal(Date.parse(read.start), Date.parse(window.start), written);
          assert.equal(Date.parse(read.end), Date.parse(window.end), written);
          // Edit's prefill, in the user's zone where it can be.
          for (const zone of ['Europe/Berlin', 'America/St_Johns']) {
            const inZone: TimeWindow | undefined = ok(parseWindow(formatWindow(TimeWindow.parse(window), zone), zone));
            assert.deepEqual(inZone?.kind === 'absolute' ? [Date.parse(inZone.start), Date.parse(inZone.end)] : [], [Date.parse(window.start), Date.parse(window.end)], `${zone}: ${formatWindow(TimeWindow.parse(window), zone)}`);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('reads locations: remote, a city with its country, coordinates, several joined with ";"', function () {
    assert.deepEqual(ok(parseLocation('remote')), { remote: true });
    assert.deepEqual(ok(parseLocation(' Berlin , de ')), { city: 'Berlin', country: 'DE' });
    assert.deepEqual(ok(parseLocation('São Paulo')), { city: 'São Paulo' });
    assert.deepEqual(ok(parseLocation('52.52, 13.40')), { lat: 52.52, lon: 13.4 });
    assert.deepEqual(ok(parseLocation('Berlin, DE; 52.52,13.405; REMOTE')), { city: 'Berlin', country: 'DE', lat: 52.52, lon: 13.405, remote: true });
    assert.equal(ok(parseLocation(' ; ')), undefined, 'empty: anywhere');
  });

  it('says why a location does not read, and writes locations as it reads them', function () {
    assert.match(problem(parseLocation('91, 0')), /^the latitude 91 is not between -90 and 90/);
    assert.match(problem(parseLocation('0, 200')), /^the longitude 200 is not between -180 and 180/);
    // Typos that would otherwise read as a city name and match nothing.
    assert.deepEqual(ok(parseLocation('Austin TX')), { city: 'Austin TX' }, 'a region code is no country: read as a name, with a hint');
    assert.match(problem(parseLocation('mon-thu 15:00-16:00 Europe/Berlin')), /looks like a time: times go in the previous step/);
    assert.match(problem(parseLocation('52.52 13.40')), /^did you mean "52.52, 13.40"\?/);
    assert.deepEqual(ok(parseLocation('"Berlin DE"')), { city: 'Berlin DE' }, 'quoted, the same name');
    assert.match(problem(parseLocation('Berlin, Germany')), /"Germany" is not a two-letter country code/);
    assert.match(problem(parseLocation('Berlin; Paris')), /a city given twice/);
    assert.match(problem(parseLocation('Springfield, IL, US')), /is not "remote", a city/);
    assert.match(problem(parseLocation('"Washington, D.C., US')), /a quote is not closed/);
    assert.deepEqual(ok(parseLocation('"Washington, D.C.", us; remote')), { city: 'Washington, D.C.', country: 'US', remote: true });
    // Cities that would read as something else are written in quotes.
    assert.equal(formatLocation({ city: 'Remote' }), '"Remote"');
    assert.equal(formatLocation({ city: '52, 13' }), '"52, 13"');
    assert.equal(formatLocation({ city: 'Say "hi"', country: 'DE' }), '"Say ""hi""", DE');
    fc.assert(
      fc.property(
        fc.record(
          {
            remote: fc.constant(true),
            // Any city the schema accepts, also ones that hold , ; " or read as remote or coordinates.
            city: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom('Remote', '52, 13', 'Washington, D.C.', 'A;B', ' Berlin', '"Quoted"', '1e5')),
            country: fc.constantFrom('DE', 'US', 'BR'),
            coordinates: fc.tuple(fc.double({ min: -90, max: 90, noNaN: true }), fc.double({ min: -180, max: 180, noNaN: true })),
          },
          { requiredKeys: [] },
        ),
        ({ coordinates, country, ...rest }) => {
          const location = Location.parse({ ...rest, ...(rest.city !== undefined && country !== undefined ? { country } : {}), ...(coordinates ? { lat: coordinates[0] + 0, lon: coordinates[1] + 0 } : {}) });  // -0 is written "0"
          const written = formatLocation(location);
          assert.deepEqual(ok(parseLocation(written)), Object.keys(location).length === 0 ? undefined : location, written);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('says how a window and a location read, with what is easy to miss', function () {
    const now = Date.parse('2026-11-29T12:00:00Z');
    assert.equal(readingOfWindow(ok(parseWindow('mon-fri 22:00-02:00 Europe/Berlin', 'UTC')), now), 'every mon-fri, 22:00 to 02:00 Europe/Berlin, ending the next day (past midnight)');
    assert.equal(readingOfWindow(ok(parseWindow('sat 09:00-09:00 UTC', 'UTC')), now), 'every sat, 09:00 to 09:00 UTC, a whole day from then');
    assert.equal(readingOfWindow(ok(parseWindow('2026-12-01 14:00-16:00 Europe/Berlin', 'UTC')), now), 'once: 2026-12-01 14:00 to 16:00 (+01:00), 2 hours');
    assert.equal(readingOfWindow(ok(parseWindow('2025-01-01 23:00-01:00 UTC', 'UTC')), now), 'once: 2025-01-01 23:00 to 2025-01-02 01:00 (+00:00), 2 hours; it is in the past');
    assert.equal(readingOfWindow(undefined, now), 'any time');
    // Found by a usability pass: "every daily", "1 days", "1 h".
    assert.equal(readingOfWindow(ok(parseWindow('daily 00:00-00:00 UTC', 'UTC')), now), 'daily, 00:00 to 00:00 UTC, a whole day from then');
    assert.equal(readingOfWindow(ok(parseWindow('2026-12-01T09:00:00Z/2026-12-02T09:00:00Z', 'UTC')), now), 'once: 2026-12-01 09:00 to 2026-12-02 09:00 (+00:00), 1 day');
    assert.equal(readingOfWindow(ok(parseWindow('2026-12-01 09:00-10:00 UTC', 'UTC')), now), 'once: 2026-12-01 09:00 to 10:00 (+00:00), 1 hour');
    assert.ok(windowIsOver(ok(parseWindow('2025-01-01 23:00-01:00 UTC', 'UTC')), now) && !windowIsOver(ok(parseWindow('2026-12-01 09:00-10:00 UTC', 'UTC')), now));
    assert.ok(!windowIsOver(ok(parseWindow('mon 09:00-10:00 UTC', 'UTC')), now) && !windowIsOver(undefined, now), 'weekly windows and none are never over');
    assert.equal(readingOfLocation(ok(parseLocation('home office'))), 'city "home office" (no country)');
    assert.equal(readingOfLocation(ok(parseLocation('Austin TX'))), 'city "Austin TX" (no country) (if TX is a country code, write "Austin, TX")');
    assert.equal(readingOfLocation(ok(parseLocation('Berlin, DE; 52.52, 13.4'))), 'within 50 km of 52.52, 13.4; against places without coordinates, city "Berlin" in DE');
    assert.equal(readingOfLocation(ok(parseLocation('Berlin, DE; remote'))), 'remote: fits any place (the city and coordinates do not narrow it)');
    // Across a change of offset, both offsets.
    assert.equal(readingOfWindow(ok(parseWindow('2026-03-29 00:00-04:00 Europe/Berlin', 'UTC')), now), 'once: 2026-03-29 00:00 to 04:00 (+01:00 to +02:00), 3 hours; it is in the past');
  });

  it('writes a one-off window in the user\'s zone when its offsets are that zone\'s, so Edit keeps the zone', function () {
    const winter = ok(parseWindow('2026-12-01 14:00-16:00 Europe/Berlin', 'UTC'));
    assert.equal(formatWindow(winter, 'Europe/Berlin'), '2026-12-01 14:00-16:00 Europe/Berlin');
    assert.equal(formatWindow(winter, 'America/New_York'), '2026-12-01 14:00-16:00 +01:00', 'another zone: the offset');
    assert.equal(formatWindow(winter), '2026-12-01 14:00-16:00 +01:00');
    // Only where the zone's text reads back as the same instants (found by a review): across a change, or the second
    // of a repeated hour, the offsets stay.
    const across = { kind: 'absolute' as const, start: '2026-03-28T03:00:00+01:00', end: '2026-03-29T03:30:00+02:00' };
    assert.equal(formatWindow(across, 'Europe/Berlin'), '2026-03-28 03:00-02:30 +01:00'); // 02:30 the next day at +01:00 is 03:30 at +02:00
    const second = { kind: 'absolute' as const, start: '2026-10-25T02:30:00+01:00', end: '2026-10-25T03:30:00+01:00' };
    assert.equal(formatWindow(second, 'Europe/Berlin'), '2026-10-25 02:30-03:30 +01:00');
    // Moved to a summer date, the text with the zone reads at the summer offset.
    assert.deepEqual(ok(parseWindow(formatWindow(winter, 'Europe/Berlin').replace('2026-12-01', '2026-07-01'), 'UTC')), { kind: 'absolute', start: '2026-07-01T14:00:00+02:00', end: '2026-07-01T16:00:00+02:00' });
  });

  it('reads a type in any case, and says plainly what is wrong with a quantity', function () {
    assert.equal(toType('  Review '), 'review');
    assert.match(quantityProblem('two hours') ?? '', /^"two" is not a number/);
    assert.equal(quantityProblem('1,5 hours'), 'no commas in numbers: "1.5" for one and a half, "1000" for a thousand');
    assert.equal(quantityProblem('1,000 hours'), 'no commas in numbers: "1.5" for one and a half, "1000" for a thousand');
    assert.match(quantityProblem('   ') ?? '', /^write a number, then an optional unit/);
    assert.equal(quantityProblem('1.5 sessions'), undefined);
    assert.equal(quantityProblem('4'), undefined);
  });

  it('warns, without refusing, that a quantity of 0 gives or asks nothing (the schema allows 0; found by a usability pass)', function () {
    assert.equal(zeroQuantityWarning('capacity', '0 hours'), 'A capacity of 0 gives nothing: no teammate receives anything from it until you raise it.');
    assert.equal(zeroQuantityWarning('capacity', ' 0.0 '), 'A capacity of 0 gives nothing: no teammate receives anything from it until you raise it.');
    assert.equal(zeroQuantityWarning('need', '0'), 'A need of 0 asks for nothing: nobody gives to it until you raise it.');
    for (const text of ['0.5 hours', '4', '', 'two hours']) assert.equal(zeroQuantityWarning('capacity', text), undefined, text);
    assert.equal(quantityProblem('0 hours'), undefined, 'a warning, not a refusal');
  });

  it('writes a known unit in the number the quantity shows ("1 hour", "0 hours"); other units as declared', function () {
    assert.ok(sameUnit('hour', 'hours') && sameUnit('sessions', 'session') && sameUnit(undefined, '') && sameUnit('h', 'h'));
    assert.ok(!sameUnit('hour', 'day') && !sameUnit('h', 'hours') && !sameUnit('Hours', 'hours') && !sameUnit(undefined, 'hours'));
    assert.equal(withUnit('1', 'hours'), '1 hour');
    assert.equal(withUnit('0', 'hour'), '0 hours');
    assert.equal(withUnit('2.5', 'sessions'), '2.5 sessions');
    assert.equal(withUnit('1', 'minutes'), '1 minute');
    // Free text stays as declared: no guessing at plurals.
    assert.equal(withUnit('1', 'person-days'), '1 person-days');
    assert.equal(withUnit('1', 'Hours'), '1 Hours');
    assert.equal(withUnit('1', 'h'), '1 h');
    assert.equal(withUnit('3', undefined), '3');
    assert.equal(withUnit('3', ''), '3');
    assert.equal(describeSlot({ id: 'p', type: 'pairing', quantity: 1, unit: 'hours', skills: [] }), 'pairing 1 hour');
  });

  it('describes a slot on one line for a hover', function () {
    assert.equal(describeSlot({ id: 'r', type: 'review', quantity: 6, unit: 'hours', skills: ['rust', 'typescript'], window: { kind: 'weekly', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '12:00', timeZone: 'UTC' }, location: { remote: true } }), 'review 6 hours (rust, typescript) · mon-fri 09:00-12:00 UTC · remote');
    assert.equal(describeSlot({ id: 'p', type: 'pairing', quantity: 1 / 3, skills: [] }), 'pairing 0.333333');
  });

  it('Edit: a step accepted as shown keeps that field as declared, also where no text reads back as it', function () {
    const edit = (slot: Slot, change: Partial<ReturnType<typeof slotAnswers>> = {}) => slotFromAnswers({ id: slot.id, ...slotAnswers(slot, 'Europe/Berlin'), ...change }, 'Europe/Berlin', slot);
    // Each of these was rewritten by an Edit whose every step was accepted unchanged: the skill split in two, the
    // latitude dropped (only coordinates with both read), the instants written at "+00:00".
    const comma = Slot.parse({ id: 'a', type: 'review', quantity: 4, skills: ['c,c++', 'rust'] });
    assert.deepEqual(edit(comma), comma);
    const latitudeOnly = Slot.parse({ id: 'b', type: 'review', quantity: 4, location: { lat: 10 } });
    assert.deepEqual(edit(latitudeOnly), latitudeOnly);
    const utc = Slot.parse({ id: 'c', type: 'review', quantity: 4, window: { kind: 'absolute', start: '2026-12-01T14:00:00Z', end: '2026-12-01T16:00:00Z' } });
    assert.deepEqual(edit(utc), utc);
    // A changed step is read from its text; the others stay as declared.
    const edited = edit(comma, { amount: '6 hours', where: 'remote' });
    assert.deepEqual(edited, { ...comma, quantity: 6, unit: 'hours', location: { remote: true } });
    assert.deepEqual(edit(latitudeOnly, { skills: 'go' }), { ...latitudeOnly, skills: ['go'] });
    // Emptied, a step declares none (anywhere, any time, no unit).
    const full = Slot.parse({ id: 'd', type: 'review', quantity: 4, unit: 'hours', skills: ['rust'], location: { city: 'Berlin' }, window: utc.window });
    assert.deepEqual(edit(full, { amount: '4', skills: '', when: '', where: '' }), { id: 'd', type: 'review', quantity: 4, skills: [] });
    // A new slot (Declare) reads every answer.
    assert.deepEqual(slotFromAnswers({ id: 'e', type: 'Review', amount: '2 sessions', skills: 'rust, go', when: '', where: 'Berlin, DE' }, 'UTC'), { id: 'e', type: 'review', quantity: 2, unit: 'sessions', skills: ['rust', 'go'], location: { city: 'Berlin', country: 'DE' } });
    assert.throws(() => slotFromAnswers({ id: 'f', type: 'review', amount: '2', skills: '', when: 'someday', where: '' }, 'UTC'));
  });

  it('Edit: any declared slot comes back unchanged when every step is accepted as shown (fast-check)', function () {
    fc.assert(
      fc.property(slotArbitrary, fc.constantFrom('UTC', 'Europe/Berlin', 'Asia/Kolkata'), (raw, zone) => {
        const slot = Slot.parse(raw);
        assert.deepEqual(slotFromAnswers({ id: slot.id, ...slotAnswers(slot, zone) }, zone, slot), slot);
      }),
      { numRuns: 300 },
    );
  });
});
