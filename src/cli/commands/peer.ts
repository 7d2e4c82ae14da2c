// Room: cli (edge). May touch: engine, network, protocol, node:*. `mutual peer`: a headless peer (bootstrap and
// relay for a team, or a participant from a profile) that runs until SIGINT/SIGTERM and keeps D/status.json current.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import writeFileAtomic from 'write-file-atomic';
import { createEngine, type EngineLogger } from '../../engine/index.ts';
import { fileStorage } from '../../network/file-storage.ts';
import { loadOrCreateIdentity } from '../../network/identity.ts';
import { createLibp2pNetwork } from '../../network/libp2p-network.ts';
import { isLoopbackAddress } from '../../network/names.ts';
import { decodeJson } from '../../protocol/encoding.ts';
import { NetworkName, RecognitionWeights, ScenarioParticipant, State } from '../../protocol/schemas.ts';
import { describeIssues } from '../../protocol/validate.ts';
import type { Command } from '../command.ts';
import { z } from 'zod';

const HELP = `usage: mutual peer --data-dir DIR --network NAME [--listen MULTIADDR]... [--bootstrap MULTIADDR]...
                  [--profile FILE] [--no-mdns]

Runs a headless peer until SIGINT or SIGTERM. It relays (circuit relay v2) and serves late joiners for the team.
  --data-dir DIR      identity (created when missing), stored records, declarations and status.json
  --network NAME      the team's network name (lower case letters, digits and . _ -)
  --listen MULTIADDR  address to listen on (repeatable; default /ip4/0.0.0.0/tcp/0 and /ip4/0.0.0.0/tcp/0/ws)
  --bootstrap MULTIADDR  a peer to join through, with /p2p/<peer id> (repeatable)
  --profile FILE      one scenario participant (the \`mutual simulate\` format, recognition keyed by peer ids):
                      its capacities, needs and recognition are declared and published
  --no-mdns           do not discover peers on the local network
Without --profile the declarations saved in DIR by an earlier run are declared again.`;

/** What this peer declares; written durably before it is declared, so an acknowledged declaration survives SIGKILL. */
const Declarations = z.object({ state: State, recognition: RecognitionWeights });
type Declarations = z.infer<typeof Declarations>;
const DECLARATIONS_FILE = 'declarations.json';
const STATUS_FILE = 'status.json';
const MAX_PROFILE_BYTES = 16 * 1024 * 1024;

export const command: Command = {
  summary: 'run a headless peer (bootstrap, relay, or a participant from a profile)',
  async run(argv) {
    let dataDir: string;
    let network: string;
    let listen: string[] | undefined;
    let bootstrapList: string[];
    let profilePath: string | undefined;
    let useMdns: boolean;
    try {
      const parsed = parseArgs({
        args: [...argv],
        options: {
          'data-dir': { type: 'string' },
          network: { type: 'string' },
          listen: { type: 'string', multiple: true },
          bootstrap: { type: 'string', multiple: true },
          profile: { type: 'string' },
          'no-mdns': { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h' },
        },
      });
      if (parsed.values.help) {
        console.log(HELP);
        return 0;
      }
      if (parsed.values['data-dir'] === undefined) throw new Error('--data-dir is required');
      if (parsed.values.network === undefined) throw new Error('--network is required');
      const name = NetworkName.safeParse(parsed.values.network);
      if (!name.success) throw new Error(`--network ${describeIssues(name.error).join('; ')}`);
      dataDir = parsed.values['data-dir'];
      network = name.data;
      listen = parsed.values.listen;
      bootstrapList = parsed.values.bootstrap ?? [];
      profilePath = parsed.values.profile;
      useMdns = !parsed.values['no-mdns'];
    } catch (error) {
      console.error(`mutual peer: ${(error as Error).message}\n\n${HELP}`);
      return 2;
    }

    const log = (level: string, message: string) => process.stderr.write(`${new Date().toISOString()} ${level} ${message}\n`);
    const logger: EngineLogger = { debug() {}, info: (message) => log('info', message), warn: (message) => log('warn', message) };

    let identity;
    let declarations: Declarations | undefined;
    try {
      identity = await loadOrCreateIdentity(dataDir);
      if (identity.created) log('info', `created identity ${identity.peerId} in ${dataDir}`);
      if (profilePath !== undefined) {
        const raw = decodeJson(new Uint8Array(await readFile(profilePath)), { maxBytes: MAX_PROFILE_BYTES });
        const participant = ScenarioParticipant.safeParse(raw);
        if (!participant.success) throw new Error(`${profilePath}: invalid profile\n  ${describeIssues(participant.error).join('\n  ')}`);
        const { id, displayName, capacities, needs, recognition } = participant.data;
        if (id !== identity.peerId) throw new Error(`${profilePath}: the profile is for ${id}, but this data dir's peer id is ${identity.peerId}`);
        declarations = { state: { displayName: displayName ?? id, capacities, needs }, recognition };
        // Durable before it is declared (temp file, fsync, rename).
        await writeFileAtomic(join(dataDir, DECLARATIONS_FILE), JSON.stringify(declarations), { mode: 0o600, fsync: true });
      } else {
        try {
          const saved = Declarations.safeParse(decodeJson(await readFile(join(dataDir, DECLARATIONS_FILE), 'utf8'), { maxBytes: MAX_PROFILE_BYTES }));
          if (!saved.success) throw new Error(`${join(dataDir, DECLARATIONS_FILE)} is invalid: ${describeIssues(saved.error).join('; ')}`);
          declarations = saved.data;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      }
    } catch (error) {
      console.error(`mutual peer: ${(error as Error).message}`);
      return 1;
    }

    const listenAddresses = listen ?? ['/ip4/0.0.0.0/tcp/0', '/ip4/0.0.0.0/tcp/0/ws'];
    const peerNetwork = createLibp2pNetwork({
      network,
      privateKey: identity.privateKey,
      listen: listenAddresses,
      bootstrap: bootstrapList,
      mdns: useMdns,
      relay: true,
      // Peers that only listen on loopback share one host: lift the per-host connection rate limit and IP penalty.
      loopback: listenAddresses.every(isLoopbackAddress),
      logger: { info: (message) => log('info', message), warn: (message) => log('warn', message) },
    });
    const engine = createEngine({ network: peerNetwork, storage: fileStorage(dataDir), logger });

    // status.json: rewritten (atomically) whenever the engine changes, at most every 100 ms, and each second.
    let statusWrite: Promise<void> = Promise.resolve();
    let statusPending = false;
    let lastStatus = '';
    const writeStatus = () => {
      if (statusPending) return statusWrite;
      statusPending = true;
      statusWrite = statusWrite.then(async () => {
        statusPending = false;
        const snapshot = engine.snapshot();
        const text = `${JSON.stringify(
          {
            peerId: identity.peerId,
            addresses: peerNetwork.addresses(),
            network,
            round: snapshot.round,
            phase: snapshot.phase,
            converged: snapshot.converged,
            ...(snapshot.problem === undefined ? {} : { problem: snapshot.problem }),
            peers: peerNetwork.connectedPeers(),
            allocations: snapshot.allocations,
            needs: snapshot.needs,
            capacities: snapshot.capacities,
            counters: peerNetwork.counters,
          },
          null,
          2,
        )}\n`;
        if (text === lastStatus) return;
        lastStatus = text;
        await writeFileAtomic(join(dataDir, STATUS_FILE), text, { mode: 0o644, fsync: false });
      }).catch((error: Error) => {
        log('warn', `cannot write status: ${error.message}`);
      });
      return statusWrite;
    };
    let statusTimer: NodeJS.Timeout | undefined;
    const scheduleStatus = () => {
      statusTimer ??= setTimeout(() => {
        statusTimer = undefined;
        void writeStatus();
      }, 100);
    };

    let resolveStop: () => void = () => {};
    const stopped = new Promise<void>((resolve) => (resolveStop = resolve));
    // Listeners stay installed (not `once`): signal-exit, which write-file-atomic loads during a write, re-raises a
    // signal when it sees no other listener, and would kill the peer mid-shutdown. A second signal forces the exit.
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log('warn', `${signal} again: exiting without a clean shutdown`);
        process.exit(130);
      }
      stopping = true;
      log('info', `${signal}: shutting down`);
      resolveStop();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    const changes = engine.onDidChange(scheduleStatus);
    const heartbeat = setInterval(() => void writeStatus(), 1000);
    try {
      await engine.start();
      console.log(`peer ${identity.peerId}`);
      for (const address of peerNetwork.addresses()) console.log(`listening ${address}`);
      if (declarations !== undefined) {
        await engine.declareState(declarations.state);
        await engine.setRecognition(declarations.recognition);
        log('info', `declared ${declarations.state.capacities.length} capacities, ${declarations.state.needs.length} needs, recognition of ${Object.keys(declarations.recognition).length} peers`);
      }
      await writeStatus();
      await stopped;
    } catch (error) {
      log('error', `peer failed: ${(error as Error).message}`);
      return 1;
    } finally {
      clearInterval(heartbeat);
      if (statusTimer !== undefined) clearTimeout(statusTimer);
      changes.dispose();
      await engine.stop().catch((error: Error) => log('warn', `stop: ${error.message}`));
      await writeStatus();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    return 0;
  },
};
