// Room: test (cli). `mutual status` reads what a running peer keeps in D/status.json (the running peer itself is
// exercised in peer.test.ts).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, runMutual } from './helpers.ts';

describe('mutual status', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => ensureBuilt());
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'mutual-status-'))));
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('says when no peer has written a status', () => {
    const run = runMutual(['status', '--data-dir', dir]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /status\.json does not exist/);
  });

  it('prints the status document', async () => {
    const status = { peerId: '12D3KooWx', addresses: [], network: 'team', round: 2, converged: true, peers: [], allocations: [], needs: [], capacities: [] };
    await writeFile(join(dir, 'status.json'), JSON.stringify(status));
    const run = runMutual(['status', '--data-dir', dir]);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), status);
  });

  it('reports a damaged status file instead of crashing', async () => {
    await writeFile(join(dir, 'status.json'), '{"peerId":');
    const run = runMutual(['status', '--data-dir', dir]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /status\.json/);
  });
});
