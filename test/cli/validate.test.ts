// Room: test (cli). `mutual validate` through the built command: exit codes, plain-word errors, stdin, records.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, repositoryRoot, runMutual, useTempDir } from './helpers.ts';

describe('mutual validate', function () {
  this.timeout(120_000);
  before(() => ensureBuilt());
  const dir = useTempDir('mutual-validate-', 'all');

  it('exits 0 for a valid state file', () => {
    const file = join(dir.path, 'state.json');
    writeFileSync(file, JSON.stringify({ displayName: 'Ana', capacities: [{ id: 'c1', type: 'review', quantity: 10 }] }));
    const run = runMutual(['validate', '--kind', 'state', file]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /valid state/);
  });

  it('exits 1 with each error as path and reason, reading stdin for -', () => {
    const input = JSON.stringify({ displayName: '', needs: [{ id: 'n1', type: 'review', quantity: -1 }] });
    const run = runMutual(['validate', '--kind', 'state', '-'], { input });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /displayName: must be at least 1 characters long/);
    assert.match(run.stderr, /needs\[0\]\.quantity: must be at least 0/);
    assert.equal(run.stdout, '');
  });

  it('reads a pipe given by name, as the shell\'s process substitution passes it (found by an operator pass)', () => {
    const file = join(dir.path, 'state.json');
    writeFileSync(file, JSON.stringify({ displayName: 'Ana', capacities: [] }));
    const run = spawnSync('bash', ['-c', `"${process.execPath}" "${join(repositoryRoot, 'bin', 'mutual.js')}" validate --kind state <(cat "${file}")`], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /valid state/);
  });

  it('exits 1 for malformed JSON and for pollution keys, saying why', () => {
    assert.match(runMutual(['validate', '--kind', 'relationships', '-'], { input: '{"recognition":' }).stderr, /not valid JSON/);
    const polluted = runMutual(['validate', '--kind', 'relationships', '-'], { input: '{"recognition":{"__proto__":1}}' });
    assert.equal(polluted.status, 1);
    assert.match(polluted.stderr, /recognition\.__proto__: the key "__proto__" is not allowed/);
    const duplicated = runMutual(['validate', '--kind', 'relationships', '-'], { input: '{"recognition":{"bob":1,"bob":2}}' });
    assert.equal(duplicated.status, 1);
    assert.match(duplicated.stderr, /member "bob" twice/);
  });

  it('checks the other kinds by name: slot, causal-clock, coordination', () => {
    assert.equal(runMutual(['validate', '--kind', 'slot', '-'], { input: '{"id":"c1","type":"review","quantity":2}' }).status, 0);
    const clock = runMutual(['validate', '--kind', 'causal-clock', '-'], { input: '{"ana":1.5}' });
    assert.equal(clock.status, 1);
    assert.match(clock.stderr, /ana: /);
    const coordination = runMutual(['validate', '--kind', 'coordination', '-'], { input: '{"round":1,"phase":10,"clock":{},"converged":false,"phaseStartedAt":"2026-11-24T10:00:00Z","updatedAt":"2026-11-24T10:00:00Z"}' });
    assert.equal(coordination.status, 1);
    assert.match(coordination.stderr, /phase: must be at most 9/);
  });

  it('verifies record signatures: the conformance record passes, a tampered one fails', () => {
    const vectors = JSON.parse(readFileSync(join(repositoryRoot, 'spec/conformance/signatures.json'), 'utf8')) as { cases: { record: Record<string, unknown> }[] };
    const record = vectors.cases[0]!.record;
    assert.equal(runMutual(['validate', '--kind', 'record', '-'], { input: JSON.stringify(record) }).status, 0);
    const tampered = runMutual(['validate', '--kind', 'record', '-'], { input: JSON.stringify({ ...record, sequence: 2 }) });
    assert.equal(tampered.status, 1);
    assert.match(tampered.stderr, /signature does not verify/);
  });

  it('exits 2 on usage errors', () => {
    assert.equal(runMutual(['validate', 'x.json']).status, 2);
    assert.equal(runMutual(['validate', '--kind', 'nope', 'x.json']).status, 2);
    assert.equal(runMutual(['nonsense']).status, 2);
    assert.match(runMutual(['validate', '--kind', 'state', '--kind', 'slot', 'x.json']).stderr, /--kind is given 2 times \(state, slot\)/);
  });

  it('reads each kind with the bound it has where it is received: a sync request up to 160 KiB (spec 3; found by an implementer\'s pass)', () => {
    const authors = Array.from({ length: 1024 }, (_, index) => `author-${String(index).padStart(58, '0')}`);
    const request = JSON.stringify({ network: 'team', authors, kinds: ['state'] });
    assert.ok(request.length > 64 * 1024 && request.length < 160 * 1024);
    const run = runMutual(['validate', '--kind', 'sync-request', '-'], { input: request });
    assert.equal(run.status, 0, run.stderr);
    const record = runMutual(['validate', '--kind', 'state', '-'], { input: JSON.stringify({ displayName: 'A', description: 'x'.repeat(70_000) }) });
    assert.equal(record.status, 1);
    assert.match(record.stderr, /larger than 65536/);
  });

  it('reads a file that starts with a byte order mark, as editors write one (network input may not)', () => {
    const run = runMutual(['validate', '--kind', 'state', '-'], { input: '\ufeff{"displayName":"Ana"}' });
    assert.equal(run.status, 0, run.stderr);
  });

  it('`mutual --version` prints the version of the command and of the protocol', () => {
    const run = runMutual(['--version']);
    assert.equal(run.status, 0);
    assert.match(run.stdout, /^mutual \d+\.\d+\.\d+ \(protocol 1\.\d+\)\n$/);
  });

  it('exits 1 for a file it cannot read, naming it (the input failed; 2 is for bad flags)', () => {
    const missing = runMutual(['validate', '--kind', 'state', join(dir.path, 'missing.json')]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /cannot read .*missing\.json/);
    assert.equal(runMutual(['validate', '--kind', 'state', dir.path]).status, 1);
  });

  it('applies the checks of simulate to scenarios: a participant listed twice, a slot id used twice', () => {
    const twice = runMutual(['validate', '--kind', 'scenario', '-'], { input: JSON.stringify({ participants: [{ id: 'a' }, { id: 'a' }] }) });
    assert.equal(twice.status, 1);
    assert.match(twice.stderr, /participants\[1\]\.id: "a" appears more than once/);
    const slot = runMutual(['validate', '--kind', 'scenario', '-'], { input: JSON.stringify({ participants: [{ id: 'a', capacities: [{ id: 's', type: 'review', quantity: 1 }], needs: [{ id: 's', type: 'review', quantity: 1 }] }] }) });
    assert.equal(slot.status, 1);
    assert.match(slot.stderr, /participants\[0\]\.needs\[0\]\.id: "s" is used twice by a/);
    assert.equal(runMutual(['validate', '--kind', 'scenario', join(repositoryRoot, 'examples/demo-team.json')]).status, 0);
  });
});
