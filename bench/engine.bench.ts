// Room: bench. `npm run bench -- engine`: engines over the in-memory network on a virtual clock. Prints, for 50 and 200
// engines: virtual time and rounds from the initial declarations to network convergence, messages and bytes per peer,
// recomputations per peer. (Not yet measured: the settling of one participant's change after convergence.)
import { randomScenario } from './instances.ts';
import { runAsyncSimulation } from '../src/engine/index.ts';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
for (const participants of sizes.length > 0 ? sizes : [50, 200]) {
  const scenario = randomScenario({ participants, edgesPerParticipant: 6 }, 11);
  const started = performance.now();
  const run = await runAsyncSimulation(scenario, { seed: 11, maxVirtualMs: 120_000 });
  const wallMs = performance.now() - started;
  const sent = run.networks.reduce((sum, network) => sum + network.traffic.messagesSent, 0);
  const bytes = run.networks.reduce((sum, network) => sum + network.traffic.bytesSent, 0);
  const recomputations = run.engines.map((engine) => engine.recomputations.peek());
  console.log(
    `${participants} engines: converged=${run.result.converged} virtual ${run.virtualMs} ms, rounds ${run.result.rounds}, ` +
      `per peer ${(sent / participants).toFixed(0)} messages, ${(bytes / participants / 1024).toFixed(1)} KiB, ` +
      `recomputations mean ${(recomputations.reduce((a, b) => a + b, 0) / participants).toFixed(1)} max ${Math.max(...recomputations)}; wall ${(wallMs / 1000).toFixed(1)} s`,
  );
}
