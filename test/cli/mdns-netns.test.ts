// Room: test (cli). mDNS discovery, the product default on a LAN, tested where multicast cannot leave the test: two
// `mutual peer` processes in two network namespaces this test creates, joined by a veth pair (10.231.0.1/24 and
// .2/24), with mDNS on and no bootstrap list. They must find each other, exchange their declarations and converge.
// Needs Linux and root (ip netns); elsewhere it is skipped with the reason. Every wait is bounded; the namespaces
// are removed afterwards.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureBuilt, repositoryRoot, runMutual, stopChild, useTempDir } from './helpers.ts';

interface Status { peers: string[]; allocations: { provider: string; recipient: string; quantity: number }[] }

const suffix = String(process.pid % 100_000);
const namespaces = [`mutual-${suffix}-a`, `mutual-${suffix}-b`] as const;
const interfaces = [`mva${suffix}`, `mvb${suffix}`] as const;
const addresses = ['10.231.0.1', '10.231.0.2'] as const;

function ip(args: readonly string[]): void {
  const run = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (run.status !== 0) throw new Error(`ip ${args.join(' ')}: ${run.stderr || run.error?.message}`);
}

function cannotRun(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'creating network namespaces needs root';
  if (spawnSync('ip', ['-V']).status !== 0) return 'the ip command (iproute2) is missing';
  return undefined;
}

describe('mutual peer: mDNS discovery inside network namespaces', function () {
  this.timeout(120_000);
  const children: ChildProcess[] = [];

  before(function () {
    const reason = cannotRun();
    if (reason !== undefined) {
      console.log(`      skipped: ${reason}`);
      this.skip();
    }
    ensureBuilt();
    for (const name of namespaces) spawnSync('ip', ['netns', 'del', name]);
    for (const name of namespaces) ip(['netns', 'add', name]);
    ip(['link', 'add', interfaces[0], 'type', 'veth', 'peer', 'name', interfaces[1]]);
    for (const side of [0, 1] as const) {
      ip(['link', 'set', interfaces[side], 'netns', namespaces[side]]);
      ip(['-n', namespaces[side], 'addr', 'add', `${addresses[side]}/24`, 'dev', interfaces[side]]);
      ip(['-n', namespaces[side], 'link', 'set', interfaces[side], 'up']);
      ip(['-n', namespaces[side], 'link', 'set', 'lo', 'up']);
      // mDNS sends to 224.0.0.251: route multicast over the veth (there is no default route in here).
      ip(['-n', namespaces[side], 'route', 'add', '224.0.0.0/4', 'dev', interfaces[side]]);
    }
  });

  after(async function () {
    await Promise.all(children.map(stopChild));
    if (cannotRun() === undefined) for (const name of namespaces) spawnSync('ip', ['netns', 'del', name]);
  });
  // After the hooks above: made only when the test can run (a skip stops the remaining before hooks), removed after the peers stopped.
  const dir = useTempDir('mutual-mdns-', 'all');

  it('two peers with mDNS on and no bootstrap find each other and converge', async () => {
    const ids = [0, 1].map((side) => {
      const run = runMutual(['keygen', '--data-dir', join(dir.path, `p${side}`)]);
      assert.equal(run.status, 0, run.stderr);
      return run.stdout.trim();
    });
    const profiles = [
      { id: ids[0], displayName: 'Ada', recognition: { [ids[1]!]: 1 }, capacities: [{ id: 'review', type: 'review', quantity: 4 }], needs: [{ id: 'pairing', type: 'pairing', quantity: 3 }] },
      { id: ids[1], displayName: 'Bo', recognition: { [ids[0]!]: 1 }, capacities: [{ id: 'pairing', type: 'pairing', quantity: 5 }], needs: [{ id: 'review', type: 'review', quantity: 2 }] },
    ];
    const logs = ['', ''];
    for (const side of [0, 1] as const) {
      await writeFile(join(dir.path, `profile${side}.json`), JSON.stringify(profiles[side]));
      const child = spawn(
        'ip',
        ['netns', 'exec', namespaces[side], process.execPath, join(repositoryRoot, 'bin', 'mutual.js'), 'peer', '--data-dir', join(dir.path, `p${side}`), '--network', 'mdns-test', '--listen', `/ip4/${addresses[side]}/tcp/0`, '--profile', join(dir.path, `profile${side}.json`)],
        { cwd: repositoryRoot, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => (logs[side] = (logs[side] + chunk).slice(-3000)));
      children.push(child);
    }
    // Ada gives Bo what Bo needs (2 of 4 review), Bo gives Ada what Ada needs (3 of 5 pairing).
    const expected = [
      { provider: ids[0], recipient: ids[1], quantity: 2 },
      { provider: ids[1], recipient: ids[0], quantity: 3 },
    ];
    const deadline = Date.now() + 60_000;
    let statuses: (Status | undefined)[] = [];
    for (;;) {
      statuses = await Promise.all([0, 1].map((side) => readFile(join(dir.path, `p${side}`, 'status.json'), 'utf8').then((text) => JSON.parse(text) as Status, () => undefined)));
      const done = statuses.every(
        (status, side) =>
          status !== undefined &&
          status.peers.includes(ids[1 - side]!) &&
          expected.every((flow) => status.allocations.some((row) => row.provider === flow.provider && row.recipient === flow.recipient && Math.abs(row.quantity - flow.quantity) < 1e-6)),
      );
      if (done) break;
      if (Date.now() > deadline) assert.fail(`no convergence over mDNS within 60 s\nstatuses: ${JSON.stringify(statuses)}\nlogs:\n${logs.join('\n---\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    // Neither was told about the other: discovery was mDNS's doing.
    assert.ok(statuses[0]!.peers.includes(ids[1]!) && statuses[1]!.peers.includes(ids[0]!));
  });
});
