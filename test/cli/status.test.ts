// Room: test (cli). `mutual status` reads what a running peer keeps in D/status.json and says whether it runs (the
// running peer itself is exercised in peer.test.ts and peer-lifecycle.test.ts).
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureBuilt, runMutual, useTempDir } from './helpers.ts';

describe('mutual status', function () {
  this.timeout(120_000);
  before(() => ensureBuilt());
  const dir = useTempDir('mutual-status-');

  it('says when no peer has written a status', () => {
    const run = runMutual(['status', '--data-dir', dir.path]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /status\.json does not exist/);
  });

  // The test runner's own pid stands for a live peer; a fresh updatedAt for one that keeps status.json current.
  const document = (fields: Record<string, unknown>) => ({ peerId: '12D3KooWx', running: true, pid: process.pid, updatedAt: new Date().toISOString(), addresses: [], network: 'team', round: 2, converged: true, peers: [], allocations: [], needs: [], capacities: [], ...fields });

  it('prints the status document of a running peer, exit 0', async () => {
    const status = document({});
    await writeFile(join(dir.path, 'status.json'), JSON.stringify(status));
    const run = runMutual(['status', '--data-dir', dir.path]);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), status);
  });

  it('says the peer is not running (exit 3, running: false) when it stopped, its pid is gone, its updates stopped, or the file has no pid', async () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ running: false }, /not running \(it stopped cleanly; last update /],
      [{ pid: Number(gone) }, new RegExp(`not running \\(pid ${gone} is gone; last update `)],
      [{ updatedAt: new Date(Date.now() - 120_000).toISOString() }, /not running \(pid \d+ exists but has not updated status\.json for 1[12]\d s/],
      [{ pid: undefined, updatedAt: undefined }, /not running \(status\.json has no pid or updatedAt/],
      // An hour ahead when written; the cases before it take seconds on a loaded machine (3598 once in CI).
      [{ updatedAt: new Date(Date.now() + 3_600_000).toISOString() }, /not running \(status\.json says it was updated (3600|35\d\d) s from now \(the clock was set back\?\)/],
    ];
    for (const [fields, reason] of cases) {
      await writeFile(join(dir.path, 'status.json'), JSON.stringify(document(fields)));
      const run = runMutual(['status', '--data-dir', dir.path]);
      assert.equal(run.status, 3, JSON.stringify(fields));
      assert.equal((JSON.parse(run.stdout) as { running: boolean }).running, false);
      assert.match(run.stderr, reason);
    }
  });

  it('reports a damaged status file instead of crashing', async () => {
    await writeFile(join(dir.path, 'status.json'), '{"peerId":');
    const run = runMutual(['status', '--data-dir', dir.path]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /status\.json/);
  });
});
