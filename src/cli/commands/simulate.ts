// Room: cli (edge). `mutual simulate <scenario.json|-> [--max-rounds N] [--epsilon E]`: synchronous rounds (or, with
// --async, one engine per participant over the in-memory network), the SimulationResult as JSON on stdout. Invalid scenarios exit 1 with the reasons on stderr and nothing on stdout.
import { simulateAsync, type AsyncSimulationOptions, type AsyncSimulationProgress } from '../../engine/simulate-async.ts';
import { simulate } from '../../protocol/allocation/index.ts';
import { DecodeError } from '../../protocol/encoding.ts';
import { parseMessage } from '../../protocol/validate.ts';
import { parseCommandLine, type Command } from '../command.ts';
import { formatSimulation } from '../format-simulation.ts';
import { readJsonInput } from '../read-input.ts';
import { scenarioProblems } from '../scenario-problems.ts';

/**
 * --async runs an engine per participant, each receiving every record: time and memory grow with the square of the
 * participants. At 1,000 it ran for tens of minutes, without a word, towards several GB (found by a review).
 */
export const MAX_ASYNC_PARTICIPANTS = 300;

/** How often a long --async run says how far it is, on stderr (a run of 300 took minutes without a word). */
export const PROGRESS_EVERY_MS = 10_000;

const HELP = `usage: mutual simulate <scenario.json|-> [--max-rounds N] [--epsilon E] [--format json|table]
       mutual simulate --async [--seed S] [--latency-ms A-B] [--loss P] [--duplicate P] <scenario.json|->

Runs the allocation in synchronous rounds until no pair's offer or acceptance changed by more than its own tolerance
(epsilon times the smaller of the pair's two declared quantities, never below rounding; spec 7.6) or max-rounds is
reached, and prints the result as JSON.
  --max-rounds N   rounds before giving up (default 50, at most 10000; not with --async, a usage error)
  --epsilon E      relative convergence tolerance per pair (default 1e-6)
  --format F       json (default; schemas/SimulationResult.schema.json) or table (for people)

With --async, one engine per participant runs over an in-memory network on a virtual clock (same output format), for
at most ${MAX_ASYNC_PARTICIPANTS} participants (its time and memory grow with the square of their number); a long run
says how far it is on stderr every ${PROGRESS_EVERY_MS / 1000} s.
Who reaches a need first decides the fixed point, so an asynchronous run may settle on other flows than the
synchronous rounds (which are the normative result, spec 7.6), and seeds may differ from one another; every one
keeps the properties of spec 7.8 (no need over its quantity, mutual recognition first, work-conserving):
  --seed S         seed of keys and of delivery randomness (default 1)
  --latency-ms A-B delivery latency range in ms, which also reorders messages (default 5-20)
  --loss P         probability that a delivery is lost (0 to 0.9)
  --duplicate P    probability that a delivery arrives twice (0 to 1)
Exit 0 with the result, 1 when the scenario cannot be read or is invalid (the reasons on stderr, nothing on stdout),
2 on usage errors.`;

const MAX_SCENARIO_BYTES = 256 * 1024 * 1024;

function positiveNumber(text: string | undefined, name: string, integer: boolean, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || value > max || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be a ${integer ? 'whole ' : ''}number above 0 and at most ${max} (got '${text}')`);
  }
  return value;
}

function integerIn(text: string, name: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be a whole number from ${min} to ${max} (got '${text}')`);
  return value;
}

function probability(text: string, name: string, max: number): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || value > max) throw new Error(`${name} must be a probability from 0 to ${max} (got '${text}')`);
  return value;
}

function latencyRange(text: string): [number, number] {
  const match = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(text);
  const low = Number(match?.[1]);
  const high = Number(match?.[2]);
  if (match === null || !(low >= 0) || !(high >= low) || high > 60_000) throw new Error(`--latency-ms must be A-B with 0 <= A <= B <= 60000 (got '${text}')`);
  return [low, high];
}

function progressOnStderr(): (progress: AsyncSimulationProgress) => void {
  let next = performance.now() + PROGRESS_EVERY_MS;
  return ({ virtualMs, maxVirtualMs, round, converged, engines }) => {
    if (performance.now() < next) return;
    next = performance.now() + PROGRESS_EVERY_MS;
    process.stderr.write(`mutual simulate --async: ${(virtualMs / 1000).toFixed(1)} s of virtual time (at most ${maxVirtualMs / 1000}), round ${round}, ${converged} of ${engines} participants converged\n`);
  };
}

export const command: Command = {
  summary: 'run the allocation on a scenario in synchronous rounds',
  async run(argv) {
    let maxRounds: number | undefined;
    let epsilon: number | undefined;
    let source: string;
    let format: 'json' | 'table' = 'json';
    let asyncOptions: AsyncSimulationOptions | undefined;
    try {
      const parsed = parseCommandLine({
        args: [...argv],
        options: {
          'max-rounds': { type: 'string' },
          epsilon: { type: 'string' },
          format: { type: 'string', default: 'json' },
          async: { type: 'boolean', default: false },
          seed: { type: 'string' },
          'latency-ms': { type: 'string' },
          loss: { type: 'string' },
          duplicate: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
        allowPositionals: true,
      });
      if (parsed.values.help) {
        console.log(HELP);
        return 0;
      }
      if (parsed.positionals.length !== 1) throw new Error('give exactly one scenario file, or - for standard input');
      source = parsed.positionals[0]!;
      if (parsed.values.format !== 'json' && parsed.values.format !== 'table') throw new Error(`--format must be json or table (got '${parsed.values.format}')`);
      format = parsed.values.format;
      if (parsed.values.async) {
        // The engines run until they converge (or their budget of virtual time ends): they have no round limit.
        if (parsed.values['max-rounds'] !== undefined) throw new Error('--max-rounds goes with the synchronous rounds, not with --async');
        asyncOptions = {
          seed: parsed.values.seed === undefined ? 1 : integerIn(parsed.values.seed, '--seed', 0, 2 ** 32 - 1),
          latencyMs: parsed.values['latency-ms'] === undefined ? [5, 20] : latencyRange(parsed.values['latency-ms']),
          loss: parsed.values.loss === undefined ? 0 : probability(parsed.values.loss, '--loss', 0.9),
          duplicate: parsed.values.duplicate === undefined ? 0 : probability(parsed.values.duplicate, '--duplicate', 1),
        };
      } else if (['seed', 'latency-ms', 'loss', 'duplicate'].some((name) => parsed.values[name as 'seed'] !== undefined)) {
        throw new Error('--seed, --latency-ms, --loss and --duplicate go with --async');
      }
      maxRounds = positiveNumber(parsed.values['max-rounds'], '--max-rounds', true, 10_000);
      epsilon = positiveNumber(parsed.values.epsilon, '--epsilon', false, 1);
    } catch (error) {
      console.error(`mutual simulate: ${(error as Error).message}\n\n${HELP}`);
      return 2;
    }
    let raw: unknown;
    try {
      raw = await readJsonInput(source, MAX_SCENARIO_BYTES);
    } catch (error) {
      console.error(error instanceof DecodeError ? `${source}: invalid scenario\n  ${error.message}` : `mutual simulate: cannot read ${source}: ${(error as Error).message}`);
      return 1;
    }
    const scenario = parseMessage('scenario', raw);
    if (!scenario.ok) {
      console.error(`${source}: invalid scenario\n${scenario.errors.map((line) => `  ${line}`).join('\n')}`);
      return 1;
    }
    const problems = scenarioProblems(scenario.value);
    if (problems.length > 0) {
      console.error(`${source}: invalid scenario\n${problems.map((line) => `  ${line}`).join('\n')}`);
      return 1;
    }
    if (asyncOptions !== undefined && scenario.value.participants.length > MAX_ASYNC_PARTICIPANTS) {
      console.error(
        `${source}: ${scenario.value.participants.length} participants are too many for --async (at most ${MAX_ASYNC_PARTICIPANTS}): it runs one engine per participant, ` +
          'and its time and memory grow with the square of their number (16 s and 450 MB at 100, 90 s and 830 MB at 200 on a 2-core machine). ' +
          'The synchronous rounds (without --async) take well under a second per round at 10,000.',
      );
      return 1;
    }
    const result =
      asyncOptions === undefined
        ? simulate(scenario.value, { ...(maxRounds === undefined ? {} : { maxRounds }), ...(epsilon === undefined ? {} : { epsilon }) })
        : await simulateAsync(scenario.value, { ...asyncOptions, ...(epsilon === undefined ? {} : { epsilon }), onProgress: progressOnStderr() });
    // One write of the whole document: nothing is half-printed.
    process.stdout.write(format === 'table' ? formatSimulation(result) : `${JSON.stringify(result, null, 2)}\n`);
    return 0;
  },
};
