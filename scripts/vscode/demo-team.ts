// Room: VS Code demo and test harness (the demo network). May touch: ../peer-process.ts (`mutual keygen`, `mutual peer`),
// the demo folder, examples/demo-team.json. Everything listens on 127.0.0.1 with mDNS off; every wait is bounded.
// The local demo network `npm start` and the UI end-to-end test join: the embedded sample team
// (examples/demo-team.json) runs as headless `mutual peer` processes, and an identity is prepared for the VS Code
// user (MUTUAL_IDENTITY_FILE) so that the teammates can recognize the user before VS Code starts.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keygen, startHeadlessPeer, stopChildren } from '../peer-process.ts';
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
  /** Stops one teammate's peer (by display name), as when a teammate closes VS Code. */
  stopTeammate(name: string): Promise<void>;
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
    const byName = new Map<string, ChildProcess>();
    const track = (name: string) => (child: ChildProcess) => {
      children.push(child);
      byName.set(name, child);
    };
    const bootstrap = await startHeadlessPeer(first!.dataDir, DEMO_NETWORK, ['--profile', join(first!.dataDir, 'profile.json')], track(first!.name));
    await Promise.all(rest.map((teammate) => startHeadlessPeer(teammate.dataDir, DEMO_NETWORK, ['--profile', join(teammate.dataDir, 'profile.json'), '--bootstrap', bootstrap], track(teammate.name))));
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
      stopTeammate: async (name) => {
        const child = byName.get(name);
        if (child === undefined) throw new Error(`no teammate named ${name}`);
        await stopChildren([child]);
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
