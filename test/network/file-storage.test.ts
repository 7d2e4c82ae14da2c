// Room: test (network). The headless EngineStorage: round trips, ordered saves, refusal of path-like keys, and no
// acknowledged save lost when the writing process is killed with SIGKILL at an arbitrary moment.
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fileStorage } from '../../src/network/file-storage.ts';
import { loadIdentity, loadOrCreateIdentity } from '../../src/network/identity.ts';

const storageModule = pathToFileURL(join(import.meta.dirname, '..', '..', 'src', 'network', 'file-storage.ts')).href;

describe('network: file storage and identity', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mutual-storage-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads what it saved, keeps the last of concurrent saves, and refuses keys that are paths', async () => {
    const storage = fileStorage(dir);
    assert.equal(await storage.load('records/state'), undefined);
    await Promise.all([1, 2, 3, 4, 5].map((value) => storage.save('records/state', { value })));
    assert.deepEqual(await storage.load('records/state'), { value: 5 });
    assert.deepEqual(await fileStorage(dir).load('records/state'), { value: 5 });
    assert.throws(() => storage.save('../escape', 1), /not a plain name/);
    await assert.rejects(storage.load('records/../../x'), /not a plain name/);
  });

  it('keeps one store per network: a start on a mistyped network leaves the real one\'s records alone; files of earlier versions are read (found by an operator pass)', async () => {
    const { writeFile, mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'store'));
    await writeFile(join(dir, 'store', 'records.state.json'), JSON.stringify({ before: 'per-network stores' }));
    const real = fileStorage(dir, 'team');
    assert.deepEqual(await real.load('records/state'), { before: 'per-network stores' }, 'read from store/ while store/team/ has none');
    await real.save('records/state', { mine: 1 });
    const typo = fileStorage(dir, 'taem');
    await typo.save('records/state', { nothing: true });
    assert.deepEqual(await fileStorage(dir, 'team').load('records/state'), { mine: 1 });
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'store', 'team', 'records.state.json'), 'utf8')), { mine: 1 });
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'store', 'records.state.json'), 'utf8')), { before: 'per-network stores' }, 'left as it was');
    assert.throws(() => fileStorage(dir, '../x'), /not a plain name/);
  });

  it('a lock whose live pid is a process started after the lock was written is stale, my own pid included (found by an operator pass)', async () => {
    const { utimes, writeFile } = await import('node:fs/promises');
    const { lockDataDir } = await import('../../src/network/process-lock.ts');
    const longAgo = new Date('2001-01-01T00:00:00Z');
    const linux = await stat('/proc/self/stat').then(() => true, () => false);
    // Written by this very process: in use (two services of one extension host).
    const mine = await lockDataDir(dir);
    await assert.rejects(lockDataDir(dir), new RegExp(`in use by pid ${process.pid}`));
    if (linux) {
      // Written long before this process started, with its pid: an earlier process (pid 1 of a restarted container).
      await utimes(join(dir, 'peer.lock'), longAgo, longAgo);
      const again = await lockDataDir(dir);
      assert.equal((await readFile(join(dir, 'peer.lock'), 'utf8')).trim(), String(process.pid));
      await again.release();
    } else await mine.release();
    // A live process (the parent of this one runs as long as this test) that wrote it: in use; one started after: stale.
    await writeFile(join(dir, 'peer.lock'), `${process.ppid}\n`);
    await assert.rejects(lockDataDir(dir), new RegExp(`in use by pid ${process.ppid}`));
    if (linux) {
      await utimes(join(dir, 'peer.lock'), longAgo, longAgo);
      const taken = await lockDataDir(dir);
      await taken.release();
    }
  });

  it('creates an identity once, in a file only the owner can read', async () => {
    const first = await loadOrCreateIdentity(join(dir, 'peer'));
    const second = await loadOrCreateIdentity(join(dir, 'peer'));
    assert.equal(first.created, true);
    assert.equal(second.created, false);
    assert.equal(second.peerId, first.peerId);
    assert.match(first.peerId, /^12D3KooW/);
    assert.equal((await stat(join(dir, 'peer', 'identity.key'))).mode & 0o777, 0o600);
    assert.equal(await loadIdentity(join(dir, 'none')), undefined);
  });

  it('loses no acknowledged save when the process is killed with SIGKILL', async () => {
    // The child saves 1, 2, 3, ... and prints each number once its save resolved (the acknowledgement).
    const script = `
      const { fileStorage } = await import(${JSON.stringify(storageModule)});
      const storage = fileStorage(${JSON.stringify(dir)});
      const padding = 'x'.repeat(20000);
      for (let sequence = 1; sequence < 1e6; sequence++) {
        await storage.save('records/state', { sequence, padding });
        process.stdout.write(sequence + '\\n');
      }`;
    for (const killAfter of [3, 17, 40]) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let acknowledged = 0;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error('child too slow'))), 20_000);
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (chunk: string) => {
          for (const line of chunk.split('\n')) if (line !== '') acknowledged = Math.max(acknowledged, Number(line));
          if (acknowledged >= killAfter && child.exitCode === null && !child.killed) child.kill('SIGKILL');
        });
        child.on('exit', () => (clearTimeout(timer), resolve()));
      });
      const stored = JSON.parse(await readFile(join(dir, 'store', 'records.state.json'), 'utf8')) as { sequence: number };
      assert.ok(stored.sequence >= acknowledged, `stored ${stored.sequence}, acknowledged ${acknowledged}`);
    }
  });
});
