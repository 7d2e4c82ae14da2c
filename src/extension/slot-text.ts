// Room: extension (pure; no vscode, no node:*: the webview renders with it too). May touch: protocol (schemas,
// time zone offsets).
// A slot's time window and location as one line of text, both ways: what the Declare commands' input boxes read
// ("mon-fri 09:00-12:00 Europe/Berlin", "Berlin, DE") and what the panel shows. Parsing ends in the protocol schemas,
// so what reads here is what the network accepts; a text that does not read says why.
import { timeZoneOffsetMinutes } from '../protocol/allocation/compatibility.ts';
import { z } from 'zod';
import { Location, Quantity, Slot, TimeWindow, Weekday } from '../protocol/schemas.ts';

const WEEKDAYS = Weekday.options;
type Weekday = (typeof WEEKDAYS)[number];
const DAY_ALIASES: Record<string, readonly Weekday[]> = { daily: WEEKDAYS, weekdays: WEEKDAYS.slice(0, 5), weekends: WEEKDAYS.slice(5) };

export type ParsedText<T> = { ok: true; value: T | undefined } | { ok: false; problem: string };

const fail = (problem: string): { ok: false; problem: string } => ({ ok: false, problem });

/**
 * The zone's canonical IANA spelling ("europe/berlin" -> "Europe/Berlin"), or undefined when this runtime does not
 * know it: the protocol treats unknown names as UTC (7.2), and another implementation may not fold case; refuse here.
 */
export function canonicalTimeZone(timeZone: string): string | undefined {
  // Not resolvedOptions().timeZone: ICU answers old aliases for some zones (Asia/Kolkata -> Asia/Calcutta).
  zoneSpellings ??= new Map(Intl.supportedValuesOf('timeZone').map((zone) => [zone.toLowerCase(), zone]));
  const spelled = zoneSpellings.get(timeZone.toLowerCase());
  if (spelled !== undefined) return spelled;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return timeZone; // an alias the list leaves out (UTC, US/Eastern): as written
  } catch {
    return undefined;
  }
}
let zoneSpellings: Map<string, string> | undefined;

/** "mon-fri", "mon,wed", "daily", "weekdays", "sat-mon" (wrapping) -> the weekdays in week order. */
function parseDays(text: string): Weekday[] | string {
  const days = new Set<Weekday>();
  for (const part of text.toLowerCase().split(',')) {
    const alias = DAY_ALIASES[part];
    if (alias !== undefined) {
      alias.forEach((day) => days.add(day));
      continue;
    }
    const [from, to, ...rest] = part.split('-');
    const start = WEEKDAYS.indexOf(from as Weekday);
    const end = to === undefined ? start : WEEKDAYS.indexOf(to as Weekday);
    if (rest.length > 0 || start < 0 || end < 0) return `"${part}" is not a day: use mon … sun, a range like mon-fri, or daily, weekdays, weekends`;
    for (let index = start; ; index = (index + 1) % 7) {
      days.add(WEEKDAYS[index]!);
      if (index === end) break;
    }
  }
  return WEEKDAYS.filter((day) => days.has(day));
}

/** mon,tue,wed,thu,fri -> "mon-fri"; all seven -> "daily". */
function formatDays(days: readonly Weekday[]): string {
  const indexes = [...new Set(days.map((day) => WEEKDAYS.indexOf(day)))].sort((a, b) => a - b);
  if (indexes.length === 7) return 'daily';
  const runs: string[] = [];
  for (let i = 0; i < indexes.length; ) {
    let j = i;
    while (j + 1 < indexes.length && indexes[j + 1] === indexes[j]! + 1) j++;
    const from = WEEKDAYS[indexes[i]!]!;
    const to = WEEKDAYS[indexes[j]!]!;
    runs.push(j - i >= 2 ? `${from}-${to}` : j > i ? `${from},${to}` : from);
    i = j + 1;
  }
  return runs.join(',');
}

const pad = (value: number) => String(value).padStart(2, '0');

/** "+01:00", "-05:30"; "+00:00" for UTC. */
function offsetText(offset: number): string {
  const absolute = Math.abs(offset);
  return `${offset < 0 ? '-' : '+'}${pad(Math.floor(absolute / 60))}:${pad(absolute % 60)}`;
}

/** Local date and time at an offset: "2026-12-01", "09:00". */
function localParts(instantMs: number, offset: number): { date: string; time: string } {
  const local = new Date(instantMs + offset * 60_000);
  return { date: `${String(local.getUTCFullYear()).padStart(4, '0')}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`, time: `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}` };
}

/** "2026-12-01T09:00:00+01:00": the instant written at the offset of the user's clock. */
function isoAtOffset(instantMs: number, offset: number): string {
  const { date, time } = localParts(instantMs, offset);
  return `${date}T${time}:00${offsetText(offset)}`;
}

/** Minutes east of UTC from a match of sign, hours and minutes. */
const signedMinutes = (match: RegExpExecArray): number => (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
/** "HH:MM" of minutes after midnight. */
const clockTime = (minutes: number): string => `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
/** A fixed offset where a zone name goes: "+01:00", "UTC-05:30", "+0100". */
const FIXED_OFFSET = /^(?:UTC)?([+-])([01]\d|2[0-3]):?([0-5]\d)$/;
/** The offset an ISO instant is written at ("Z" is 0), or undefined. */
const offsetOfIso = (iso: string): number | undefined => {
  if (/z$/i.test(iso)) return 0;
  const match = /([+-])(\d{2}):(\d{2})$/.exec(iso);
  return match ? signedMinutes(match) : undefined;
};

/**
 * The instant of a local date and time in `timeZone`. A time a change of offset repeats is its first occurrence; a
 * time a change skips is the moment of the change (the first that exists after it), so a window never covers time
 * its wall clock does not show, and one ending in the gap ends at the change. The same rule in every zone.
 */
function instantOf(year: number, month: number, day: number, minutes: number, timeZone: string): number {
  const local = Date.UTC(year, month - 1, day, 0, minutes);
  // The offsets in effect a day and a half around: two changes never fall that close together.
  const before = timeZoneOffsetMinutes(timeZone, local - 36 * 3_600_000);
  const after = timeZoneOffsetMinutes(timeZone, local + 36 * 3_600_000);
  const valid = [local - before * 60_000, local - after * 60_000].filter((instant, index) => timeZoneOffsetMinutes(timeZone, instant) === (index === 0 ? before : after));
  if (valid.length > 0) return Math.min(...valid);
  // In the gap of a change forward (after > before): the change lies in [local - after, local - before]; find it.
  let low = local - after * 60_000; // still the offset before
  let high = local - before * 60_000; // already the offset after
  while (high - low > 60_000) {
    const middle = low + Math.floor((high - low) / 120_000) * 60_000;
    if (timeZoneOffsetMinutes(timeZone, middle) === before) low = middle;
    else high = middle;
  }
  return high;
}

const TIME = /^([01]?\d|2[0-3]):([0-5]\d)$/;
const minutesOf = (time: string): number | undefined => {
  const match = TIME.exec(time);
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined;
};

/**
 * Reads a time window; empty text is no window (any time). Forms:
 * - weekly: `<days> HH:MM-HH:MM [zone]`, e.g. `mon-fri 09:00-12:00 Europe/Berlin` (an end not after the start runs
 *   past midnight);
 * - once: `YYYY-MM-DD HH:MM-HH:MM [zone]` (the end on the next day when not after the start), or two ISO 8601
 *   instants with offsets, `start/end`.
 * Without a zone, `defaultTimeZone` (the user's).
 */
export function parseWindow(text: string, defaultTimeZone: string): ParsedText<TimeWindow> {
  const words = text.trim().split(/\s+/).filter((word) => word.length > 0);
  if (words.length === 0) return { ok: true, value: undefined };
  if (words.length === 1 && words[0]!.includes('/') && /^\d{4}-/.test(words[0]!)) {
    const [start, end, ...rest] = words[0]!.split('/');
    if (rest.length > 0) return fail('write one interval: start/end');
    return checked({ kind: 'absolute', start, end });
  }
  if (words.length < 2 || words.length > 3) return fail('write days or a date, then HH:MM-HH:MM, then a time zone if not yours, e.g. "mon-fri 09:00-12:00"');
  const [when, hours, zoneText = defaultTimeZone] = words as [string, string, string?];
  const fixed = FIXED_OFFSET.exec(zoneText);
  const fixedOffset = fixed === null ? undefined : signedMinutes(fixed);
  const timeZone = fixedOffset === undefined ? canonicalTimeZone(zoneText) : zoneText;
  if (timeZone === undefined) return fail(`"${zoneText}" is not a time zone this machine knows (an IANA name such as Europe/Berlin)`);
  const [from, to, ...extra] = hours.split('-');
  const start = minutesOf(from ?? '');
  const end = minutesOf(to ?? '');
  if (extra.length > 0 || start === undefined || end === undefined) return fail(`"${hours}" is not HH:MM-HH:MM (24 hours), e.g. 09:00-12:00`);
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(when);
  if (date !== null) {
    const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
    const probe = new Date(Date.UTC(year, month - 1, day));
    if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return fail(`"${when}" is not a date`);
    const endMinutes = end + (end <= start ? 24 * 60 : 0);
    if (fixedOffset !== undefined) {
      const midnight = Date.UTC(year, month - 1, day) - fixedOffset * 60_000;
      return checked({ kind: 'absolute', start: isoAtOffset(midnight + start * 60_000, fixedOffset), end: isoAtOffset(midnight + endMinutes * 60_000, fixedOffset) });
    }
    const startMs = instantOf(year, month, day, start, timeZone);
    const endMs = instantOf(year, month, day, endMinutes, timeZone);
    return checked({ kind: 'absolute', start: isoAtOffset(startMs, timeZoneOffsetMinutes(timeZone, startMs)), end: isoAtOffset(endMs, timeZoneOffsetMinutes(timeZone, endMs)) });
  }
  if (fixedOffset !== undefined) return fail('a weekly window needs a time zone name (its offset changes over the year), e.g. Europe/Berlin');
  const days = parseDays(when);
  if (typeof days === 'string') return fail(days);
  return checked({ kind: 'weekly', days, start: clockTime(start), end: clockTime(end), timeZone });
}

function checked(candidate: unknown): ParsedText<TimeWindow> {
  const parsed = TimeWindow.safeParse(candidate);
  if (!parsed.success) return fail(parsed.error.issues[0]?.message ?? 'not a time window');
  if (parsed.data.kind === 'absolute' && !(Date.parse(parsed.data.end) > Date.parse(parsed.data.start))) return fail('the end must be after the start');
  return { ok: true, value: parsed.data };
}

/**
 * The text parseWindow reads back: weekly `mon-fri 09:00-12:00 Europe/Berlin`; once `2026-12-01 14:00-16:00 +01:00`
 * (at the offset the start was written with) when it lasts under a day in whole minutes, else `start/end` as declared.
 */
export function formatWindow(window: TimeWindow | undefined, preferredZone?: string): string {
  if (window === undefined) return '';
  if (window.kind === 'weekly') return `${formatDays(window.days)} ${window.start}-${window.end} ${window.timeZone}`;
  const startMs = Date.parse(window.start);
  const endMs = Date.parse(window.end);
  const offset = offsetOfIso(window.start);
  const wholeMinutes = startMs % 60_000 === 0 && endMs % 60_000 === 0;
  if (offset === undefined || !wholeMinutes || !(endMs > startMs) || endMs - startMs >= 24 * 3_600_000) return `${window.start}/${window.end}`;
  // Written in a zone whose offsets it matches (the user's, for Edit), the text keeps the zone: moved to a summer
  // date, it then reads at the summer offset, where a fixed "+01:00" would stay an hour off.
  if (preferredZone !== undefined && canonicalTimeZone(preferredZone) !== undefined && timeZoneOffsetMinutes(preferredZone, startMs) === offset && timeZoneOffsetMinutes(preferredZone, endMs) === offsetOfIso(window.end)) {
    const start = localParts(startMs, offset);
    const end = localParts(endMs, timeZoneOffsetMinutes(preferredZone, endMs));
    const text = `${start.date} ${start.time}-${end.time} ${preferredZone}`;
    // Only where it reads back as the same instants: not across a change of offset, nor for a repeated hour's
    // second occurrence (local times read as the first).
    const back = parseWindow(text, preferredZone);
    if (back.ok && back.value?.kind === 'absolute' && Date.parse(back.value.start) === startMs && Date.parse(back.value.end) === endMs) return text;
  }
  const start = localParts(startMs, offset);
  return `${start.date} ${start.time}-${localParts(endMs, offset).time} ${offset === 0 ? 'UTC' : offsetText(offset)}`;
}

/**
 * How a window reads, for the input box while the user types (non-blocking): "every mon-fri, 09:00 to 12:00
 * Europe/Berlin", "once: 2026-12-01 14:00 to 16:00 (+01:00)", with what is easy to miss (past midnight, a whole day,
 * in the past).
 */
export function readingOfWindow(window: TimeWindow | undefined, nowMs: number): string {
  if (window === undefined) return 'any time';
  if (window.kind === 'weekly') {
    // The zone right after the times it qualifies; "daily" alone ("every daily" read oddly: a usability pass).
    const overnight = window.end === window.start ? ', a whole day from then' : window.end < window.start ? ', ending the next day (past midnight)' : '';
    const days = formatDays(window.days);
    return `${days === 'daily' ? days : `every ${days}`}, ${window.start} to ${window.end} ${window.timeZone}${overnight}`;
  }
  const startMs = Date.parse(window.start);
  const endMs = Date.parse(window.end);
  const offset = offsetOfIso(window.start) ?? 0;
  const endOffset = offsetOfIso(window.end) ?? offset;
  const start = localParts(startMs, offset);
  const end = localParts(endMs, endOffset);
  const hours = (endMs - startMs) / 3_600_000;
  const length = hours >= 24 ? withUnit(String(Number((hours / 24).toFixed(1))), 'days') : withUnit(String(Number(hours.toFixed(2))), 'hours');
  const past = windowIsOver(window, nowMs) ? '; it is in the past' : '';
  const offsets = endOffset === offset ? offsetText(offset) : `${offsetText(offset)} to ${offsetText(endOffset)}`;
  return `once: ${start.date} ${start.time} to ${end.date === start.date ? '' : `${end.date} `}${end.time} (${offsets}), ${length}${past}`;
}

/**
 * Whether a one-off window has ended. Such a slot still counts in the allocation: windows are matched with each other,
 * not with the clock (spec 7.2), so a slot without a window still fits it.
 */
export function windowIsOver(window: TimeWindow | undefined, nowMs: number): boolean {
  return window?.kind === 'absolute' && Date.parse(window.end) <= nowMs;
}

/** How a location reads, for the input box: "city Berlin (no country)", "within 50 km of 52.52, 13.4", "remote". */
export function readingOfLocation(location: Location | undefined): string {
  if (location === undefined) return 'anywhere';
  // Spec 7.2: remote fits anything; coordinates decide where both sides have them, else the city where both have one.
  if (location.remote === true) return `remote: fits any place${location.city !== undefined || location.lat !== undefined ? ' (the city and coordinates do not narrow it)' : ''}`;
  const city = location.city === undefined ? undefined : `city "${location.city}"${location.country === undefined ? ' (no country)' : ` in ${location.country}`}`;
  const region = location.city === undefined || location.country !== undefined ? undefined : /^(.*\S)\s+([A-Z]{2})$/.exec(location.city);
  const hint = region === null || region === undefined ? '' : ` (if ${region[2]} is a country code, write "${region[1]}, ${region[2]}")`;
  if (location.lat !== undefined && location.lon !== undefined) {
    return `within 50 km of ${location.lat}, ${location.lon}${city === undefined ? '' : `; against places without coordinates, ${city}${hint}`}`;
  }
  return city === undefined ? 'anywhere' : `${city}${hint}`;
}

/** A decimal number as people and JavaScript write it: 52.52, -0.5, .5, 1e-7. */
const NUMBER = '[-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:e[-+]?\\d+)?';

const COORDINATES = new RegExp(`^(${NUMBER})\\s*,\\s*(${NUMBER})$`, 'i');
/** Coordinates with the comma left out ("52.52 13.40"), which would otherwise read as a city matching nothing. */
const SPACED_COORDINATES = new RegExp(`^(${NUMBER})\\s+(${NUMBER})$`, 'i');

/** Splits at ";" outside double quotes; undefined when a quote is not closed. */
function splitOutsideQuotes(text: string): string[] | undefined {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const character of text) {
    if (character === '"') quoted = !quoted;
    if (character === ';' && !quoted) {
      parts.push(current);
      current = '';
    } else current += character;
  }
  if (quoted) return undefined;
  return [...parts, current].map((part) => part.trim()).filter((part) => part.length > 0);
}

/** A city as written: quoted ("" for a quote inside) when it would otherwise read as something else. */
function writeCity(city: string): string {
  if (city === city.trim() && city.length > 0 && !/[;,"]/.test(city)) {
    // Bare only when it reads back as this city and nothing else (not remote, coordinates or a typo's warning).
    const back = parseLocation(city);
    if (back.ok && back.value?.city === city && Object.keys(back.value).length === 1) return city;
  }
  return `"${city.replace(/"/g, '""')}"`;
}

/** `"Washington, D.C.", US` -> the quoted city and what follows it; undefined when the part does not start with a quote. */
function readQuotedCity(part: string): { city: string; rest: string } | string | undefined {
  if (!part.startsWith('"')) return undefined;
  let city = '';
  for (let index = 1; index < part.length; index++) {
    if (part[index] !== '"') city += part[index];
    else if (part[index + 1] === '"') {
      city += '"';
      index++;
    } else return { city, rest: part.slice(index + 1).trim() };
  }
  return 'a quote is not closed';
}

/**
 * Reads a location; empty text is none (anywhere). Parts separated by ";": `remote`, a city with an optional
 * ISO country code (`Berlin, DE`; in double quotes when it holds "," or ";" or reads as remote or coordinates:
 * `"Washington, D.C.", US`), or coordinates (`52.52, 13.40`), e.g. `Berlin, DE; remote`.
 */
export function parseLocation(text: string): ParsedText<Location> {
  const parts = splitOutsideQuotes(text);
  if (parts === undefined) return fail('a quote is not closed');
  if (parts.length === 0) return { ok: true, value: undefined };
  const location: Record<string, unknown> = {};
  const once = (key: string, what: string) => (key in location ? `${what} given twice` : undefined);
  for (const part of parts) {
    if (part.toLowerCase() === 'remote') {
      location.remote = true;
      continue;
    }
    const coordinates = COORDINATES.exec(part);
    if (coordinates !== null) {
      const twice = once('lat', 'coordinates');
      if (twice) return fail(twice);
      const [lat, lon] = [Number(coordinates[1]), Number(coordinates[2])];
      if (!(Math.abs(lat) <= 90)) return fail(`the latitude ${coordinates[1]} is not between -90 and 90 (write latitude, then longitude)`);
      if (!(Math.abs(lon) <= 180)) return fail(`the longitude ${coordinates[2]} is not between -180 and 180`);
      location.lat = lat;
      location.lon = lon;
      continue;
    }
    const spaced = SPACED_COORDINATES.exec(part);
    if (spaced !== null) return fail(`did you mean "${spaced[1]}, ${spaced[2]}"? Coordinates are separated by a comma`);
    const twice = once('city', 'a city');
    if (twice) return fail(twice);
    const quoted = readQuotedCity(part);
    if (typeof quoted === 'string') return fail(quoted);
    let city: string | undefined;
    let country: string | undefined;
    if (quoted !== undefined) {
      city = quoted.city;
      if (quoted.rest !== '') {
        if (!quoted.rest.startsWith(',')) return fail(`after the quoted city "${quoted.city}" comes a comma and a country code, not "${quoted.rest}"`);
        country = quoted.rest.slice(1).trim();
      }
    } else {
      // A time window typed one step late would be saved as a city and match nothing.
      if (/\b\d{1,2}:\d{2}\b/.test(part)) return fail(`"${part}" looks like a time: times go in the previous step (when); here a place`);
      const pieces = part.split(',').map((piece) => piece.trim());
      if (pieces.length > 2 || pieces.includes('')) return fail(`"${part}" is not "remote", a city ("Berlin, DE"; in double quotes if it holds a comma) or coordinates ("52.52, 13.40")`);
      [city, country] = pieces;
    }
    location.city = city;
    if (country !== undefined) {
      if (!/^[A-Za-z]{2}$/.test(country)) return fail(`"${country}" is not a two-letter country code (ISO 3166-1, e.g. DE)`);
      location.country = country.toUpperCase();
    }
  }
  const parsed = Location.safeParse(location);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail(`${issue?.path.join('.') ?? 'location'}: ${issue?.message ?? 'invalid'}`);
  }
  return { ok: true, value: parsed.data };
}

/** The text parseLocation reads back: `Berlin, DE; 52.52, 13.4; remote`. */
export function formatLocation(location: Location | undefined): string {
  if (location === undefined) return '';
  const parts: string[] = [];
  if (location.city !== undefined) parts.push(location.country === undefined ? writeCity(location.city) : `${writeCity(location.city)}, ${location.country}`);
  if (location.lat !== undefined && location.lon !== undefined) parts.push(`${location.lat}, ${location.lon}`);
  if (location.remote === true) parts.push('remote');
  return parts.join('; ');
}

/** Types are lower case on the wire (spec 2): what a person types as "Review" means review. */
export const toType = (text: string): string => text.trim().toLowerCase();

/** Before the schema's "expected number, received NaN": a person wrote "two hours" or "1,5 hours". */
export function quantityProblem(text: string): string | undefined {
  const first = text.trim().split(/\s+/)[0] ?? '';
  if (first === '') return 'write a number, then an optional unit: "4 hours", "1.5 sessions"';
  if (/^[\d.,]*,[\d.,]*$/.test(first)) return 'no commas in numbers: "1.5" for one and a half, "1000" for a thousand';
  if (!Number.isFinite(Number(first))) return `"${first}" is not a number: write a number, then an optional unit ("4 hours", "1.5 sessions")`;
  return undefined;
}

/**
 * A quantity of 0 is legal (spec 2: non-negative) but does nothing: a capacity of 0 gives nothing, a need of 0 asks
 * for nothing. Said while typing, as a warning that does not refuse it; undefined for any other text.
 */
export function zeroQuantityWarning(kind: 'capacity' | 'need', text: string): string | undefined {
  if ((splitQuantity(text) as { quantity?: unknown }).quantity !== 0) return undefined;
  return kind === 'capacity'
    ? 'A capacity of 0 gives nothing: no teammate receives anything from it until you raise it.'
    : 'A need of 0 asks for nothing: nobody gives to it until you raise it.';
}

/** Units whose singular and plural are known. Units are free text (spec 2): any other is shown as declared. */
const UNIT_FORMS: readonly (readonly [singular: string, plural: string])[] = [
  ['hour', 'hours'],
  ['minute', 'minutes'],
  ['day', 'days'],
  ['week', 'weeks'],
  ['session', 'sessions'],
];

/** Whether two units are one: the same text, or the singular and plural of a known unit ("hour" and "hours"). */
export function sameUnit(a: string | undefined, b: string | undefined): boolean {
  if ((a ?? '') === (b ?? '')) return true;
  return UNIT_FORMS.some((forms) => forms.includes(a ?? '') && forms.includes(b ?? ''));
}

/**
 * A number as shown ("1", "0.5") with its unit: a known unit agrees with it ("1 hour", "0 hours", whichever form was
 * declared; the panel read "1 hours"), any other unit is as declared. Decided on the text shown, so a flow of
 * 0.9999 shown as "1" reads "1 hour".
 */
export function withUnit(number: string, unit: string | undefined): string {
  if (unit === undefined || unit === '') return number;
  const forms = UNIT_FORMS.find((pair) => pair.includes(unit));
  return `${number} ${forms === undefined ? unit : forms[number === '1' ? 0 : 1]}`;
}

/** One line for a hover: `review 6 hours (rust, typescript) · mon-fri 09:00-12:00 UTC · remote`. */
export function describeSlot(slot: Slot): string {
  const amount = `${slot.type} ${withUnit(String(Number(slot.quantity.toPrecision(6))), slot.unit)}`;
  const skills = slot.skills.length > 0 ? ` (${slot.skills.join(', ')})` : '';
  return [`${amount}${skills}`, formatWindow(slot.window), formatLocation(slot.location)].filter((part) => part !== '').join(' · ');
}

/** A number as typed; empty text is none (the schema then says a number is missing). */
export const toNumber = (text: string): unknown => (text.trim() === '' ? undefined : Number(text));
/** "4 hours" -> { quantity: 4, unit: "hours" }; "4" -> { quantity: 4 } (unchecked: QuantityWithUnit checks it). */
export const splitQuantity = (text: string): unknown => {
  const match = /^\s*(\S+)\s*(.*?)\s*$/.exec(text);
  if (!match) return { quantity: undefined };
  return { quantity: toNumber(match[1]!), ...(match[2] === '' ? {} : { unit: match[2] }) };
};
export const QuantityWithUnit = z.object({ quantity: Quantity, unit: Slot.shape.unit });
/** "rust, typescript" -> ["rust", "typescript"]. */
export const toSkills = (text: string): string[] => text.split(',').map((skill) => skill.trim()).filter((skill) => skill.length > 0);

/** The answers of the Declare steps after the id, as typed (or as shown by Edit). */
export interface SlotAnswers {
  readonly type: string;
  readonly amount: string;
  readonly skills: string;
  readonly when: string;
  readonly where: string;
}

/** What Edit shows in each step for a declared slot: the texts the steps read. */
export function slotAnswers(slot: Slot, timeZone: string): SlotAnswers {
  return {
    type: slot.type,
    amount: `${slot.quantity}${slot.unit === undefined ? '' : ` ${slot.unit}`}`,
    skills: slot.skills.join(', '),
    when: formatWindow(slot.window, timeZone),
    where: formatLocation(slot.location),
  };
}

/**
 * The slot the answers declare. With `existing` (Edit), an answer left as shown keeps that field as declared: some
 * declared values have no text that reads back as them (a skill holding a comma, a latitude without a longitude, a
 * window at an offset the zone does not use), and accepting a step unchanged must not rewrite them. Fields the steps
 * do not ask for are kept too. Throws on an answer that does not read (the input boxes refuse those first).
 */
export function slotFromAnswers(answers: SlotAnswers & { readonly id: string }, timeZone: string, existing?: Slot): Slot {
  const shown = existing === undefined ? undefined : slotAnswers(existing, timeZone);
  const kept = <K extends keyof SlotAnswers>(key: K): boolean => shown !== undefined && answers[key] === shown[key];
  const read = <T>(parsed: ParsedText<T>): T | undefined => {
    if (!parsed.ok) throw new Error(parsed.problem);
    return parsed.value;
  };
  const { quantity, unit } = kept('amount') ? { quantity: existing!.quantity, unit: existing!.unit } : QuantityWithUnit.parse(splitQuantity(answers.amount));
  const window = kept('when') ? existing!.window : read(parseWindow(answers.when, timeZone));
  const location = kept('where') ? existing!.location : read(parseLocation(answers.where));
  const { unit: _unit, window: _window, location: _location, ...rest } = existing ?? {};
  return Slot.parse({
    ...rest,
    id: answers.id,
    type: kept('type') ? existing!.type : toType(answers.type),
    quantity,
    ...(unit === undefined ? {} : { unit }),
    skills: kept('skills') ? existing!.skills : toSkills(answers.skills),
    ...(window === undefined ? {} : { window }),
    ...(location === undefined ? {} : { location }),
  });
}
