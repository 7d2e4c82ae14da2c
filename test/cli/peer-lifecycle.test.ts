// Room: test (cli). The life of one `mutual peer` process on loopback (mDNS off): one peer per data dir (peer.lock),
// liveness in status.json, signals, and the errors a peer refuses to start with, each naming the file at fault. Every
// wait is bounded and every peer is stopped.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, truncate, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startHeadlessPeer } from '../../scripts/peer-process.ts';
import { ensureBuilt, repositoryRoot, runMutual, stopChild, useTempDir, waitFor } from './helpers.ts';

const NETWORK = 'lifecycle-test';
const LOOPBACK = ['--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0'];

interface Status { peerId: string; running: boolean; pid: number; updatedAt: string; addresses: string[] }

async function readStatus(dataDir: string): Promise<Status | undefined> {
  try {
    return JSON.parse(await readFile(join(dataDir, 'status.json'), 'utf8')) as Status;
  } catch {
    return undefined;
  }
}

/** Resolves with how the child exited. */
function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** The pid of a process that has exited (so no live process has it, barring reuse). */
function deadPid(): number {
  const run = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(run.stdout);
}

describe('mutual peer: one process over its life (loopback)', function () {
  this.timeout(120_000);
  const children: ChildProcess[] = [];

  before(() => ensureBuilt());
  // Registered first, so the peers are stopped before their directory is removed.
  afterEach(async () => {
    await Promise.all(children.map(stopChild));
    children.length = 0;
  });
  const dir = useTempDir('mutual-lifecycle-');

  const start = (dataDir: string, args: readonly string[] = []) => startHeadlessPeer(dataDir, NETWORK, args, (child) => children.push(child));

  it('a second peer on the same data dir exits 1 naming the pid in use; a clean stop removes the lock; a stale lock is taken over', async () => {
    const dataDir = join(dir.path, 'd');
    await start(dataDir);
    const first = children[0]!;
    const second = runMutual(['peer', '--data-dir', dataDir, '--network', NETWORK, ...LOOPBACK], { timeoutMs: 30_000 });
    assert.equal(second.status, 1, second.stderr);
    assert.match(second.stderr, new RegExp(`data dir ${dataDir} is in use by pid ${first.pid}`));
    const lockOwner = async () => (await readFile(join(dataDir, 'peer.lock'), 'utf8')).trim();
    assert.equal(await lockOwner(), String(first.pid));
    await stopChild(first);
    assert.deepEqual(await exited(first), { code: 0, signal: null });
    assert.equal(existsSync(join(dataDir, 'peer.lock')), false, 'the lock is removed on a clean shutdown');

    // The lock of a peer killed with SIGKILL (its owner file says which process it was) is taken over at once.
    await start(dataDir);
    const killed = children[1]!;
    await waitFor(async () => (existsSync(join(dataDir, 'peer.lock.owner')) ? true : undefined), 'the owner file', 10_000);
    killed.kill('SIGKILL');
    await exited(killed);
    await start(dataDir);
    assert.equal(await lockOwner(), String(children[2]!.pid));
    await stopChild(children[2]!);

    // A lock of an earlier version (the pid alone) whose pid is gone and whose mtime is old is taken over too.
    await writeFile(join(dataDir, 'peer.lock'), `${deadPid()}\n`);
    await utimes(join(dataDir, 'peer.lock'), new Date('2001-01-01T00:00:00Z'), new Date('2001-01-01T00:00:00Z'));
    await start(dataDir);
    assert.equal(await lockOwner(), String(children[3]!.pid));
  });

  it('a peer whose lock another process took over (its lease ran out) stops with exit 1 and leaves the lock and status.json alone (found by an operator pass)', async () => {
    const dataDir = join(dir.path, 'lost');
    await start(dataDir);
    const peer = children[0]!;
    await waitFor(() => readStatus(dataDir), 'status.json', 10_000);
    // Another process's lock in its place, as one started in another container takes a lock whose lease ran out.
    await rm(join(dataDir, 'peer.lock'));
    await writeFile(join(dataDir, 'peer.lock'), '4242\n');
    // The new owner's cache, which the peer that lost the lock rewrote as it stopped (found by a review).
    const cache = join(dataDir, 'store', NETWORK);
    const records = (await readdir(cache)).filter((name) => name.startsWith('records.'));
    assert.ok(records.length > 0, 'the peer keeps a cache');
    for (const name of records) await writeFile(join(cache, name), '{"theNewOwner":true}');
    // Noticed at its next lease refresh (every 5 s).
    const exit = await Promise.race([exited(peer), new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 15_000))]);
    assert.deepEqual(exit, { code: 1, signal: null });
    const log = await readFile(join(dataDir, 'peer.log'), 'utf8');
    assert.match(log, /peer\.lock is now held by pid 4242 .*stopping, so that one peer runs/);
    assert.equal((await readFile(join(dataDir, 'peer.lock'), 'utf8')).trim(), '4242', 'the other lock stays');
    const after = JSON.parse(await readFile(join(dataDir, 'status.json'), 'utf8')) as Status;
    assert.equal(after.running, true, 'status.json is not rewritten by the peer that lost the lock (it would say stopped)');
    for (const name of records) assert.equal(await readFile(join(cache, name), 'utf8'), '{"theNewOwner":true}', `${name} is left to the new owner`);
  });

  it('status.json carries pid and updatedAt, refreshed while nothing changes; `mutual status` tells running, stopped and killed apart', async () => {
    const dataDir = join(dir.path, 'd');
    await start(dataDir);
    const peer = children[0]!;
    const firstSeen = await waitFor(readStatus.bind(null, dataDir), 'status.json', 30_000);
    // Rewritten although nothing changed: updatedAt moves on (bounded wait, well above the 5 s refresh).
    await waitFor(async () => ((await readStatus(dataDir))?.updatedAt ?? firstSeen.updatedAt) > firstSeen.updatedAt || undefined, 'a newer updatedAt', 20_000);
    const running = runMutual(['status', '--data-dir', dataDir]);
    assert.equal(running.status, 0, running.stderr);
    const shown = JSON.parse(running.stdout) as Status;
    assert.equal(shown.running, true);
    assert.equal(shown.pid, peer.pid);

    await stopChild(peer);
    const stopped = runMutual(['status', '--data-dir', dataDir]);
    assert.equal(stopped.status, 3);
    assert.equal((JSON.parse(stopped.stdout) as Status).running, false);
    assert.deepEqual((JSON.parse(stopped.stdout) as Status).addresses, []);
    assert.match(stopped.stderr, /the peer is not running \(it stopped cleanly; last update /);

    // Killed: status.json still says running, but its pid is gone.
    await start(dataDir);
    const victim = children[1]!;
    await waitFor(async () => {
      const status = await readStatus(dataDir);
      return status !== undefined && status.pid === victim.pid && status.running ? status : undefined;
    }, "the restarted peer's status", 30_000);
    victim.kill('SIGKILL');
    await exited(victim);
    const killed = runMutual(['status', '--data-dir', dataDir]);
    assert.equal(killed.status, 3);
    assert.equal((JSON.parse(killed.stdout) as Status).running, false);
    assert.match(killed.stderr, new RegExp(`not running \\(pid ${victim.pid} is gone; last update `));
  });

  it('a SIGTERM while it waits for the lock (another process replacing a stale one) ends the wait: exit 0, nothing taken (found by a review)', async function () {
    const { readlink } = await import('node:fs/promises');
    const namespace = await readlink('/proc/self/ns/pid').catch(() => undefined);
    if (namespace === undefined) this.skip(); // not Linux: takeover files are judged by age alone
    const dataDir = join(dir.path, 'waiting');
    await mkdir(dataDir, { recursive: true });
    // A stale lock, and a takeover file naming a running process (a sleep of ours): a starter waits for it.
    const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(holder);
    const stat = await readFile(`/proc/${holder.pid}/stat`, 'utf8');
    const startTicks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    const boot = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
    await writeFile(join(dataDir, 'peer.lock'), '999999999\n');
    const old = new Date(Date.now() - 120_000);
    await utimes(join(dataDir, 'peer.lock'), old, old);
    await writeFile(join(dataDir, 'peer.lock.takeover'), `${holder.pid}\n${namespace}\n${boot}\n${startTicks}\nnonce\n`);
    const child = spawn(process.execPath, [join(repositoryRoot, 'bin', 'mutual.js'), 'peer', '--data-dir', dataDir, '--network', NETWORK, ...LOOPBACK], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(child.exitCode, null, `still waiting: ${stderr}`);
    child.kill('SIGTERM');
    const exit = await exited(child);
    // Before, it went on waiting until its 15 s deadline and then exited 1 ("other processes kept changing it").
    assert.deepEqual(exit, { code: 0, signal: null }, stderr);
    assert.match(stderr, /SIGTERM: shutting down\n.*stopped before it started \(waiting for the lock\)/);
    assert.equal((await readFile(join(dataDir, 'peer.lock'), 'utf8')).trim(), '999999999', 'the stale lock is left to the takeover');
  });

  it('a SIGTERM while it reads its profile from a pipe still open ends cleanly: exit 0, lock removed (found by an operator pass)', async () => {
    const dataDir = join(dir.path, 'piped');
    const child = spawn(process.execPath, [join(repositoryRoot, 'bin', 'mutual.js'), 'peer', '--data-dir', dataDir, '--network', NETWORK, ...LOOPBACK, '--profile', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // The lock is held while the profile is awaited (the pipe stays open: nothing is written to it).
    await waitFor(async () => (existsSync(join(dataDir, 'peer.lock')) ? true : undefined), 'the lock', 30_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.kill('SIGTERM');
    const exit = await exited(child);
    assert.deepEqual(exit, { code: 0, signal: null }, stderr);
    assert.match(stderr, /SIGTERM: shutting down\n.*stopped before it started/);
    assert.equal(existsSync(join(dataDir, 'peer.lock')), false, 'the lock is removed');
  });

  it('a second SIGTERM right after the first (as `timeout` sends) still ends in a clean shutdown, exit 0', async () => {
    await start(join(dir.path, 'd'));
    const peer = children[0]!;
    const exit = exited(peer);
    peer.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));
    peer.kill('SIGTERM');
    assert.deepEqual(await exit, { code: 0, signal: null });
  });

  it('keeps running when the reader of its output goes away (`mutual peer … | head -1`), and stops cleanly on SIGTERM (found by an operator pass)', async () => {
    const dataDir = join(dir.path, 'd');
    const child = spawn(process.execPath, [join(repositoryRoot, 'bin', 'mutual.js'), 'peer', '--data-dir', dataDir, '--network', NETWORK, ...LOOPBACK], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    child.stdout!.destroy();
    child.stderr!.destroy();
    // Output goes on (status lines, connections): every write now fails with EPIPE.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    assert.equal(child.exitCode, null, 'still running');
    const exit = exited(child);
    child.kill('SIGTERM');
    assert.deepEqual(await exit, { code: 0, signal: null });
    assert.equal(existsSync(join(dataDir, 'peer.lock')), false);
  });

  it('the log says who connects, and when the peer converged with what came out; a port in use is named with what to do, and status says the peer failed (found by an operator pass)', async () => {
    const first = await start(join(dir.path, 'a'));
    const second = join(dir.path, 'b');
    await start(second, ['--bootstrap', first]);
    const log = await waitFor(async () => {
      const text = await readFile(join(second, 'peer.log'), 'utf8').catch(() => '');
      return /converged in round \d+ with 1 peer connected: nothing declared here/.test(text) ? text : undefined;
    }, 'the convergence line', 30_000);
    assert.match(log, new RegExp(`connected to ${first.split('/p2p/')[1]!} \\(1 peer connected\\)`));
    const taken = first.split('/p2p/')[0]!;
    const clash = runMutual(['peer', '--data-dir', join(dir.path, 'c'), '--network', NETWORK, '--no-mdns', '--listen', taken], { timeoutMs: 30_000 });
    assert.equal(clash.status, 1);
    assert.match(clash.stderr, new RegExp(`peer failed: cannot listen on ${taken}: address already in use .*choose another port`));
    assert.doesNotMatch(clash.stderr, /faultTolerance|\n\s+at /, 'no libp2p option or stack trace');
    const status = runMutual(['status', '--data-dir', join(dir.path, 'c')]);
    assert.equal(status.status, 3);
    assert.match(status.stderr, /not running \(it failed: cannot listen on /);
  });

  it('the last convergence line in the log says what came out last: a provider that converged alone and then gave to a teammate says so (found by an operator pass)', async () => {
    const keygenIn = (dataDir: string) => runMutual(['keygen', '--data-dir', dataDir]).stdout.trim();
    const [providerDir, recipientDir] = [join(dir.path, 'x'), join(dir.path, 'y')];
    const [provider, recipient] = [keygenIn(providerDir), keygenIn(recipientDir)];
    await writeFile(join(dir.path, 'x.json'), JSON.stringify({ id: provider, recognition: { [recipient]: 1 }, capacities: [{ id: 'x-cap', type: 'review', quantity: 4 }], needs: [] }));
    await writeFile(join(dir.path, 'y.json'), JSON.stringify({ id: recipient, recognition: { [provider]: 1 }, capacities: [], needs: [{ id: 'y-need', type: 'review', quantity: 3 }] }));
    const hub = await start(providerDir, ['--profile', join(dir.path, 'x.json')]);
    await waitFor(async () => (/converged in round \d+ with 0 peers connected: capacity x-cap 0\/4; 0 flows/.test(await readFile(join(providerDir, 'peer.log'), 'utf8').catch(() => '')) ? true : undefined), 'the provider converged alone', 30_000);
    await start(recipientDir, ['--bootstrap', hub, '--profile', join(dir.path, 'y.json')]);
    await waitFor(async () => ((await readStatus(providerDir)) as unknown as { converged: boolean; capacities: { allocated: number }[] } | undefined)?.capacities?.[0]?.allocated === 3 || undefined, 'the flow in status.json', 30_000);
    const lastLine = await waitFor(async () => {
      const lines = (await readFile(join(providerDir, 'peer.log'), 'utf8')).split('\n').filter((line) => /converged in round|converging \(/.test(line));
      const last = lines.at(-1) ?? '';
      return /capacity x-cap 3\/4; 1 flows/.test(last) ? last : undefined;
    }, 'the last convergence line to give 3 of 4', 30_000);
    assert.match(lastLine, /converged in round \d+ with 1 peer connected/);
  });

  it('--max-connections-per-host: a hub keeps that many inbound connections from one address and says it refused more; a bad value is a usage error', async () => {
    const hubDir = join(dir.path, 'hub');
    const hub = await start(hubDir, ['--max-connections-per-host', '1']);
    await start(join(dir.path, 'a'), ['--bootstrap', hub]);
    await waitFor(async () => (/\(1 peer connected\)/.test(await readFile(join(hubDir, 'peer.log'), 'utf8').catch(() => '')) ? true : undefined), 'the first peer connected', 30_000);
    await start(join(dir.path, 'b'), ['--bootstrap', hub]);
    const log = await waitFor(async () => {
      const text = await readFile(join(hubDir, 'peer.log'), 'utf8').catch(() => '');
      return text.includes('refused inbound connections from 127.0.0.1: 1 are open from that address (at most 1') ? text : undefined;
    }, 'the refusal in the hub\'s log', 30_000);
    assert.doesNotMatch(log, /2 peers connected/);
    for (const value of ['0', '1.5', 'many', '-3']) {
      const run = runMutual(['peer', '--data-dir', join(dir.path, 'usage'), '--network', NETWORK, ...LOOPBACK, `--max-connections-per-host=${value}`]);
      assert.equal(run.status, 2, value);
      assert.match(run.stderr, new RegExp(`--max-connections-per-host ${value.replace('.', '\\.')}: a whole number of at least 1`));
    }
    assert.equal(existsSync(join(dir.path, 'usage')), false);
  });

  it('a status.json it cannot write is logged once when it starts failing and once when it works again (found by an operator pass)', async () => {
    const dataDir = join(dir.path, 'd');
    await start(dataDir);
    const statusPath = join(dataDir, 'status.json');
    await waitFor(async () => (existsSync(statusPath) ? true : undefined), 'status.json', 30_000);
    // A directory in its place: every write fails, as in a data dir made read-only (which root could still write).
    await rm(statusPath);
    await mkdir(statusPath);
    // Rewritten at least every 5 s: wait for the first failure, then for two more seconds of attempts.
    await waitFor(async () => ((await readFile(join(dataDir, 'peer.log'), 'utf8')).includes('cannot write status') ? true : undefined), 'the failure line', 15_000);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await rm(statusPath, { recursive: true });
    const log = await waitFor(async () => {
      const text = await readFile(join(dataDir, 'peer.log'), 'utf8');
      return text.includes('status.json is written again') ? text : undefined;
    }, 'the recovery line', 15_000);
    assert.equal(log.match(/cannot write status/g)?.length, 1, log);
  });

  it('a relay-only peer says it listens only through a relay', async () => {
    const child = spawn(process.execPath, [join(repositoryRoot, 'bin', 'mutual.js'), 'peer', '--data-dir', join(dir.path, 'd'), '--network', NETWORK, '--no-mdns', '--listen', '/p2p-circuit'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let output = '';
    let log = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
    await waitFor(async () => (/^listening/m.test(output) || child.exitCode !== null ? true : undefined), 'the listening line', 30_000);
    assert.match(output, /^listening only through a relay \(no direct addresses yet\)$/m);
    // No --bootstrap and no mDNS: no relay to be found, said at start (found by an operator pass).
    assert.match(log, /warn listening only through a relay, but with no --bootstrap and no mDNS this peer finds no relay/);
  });

  it('an identity.key others can read is used, with a warning that says what to do (found by an operator pass)', async () => {
    const dataDir = join(dir.path, 'open');
    runMutual(['keygen', '--data-dir', dataDir]);
    const { chmod } = await import('node:fs/promises');
    await chmod(join(dataDir, 'identity.key'), 0o644);
    await start(dataDir);
    const log = await readFile(join(dataDir, 'peer.log'), 'utf8');
    assert.match(log, new RegExp(`warn ${join(dataDir, 'identity.key')} can be read by others \\(mode 0644\\): whoever reads it can publish as this peer; \`chmod 600\` it`));
    const quiet = join(dir.path, 'closed');
    runMutual(['keygen', '--data-dir', quiet]);
    await start(quiet);
    assert.doesNotMatch(await readFile(join(quiet, 'peer.log'), 'utf8'), /can be read by others/);
  });
});

describe('mutual peer: what it refuses to start with', function () {
  this.timeout(120_000);
  before(() => ensureBuilt());
  const dir = useTempDir('mutual-refuse-');

  /** Runs a peer that is expected to exit by itself; bounded, and listening on loopback only if it gets that far. */
  const peer = (dataDir: string, args: readonly string[] = []) => runMutual(['peer', '--data-dir', dataDir, '--network', NETWORK, ...LOOPBACK, ...args], { timeoutMs: 30_000 });
  const keygen = (dataDir: string) => {
    const run = runMutual(['keygen', '--data-dir', dataDir]);
    assert.equal(run.status, 0, run.stderr);
    return run.stdout.trim();
  };
  /** A data dir with an identity and declarations saved by an earlier start, which a refused profile must leave alone. */
  const identityWithSavedDeclarations = async (dataDir: string) => {
    const id = keygen(dataDir);
    const saved = { state: { displayName: 'me', capacities: [{ id: 'c', type: 'review', quantity: 2, skills: [] }], needs: [] }, recognition: {} };
    await writeFile(join(dataDir, 'declarations.json'), JSON.stringify(saved));
    return { id, saved };
  };

  it('a profile that uses a slot id twice, as simulate does', async () => {
    const id = keygen(join(dir.path, 'd'));
    const profile = join(dir.path, 'profile.json');
    await writeFile(profile, JSON.stringify({ id, recognition: {}, capacities: [{ id: 'c', type: 'review', quantity: 1 }], needs: [{ id: 'c', type: 'review', quantity: 1 }] }));
    const run = peer(join(dir.path, 'd'), ['--profile', profile]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, new RegExp(`${profile}: invalid profile\\n  needs\\[0\\]\\.id: "c" is used twice by ${id}`));
  });

  it('a profile with a member it does not know, or recognition keyed by names, and the saved declarations stay (found by an operator pass)', async () => {
    const dataDir = join(dir.path, 'd');
    const { id, saved } = await identityWithSavedDeclarations(dataDir);
    const profile = join(dir.path, 'profile.json');
    await writeFile(profile, JSON.stringify({ id, capacites: [{ id: 'c', type: 'review', quantity: 4 }], recognition: { ben: 3 } }));
    const run = peer(dataDir, ['--profile', profile]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, new RegExp(`${profile}: invalid profile\\n  "capacites" is not a member of a profile \\(it has id, displayName, recognition, capacities, needs\\)\\n  recognition\\."ben": not a peer id`));
    assert.deepEqual(JSON.parse(await readFile(join(dataDir, 'declarations.json'), 'utf8')), saved);
    // status says this start failed, and why (it said the previous run had stopped cleanly; found by an operator pass).
    const status = runMutual(['status', '--data-dir', dataDir]);
    assert.equal(status.status, 3);
    assert.match(status.stderr, new RegExp(`not running \\(it failed: ${profile}: invalid profile\\n  "capacites" is not a member`));
    assert.equal((JSON.parse(status.stdout) as { peerId: string }).peerId, id);
    // A fresh data dir gets no identity for a profile refused by its shape.
    const fresh = join(dir.path, 'fresh');
    const refused = peer(fresh, ['--profile', profile]);
    assert.equal(refused.status, 1);
    assert.equal(existsSync(join(fresh, 'identity.key')), false);
  });

  it('a profile that declares nothing (only an id) leaves the saved declarations alone; empty lists withdraw them (found by an operator pass)', async () => {
    const dataDir = join(dir.path, 'd');
    const { id, saved } = await identityWithSavedDeclarations(dataDir);
    const profile = join(dir.path, 'profile.json');
    await writeFile(profile, JSON.stringify({ id, displayName: 'me' }));
    const run = peer(dataDir, ['--profile', profile]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, new RegExp(`${profile}: invalid profile\\n  declares nothing: it names none of capacities, needs, recognition \\(to withdraw every declaration, give them as empty`));
    assert.deepEqual(JSON.parse(await readFile(join(dataDir, 'declarations.json'), 'utf8')), saved);
    // Named empty, the lists withdraw the declarations, as they always did: the check is on the profile, not the peer.
    await writeFile(profile, JSON.stringify({ id, capacities: [] }));
    const children: ChildProcess[] = [];
    try {
      await startHeadlessPeer(dataDir, NETWORK, ['--profile', profile], (child) => children.push(child));
    } finally {
      await Promise.all(children.map(stopChild));
    }
    assert.deepEqual(JSON.parse(await readFile(join(dataDir, 'declarations.json'), 'utf8')), { state: { displayName: id, capacities: [], needs: [] }, recognition: {} });
  });

  it('a profile larger than 16 MiB without reading it (a sparse 3 GiB file), a directory and an empty file, each by name', async () => {
    keygen(join(dir.path, 'd'));
    const huge = join(dir.path, 'huge.json');
    await writeFile(huge, '');
    await truncate(huge, 3 * 1024 ** 3);
    const large = peer(join(dir.path, 'd'), ['--profile', huge]);
    assert.equal(large.status, 1);
    assert.match(large.stderr, new RegExp(`${huge}: .*larger than ${16 * 1024 * 1024}`));
    const directory = peer(join(dir.path, 'd'), ['--profile', dir.path]);
    assert.equal(directory.status, 1);
    assert.match(directory.stderr, new RegExp(`${dir.path}: .*is not a file`));
    const empty = join(dir.path, 'empty.json');
    await writeFile(empty, '');
    const blank = peer(join(dir.path, 'd'), ['--profile', empty]);
    assert.equal(blank.status, 1);
    assert.match(blank.stderr, new RegExp(`${empty}: .*not valid JSON`));
  });

  it('a damaged declarations.json, store file or identity.key, each by name', async () => {
    const dataDir = join(dir.path, 'd');
    keygen(dataDir);
    await writeFile(join(dataDir, 'declarations.json'), '{"state":');
    const declarations = peer(dataDir);
    assert.equal(declarations.status, 1);
    assert.match(declarations.stderr, new RegExp(`${join(dataDir, 'declarations.json')}: .*not valid JSON`));
    await rm(join(dataDir, 'declarations.json'));
    await mkdir(join(dataDir, 'store'));
    await writeFile(join(dataDir, 'store', 'records.state.json'), '[{"version":');
    const store = peer(dataDir);
    assert.equal(store.status, 1);
    assert.match(store.stderr, new RegExp(`${join(dataDir, 'store', 'records.state.json')}: .*not valid JSON.*\\(a damaged cache file: move it away and start again`));
    await writeFile(join(dataDir, 'identity.key'), '');
    const identity = peer(dataDir);
    assert.equal(identity.status, 1);
    assert.match(identity.stderr, new RegExp(`${join(dataDir, 'identity.key')} is not a valid identity key`));
    const status = runMutual(['status', '--data-dir', dataDir]);
    assert.equal(status.status, 3);
    assert.match(status.stderr, new RegExp(`it failed: ${join(dataDir, 'identity.key')} is not a valid identity key`));
  });

  it('a profile too large to publish is refused by name, and the saved declarations stay (found by an operator pass)', async () => {
    const dataDir = join(dir.path, 'd');
    const { id, saved } = await identityWithSavedDeclarations(dataDir);
    const profile = join(dir.path, 'huge-profile.json');
    await writeFile(profile, JSON.stringify({ id, capacities: Array.from({ length: 60 }, (_, index) => ({ id: `c${index}`, type: 'review', quantity: 1, description: 'x'.repeat(2000) })), needs: [], recognition: {} }));
    const run = peer(dataDir, ['--profile', profile]);
    assert.equal(run.status, 1);
    assert.match(run.stderr + run.stdout, new RegExp(`${profile}: its state would need a record of \\d+ bytes with a full causal clock \\(256 teammates\\), more than the 65536 one record may hold: remove or shorten some capacities and needs`));
    assert.deepEqual(JSON.parse(await readFile(join(dataDir, 'declarations.json'), 'utf8')), saved);
    // Refused before going online: it printed its addresses, as if it had started, and published the saved declarations
    // first (found by an operator pass).
    assert.equal(run.stdout, '');
    const status = JSON.parse(await readFile(join(dataDir, 'status.json'), 'utf8')) as { failed: string; counters: { published: number } };
    assert.match(status.failed, /its state would need a record/);
    assert.equal(status.counters.published, 0);
  });

  it('a data dir a peer used but whose identity.key is gone is refused, not given a new identity (found by an operator pass)', async () => {
    const dataDir = join(dir.path, 'd');
    const id = keygen(dataDir);
    await writeFile(join(dataDir, 'declarations.json'), JSON.stringify({ state: { displayName: 'me', capacities: [], needs: [] }, recognition: {} }));
    await writeFile(join(dataDir, 'status.json'), JSON.stringify({ peerId: id }));
    await rm(join(dataDir, 'identity.key'));
    const run = peer(dataDir);
    assert.equal(run.status, 1);
    assert.match(run.stderr, new RegExp(`${join(dataDir, 'identity.key')} is missing, but a peer used this data dir \\(it ran as ${id}\\): it holds declarations.json, status.json\\. Restore identity.key, or run \`mutual keygen`));
    assert.equal(existsSync(join(dataDir, 'identity.key')), false);
    // The refused start is in status.json, which still names the identity to restore (found by a review).
    const again = peer(dataDir);
    assert.match(again.stderr, new RegExp(`\\(it ran as ${id}\\)`));
    assert.equal((JSON.parse(await readFile(join(dataDir, 'status.json'), 'utf8')) as { peerId: string }).peerId, id);
  });

  it('--listen or --bootstrap that is not a usable multiaddr: usage error (exit 2) before a fresh data dir gets an identity', () => {
    const dataDir = join(dir.path, 'fresh');
    const listen = runMutual(['peer', '--data-dir', dataDir, '--network', NETWORK, '--no-mdns', '--listen', 'garbage']);
    assert.equal(listen.status, 2);
    assert.match(listen.stderr, /--listen 'garbage' is not a multiaddr/);
    const bootstrap = runMutual(['peer', '--data-dir', dataDir, '--network', NETWORK, ...LOOPBACK, '--bootstrap', 'garbage'], { timeoutMs: 30_000 });
    assert.equal(bootstrap.status, 2);
    assert.match(bootstrap.stderr, /--bootstrap 'garbage' is not a multiaddr/);
    const noPeerId = runMutual(['peer', '--data-dir', dataDir, '--network', NETWORK, ...LOOPBACK, '--bootstrap', '/ip4/127.0.0.1/tcp/4001'], { timeoutMs: 30_000 });
    assert.equal(noPeerId.status, 2);
    assert.match(noPeerId.stderr, /must end with \/p2p\/<peer id>/);
    // A multiaddr none of the node's transports (tcp, websockets, circuit relay) can listen on.
    const quic = runMutual(['peer', '--data-dir', dataDir, '--network', NETWORK, '--no-mdns', '--listen', '/ip4/127.0.0.1/udp/0/quic-v1']);
    assert.equal(quic.status, 2);
    assert.match(quic.stderr, /--listen '\/ip4\/127\.0\.0\.1\/udp\/0\/quic-v1' is not an address Mutual can listen on/);
    // The same address twice failed as if another process held the port; an empty or repeated --network ran on
    // whichever came last, or said it in the schema library's words (found by an operator pass).
    const twice = runMutual(['peer', '--data-dir', dataDir, '--network', NETWORK, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/4799', '--listen', '/ip4/127.0.0.1/tcp/4799']);
    assert.equal(twice.status, 2);
    assert.match(twice.stderr, /--listen \/ip4\/127\.0\.0\.1\/tcp\/4799 is given twice/);
    const networks = runMutual(['peer', '--data-dir', dataDir, '--network', NETWORK, '--network', 'other', ...LOOPBACK]);
    assert.equal(networks.status, 2);
    assert.match(networks.stderr, new RegExp(`--network is given 2 times \\(${NETWORK}, other\\): give it once`));
    const empty = runMutual(['peer', '--data-dir', dataDir, '--network', '', ...LOOPBACK]);
    assert.equal(empty.status, 2);
    assert.match(empty.stderr, /--network is empty \(the team's network name/);
    assert.equal(existsSync(dataDir), false);
  });

  it('asked twice for the help, or for the help beside a repeated option, prints it; a flag said twice is no error (found by a review)', () => {
    for (const args of [['peer', '--help', '--help'], ['peer', '-h', '--help', '--network', 'a', '--network', 'b'], ['keygen', '-h', '-h'], ['simulate', '--help', '--help']]) {
      const run = runMutual(args);
      assert.equal(run.status, 0, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stdout, /^usage: mutual /, args.join(' '));
    }
    const flags = runMutual(['peer', '--data-dir', join(dir.path, 'f'), '--network', NETWORK, '--no-mdns', '--no-mdns', '--listen', 'garbage']);
    assert.equal(flags.status, 2);
    assert.match(flags.stderr, /--listen 'garbage' is not a multiaddr/, 'the repeated flag passed; the next problem is named');
  });

  it('`mutual help peer` prints the peer command\'s help', () => {
    const run = runMutual(['help', 'peer']);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^usage: mutual peer --data-dir DIR/);
  });
});
