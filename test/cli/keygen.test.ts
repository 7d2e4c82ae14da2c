// Room: test (cli). `mutual keygen` as a user runs it.
import { execFile } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureBuilt, repositoryRoot, runMutual, useTempDir } from './helpers.ts';

describe('mutual keygen', function () {
  this.timeout(120_000);
  before(() => ensureBuilt());
  const dir = useTempDir('mutual-keygen-');

  it('creates a 0600 identity, prints the peer id, and keeps it on a second run', async () => {
    const first = runMutual(['keygen', '--data-dir', join(dir.path, 'd')]);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout.trim(), /^12D3KooW[1-9A-HJ-NP-Za-km-z]+$/);
    assert.equal((await stat(join(dir.path, 'd', 'identity.key'))).mode & 0o777, 0o600);
    const second = runMutual(['keygen', '--data-dir', join(dir.path, 'd')]);
    assert.equal(second.status, 0);
    assert.equal(second.stdout, first.stdout);
    assert.match(second.stderr, /already has an identity/);
  });

  it('processes creating the identity of a fresh data dir at once all end up with the same one', async () => {
    // Bounded: three rounds of eight concurrent keygens; with check-then-rename each would print its own peer id.
    for (let round = 0; round < 3; round++) {
      const dataDir = join(dir.path, `race${round}`);
      const runs = await Promise.all(Array.from({ length: 8 }, () => new Promise<string>((resolve, reject) => {
        execFile(process.execPath, [join(repositoryRoot, 'bin', 'mutual.js'), 'keygen', '--data-dir', dataDir], { timeout: 60_000 }, (error, stdout) => (error === null ? resolve(stdout.trim()) : reject(error)));
      })));
      const kept = runMutual(['keygen', '--data-dir', dataDir]).stdout.trim();
      assert.deepEqual(new Set(runs), new Set([kept]), `round ${round}: every process prints the peer id that was kept`);
    }
  });

  it('names a damaged identity.key instead of creating another', async () => {
    await mkdir(join(dir.path, 'd'));
    await writeFile(join(dir.path, 'd', 'identity.key'), '');
    const run = runMutual(['keygen', '--data-dir', join(dir.path, 'd')]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, new RegExp(`${join(dir.path, 'd', 'identity.key')} is not a valid identity key`));
  });

  it('exits 2 without --data-dir', () => {
    const run = runMutual(['keygen']);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /--data-dir is required/);
  });

  it('an empty --data-dir is a usage error, and an identity.key that cannot be read is named (found by an operator pass)', async () => {
    for (const command of ['keygen', 'status', 'peer']) {
      const run = runMutual([command, '--data-dir', '', ...(command === 'peer' ? ['--network', 'x', '--no-mdns'] : [])]);
      assert.equal(run.status, 2, `${command}: ${run.stderr}`);
      assert.match(run.stderr, /--data-dir is empty/);
    }
    await mkdir(join(dir.path, 'd', 'identity.key'), { recursive: true });
    const run = runMutual(['keygen', '--data-dir', join(dir.path, 'd')]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, new RegExp(`${join(dir.path, 'd', 'identity.key')}: EISDIR`));
    for (const command of ['keygen', 'status']) {
      const twice = runMutual([command, '--data-dir', 'a', '--data-dir', 'b']);
      assert.equal(twice.status, 2);
      assert.match(twice.stderr, /--data-dir is given 2 times \(a, b\): give it once/);
    }
  });

  it('a data dir it cannot write to: the error names identity.key, not the temporary file it writes through (found by an operator pass)', async function () {
    const { spawnSync } = await import('node:child_process');
    const locked = join(dir.path, 'locked');
    await mkdir(locked);
    // Immutable (no file can be created in it, even by root); needs chattr and the right to use it.
    if (spawnSync('chattr', ['+i', locked]).status !== 0) this.skip();
    try {
      const run = runMutual(['keygen', '--data-dir', locked]);
      assert.equal(run.status, 1);
      assert.match(run.stderr, new RegExp(`^mutual keygen: cannot create ${join(locked, 'identity.key')}: EPERM\n$`));
    } finally {
      spawnSync('chattr', ['-i', locked]);
    }
  });
});
