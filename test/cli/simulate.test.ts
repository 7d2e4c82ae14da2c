// Room: test (cli). `mutual simulate` through the built command: the example, JSON on stdout that validates
// against the published schema, invalid scenarios refused with reasons and nothing half-printed.
import { spawn, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { SimulationResult } from '../../src/protocol/schemas.ts';
import { ensureBuilt, repositoryRoot, runMutual } from './helpers.ts';

const example = {
  participants: [
    { id: 'alice', recognition: { bob: 3, carol: 1 }, capacities: [{ id: 'a1', type: 'review', quantity: 10, skills: ['rust'] }], needs: [{ id: 'a2', type: 'pairing', quantity: 4 }] },
    { id: 'bob', recognition: { alice: 1 }, capacities: [{ id: 'b2', type: 'pairing', quantity: 6 }], needs: [{ id: 'b1', type: 'review', quantity: 4, skills: ['rust'] }] },
    { id: 'carol', recognition: { alice: 2 }, capacities: [], needs: [{ id: 'c1', type: 'review', quantity: 10 }], team: 'extra fields are allowed' },
  ],
};

describe('mutual simulate', function () {
  this.timeout(120_000);
  before(ensureBuilt);

  it('prints a converged SimulationResult that the published schema accepts', () => {
    const run = runMutual(['simulate', '-'], { input: JSON.stringify(example) });
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout) as SimulationResult;
    const validate = new Ajv2020({ strict: false }).compile(JSON.parse(readFileSync(join(repositoryRoot, 'schemas/SimulationResult.schema.json'), 'utf8')));
    assert.ok(validate(result), JSON.stringify(validate.errors));
    assert.equal(result.converged, true);
    // alice's 10 review hours: bob (mutual, MR = min(0.75, 1)) is met at 4; carol (mutual, MR = min(0.25, 1)) gets the other 6.
    const flows = Object.fromEntries(result.allocations.map((entry) => [`${entry.provider}>${entry.recipient}`, [entry.quantity, entry.tier]]));
    assert.deepEqual(flows, { 'alice>bob': [4, 'mutual'], 'alice>carol': [6, 'mutual'], 'bob>alice': [4, 'mutual'] });
    assert.deepEqual(result.capacities.find((entry) => entry.capacity === 'b2'), { participant: 'bob', capacity: 'b2', declared: 6, allocated: 4, leftover: 2 });
    assert.equal(result.history.length, result.rounds);
  });

  it('honours --max-rounds and --epsilon', () => {
    const run = runMutual(['simulate', '--max-rounds', '1', '-'], { input: JSON.stringify(example) });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).rounds, 1);
    assert.equal(runMutual(['simulate', '--epsilon', '0.5', '-'], { input: JSON.stringify(example) }).status, 0);
  });

  it('prints tables for people with --format table (the demo team)', () => {
    const run = runMutual(['simulate', '--format', 'table', join(repositoryRoot, 'examples/demo-team.json')]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^converged in \d+ rounds?/);
    assert.match(run.stdout, /ana\/ana-review\s+ben\/ben-review\s+5\s+mutual/);
    assert.match(run.stdout, /Convergence \(per round\):/);
    assert.equal(runMutual(['simulate', '--format', 'xml', '-']).status, 2);
  });

  it('refuses invalid scenarios with reasons on stderr and nothing on stdout', () => {
    const negative = runMutual(['simulate', '-'], { input: JSON.stringify({ participants: [{ id: 'a', needs: [{ id: 'n', type: 'review', quantity: -1 }] }] }) });
    assert.equal(negative.status, 1);
    assert.equal(negative.stdout, '');
    assert.match(negative.stderr, /participants\[0\]\.needs\[0\]\.quantity: must be at least 0/);
    const duplicate = runMutual(['simulate', '-'], { input: JSON.stringify({ participants: [{ id: 'a' }, { id: 'a' }] }) });
    assert.equal(duplicate.status, 1);
    assert.match(duplicate.stderr, /"a" appears more than once/);
    const broken = runMutual(['simulate', '-'], { input: '{"participants": [' });
    assert.equal(broken.status, 1);
    assert.equal(broken.stdout, '');
  });

  it('tables say "1 round" and "(none)" for an empty list, as the allocations did (found by an operator pass)', () => {
    const lonely = { participants: [{ id: 'a', capacities: [{ id: 'c', type: 'review', quantity: 1 }] }] };
    const run = runMutual(['simulate', '--format', 'table', '--max-rounds', '1', '-'], { input: JSON.stringify({ participants: [{ ...lonely.participants[0], recognition: { b: 1 } }, { id: 'b', recognition: { a: 1 }, needs: [{ id: 'n', type: 'review', quantity: 1 }] }] }) });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^NOT converged after 1 round \(/);
    const none = runMutual(['simulate', '--format', 'table', '-'], { input: JSON.stringify(lonely) });
    assert.match(none.stdout, /Needs:\n {2}\(none\)\n/);
    assert.match(none.stdout, /Allocations \(what flows\):\n {2}\(none\)\n/);
  });

  it('exits 2 on usage errors', () => {
    assert.equal(runMutual(['simulate']).status, 2);
    // An option given twice is refused, not read as its last value (found by an operator pass).
    const twice = runMutual(['simulate', '--format', 'table', '--format=json', '-']);
    assert.equal(twice.status, 2);
    assert.match(twice.stderr, /--format is given 2 times \(table, json\): give it once/);
    assert.equal(runMutual(['simulate', '--max-rounds', 'x', '-']).status, 2);
    assert.equal(runMutual(['simulate', '--epsilon', '-1', '-']).status, 2);
  });

  it('refuses --max-rounds with --async (the engines have no round limit) as a usage error', () => {
    const run = runMutual(['simulate', '--async', '--max-rounds', '1', '-'], { input: JSON.stringify(example) });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /--max-rounds goes with the synchronous rounds, not with --async/);
    assert.equal(run.stdout, '');
  });

  it('refuses --async above 300 participants with the reason, at once (it grows with their square; found by a review)', () => {
    const participants = Array.from({ length: 301 }, (_, index) => ({ id: `p${index}`, recognition: { [`p${(index + 1) % 301}`]: 1 } }));
    const run = runMutual(['simulate', '--async', '-'], { input: JSON.stringify({ participants }) });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /301 participants are too many for --async \(at most 300\).*without --async/);
    assert.equal(run.stdout, '');
    // The synchronous rounds take it.
    assert.equal(runMutual(['simulate', '-'], { input: JSON.stringify({ participants }) }).status, 0);
  });

  it('exits 1 for a scenario file it cannot read, naming it', () => {
    const run = runMutual(['simulate', join(repositoryRoot, 'examples', 'no-such-scenario.json')]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /cannot read .*no-such-scenario\.json/);
  });

  describe('standard output that fails', () => {
    // A ring of 3000 participants: about 1.2 MB of JSON, far more than a pipe holds.
    const size = 3000;
    const big = JSON.stringify({ participants: Array.from({ length: size }, (_, index) => ({ id: `p${index}`, recognition: { [`p${(index + 1) % size}`]: 1 }, capacities: [{ id: 'c', type: 'review', quantity: 5 }], needs: [{ id: 'n', type: 'review', quantity: 3 }] })) });
    const simulateBig = (stdout: 'pipe' | number) => spawn(process.execPath, [join(repositoryRoot, 'bin', 'mutual.js'), 'simulate', '-'], { stdio: ['pipe', stdout, 'pipe'] });
    const finish = (child: ChildProcess) => new Promise<{ code: number | null; stderr: string }>((resolve) => {
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.once('close', (code) => resolve({ code, stderr }));
      child.stdin!.end(big);
    });

    it('a reader that stops early (EPIPE, like `| head`) ends it quietly with exit 0', async () => {
      const child = simulateBig('pipe');
      child.stdout!.once('data', () => child.stdout!.destroy());
      const { code, stderr } = await finish(child);
      assert.equal(stderr, '');
      assert.equal(code, 0);
    });

    it('a full disk (ENOSPC, /dev/full) gives one line on stderr and exit 1', async () => {
      const full = openSync('/dev/full', 'w');
      try {
        const { code, stderr } = await finish(simulateBig(full));
        assert.equal(code, 1);
        assert.equal(stderr, 'mutual: cannot write to standard output: ENOSPC: no space left on device, write\n');
      } finally {
        closeSync(full);
      }
    });
  });
});
