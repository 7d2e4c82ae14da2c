// Room: VS Code demo and test harness (the demo network). May touch: child processes (`mutual keygen`, `mutual peer`),
// the demo folder, examples/demo-team.json. Everything listens on 127.0.0.1 with mDNS off; every wait is bounded.
// The local demo network `npm start` and the UI end-to-end test join: the embedded sample team
// (examples/demo-team.json) runs as headless `mutual peer` processes, and an identity is prepared for the VS Code
// user (MUTUAL_IDENTITY_FILE) so that the teammates can recognize the user before VS Code starts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './server.ts';

export const DEMO_NETWORK = 'mutual-demo';

interface Participant {
  id: string;
  displayName?: string;
  recognition: Record<string, number>;
  capacities: unknown[];
  needs: unknown[];
}

export interface DemoTeam {
  /** The first teammate's address (with /p2p/<peer id>): VS Code bootstraps from it. */
  readonly bootstrap: string;
  /** The identity file the VS Code user's extension is started with (MUTUAL_IDENTITY_FILE). */
  readonly userIdentityFile: string;
  readonly userPeerId: string;
  readonly teammates: readonly { name: string; peerId: string; dataDir: string }[];
  /** The VS Code workspace settings that join this demo network (loopback only, mDNS off). */
  readonly workspaceSettings: Record<string, unknown>;
  stop(): Promise<void>;
}

export function keygen(dataDir: string): string {
  const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'mutual.js'), 'keygen', '--data-dir', dataDir], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`mutual keygen --data-dir ${dataDir} failed: ${run.stderr}`);
  return run.stdout.trim();
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => (clearTimeout(timer), resolve()));
    child.kill('SIGTERM');
  });
}

/** Starts one `mutual peer` on 127.0.0.1 (mDNS off); resolves to its first listen address. Log: <dataDir>/peer.log. */
export function startHeadlessPeer(dataDir: string, network: string, args: readonly string[], children: ChildProcess[]): Promise<string> {
  mkdirSync(dataDir, { recursive: true });
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'mutual.js'), 'peer', '--data-dir', dataDir, '--network', network, '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
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

/**
 * Starts the sample team in `folder` (identities are kept there, so a second start reuses them). The teammates
 * recognize the user a little (weight 1), so the user becomes a mutual peer of whoever the user recognizes back.
 */
export async function startDemoTeam(folder: string): Promise<DemoTeam> {
  const team = JSON.parse(readFileSync(join(ROOT, 'examples', 'demo-team.json'), 'utf8')) as { participants: Participant[] };
  mkdirSync(folder, { recursive: true });
  const userDir = join(folder, 'you');
  const userPeerId = keygen(userDir);
  const teammates = team.participants.map((participant) => {
    const dataDir = join(folder, 'peers', participant.id);
    return { name: participant.displayName ?? participant.id, participant, dataDir, peerId: keygen(dataDir) };
  });
  const peerIdOf = new Map(teammates.map((teammate) => [teammate.participant.id, teammate.peerId]));
  for (const teammate of teammates) {
    const recognition: Record<string, number> = { [userPeerId]: 1 };
    for (const [name, weight] of Object.entries(teammate.participant.recognition)) {
      const peerId = peerIdOf.get(name);
      if (peerId !== undefined) recognition[peerId] = weight;
    }
    const profile = { ...teammate.participant, id: teammate.peerId, recognition };
    writeFileSync(join(teammate.dataDir, 'profile.json'), `${JSON.stringify(profile, null, 2)}\n`);
  }

  const children: ChildProcess[] = [];
  const stop = () => stopChildren(children);
  try {
    const [first, ...rest] = teammates;
    const bootstrap = await startHeadlessPeer(first!.dataDir, DEMO_NETWORK, ['--profile', join(first!.dataDir, 'profile.json')], children);
    await Promise.all(rest.map((teammate) => startHeadlessPeer(teammate.dataDir, DEMO_NETWORK, ['--profile', join(teammate.dataDir, 'profile.json'), '--bootstrap', bootstrap], children)));
    return {
      bootstrap,
      userIdentityFile: join(userDir, 'identity.key'),
      userPeerId,
      teammates: teammates.map(({ name, peerId, dataDir }) => ({ name, peerId, dataDir })),
      workspaceSettings: {
        'mutual.network.transport': 'libp2p',
        'mutual.network.name': DEMO_NETWORK,
        'mutual.network.bootstrapPeers': [bootstrap],
        'mutual.network.listenAddresses': ['/ip4/127.0.0.1/tcp/0'],
        'mutual.network.mdns': false,
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
