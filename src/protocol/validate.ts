// Room: protocol (pure). May touch: zod, ./schemas. Message kinds by name, and Zod issues in plain words
// ("capacities[0].quantity: must be at least 0") for the CLI, the extension's input boxes and logs.
import type { z } from 'zod';
import {
  CausalClock,
  Coordination,
  LookupRequest,
  LookupResponse,
  Relationships,
  Results,
  Scenario,
  SignedRecord,
  SimulationResult,
  Slot,
  State,
  SyncRequest,
} from './schemas.ts';

export const MESSAGE_KINDS = {
  state: State,
  relationships: Relationships,
  results: Results,
  coordination: Coordination,
  record: SignedRecord,
  scenario: Scenario,
  'simulation-result': SimulationResult,
  slot: Slot,
  'causal-clock': CausalClock,
  'sync-request': SyncRequest,
  'lookup-request': LookupRequest,
  'lookup-response': LookupResponse,
} as const;

export type MessageKind = keyof typeof MESSAGE_KINDS;

export function isMessageKind(name: string): name is MessageKind {
  return Object.hasOwn(MESSAGE_KINDS, name);
}

export type ParseOutcome<T> = { ok: true; value: T } | { ok: false; errors: string[] };

export function parseMessage<K extends MessageKind>(kind: K, value: unknown): ParseOutcome<z.infer<(typeof MESSAGE_KINDS)[K]>> {
  const result = (MESSAGE_KINDS[kind] as z.ZodType).safeParse(value, { reportInput: true });
  if (result.success) return { ok: true, value: result.data as z.infer<(typeof MESSAGE_KINDS)[K]> };
  return { ok: false, errors: describeIssues(result.error) };
}

/** `a.b[2].c` from a Zod path; the empty path is "(root)". */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text === '' ? '(root)' : text;
}

function bound(value: unknown): string {
  return typeof value === 'bigint' ? value.toString() : String(value);
}

function sizeWords(origin: string | undefined, limit: unknown, inclusive: boolean | undefined, side: 'min' | 'max'): string {
  const n = bound(limit);
  switch (origin) {
    case 'string':
      return side === 'min' ? `must be at least ${n} characters long` : `must be at most ${n} characters long`;
    case 'array':
    case 'set':
      return side === 'min' ? `must have at least ${n} items` : `must have at most ${n} items`;
    default:
      if (side === 'min') return inclusive === false ? `must be greater than ${n}` : `must be at least ${n}`;
      return inclusive === false ? `must be less than ${n}` : `must be at most ${n}`;
  }
}

/**
 * The first issue in words, without the path when the value itself is at fault (an input box, one setting): "must be
 * at least 0", not zod's "Too small: expected number to be >=0" (found by a usability pass).
 */
export function describeFirstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid';
  const [text = issue.message] = describeIssue(issue as z.core.$ZodIssue, []);
  return text.startsWith('(root): ') ? text.slice('(root): '.length) : text;
}

/** One line per issue: "path: reason". Nested union failures are reported by their closest matching branch. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.flatMap((issue) => describeIssue(issue as z.core.$ZodIssue, []));
}

function describeIssue(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[]): string[] {
  const path = formatPath([...prefix, ...issue.path]);
  switch (issue.code) {
    case 'invalid_type': {
      const expected = issue.expected === 'nan' ? 'number' : issue.expected;
      return [`${path}: ${issue.message.startsWith('Invalid input') ? `must be ${article(expected)} ${expected}` : issue.message}${received(issue)}`];
    }
    case 'too_small':
      return [`${path}: ${sizeWords(issue.origin, issue.minimum, issue.inclusive, 'min')}`];
    case 'too_big':
      return [`${path}: ${sizeWords(issue.origin, issue.maximum, issue.inclusive, 'max')}`];
    case 'invalid_value':
      return [`${path}: must be ${issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`}`];
    case 'invalid_format':
      if (!issue.message.startsWith('Invalid')) return [`${path}: ${issue.message}`];
      return [`${path}: ${issue.format === 'datetime' ? 'must be an ISO 8601 date and time with a UTC offset (2026-11-24T10:00:00Z)' : `must be a valid ${issue.format}`}`];
    case 'invalid_union': {
      // A discriminated union whose discriminator matched no branch: say which values it may take.
      const options = (issue as { options?: unknown[] }).options;
      if (issue.errors.length === 0 && Array.isArray(options) && options.length > 0) {
        return [`${path}: must be one of ${options.map((value) => JSON.stringify(value)).join(', ')}`];
      }
      if (issue.errors.length === 0) return [`${path}: ${issue.message}`];
      // Report the branch that got furthest (fewest issues) rather than every branch's complaints.
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
      return best.flatMap((inner) => describeIssue(inner, [...prefix, ...issue.path]));
    }
    case 'unrecognized_keys':
      return [`${path}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`];
    case 'not_multiple_of':
      return [`${path}: must be a multiple of ${bound(issue.divisor)}`];
    default:
      return [`${path}: ${issue.message}`];
  }
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

function received(issue: z.core.$ZodIssueInvalidType): string {
  const input = (issue as { input?: unknown }).input;
  if (input === undefined) return issue.message.includes('received undefined') ? ' (missing)' : '';
  if (typeof input === 'number' && !Number.isFinite(input)) return ` (got ${input})`;
  return ` (got ${input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input})`;
}
