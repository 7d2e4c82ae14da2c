// Room: bench. `npm run bench -- network` (sizes: NETWORK_BENCH_SIZES=5,10 npm run bench -- network, or directly
// `node bench/network.bench.ts --sizes 5,10 --changes 5`). N libp2p peers, each with its engine and in-memory storage,
// in ONE process, on 127.0.0.1 only (mDNS off, explicit bootstrap: every peer dials peer 0 and its ring predecessor;
// nothing else on the network). Scenario: the ring of test/cli/peer.test.ts (each peer recognizes its two neighbours,
// offers `review`, needs more than its two providers can give, so the fixed point is unique). After the initial
// convergence and once the mesh has settled, ONE declaration changes at one peer at a time (its capacity quantity,
// lowered to 2, then restored); the bench measures the time until every peer holds the allocations of the synchronous
// reference (`simulate` of the changed scenario) and reports converged. Prints p50/p95/max time-to-convergence,
// records and bytes published/received per peer per change (the network's counters, from the change until no record
// was published for 1.5 s), and the process's CPU and event-loop delay (all N nodes share one thread).
// Every wait is bounded, the whole run has a watchdog, and all nodes stop at the end of each size.
// Options: --sizes 5,10,20,50  --changes 8  --timeout 30000 (ms per change)  --budget 240 (s per size)
//   --trace     timeline of the first change of each size (records received, phase changes, per peer)
//   --progress  a line per second while waiting (connections, publications, sync records, lagging peers)
//   --star      bootstrap through peer 0 only (as test/cli/peer.test.ts does)
//   --stagger MS  peers join one every MS ms, each declaring as it joins (default: all start, then all declare)
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createEngine, memoryStorage, PHASES, type Engine } from '../src/engine/index.ts';
import { createLibp2pNetwork, type Libp2pPeerNetwork } from '../src/network/libp2p-network.ts';
import { simulate } from '../src/protocol/allocation/index.ts';
import { lagBehind, ringScenario, type Row } from './ring.ts';

const { values: options } = parseArgs({
  args: process.argv.slice(2),
  options: {
    sizes: { type: 'string', default: process.env.NETWORK_BENCH_SIZES ?? '5,10,20,50' },
    changes: { type: 'string', default: '8' },
    timeout: { type: 'string', default: '30000' },
    budget: { type: 'string', default: '240' },
    trace: { type: 'boolean', default: false },
    progress: { type: 'boolean', default: false },
    star: { type: 'boolean', default: false },
    stagger: { type: 'string', default: '0' },
  },
  allowPositionals: true,
});
const sizes = options.sizes.split(',').map(Number).filter((n) => Number.isInteger(n) && n >= 3);
const CHANGES = Math.max(1, Number(options.changes));
const WAIT_MS = Math.max(1000, Number(options.timeout));
const BUDGET_MS = Math.max(10, Number(options.budget)) * 1000;
const STAGGER_MS = Math.max(0, Number(options.stagger));
const NETWORK = 'bench-net';
const TOLERANCE = 1e-3;
/** After a change has converged, the network counts as quiet when no record was published for this long. */
const QUIET_MS = 1500;
const QUIET_LIMIT_MS = 8000;

const initialWaitMs = (n: number) => Math.max(WAIT_MS, 60_000 + n * 1000);
const startMsOf = (n: number) => n * (STAGGER_MS + 100);
const settleLimitMs = (n: number) => 30_000 + n * 500;
// The whole run stops by itself even if something hangs: a watchdog well past every bound.
const watchdog = setTimeout(() => {
  console.error('network bench: watchdog fired (a stop did not return); exiting');
  process.exit(2);
}, sizes.reduce((sum, n) => sum + startMsOf(n) + initialWaitMs(n) + settleLimitMs(n) + BUDGET_MS + 30_000, 60_000));
watchdog.unref();

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const quantile = (values: readonly number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
};
const ms = (value: number) => `${value.toFixed(0)} ms`;

interface Peer {
  readonly index: number;
  readonly net: Libp2pPeerNetwork;
  readonly engine: Engine;
}



/** Why `peer` does not (yet) hold the reference on its own rows and report converged; undefined when it does. */
function lagOf(peer: Peer, expected: readonly Row[]): string | undefined {
  return lagBehind(peer.engine.snapshot(), peer.net.self, expected, TOLERANCE);
}

/** What a lagging peer knows of its ring neighbours: connection, and which of their records it holds (round). */
function describe(peers: readonly Peer[], peer: Peer): string {
  const n = peers.length;
  const connected = new Set(peer.net.connectedPeers());
  const parts = [(peer.index + n - 1) % n, (peer.index + 1) % n].map((index) => {
    const other = peers[index]!.net.self;
    const held = (['state', 'relationships', 'results', 'coordination'] as const)
      .map((kind) => {
        const record = peer.engine.stores[kind === 'state' ? 'states' : kind].get(other);
        const round = record !== undefined && 'round' in record.payload ? ` round ${record.payload.round}` : '';
        return `${kind}${record === undefined ? ' -' : ` #${record.sequence % 100000}${round}`}`;
      })
      .join(', ');
    return `p${index}: ${connected.has(other) ? 'connected' : 'NOT connected'}; holds ${held}`;
  });
  const snapshot = peer.engine.snapshot();
  const counters = peer.net.counters;
  return (
    `p${peer.index} (${snapshot.phaseName}, round ${snapshot.round}, ${connected.size} connections, knows ${snapshot.peers.length} peers, ` +
    `rejected ${counters.rejected} of which rate-limited ${counters.rateLimited}): ${parts.join(' | ')}`
  );
}

/**
 * Resolves when every peer holds the reference and reports converged (checked on every engine change and every 20 ms),
 * with the times (from `since`) at which allocations first matched everywhere, at which all also reported converged,
 * and at which every engine's hasSystemConverged held as well. Rejects after timeoutMs with the lagging peers.
 */
async function waitConverged(peers: readonly Peer[], expected: readonly Row[], since: number, timeoutMs: number) {
  let allocationsAt: number | undefined;
  let convergedAt: number | undefined;
  let systemAt: number | undefined;
  let lags: string[] = [];
  const check = () => {
    const now = performance.now() - since;
    lags = [];
    let allocationsOk = true;
    for (const peer of peers) {
      const lag = lagOf(peer, expected);
      if (lag === undefined) continue;
      if (!lag.startsWith('not converged')) allocationsOk = false;
      lags.push(`peer ${peer.index}: ${lag}`);
    }
    if (allocationsOk) allocationsAt ??= now;
    else allocationsAt = undefined;
    if (lags.length === 0) convergedAt ??= now;
    else convergedAt = undefined;
    if (convergedAt !== undefined && peers.every((peer) => peer.engine.subgroups.hasSystemConverged.peek())) systemAt ??= now;
  };
  let scheduled = false;
  const onChange = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      check();
    });
  };
  const listeners = peers.map((peer) => peer.engine.onDidChange(onChange));
  let lastPublished = 0;
  const progress = options.progress
    ? setInterval(() => {
        const connections = peers.map((peer) => peer.net.connectedPeers().length);
        const published = peers.reduce((sum, peer) => sum + peer.net.counters.published, 0);
        const sync = peers.reduce((sum, peer) => sum + peer.net.counters.syncRecordsReceived, 0);
        console.log(
          `    [${ms(performance.now() - since)}] connections mean ${(connections.reduce((a, b) => a + b, 0) / peers.length).toFixed(1)} min ${Math.min(...connections)}; ` +
            `published +${published - lastPublished}; sync records ${sync}; converged ${peers.filter((peer) => peer.engine.snapshot().converged).length}; ` +
            `lagging ${lags.length}${lags[0] === undefined ? '' : ` (${lags[0]})`}`,
        );
        lastPublished = published;
      }, 1000)
    : undefined;
  try {
    const deadline = performance.now() + timeoutMs;
    // hasSystemConverged follows coordination, which does not fire onDidChange: keep polling until it holds too
    // (bounded: at most 3 s after the allocations converged).
    while (systemAt === undefined && (convergedAt === undefined || performance.now() - since - convergedAt < 3000)) {
      if (performance.now() > deadline) {
        check();
        if (convergedAt !== undefined) break;
        const lagging = peers.filter((peer) => lagOf(peer, expected) !== undefined).slice(0, 6);
        throw new Error(`timed out after ${timeoutMs} ms; ${lags.length} peers lag:\n    ${lags.slice(0, 8).join('\n    ')}\n  what they hold of their ring neighbours:\n    ${lagging.map((peer) => describe(peers, peer)).join('\n    ')}`);
      }
      await sleep(20);
      check();
    }
    return { allocationsAt: allocationsAt!, convergedAt: convergedAt!, systemAt };
  } finally {
    clearInterval(progress);
    for (const listener of listeners) listener.dispose();
  }
}

const totals = (peers: readonly Peer[]) =>
  peers.map((peer) => ({ published: peer.net.counters.published, publishedBytes: peer.net.counters.publishedBytes, received: peer.net.counters.received, receivedBytes: peer.net.counters.receivedBytes, sync: peer.net.counters.syncRecordsReceived }));

/** Records that carry a change (coordination left out: it announces phase and round, and follows the changes). */
const changeRecords = (peers: readonly Peer[]) => peers.reduce((total, peer) => total + peer.net.counters.published - peer.net.counters.publishedCoordination, 0);

/** Waits until no peer published a change for QUIET_MS (bounded); returns the time (from since) of the last one seen. */
async function waitQuiet(peers: readonly Peer[], since: number): Promise<{ lastPublishAt: number; quiet: boolean }> {
  const sum = () => changeRecords(peers);
  let last = sum();
  let lastChangeAt = performance.now();
  const started = performance.now();
  while (performance.now() - lastChangeAt < QUIET_MS) {
    if (performance.now() - started > QUIET_LIMIT_MS) return { lastPublishAt: lastChangeAt - since, quiet: false };
    await sleep(20);
    const now = sum();
    if (now !== last) {
      last = now;
      lastChangeAt = performance.now();
    }
  }
  return { lastPublishAt: lastChangeAt - since, quiet: true };
}

/**
 * After the initial convergence the mesh keeps growing (every peer subscribes to the relationships of every peer it
 * knows of, and the network dials those authors): wait until neither the number of records published nor the number
 * of connections has changed for 3.5 s (longer than the 3 s address-lookup retry), bounded by limitMs.
 */
async function waitSettled(peers: readonly Peer[], limitMs: number): Promise<{ ms: number; settled: boolean }> {
  const state = () => `${changeRecords(peers)}/${peers.reduce((total, peer) => total + peer.net.connectedPeers().length, 0)}`;
  const started = performance.now();
  let last = state();
  let changedAt = performance.now();
  while (performance.now() - changedAt < 3500) {
    if (performance.now() - started > limitMs) return { ms: performance.now() - started, settled: false };
    await sleep(50);
    const now = state();
    if (now !== last) {
      last = now;
      changedAt = performance.now();
    }
  }
  return { ms: performance.now() - started, settled: true };
}

/** CPU use of this process (all N nodes) and event-loop delay over a stretch of time. */
function startLoad() {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  const cpu = process.cpuUsage();
  const wall = performance.now();
  return () => {
    histogram.disable();
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    return { cpuMs, cpu: cpuMs / (performance.now() - wall), delayP50: histogram.percentile(50) / 1e6, delayMax: histogram.max / 1e6 };
  };
}

/** Timeline of one change: records received and phase changes per peer, relative to the change. */
function startTrace(peers: readonly Peer[], since: number) {
  const lines: { at: number; text: string }[] = [];
  const stops: (() => void)[] = [];
  const short = new Map(peers.map((peer) => [peer.net.self, `p${peer.index}`]));
  for (const peer of peers) {
    const disposable = peer.net.on((event) => {
      if (event.type === 'record') lines.push({ at: performance.now() - since, text: `p${peer.index} got ${event.record.kind} of ${short.get(event.record.author)}${event.record.kind === 'coordination' ? ` (round ${event.record.payload.round}, converged ${event.record.payload.converged})` : event.record.kind === 'results' ? ` (round ${event.record.payload.round})` : ''}` });
    });
    stops.push(() => disposable.dispose());
    let previous = peer.engine.phase.peek();
    stops.push(
      peer.engine.phase.subscribe((phase) => {
        if (phase === previous) return;
        lines.push({ at: performance.now() - since, text: `p${peer.index} phase ${PHASES[previous]} -> ${PHASES[phase]} (round ${peer.engine.round.peek()})` });
        previous = phase;
      }),
    );
  }
  return {
    stop: () => stops.forEach((stop) => stop()),
    print: (limit: number) => {
      lines.sort((a, b) => a.at - b.at);
      for (const line of lines.slice(0, limit)) console.log(`      ${line.at.toFixed(1).padStart(8)} ms  ${line.text}`);
      if (lines.length > limit) console.log(`      ... ${lines.length - limit} more`);
    },
  };
}

async function runSize(n: number): Promise<void> {
  const sizeStarted = performance.now();
  const peers: Peer[] = [];
  const rejections = new Map<string, number>();
  console.log(`\n-- ${n} peers (one process, 127.0.0.1, mDNS off, bootstrap through peer 0${options.star ? '' : ' and the ring predecessor'})`);
  try {
    // Start peer 0, then the others one by one.
    const keys = await Promise.all(Array.from({ length: n }, () => generateKeyPair('Ed25519')));
    const scenario = ringScenario(keys.map((key) => peerIdFromPrivateKey(key).toString()));
    let reference = simulate(scenario);
    if (!reference.converged) throw new Error('the reference did not converge');
    const make = async (index: number, bootstrap: readonly string[]) => {
      const net = createLibp2pNetwork({ network: NETWORK, privateKey: keys[index]!, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, loopback: true, bootstrap });
      const engine = createEngine({ network: net, storage: memoryStorage() });
      const peer = { index, net, engine };
      peers[index] = peer;
      net.on((event) => {
        if (event.type !== 'rejected') return;
        const reason = event.reason.replace(/12D3KooW\w+/g, '<peer>').replace(/\d+/g, '<n>').replace(/\(.*\)/g, '').trim();
        rejections.set(reason, (rejections.get(reason) ?? 0) + 1);
      });
      await engine.start();
      return peer;
    };
    const declare = async (index: number) => {
      const participant = scenario.participants[index]!;
      await peers[index]!.engine.declareState({ displayName: participant.displayName, capacities: participant.capacities, needs: participant.needs });
      await peers[index]!.engine.setRecognition(participant.recognition);
    };
    const loopbackAddresses = (peer: Peer) => peer.net.addresses().filter((address) => address.startsWith('/ip4/127.0.0.1/'));
    let started = performance.now();
    const first = await make(0, []);
    if (STAGGER_MS > 0) await declare(0);
    const bootstrap = loopbackAddresses(first);
    for (let index = 1; index < n; index++) {
      // Every peer bootstraps through peer 0 and (unless --star) also dials its ring predecessor: the ring edges exist
      // from the start instead of waiting for the network's address lookups.
      await make(index, options.star || index === 1 ? bootstrap : [...bootstrap, ...loopbackAddresses(peers[index - 1]!)]);
      // --stagger: peers join one by one, each declaring as it joins (as `mutual peer --profile` does).
      if (STAGGER_MS > 0) {
        await sleep(STAGGER_MS);
        await declare(index);
      }
    }
    const startMs = performance.now() - started;

    // Without --stagger every peer declares at once, after all have started.
    started = performance.now();
    if (STAGGER_MS === 0) await Promise.all(scenario.participants.map((_, index) => declare(index)));
    const initial = await waitConverged(peers, reference.allocations, started, initialWaitMs(n));
    const connections = peers.map((peer) => peer.net.connectedPeers().length);
    console.log(
      `  started ${n} nodes in ${ms(startMs)}${STAGGER_MS > 0 ? ` (one every ${STAGGER_MS} ms, each declaring as it joined)` : ''}; ` +
        `initial declarations converged ${ms(initial.convergedAt)} ${STAGGER_MS > 0 ? 'after the last peer joined' : 'after all declared at once'} ` +
        `(allocations ${ms(initial.allocationsAt)}, hasSystemConverged everywhere ${initial.systemAt === undefined ? 'not within 3 s' : ms(initial.systemAt)}); ` +
        `connections per peer mean ${(connections.reduce((a, b) => a + b, 0) / n).toFixed(1)}, min ${Math.min(...connections)}, max ${Math.max(...connections)}`,
    );
    const settle = await waitSettled(peers, settleLimitMs(n));
    const settledConnections = peers.map((peer) => peer.net.connectedPeers().length);
    const idle = startLoad();
    await sleep(2000);
    const idleLoad = idle();
    console.log(
      `  ${settle.settled ? 'settled' : 'NOT settled'} (no record published and no connection change for 3.5 s) ${ms(settle.ms)} later: ` +
        `connections per peer mean ${(settledConnections.reduce((a, b) => a + b, 0) / n).toFixed(1)}, min ${Math.min(...settledConnections)}; ` +
        `idle: CPU ${(idleLoad.cpu * 100).toFixed(0)}% of one core, event-loop delay p50 ${idleLoad.delayP50.toFixed(1)} ms, max ${idleLoad.delayMax.toFixed(0)} ms`,
    );

    const times: number[] = [];
    const allocationTimes: number[] = [];
    const systemTimes: number[] = [];
    const quietTimes: number[] = [];
    const traffic: { published: number; publishedBytes: number; received: number; receivedBytes: number; sync: number; publishers: number; maxReceived: number }[] = [];
    const rounds: number[] = [];
    const loads: ReturnType<ReturnType<typeof startLoad>>[] = [];
    let failures = 0;
    for (let change = 0; change < CHANGES; change++) {
      if (performance.now() - sizeStarted > BUDGET_MS) {
        console.log(`  budget of ${BUDGET_MS / 1000} s for this size spent: ${change} of ${CHANGES} changes measured`);
        break;
      }
      // Change k lowers the capacity of peer (3k mod n) to 2; the next change restores it (one declaration each time).
      const target = (3 * Math.floor(change / 2) + 1) % n;
      const participant = scenario.participants[target]!;
      const original = 4 + (target % 3);
      const quantity = change % 2 === 0 ? 2 : original;
      participant.capacities = [{ ...participant.capacities[0]!, quantity }];
      reference = simulate(scenario);
      const before = totals(peers);
      const roundsBefore = peers.map((peer) => peer.engine.round.peek());
      const since = performance.now();
      const trace = options.trace && change === 0 ? startTrace(peers, since) : undefined;
      const load = startLoad();
      let outcome;
      try {
        await peers[target]!.engine.declareState({ displayName: participant.displayName, capacities: participant.capacities, needs: participant.needs });
        outcome = await waitConverged(peers, reference.allocations, since, WAIT_MS);
      } catch (error) {
        load();
        failures++;
        console.log(`  change ${change + 1} (peer ${target} capacity -> ${quantity}): ${(error as Error).message}`);
        trace?.stop();
        trace?.print(200);
        continue;
      }
      const changeLoad = load();
      loads.push(changeLoad);
      const quiet = await waitQuiet(peers, since);
      trace?.stop();
      const after = totals(peers);
      const delta = after.map((entry, index) => ({
        published: entry.published - before[index]!.published,
        publishedBytes: entry.publishedBytes - before[index]!.publishedBytes,
        received: entry.received - before[index]!.received,
        receivedBytes: entry.receivedBytes - before[index]!.receivedBytes,
        sync: entry.sync - before[index]!.sync,
      }));
      const sum = (pick: (entry: (typeof delta)[number]) => number) => delta.reduce((total, entry) => total + pick(entry), 0);
      times.push(outcome.convergedAt);
      allocationTimes.push(outcome.allocationsAt);
      if (outcome.systemAt !== undefined) systemTimes.push(outcome.systemAt);
      quietTimes.push(quiet.lastPublishAt);
      const roundDelta = Math.max(...peers.map((peer, index) => peer.engine.round.peek() - roundsBefore[index]!));
      rounds.push(roundDelta);
      traffic.push({
        published: sum((entry) => entry.published) / n,
        publishedBytes: sum((entry) => entry.publishedBytes) / n,
        received: sum((entry) => entry.received) / n,
        receivedBytes: sum((entry) => entry.receivedBytes) / n,
        sync: sum((entry) => entry.sync) / n,
        publishers: delta.filter((entry) => entry.published > 0).length,
        maxReceived: Math.max(...delta.map((entry) => entry.received)),
      });
      console.log(
        `  change ${change + 1}: peer ${target} capacity -> ${quantity}: converged everywhere ${ms(outcome.convergedAt)} ` +
          `(allocations ${ms(outcome.allocationsAt)}, hasSystemConverged ${outcome.systemAt === undefined ? '-' : ms(outcome.systemAt)}, last record published ${ms(quiet.lastPublishAt)}${quiet.quiet ? '' : ', never quiet'}); ` +
          `rounds ${roundDelta}; ${delta.filter((entry) => entry.published > 0).length}/${n} peers published; ` +
          `per peer ${(sum((entry) => entry.published) / n).toFixed(1)} published / ${(sum((entry) => entry.received) / n).toFixed(1)} received; ` +
          `CPU ${changeLoad.cpuMs.toFixed(0)} ms (${(changeLoad.cpu * 100).toFixed(0)}% of one core), loop delay max ${changeLoad.delayMax.toFixed(0)} ms`,
      );
      if (trace !== undefined) {
        console.log('    trace of change 1 (ms after declareState was called):');
        trace.print(120);
      }
    }
    if (times.length === 0) {
      console.log(`  no change converged (${failures} timed out)`);
      return;
    }
    const mean = (pick: (entry: (typeof traffic)[number]) => number) => traffic.reduce((total, entry) => total + pick(entry), 0) / traffic.length;
    console.log(
      `  SUMMARY ${n} peers, ${times.length} changes${failures > 0 ? ` (${failures} timed out)` : ''}: time to convergence p50 ${ms(quantile(times, 0.5))}, p95 ${ms(quantile(times, 0.95))}, max ${ms(Math.max(...times))}; ` +
        `allocations right everywhere p50 ${ms(quantile(allocationTimes, 0.5))}; ` +
        `hasSystemConverged p50 ${systemTimes.length > 0 ? ms(quantile(systemTimes, 0.5)) : '-'}; last publication p50 ${ms(quantile(quietTimes, 0.5))}; rounds p50 ${quantile(rounds, 0.5)} max ${Math.max(...rounds)}`,
    );
    console.log(
      `          per peer per change: published ${mean((entry) => entry.published).toFixed(1)} records / ${(mean((entry) => entry.publishedBytes) / 1024).toFixed(1)} KiB, ` +
        `received ${mean((entry) => entry.received).toFixed(1)} records / ${(mean((entry) => entry.receivedBytes) / 1024).toFixed(1)} KiB (max at one peer ${Math.max(...traffic.map((entry) => entry.maxReceived))}), ` +
        `sync records ${mean((entry) => entry.sync).toFixed(1)}; peers that published anything: mean ${mean((entry) => entry.publishers).toFixed(1)} of ${n}`,
    );
    console.log(
      `          while converging: process CPU p50 ${quantile(loads.map((entry) => entry.cpuMs), 0.5).toFixed(0)} ms per change (${(quantile(loads.map((entry) => entry.cpu), 0.5) * 100).toFixed(0)}% of one core), event-loop delay max p50 ${quantile(loads.map((entry) => entry.delayMax), 0.5).toFixed(0)} ms`,
    );
  } catch (error) {
    console.log(`  ${n} peers: ${(error as Error).message}`);
  } finally {
    const stopping = performance.now();
    await Promise.all(peers.filter((peer) => peer !== undefined).map((peer) => peer.engine.stop().catch((error: Error) => console.log(`  stop p${peer.index}: ${error.message}`))));
    const started_ = peers.filter((peer) => peer !== undefined);
    const rejected = started_.reduce((sum, peer) => sum + peer.net.counters.rejected, 0);
    const rateLimited = started_.reduce((sum, peer) => sum + peer.net.counters.rateLimited, 0);
    const timedOut = started_.reduce((sum, peer) => sum + peer.net.counters.timedOut, 0);
    const abandoned = started_.reduce((sum, peer) => sum + peer.net.counters.abandoned, 0);
    const reasons = [...rejections].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([reason, count]) => `${count}x "${reason}"`);
    console.log(`  over the whole run: ${rejected} records rejected at the network boundary (${rateLimited} by the per-peer rate limit)${reasons.length > 0 ? `: ${reasons.join(', ')}` : ''}; ${timedOut} sync or lookup exchanges timed out, ${abandoned} requests closed empty`);
    console.log(`  stopped ${peers.filter((peer) => peer !== undefined).length} nodes in ${ms(performance.now() - stopping)}; size took ${((performance.now() - sizeStarted) / 1000).toFixed(1)} s`);
  }
}

console.log(`node ${process.version}; sizes ${sizes.join(', ')}; ${CHANGES} changes per size, ${WAIT_MS} ms per wait, ${BUDGET_MS / 1000} s per size`);
for (const n of sizes) await runSize(n);
clearTimeout(watchdog);
