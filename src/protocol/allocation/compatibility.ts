// Room: protocol (pure). May touch: ../schemas types, Intl (time zone arithmetic, no I/O).
// Whether a capacity slot can serve a need slot (spec/PROTOCOL.md 7.2). Information missing on either side counts
// as compatible; only information present on both sides can rule a pair out.
import type { Location, Slot, TimeWindow } from '../schemas.ts';

/** Two located slots are compatible when their coordinates are at most this far apart (haversine, km). */
export const MAX_DISTANCE_KM = 50;
const EARTH_RADIUS_KM = 6371.0088;
const MINUTES_PER_WEEK = 7 * 24 * 60;
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
/** Weekly windows are compared in a winter and a summer reference week (the two daylight-saving regimes). */
const REFERENCE_WEEKS_UTC = [Date.UTC(2026, 0, 5), Date.UTC(2026, 6, 6)]; // both Mondays 00:00 UTC

export function isCompatible(capacity: Slot, need: Slot): boolean {
  return (
    capacity.type === need.type &&
    skillsCovered(capacity.skills, need.skills) &&
    windowsOverlap(capacity.window, need.window) &&
    locationsCompatible(capacity.location, need.location)
  );
}

/** Every skill the need lists is among the capacity's skills (case-insensitive). */
export function skillsCovered(offered: readonly string[], required: readonly string[]): boolean {
  if (required.length === 0) return true;
  const have = new Set(offered.map((skill) => skill.toLowerCase()));
  return required.every((skill) => have.has(skill.toLowerCase()));
}

export function locationsCompatible(a: Location | undefined, b: Location | undefined): boolean {
  if (a === undefined || b === undefined || a.remote === true || b.remote === true) return true;
  if (a.lat !== undefined && a.lon !== undefined && b.lat !== undefined && b.lon !== undefined) {
    return haversineKm(a.lat, a.lon, b.lat, b.lon) <= MAX_DISTANCE_KM;
  }
  if (a.city !== undefined && b.city !== undefined) {
    if (a.country !== undefined && b.country !== undefined && a.country !== b.country) return false;
    return a.city.trim().toLowerCase() === b.city.trim().toLowerCase();
  }
  return true;
}

export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const toRadians = Math.PI / 180;
  const dLat = (lat2 - lat1) * toRadians;
  const dLon = (lon2 - lon1) * toRadians;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * toRadians) * Math.cos(lat2 * toRadians) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Half-open interval [start, end) in minutes. */
type Interval = readonly [number, number];

export function windowsOverlap(a: TimeWindow | undefined, b: TimeWindow | undefined): boolean {
  if (a === undefined || b === undefined) return true;
  if (a.kind === 'absolute' && b.kind === 'absolute') {
    const [startA, endA, startB, endB] = [Date.parse(a.start), Date.parse(a.end), Date.parse(b.start), Date.parse(b.end)];
    // An empty window (end not after start) meets nothing (spec chapter 2), as in absoluteMeetsWeekly.
    return startA < endA && startB < endB && startA < endB && startB < endA;
  }
  if (a.kind === 'weekly' && b.kind === 'weekly') {
    return REFERENCE_WEEKS_UTC.some((week) => weekIntervalsOverlap(weeklyIntervalsUtc(a, week), weeklyIntervalsUtc(b, week)));
  }
  const [absolute, weekly] = a.kind === 'absolute' ? [a, b as Extract<TimeWindow, { kind: 'weekly' }>] : [b as Extract<TimeWindow, { kind: 'absolute' }>, a];
  return absoluteMeetsWeekly(absolute, weekly);
}

type WeeklyWindow = Extract<TimeWindow, { kind: 'weekly' }>;
type AbsoluteWindow = Extract<TimeWindow, { kind: 'absolute' }>;

function minutesOf(time: string): number {
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
}

/** Offset of `timeZone` from UTC in minutes at an instant (local = utc + offset). */
export function timeZoneOffsetMinutes(timeZone: string, instantMs: number): number {
  const parts = offsetFormatter(timeZone).formatToParts(new Date(instantMs));
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? 0);
  const localAsUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour') % 24, get('minute'));
  return Math.round((localAsUtc - Math.floor(instantMs / 60_000) * 60_000) / 60_000);
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function offsetFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    } catch {
      // An unknown zone name: treat it as UTC rather than failing the whole computation (documented in the spec).
      formatter = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The weekly window's occurrences as UTC minutes of the week (Monday 00:00 UTC = 0), split where they wrap. */
function weeklyIntervalsUtc(window: WeeklyWindow, weekStartUtc: number): Interval[] {
  const offset = timeZoneOffsetMinutes(window.timeZone, weekStartUtc + 3 * 24 * 3_600_000);
  const start = minutesOf(window.start);
  let end = minutesOf(window.end);
  if (end <= start) end += 24 * 60; // runs past midnight (equal times: the whole day)
  const intervals: Interval[] = [];
  for (const day of window.days) {
    const dayStart = WEEKDAYS.indexOf(day) * 24 * 60;
    pushWrapped(intervals, dayStart + start - offset, dayStart + end - offset);
  }
  return intervals;
}

function pushWrapped(into: Interval[], start: number, end: number): void {
  const length = end - start;
  if (length >= MINUTES_PER_WEEK) {
    into.push([0, MINUTES_PER_WEEK]);
    return;
  }
  const from = ((start % MINUTES_PER_WEEK) + MINUTES_PER_WEEK) % MINUTES_PER_WEEK;
  const to = from + length;
  if (to <= MINUTES_PER_WEEK) into.push([from, to]);
  else into.push([from, MINUTES_PER_WEEK], [0, to - MINUTES_PER_WEEK]);
}

function weekIntervalsOverlap(a: readonly Interval[], b: readonly Interval[]): boolean {
  return a.some(([s1, e1]) => b.some(([s2, e2]) => s1 < e2 && s2 < e1));
}

/** Does an absolute interval contain any moment of a weekly window's occurrences? */
function absoluteMeetsWeekly(absolute: AbsoluteWindow, weekly: WeeklyWindow): boolean {
  const start = Date.parse(absolute.start);
  const end = Date.parse(absolute.end);
  if (!(end > start)) return false;
  if (end - start >= 8 * 24 * 3_600_000) return weekly.days.length > 0;
  // Walk the local days the interval touches; the zone's offset is taken on each day (one offset per date, both ends,
  // spec 7.2), so DST is honoured away from the hours of a change. An occurrence starts after d - 24 h and ends before
  // d + 72 h (past midnight: up to 48 h after d; |offset| < 24 h): two days before the start's date to the day after
  // the end's date cover every occurrence that can meet the interval.
  const startTime = minutesOf(weekly.start);
  let endTime = minutesOf(weekly.end);
  if (endTime <= startTime) endTime += 24 * 60;
  const dayMs = 24 * 3_600_000;
  for (let dayUtc = Math.floor(start / dayMs) * dayMs - 2 * dayMs; dayUtc <= end + dayMs; dayUtc += dayMs) {
    const weekday = WEEKDAYS[(new Date(dayUtc).getUTCDay() + 6) % 7]!;
    if (!weekly.days.includes(weekday)) continue;
    const offset = timeZoneOffsetMinutes(weekly.timeZone, dayUtc + 12 * 3_600_000);
    const occurrenceStart = dayUtc + (startTime - offset) * 60_000;
    const occurrenceEnd = dayUtc + (endTime - offset) * 60_000;
    if (occurrenceStart < end && start < occurrenceEnd) return true;
  }
  return false;
}
