// Room: dev tooling (tests, demo). May touch: child processes of bin/mutual.js, the data dirs it is given.
// Headless `mutual peer` processes as the tests and `npm start` run them: keygen, start on 127.0.0.1 with mDNS off
// (resolving to the first listen address), stop (SIGTERM, then SIGKILL after 10 s). Every wait is bounded.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

export function keygen(dataDir: string): string {
  const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'mutual.js'), 'keygen', '--data-dir', dataDir], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`mutual keygen --data-dir ${dataDir} failed: ${run.stderr}`);
  return run.stdout.trim();
}

export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => (clearTimeout(timer), resolve()));
    child.kill('SIGTERM');
  });
}

/**
 * Starts one `mutual peer` on 127.0.0.1 (mDNS off); resolves to its first listen address. Its stderr goes to
 * <dataDir>/peer.log; `track` receives the child at once, so a caller can stop it even if it never starts.
 */
export function startHeadlessPeer(dataDir: string, network: string, args: readonly string[], track: (child: ChildProcess) => void): Promise<string> {
  mkdirSync(dataDir, { recursive: true });
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'mutual.js'), 'peer', '--data-dir', dataDir, '--network', network, '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  child.stderr!.pipe(createWriteStream(join(dataDir, 'peer.log'), { flags: 'a' }));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the peer in ${dataDir} did not start within 30 s (see ${join(dataDir, 'peer.log')})`)), 30_000);
    let output = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      output += chunk;
      const match = /^listening (\S+)$/m.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`the peer in ${dataDir} exited with ${code} (see ${join(dataDir, 'peer.log')})`))));
  });
}

/** Stops every child (SIGTERM, then SIGKILL after 10 s). */
export async function stopChildren(children: readonly ChildProcess[]): Promise<void> {
  await Promise.all(children.map(stopChild));
}
