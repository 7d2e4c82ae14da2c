// Room: bench. `npm run bench -- churn` (or directly `node --expose-gc bench/churn.bench.ts --sizes 5,10 --cycles 6`).
// How the network recovers from churn. N libp2p peers with engines in ONE process on 127.0.0.1 only (mDNS off,
// explicit bootstrap: every peer dials peer 0 and its ring predecessor), the ring scenario of bench/network.bench.ts.
// After the initial convergence, C cycles, each one of, in turn:
//   1. "restart with cache": a random non-bootstrap peer stops; a declaration changes at another peer (a capacity,
//      lowered to 2 or restored); the running peers must converge; the stopped peer restarts with the same key and the
//      same storage object (its cache) and everyone must converge again;
//   2. "restart with empty cache": a random non-bootstrap peer stops and restarts with the same key, an EMPTY storage
//      and a correct clock, and declares its state and recognition again (as `mutual peer` does from its
//      declarations.json, which lives apart from the store); everyone, the restarted peer included (late-joiner
//      sync), must converge to the reference again;
//   3. "bootstrap restart": peer 0, the peer every other one dialled, stops; a declaration changes at another peer; the
//      others must converge; peer 0 restarts on its old address (same key, same storage, no bootstrap list of its
//      own, as a bootstrap node does) and everyone must converge again.
// "Converged" = every running peer holds the allocations of the synchronous reference (`simulate`) on its own rows and
// reports converged (phase Converged). A stopped peer's records stay in the others' stores (the engine never drops a
// record: forgetGonePeers only drops the peer from knownPeers), and its results are frozen while it is down. So the
// reference while it is down is `simulate` of the whole scenario (its declarations included) on every row, except the
// rows it receives: an allocation row is the recipient's acceptance, so those stay what its frozen results accepted
// (the reference from before the change). Its own offers must be unchanged by the change for this to hold (checked).
// Prints per cycle and per kind: time from the change (peer down) and from the restart until every running peer
// converged (p50/max), and until the restarted peer is connected to its ring neighbours again (required too: a
// follower must be connected to the author it follows, and converging on unchanged stale copies hides a split),
// records and KiB received per peer from that moment until no record was published for 1.5 s; and after all cycles:
// heap used and RSS before/after (after global.gc with --expose-gc), records rejected at the network boundary, exchanges
// timed out, and the warnings engines and networks logged. Every wait is bounded; a watchdog ends the run; all nodes stop at the end.
// Options: --sizes 5,10  --cycles 6  --timeout 90000 (ms per wait)  --seed 1 (which peers stop and change)
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { createEngine, memoryStorage, mulberry32, type Engine, type EngineStorage } from '../src/engine/index.ts';
import { createLibp2pNetwork, type Libp2pPeerNetwork } from '../src/network/libp2p-network.ts';
import { simulate } from '../src/protocol/allocation/index.ts';
import { lagBehind, ringScenario, rowKey, type Row } from './ring.ts';

const { values: options } = parseArgs({
  args: process.argv.slice(2),
  options: {
    sizes: { type: 'string', default: process.env.CHURN_BENCH_SIZES ?? '10' },
    cycles: { type: 'string', default: '6' },
    timeout: { type: 'string', default: '90000' },
    seed: { type: 'string', default: '1' },
  },
  allowPositionals: true,
});
const sizes = options.sizes.split(',').map(Number).filter((n) => Number.isInteger(n) && n >= 4);
const CYCLES = Math.max(1, Number(options.cycles));
const WAIT_MS = Math.max(5000, Number(options.timeout));
const random = mulberry32(Number(options.seed));
const NETWORK = 'churn-bench';
const TOLERANCE = 1e-3;
const KINDS = ['restart with cache', 'restart with empty cache', 'bootstrap restart'] as const;

const initialWaitMs = (n: number) => Math.max(WAIT_MS, 60_000 + n * 1000);
// Each cycle: at most three convergence waits (down, restart, and a last one after a failure), two quiet waits (8 s
// each) and the stops and starts.
const watchdog = setTimeout(() => {
  console.error('churn bench: watchdog fired (a wait or a stop did not return); exiting');
  process.exit(2);
}, sizes.reduce((sum, n) => sum + initialWaitMs(n) + CYCLES * (3 * WAIT_MS + 40_000) + 60_000, 30_000));
watchdog.unref();

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const quantile = (values: readonly number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.max(0, Math.ceil(q * values.length) - 1))]!;
const ms = (value: number) => `${value.toFixed(0)} ms`;
const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;

interface Peer {
  readonly index: number;
  readonly net: Libp2pPeerNetwork;
  readonly engine: Engine;
  readonly storage: EngineStorage;
}


/** Peer ids as p<index> in what the bench prints. */
const names = new Map<string, string>();
const short = (text: string) => text.replace(/12D3KooW\w+/g, (id) => names.get(id) ?? id);

/** Why `peer` does not (yet) hold the reference on its own rows and report converged; undefined when it does. */
function lagOf(peer: Peer, expected: readonly Row[]): string | undefined {
  return lagBehind(peer.engine.snapshot(), peer.net.self, expected, TOLERANCE);
}

/** What a lagging peer holds of its running ring neighbours, against what they hold of themselves. */
function describe(all: readonly (Peer | undefined)[], peer: Peer): string {
  const n = all.length;
  const connected = new Set(peer.net.connectedPeers());
  const parts = [(peer.index + n - 1) % n, (peer.index + 1) % n].map((index) => {
    const other = all[index];
    if (other === undefined) return `p${index}: stopped`;
    const held = (['states', 'relationships', 'results'] as const).map((store) => {
      const mine = peer.engine.stores[store].get(other.net.self);
      const theirs = other.engine.stores[store].get(other.net.self);
      const round = (record: typeof mine) => (record !== undefined && 'round' in record.payload ? ` round ${record.payload.round}` : '');
      if (mine?.sequence === theirs?.sequence) return `${store} latest`;
      return `${store} ${mine === undefined ? 'MISSING' : `#${mine.sequence}${round(mine)}`} (latest #${theirs?.sequence}${round(theirs)})`;
    });
    return `p${index}: ${connected.has(other.net.self) ? 'connected' : 'NOT connected'}; ${held.join(', ')}`;
  });
  const snapshot = peer.engine.snapshot();
  const system = peer.engine.subgroups.hasSystemConverged.peek() ? '' : ', hasSystemConverged false';
  return `p${peer.index} (${snapshot.phaseName}, round ${snapshot.round}${system}, ${connected.size} connections${snapshot.problem === undefined ? '' : `, problem: ${snapshot.problem}`}): ${parts.join(' | ')}`;
}

/** Resolves with the ms from `since` at which every peer of `peers` held the reference and reported converged. */
async function waitConverged(peers: readonly Peer[], all: readonly (Peer | undefined)[], expected: readonly Row[], since: number): Promise<number> {
  const deadline = performance.now() + WAIT_MS;
  for (;;) {
    const lags = peers.map((peer) => [peer, lagOf(peer, expected)] as const).filter(([, lag]) => lag !== undefined);
    if (lags.length === 0) return performance.now() - since;
    if (performance.now() > deadline) {
      throw new Error(
        `NOT converged after ${ms(performance.now() - since)}; ${lags.length} peers lag:\n      ${lags.map(([peer, lag]) => `p${peer.index}: ${short(lag!)}`).join('\n      ')}\n` +
          `    what they hold of their ring neighbours:\n      ${lags.slice(0, 6).map(([peer]) => describe(all, peer)).join('\n      ')}`,
      );
    }
    await sleep(20);
  }
}

/**
 * Resolves with the ms from `since` at which the restarted peer is connected again to its running ring neighbours (a
 * follower must be connected to the author it follows, spec 9.4; converging from stale copies does not show a split).
 */
async function waitLinked(peer: Peer, all: readonly (Peer | undefined)[], since: number): Promise<number> {
  const n = all.length;
  const neighbours = [all[(peer.index + n - 1) % n], all[(peer.index + 1) % n]].filter((other) => other !== undefined);
  const deadline = performance.now() + WAIT_MS;
  for (;;) {
    const missing = neighbours.filter((other) => !peer.net.connectedPeers().includes(other.net.self));
    if (missing.length === 0) return performance.now() - since;
    if (performance.now() > deadline) {
      const links = all.map((other, index) => (other === undefined ? `p${index}: stopped` : `p${index}: ${other.net.connectedPeers().map((id) => names.get(id)).join(' ')}`));
      throw new Error(`p${peer.index} NOT connected again to ${missing.map((other) => `p${other.index}`).join(', ')} after ${ms(performance.now() - since)}; connections: ${links.join(' | ')}`);
    }
    await sleep(50);
  }
}

/** Waits (at most 8 s) until no peer published a record other than coordination for 1.5 s. */
async function waitQuiet(peers: readonly Peer[]): Promise<void> {
  const sum = () => peers.reduce((total, peer) => total + peer.net.counters.published - peer.net.counters.publishedCoordination, 0);
  let last = sum();
  let changedAt = performance.now();
  const started = performance.now();
  while (performance.now() - changedAt < 1500 && performance.now() - started < 8000) {
    await sleep(50);
    if (sum() !== last) [last, changedAt] = [sum(), performance.now()];
  }
}

interface Recovery {
  ms: number;
  /** When the restarted peer was connected to its ring neighbours again. */
  linkedMs?: number;
  /** Mean over the peers that ran throughout, per peer. */
  records: number;
  kib: number;
  /** The restarted peer's own (its network is new, so from its start). */
  restartedRecords?: number;
  restartedKib?: number;
  restartedSync?: number;
}

const memory = () => {
  globalThis.gc?.();
  const usage = process.memoryUsage();
  return `heap used ${(usage.heapUsed / 2 ** 20).toFixed(1)} MiB, RSS ${(usage.rss / 2 ** 20).toFixed(1)} MiB`;
};

async function runSize(n: number): Promise<void> {
  const sizeStarted = performance.now();
  const peers: (Peer | undefined)[] = Array.from({ length: n });
  const nets: Libp2pPeerNetwork[] = [];
  const warnings = new Map<string, number>();
  const warn = (source: string) => (message: string) => {
    const key = `${source}: ${message.replace(/12D3KooW\w+/g, '<peer>').replace(/\/ip4\/\S+/g, '<addr>').replace(/\d+/g, '<n>')}`;
    warnings.set(key, (warnings.get(key) ?? 0) + 1);
  };
  const running = () => peers.filter((peer) => peer !== undefined);
  console.log(`\n-- ${n} peers (one process, 127.0.0.1, mDNS off, bootstrap through peer 0 and the ring predecessor), ${CYCLES} cycles`);
  try {
    const keys: PrivateKey[] = await Promise.all(Array.from({ length: n }, () => generateKeyPair('Ed25519')));
    const scenario = ringScenario(keys.map((key) => peerIdFromPrivateKey(key).toString()));
    scenario.participants.forEach((participant, index) => names.set(participant.id, `p${index}`));
    let reference = simulate(scenario);
    if (!reference.converged) throw new Error('the reference did not converge');
    let port0 = 0;
    const addressOf = (index: number) => peers[index]?.net.addresses().find((address) => address.startsWith('/ip4/127.0.0.1/'));
    const start = async (index: number, storage: EngineStorage) => {
      // Peer 0 listens on the port it had (its address is the bootstrap address of everyone); the others on a new one.
      const bootstrap = index === 0 ? [] : [...new Set([addressOf(0), addressOf(index - 1)])].filter((address) => address !== undefined);
      const net = createLibp2pNetwork({ network: NETWORK, privateKey: keys[index]!, listen: [`/ip4/127.0.0.1/tcp/${index === 0 ? port0 : 0}`], mdns: false, loopback: true, bootstrap, addressStorage: storage, logger: { info() {}, warn: warn('network') } });
      nets.push(net);
      const engine = createEngine({ network: net, storage, logger: { debug() {}, info() {}, warn: warn('engine') } });
      const peer = { index, net, engine, storage };
      peers[index] = peer;
      await engine.start();
      if (index === 0) port0 = Number(addressOf(0)!.split('/')[4]);
      return peer;
    };
    const declare = async (peer: Peer) => {
      const participant = scenario.participants[peer.index]!;
      await peer.engine.declareState({ displayName: participant.displayName, capacities: participant.capacities, needs: participant.needs });
      await peer.engine.setRecognition(participant.recognition);
    };
    /** Lowers a capacity to 2, or restores it: one declaration, and the new reference. */
    const change = async (index: number) => {
      const participant = scenario.participants[index]!;
      const quantity = participant.capacities[0]!.quantity === 2 ? 4 + (index % 3) : 2;
      participant.capacities = [{ ...participant.capacities[0]!, quantity }];
      reference = simulate(scenario);
      await peers[index]!.engine.declareState({ displayName: participant.displayName, capacities: participant.capacities, needs: participant.needs });
      return `p${index} capacity -> ${quantity}`;
    };
    /** Waits for convergence of the running peers and the quiet after it; the traffic per peer meanwhile. */
    const recover = async (since: number, restarted?: Peer, expected = reference.allocations): Promise<Recovery> => {
      const throughout = running().filter((peer) => peer !== restarted);
      const before = throughout.map((peer) => ({ records: peer.net.counters.received, bytes: peer.net.counters.receivedBytes }));
      const time = await waitConverged(running(), peers, expected, since);
      const linked = restarted === undefined ? undefined : await waitLinked(restarted, peers, since);
      await waitQuiet(running());
      const records = throughout.map((peer, i) => peer.net.counters.received - before[i]!.records);
      const bytes = throughout.map((peer, i) => peer.net.counters.receivedBytes - before[i]!.bytes);
      const own = restarted?.net.counters;
      return { ms: time, ...(linked === undefined ? {} : { linkedMs: linked }), records: mean(records), kib: mean(bytes) / 1024, ...(own === undefined ? {} : { restartedRecords: own.received, restartedKib: own.receivedBytes / 1024, restartedSync: own.syncRecordsReceived }) };
    };
    const traffic = (r: Recovery) =>
      `received per peer ${r.records.toFixed(1)} records / ${r.kib.toFixed(1)} KiB` +
      (r.restartedRecords === undefined ? '' : `; the restarted peer ${r.restartedRecords} records / ${r.restartedKib!.toFixed(1)} KiB (${r.restartedSync} by sync)`);

    // Start peer 0, then the others one by one, each dialling peer 0 and its ring predecessor; then all declare.
    for (let index = 0; index < n; index++) await start(index, memoryStorage());
    let since = performance.now();
    await Promise.all(running().map(declare));
    console.log(`  initial declarations converged in ${ms(await waitConverged(running(), peers, reference.allocations, since))}`);
    await waitQuiet(running());
    const memoryBefore = memory();

    const results = KINDS.map(() => ({ down: [] as Recovery[], rejoin: [] as Recovery[], failures: 0 }));
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const kind = cycle % KINDS.length;
      const victim = kind === 2 ? 0 : 1 + Math.floor(random() * (n - 1));
      const storage = kind === 1 ? memoryStorage() : peers[victim]!.storage;
      const victimId = scenario.participants[victim]!.id;
      let text = `  cycle ${cycle + 1} (${KINDS[kind]}): p${victim} stops`;
      let stage = 'while it was down';
      try {
        await stop(victim);
        if (kind !== 1) {
          // A declaration changes while the victim is down. Its records stay in the others' stores and its results
          // are frozen: its offers must be what the new reference gives it (checked), and what it receives is what its
          // frozen acceptance says (an allocation is the recipient's acceptance), i.e. the reference from before.
          const before = reference.allocations;
          since = performance.now();
          text += `; ${await change(pick(running().filter((peer) => peer.index !== victim)).index)}`;
          const offers = (rows: readonly Row[]) => rows.filter((row) => row.provider === victimId && row.quantity > TOLERANCE).map((row) => `${rowKey(row)}=${row.quantity.toFixed(3)}`).join();
          if (offers(before) !== offers(reference.allocations)) text += ` (note: this changes p${victim}'s own offers, which it cannot recompute while down: the wait may time out by design)`;
          const expected = [...reference.allocations.filter((row) => row.recipient !== victimId), ...before.filter((row) => row.recipient === victimId)];
          const down = await recover(since, undefined, expected);
          results[kind]!.down.push(down);
          text += `: the others converged ${ms(down.ms)} after the change (${traffic(down)})`;
        }
        stage = 'after the restart';
        since = performance.now();
        const restarted = await start(victim, storage);
        if (kind === 1) await declare(restarted);
        const rejoin = await recover(since, restarted);
        results[kind]!.rejoin.push(rejoin);
        console.log(`${text}; restarted: all converged ${ms(rejoin.ms)} after the restart, connected to its ring neighbours ${ms(rejoin.linkedMs!)} (${traffic(rejoin)})`);
      } catch (error) {
        results[kind]!.failures++;
        console.log(`${text}: DEFECT ${stage}: ${(error as Error).message}`);
        since = performance.now();
        if (peers[victim] === undefined) {
          const restarted = await start(victim, storage);
          if (kind === 1) await declare(restarted);
        }
        // Let the network recover (bounded) before the next cycle, so that one failure does not cascade unseen.
        await waitConverged(running(), peers, reference.allocations, since).then(
          (time) => console.log(`    then, ${stage === 'after the restart' ? 'waiting once more' : 'restarted'}: all converged ${ms(time)} later`),
          (late: Error) => console.log(`    and still not converged ${ms(WAIT_MS)} later: ${late.message}`),
        );
      }
    }

    console.log(`  SUMMARY ${n} peers:`);
    KINDS.forEach((name, kind) => {
      const { down, rejoin, failures } = results[kind]!;
      const times = (list: readonly Recovery[], of = (r: Recovery) => r.ms) => (list.length === 0 ? '-' : `p50 ${ms(quantile(list.map(of), 0.5))}, max ${ms(Math.max(...list.map(of)))}`);
      const per = (list: readonly Recovery[]) =>
        list.length === 0 ? '' : `; received per peer ${mean(list.map((r) => r.records)).toFixed(1)} rec / ${mean(list.map((r) => r.kib)).toFixed(1)} KiB`;
      const own = rejoin.length === 0 ? '' : `, restarted peer ${mean(rejoin.map((r) => r.restartedRecords!)).toFixed(1)} rec / ${mean(rejoin.map((r) => r.restartedKib!)).toFixed(1)} KiB`;
      console.log(
        `    ${name.padEnd(24)} ${down.length + rejoin.length === 0 && failures === 0 ? 'not run' : `${kind === 1 ? '' : `others after the change ${times(down)}${per(down)} | `}all after the restart ${times(rejoin)} (ring links ${times(rejoin, (r) => r.linkedMs!)})${per(rejoin)}${own}${failures > 0 ? ` | ${failures} FAILED` : ''}`}`,
      );
    });
    console.log(`    memory (after gc${globalThis.gc === undefined ? ': not exposed, run with --expose-gc' : ''}): before the cycles ${memoryBefore}; after them ${memory()}`);
  } catch (error) {
    console.log(`  ${n} peers: ${(error as Error).message}`);
  } finally {
    const stopping = performance.now();
    await Promise.all(running().map((peer) => stop(peer.index).catch((error: Error) => console.log(`  stop p${peer.index}: ${error.message}`))));
    const sum = (key: 'rejected' | 'rateLimited' | 'stale' | 'timedOut' | 'abandoned') => nets.reduce((total, net) => total + net.counters[key], 0);
    console.log(`    over the run (${nets.length} network instances): ${sum('rejected')} records rejected at the network boundary (${sum('rateLimited')} rate-limited), ${sum('stale')} stale dropped, ${sum('timedOut')} sync or lookup exchanges timed out, ${sum('abandoned')} requests closed empty by a stopping peer`);
    const logged = [...warnings].sort((a, b) => b[1] - a[1]);
    console.log(`    warnings logged: ${logged.length === 0 ? 'none' : logged.reduce((total, [, count]) => total + count, 0)}`);
    for (const [message, count] of logged.slice(0, 8)) console.log(`      ${count}x ${message.slice(0, 220)}`);
    console.log(`    stopped all nodes in ${ms(performance.now() - stopping)}; after stopping ${memory()}; size took ${((performance.now() - sizeStarted) / 1000).toFixed(1)} s`);
  }

  /** Stops a peer's engine, then its network (idempotent: engine.stop() stopped it already). */
  async function stop(index: number) {
    const peer = peers[index]!;
    peers[index] = undefined;
    await peer.engine.stop();
    await peer.net.stop();
  }
}

console.log(`node ${process.version}; sizes ${sizes.join(', ')}; ${CYCLES} cycles per size, ${WAIT_MS} ms per wait, seed ${options.seed}`);
for (const n of sizes) await runSize(n);
clearTimeout(watchdog);
