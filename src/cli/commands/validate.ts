// Room: cli (edge). `mutual validate --kind <kind> <file|->`: exit 0 valid, 1 invalid or unreadable (each error as
// path: reason), 2 usage. Records are also signature-checked; scenarios get the checks `simulate` makes.
import { DecodeError } from '../../protocol/encoding.ts';
import { NETWORK_LIMITS } from '../../network/names.ts';
import { MAX_RECORD_BYTES } from '../../protocol/limits.ts';
import type { Scenario } from '../../protocol/schemas.ts';
import { verifyRecord } from '../../protocol/signature.ts';
import { isMessageKind, MESSAGE_KINDS, parseMessage } from '../../protocol/validate.ts';
import { parseCommandLine, type Command } from '../command.ts';
import { readJsonInput } from '../read-input.ts';
import { scenarioProblems } from '../scenario-problems.ts';

const HELP = `usage: mutual validate --kind <kind> <file|->

Checks one JSON document against the protocol's schema for <kind>; '-' reads standard input. Records are also
signature-checked, and scenarios get the checks of \`mutual simulate\` (unique participant ids, unique slot ids).
kinds: ${Object.keys(MESSAGE_KINDS).join(', ')}
Exit 0 when valid, 1 when invalid or unreadable (each error as path: reason), 2 on usage errors.`;

/** Scenarios and simulation results are local files, not network messages: allow them to be larger. */
const LOCAL_FILE_MAX_BYTES = 256 * 1024 * 1024;

export const command: Command = {
  summary: 'check a JSON document against the protocol schema of a message kind',
  async run(argv) {
    let parsed;
    try {
      parsed = parseCommandLine({ args: [...argv], options: { kind: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
    } catch (error) {
      console.error(`mutual validate: ${(error as Error).message}\n\n${HELP}`);
      return 2;
    }
    if (parsed.values.help) {
      console.log(HELP);
      return 0;
    }
    const kind = parsed.values.kind;
    if (kind === undefined || parsed.positionals.length !== 1) {
      console.error(`mutual validate: ${kind === undefined ? '--kind is required' : 'give exactly one file, or - for standard input'}\n\n${HELP}`);
      return 2;
    }
    if (!isMessageKind(kind)) {
      console.error(`mutual validate: unknown kind '${kind}'; kinds: ${Object.keys(MESSAGE_KINDS).join(', ')}`);
      return 2;
    }
    const source = parsed.positionals[0]!;
    // The bound each kind has where it is received (spec 3): a sync request is 160 KiB (it names up to 1024 authors).
    const maxBytes = kind === 'scenario' || kind === 'simulation-result' ? LOCAL_FILE_MAX_BYTES : kind === 'sync-request' ? NETWORK_LIMITS.maxSyncRequestBytes : kind === 'lookup-request' || kind === 'lookup-response' ? NETWORK_LIMITS.maxLookupBytes : MAX_RECORD_BYTES;
    let value: unknown;
    try {
      value = await readJsonInput(source, maxBytes);
    } catch (error) {
      if (error instanceof DecodeError) {
        console.error(`${source}: invalid ${kind}\n  ${error.message}`);
        return 1;
      }
      console.error(`mutual validate: cannot read ${source}: ${(error as Error).message}`);
      return 1;
    }
    const outcome = parseMessage(kind, value);
    // A scenario that parses still needs unique participant and slot ids, as \`simulate\` requires.
    const errors = !outcome.ok ? outcome.errors : kind === 'scenario' ? scenarioProblems(outcome.value as Scenario) : [];
    if (errors.length > 0) {
      console.error(`${source}: invalid ${kind}\n${errors.map((line) => `  ${line}`).join('\n')}`);
      return 1;
    }
    if (kind === 'record') {
      const verified = await verifyRecord(value);
      if (!verified.ok) {
        console.error(`${source}: invalid record\n  ${verified.reason}`);
        return 1;
      }
    }
    console.log(`${source}: valid ${kind}`);
    return 0;
  },
};
