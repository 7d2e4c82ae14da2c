// Room: test support. One fast-check seed for every property, so CI is deterministic. Explore with FC_SEED=random
// (or a number): a failure prints its seed and counterexample, which then belongs in a fixed test.
import fc from 'fast-check';

const chosen = process.env.FC_SEED;
if (chosen !== 'random') fc.configureGlobal({ seed: chosen === undefined ? 20_261_124 : Number(chosen) });
