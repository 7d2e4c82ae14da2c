// Room: test (cli). `mutual keygen` as a user runs it.
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, runMutual } from './helpers.ts';

describe('mutual keygen', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => ensureBuilt());
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'mutual-keygen-'))));
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('creates a 0600 identity, prints the peer id, and keeps it on a second run', async () => {
    const first = runMutual(['keygen', '--data-dir', join(dir, 'd')]);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout.trim(), /^12D3KooW[1-9A-HJ-NP-Za-km-z]+$/);
    assert.equal((await stat(join(dir, 'd', 'identity.key'))).mode & 0o777, 0o600);
    const second = runMutual(['keygen', '--data-dir', join(dir, 'd')]);
    assert.equal(second.status, 0);
    assert.equal(second.stdout, first.stdout);
    assert.match(second.stderr, /already has an identity/);
  });

  it('exits 2 without --data-dir', () => {
    const run = runMutual(['keygen']);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /--data-dir is required/);
  });
});
