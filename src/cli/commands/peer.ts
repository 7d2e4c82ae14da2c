// Room: cli (edge). May touch: engine, network, protocol, node:*.
// `mutual peer`: a headless peer (bootstrap and relay for a team, or a participant from a profile) that runs until
// SIGINT/SIGTERM and keeps D/status.json current. One peer per data dir (D/peer.lock).
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { constants as osConstants } from 'node:os';
import writeFileAtomic from 'write-file-atomic';
import { createEngine, guardedStorage, type EngineLogger, type EngineSnapshot } from '../../engine/index.ts';
import { addressProblem } from '../../network/addresses.ts';
import { fileStorage } from '../../network/file-storage.ts';
import { IDENTITY_FILE, loadIdentity, loadOrCreateIdentity } from '../../network/identity.ts';
import { createLibp2pNetwork } from '../../network/libp2p-network.ts';
import { isLoopbackAddress, NETWORK_LIMITS } from '../../network/names.ts';
import { MAX_RECORD_BYTES } from '../../protocol/limits.ts';
import { NetworkName, RecognitionWeights, ScenarioParticipant, State } from '../../protocol/schemas.ts';
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id';
import { describeIssues } from '../../protocol/validate.ts';
import { parseCommandLine, type Command } from '../command.ts';
import { DataDirInUse, lockDataDir, type DataDirLock } from '../../network/process-lock.ts';
import { readJsonInput } from '../read-input.ts';
import { participantProblems } from '../scenario-problems.ts';
import { STATUS_FILE, STATUS_REFRESH_MS } from './status.ts';
import { z } from 'zod';

const HELP = `usage: mutual peer --data-dir DIR --network NAME [--listen MULTIADDR]... [--bootstrap MULTIADDR]...
                  [--profile FILE] [--no-mdns] [--max-connections-per-host N]

Runs a headless peer until SIGINT or SIGTERM. It relays (circuit relay v2) and serves late joiners for the team.
  --data-dir DIR      identity (created when missing), stored records, declarations and status.json
  --network NAME      the team's network name (lower case letters, digits and . _ -)
  --listen MULTIADDR  address to listen on (repeatable; default /ip4/0.0.0.0/tcp/0 and /ip4/0.0.0.0/tcp/0/ws)
  --bootstrap MULTIADDR  a peer to join through, with /p2p/<peer id> (repeatable)
  --profile FILE      one scenario participant (the \`mutual simulate\` format, recognition keyed by peer ids,
                      no members beyond id, displayName, recognition, capacities, needs): its capacities,
                      needs and recognition are declared and published (a refused profile changes no
                      declaration; status.json says why the start failed). A missing list is read as
                      empty, but a profile must name at least one of capacities, needs and recognition
  --no-mdns           do not discover peers on the local network
  --max-connections-per-host N  inbound connections kept open from one IP address, an IPv6 /64 counting
                      as one (default ${NETWORK_LIMITS.maxInboundConnectionsPerHost}, none when every --listen address is loopback); more are
                      refused, so one host's throwaway identities cannot take all ${NETWORK_LIMITS.maxConnections} connections. Raise
                      it when a larger team reaches this peer from behind one NAT (the log says when it refuses)
Without --profile the declarations saved in DIR by an earlier run are declared again.
One peer runs per data dir: a second one exits 1 ("data dir DIR is in use by pid N"); DIR/peer.lock holds the pid,
is removed on a clean shutdown and taken over when its process no longer runs (from another container: when not
refreshed for 30 s). A peer whose lock was taken over while it ran stops with exit 1.
status.json is rewritten on every change and at least every ${STATUS_REFRESH_MS / 1000} s (pid, updatedAt); a clean shutdown
writes running: false (\`mutual status --help\` says how it tells a running peer from a stopped or crashed one).
The first SIGINT/SIGTERM shuts down cleanly (exit 0); a second one within 1 s is ignored (\`timeout\` sends two), a
later one exits at once with 128 + the signal's number (130 for SIGINT, 143 for SIGTERM).
Exit 0 after a clean shutdown, 1 when the peer cannot start or fails, 2 on usage errors.`;

const peersText = (count: number) => `${count} peer${count === 1 ? '' : 's'}`;
const amount = (value: number) => String(Number(value.toPrecision(6)));

/** One line of what converged for this peer: per slot, what a need received and a capacity gave, of its quantity. */
function describeOutcome(snapshot: EngineSnapshot): string {
  const slots = [
    ...snapshot.needs.map((need) => `need ${need.need} ${amount(need.received)}/${amount(need.declared)}`),
    ...snapshot.capacities.map((capacity) => `capacity ${capacity.capacity} ${amount(capacity.allocated)}/${amount(capacity.declared)}`),
  ];
  if (slots.length === 0) return 'nothing declared here';
  const shown = slots.length > 6 ? [...slots.slice(0, 6), `${slots.length - 6} more`] : slots;
  return `${shown.join(', ')}; ${snapshot.allocations.length} flows (mutual status lists them)`;
}

/**
 * libp2p's listen failure, said for a command line: which address, why, and what to do (its text names a libp2p
 * option, `transportManager.faultTolerance`, and carries a stack trace). Other errors as they are.
 */
function describeStartFailure(error: Error): string {
  const failed = [...error.message.matchAll(/^\s*(\/\S+): Error: ([^\n]*)$/gm)];
  if (!/failed to be listened on/.test(error.message) || failed.length === 0) return error.message;
  return failed
    .map(([, address, reason]) => {
      const hint = /EADDRINUSE/.test(reason!) ? ' (another process holds this port: stop it, or choose another port in --listen, or port 0 for any free one)' : /EACCES/.test(reason!) ? ' (ports below 1024 need privileges: choose a higher port in --listen)' : /EADDRNOTAVAIL/.test(reason!) ? ' (this machine has no such address: use 0.0.0.0 or one of its own addresses)' : '';
      return `cannot listen on ${address}: ${reason!.replace(/^listen \w+: /, '')}${hint}`;
    })
    .join('; ');
}

/**
 * A data dir that a peer used (declarations, a store, a status) but whose identity.key is gone: a restore without the
 * 0600 file, or a bad mount. A new identity would republish the declarations under a second peer id, and teammates
 * would count the capacity twice (found by an operator pass); creating one on purpose is `mutual keygen`'s job.
 */
async function refuseNewIdentityOverUsedData(dataDir: string): Promise<void> {
  if (await loadIdentity(dataDir)) return;
  const used = [DECLARATIONS_FILE, 'store', STATUS_FILE].filter((name) => existsSync(join(dataDir, name)));
  if (used.length === 0) return;
  let formerly = '';
  try {
    const status = JSON.parse(await readFile(join(dataDir, STATUS_FILE), 'utf8')) as { peerId?: unknown };
    if (typeof status.peerId === 'string') formerly = ` (it ran as ${status.peerId})`;
  } catch {
    // no readable status.json: nothing more to say
  }
  throw new Error(
    `${join(dataDir, IDENTITY_FILE)} is missing, but a peer used this data dir${formerly}: it holds ${used.join(', ')}. Restore ${IDENTITY_FILE}, ` +
      `or run \`mutual keygen --data-dir ${dataDir}\` to start here with a new identity on purpose (teammates then see a new peer).`,
  );
}

const PROFILE_MEMBERS = Object.keys(ScenarioParticipant.shape);
const DECLARING_MEMBERS = ['capacities', 'needs', 'recognition'] as const;

/**
 * What the scenario format lets pass but a profile cannot mean: a member it does not know ("capacites" declared no
 * capacity, and replaced the saved declarations), or recognition keyed by anything but a peer id (a name copied from
 * a scenario never matches a peer). Found by an operator pass.
 */
function profileProblems(raw: Record<string, unknown>, participant: ScenarioParticipant): string[] {
  const problems = Object.keys(raw)
    .filter((member) => !PROFILE_MEMBERS.includes(member))
    .map((member) => `"${member}" is not a member of a profile (it has ${PROFILE_MEMBERS.join(', ')})`);
  // The scenario format reads a missing list as empty, so a profile of only an id replaced the saved declarations with
  // none at all, the same as a deliberate withdrawal. A withdrawal says so with empty lists.
  if (!DECLARING_MEMBERS.some((member) => member in raw)) {
    problems.push(`declares nothing: it names none of ${DECLARING_MEMBERS.join(', ')} (to withdraw every declaration, give them as empty: "capacities": [], "needs": [], "recognition": {})`);
  }
  for (const key of Object.keys(participant.recognition)) {
    try {
      peerIdFromString(key);
    } catch {
      problems.push(`recognition."${key}": not a peer id; a profile names teammates by the peer id \`mutual keygen\` printed for them (12D3KooW…)`);
    }
  }
  return problems;
}

/** A listen or bootstrap address that libp2p could not use is a usage error, found before anything is written. */
function checkAddress(text: string, flag: '--listen' | '--bootstrap'): string {
  const problem = addressProblem(text, flag === '--listen' ? 'listen' : 'dial');
  if (problem !== undefined) throw new Error(`${flag} '${text}' ${problem}`);
  return text;
}

/** What this peer declares; written durably before it is declared, so an acknowledged declaration survives SIGKILL. */
const Declarations = z.object({ state: State, recognition: RecognitionWeights });
type Declarations = z.infer<typeof Declarations>;
const DECLARATIONS_FILE = 'declarations.json';
const MAX_PROFILE_BYTES = 16 * 1024 * 1024;
/** A second signal this soon after the first is the same request (\`timeout\` signals the child and its group). */
const REPEATED_SIGNAL_MS = 1000;

/** A stop request (signal) or a lost lock ended the start before the peer ran. */
class StoppedBeforeStart extends Error {
  override readonly name = 'StoppedBeforeStart';
  constructor() {
    super('stopped before it started');
  }
}

export const command: Command = {
  summary: 'run a headless peer (bootstrap, relay, or a participant from a profile)',
  async run(argv) {
    let dataDir: string;
    let network: string;
    let listen: string[] | undefined;
    let bootstrapList: string[];
    let profilePath: string | undefined;
    let useMdns: boolean;
    let maxInboundConnectionsPerHost: number | undefined;
    try {
      const parsed = parseCommandLine({
        args: [...argv],
        options: {
          'data-dir': { type: 'string' },
          network: { type: 'string' },
          listen: { type: 'string', multiple: true },
          bootstrap: { type: 'string', multiple: true },
          profile: { type: 'string' },
          'no-mdns': { type: 'boolean', default: false },
          'max-connections-per-host': { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      });
      if (parsed.values.help) {
        console.log(HELP);
        return 0;
      }
      if (parsed.values['data-dir'] === undefined) throw new Error('--data-dir is required');
      if (parsed.values['data-dir'] === '') throw new Error('--data-dir is empty');
      if (parsed.values.network === undefined) throw new Error('--network is required');
      if (parsed.values.network === '') throw new Error('--network is empty (the team\'s network name: lower case letters, digits and . _ -)');
      const name = NetworkName.safeParse(parsed.values.network);
      if (!name.success) throw new Error(`--network ${parsed.values.network}: ${name.error.issues.map((issue) => issue.message).join('; ')}`);
      dataDir = parsed.values['data-dir'];
      network = name.data;
      listen = parsed.values.listen?.map((address) => checkAddress(address, '--listen'));
      // The same address twice failed as "another process holds this port" (found by an operator pass).
      const twice = listen?.find((address, index) => listen!.indexOf(address) !== index);
      if (twice !== undefined) throw new Error(`--listen ${twice} is given twice`);
      bootstrapList = (parsed.values.bootstrap ?? []).map((address) => checkAddress(address, '--bootstrap'));
      profilePath = parsed.values.profile;
      useMdns = !parsed.values['no-mdns'];
      const perHost = parsed.values['max-connections-per-host'];
      if (perHost !== undefined) {
        maxInboundConnectionsPerHost = Number(perHost);
        if (!/^\d+$/.test(perHost) || !Number.isSafeInteger(maxInboundConnectionsPerHost) || maxInboundConnectionsPerHost < 1) throw new Error(`--max-connections-per-host ${perHost}: a whole number of at least 1`);
      }
    } catch (error) {
      console.error(`mutual peer: ${(error as Error).message}\n\n${HELP}`);
      return 2;
    }

    const log = (level: string, message: string) => process.stderr.write(`${new Date().toISOString()} ${level} ${message}\n`);
    const logger: EngineLogger = { debug() {}, info: (message) => log('info', message), warn: (message) => log('warn', message) };

    /** The pid whose lock took this peer's place while it ran; the peer then stops (see below). */
    let lockLostTo: number | undefined;
    // Created before the lock: a lock lost while the peer starts (a profile read from a slow pipe) stops it too.
    let resolveStop: () => void = () => {};
    const stopped = new Promise<void>((resolve) => (resolveStop = resolve));
    let lock: DataDirLock | undefined;

    // Installed before anything is held: a SIGTERM while the peer waited for its lock or read its profile from a slow
    // pipe killed it with 143 and left the lock (found by an operator pass). Listeners stay installed (not `once`):
    // signal-exit, which write-file-atomic loads during a write, re-raises a signal when it sees no other listener,
    // and would kill the peer mid-shutdown. A second signal within REPEATED_SIGNAL_MS is the same request (\`timeout\`
    // signals the child, then its process group); a later one forces the exit, with the shell's code for death by
    // that signal.
    let firstSignalAt: number | undefined;
    /** Aborted by the first signal: ends a wait for the lock (another starter replacing a stale one takes up to 15 s). */
    const stopRequest = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      if (firstSignalAt !== undefined) {
        if (Date.now() - firstSignalAt < REPEATED_SIGNAL_MS) return log('info', `${signal} again: already shutting down`);
        log('warn', `${signal} again: exiting without a clean shutdown`);
        lock?.releaseSync();
        process.exit(128 + (osConstants.signals[signal] ?? 0));
      }
      firstSignalAt = Date.now();
      log('info', `${signal}: shutting down`);
      stopRequest.abort(new StoppedBeforeStart());
      resolveStop();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    try {
      lock = await lockDataDir(dataDir, {
        signal: stopRequest.signal,
        onLost: (holder) => {
          lockLostTo = holder;
          log('error', `${join(dataDir, 'peer.lock')} is now held by pid ${holder} (this peer's lease ran out: was it frozen, or the clock stepped?): stopping, so that one peer runs as ${dataDir}'s identity`);
          resolveStop();
        },
      });
    } catch (error) {
      if (error instanceof StoppedBeforeStart) {
        log('info', 'stopped before it started (waiting for the lock)');
        return 0;
      }
      console.error(`mutual peer: ${error instanceof DataDirInUse ? error.message : `cannot create or lock the data dir ${dataDir}: ${(error as Error).message}`}`);
      return 1;
    }
    const heldLock = lock;

    /**
     * A start refused after the lock was taken (an invalid profile, a damaged declarations.json or identity.key) is
     * said in status.json too: `mutual status` reported the previous run as stopped cleanly (found by an operator pass).
     */
    const recordFailure = async (reason: string, known?: string) => {
      // The profile is checked before the identity is read: named all the same, when the data dir has one; without a
      // readable identity, the id the last status.json named is kept (the start that finds identity.key gone says
      // which identity to restore from it; found by a review).
      const peerId =
        known ??
        (await loadIdentity(dataDir).then((key) => (key === undefined ? undefined : peerIdFromPrivateKey(key).toString()), () => undefined)) ??
        (await readFile(join(dataDir, STATUS_FILE), 'utf8').then((text) => (JSON.parse(text) as { peerId?: unknown }).peerId, () => undefined));
      const status = { ...(typeof peerId === 'string' ? { peerId } : {}), running: false, pid: process.pid, network, failed: reason, updatedAt: new Date().toISOString() };
      await writeFileAtomic(join(dataDir, STATUS_FILE), `${JSON.stringify(status, null, 2)}\n`, { mode: 0o644, fsync: false }).catch(() => undefined);
    };

    let knownPeerId: string | undefined;
    const prepare = async () => {
      let profile: ScenarioParticipant | undefined;
      if (profilePath !== undefined) {
        // Read and checked before an identity is created: a fresh data dir got an identity.key for a profile refused.
        let raw: unknown;
        try {
          raw = await readJsonInput(profilePath, MAX_PROFILE_BYTES);
        } catch (error) {
          throw new Error(`${profilePath}: cannot read the profile: ${(error as Error).message}`);
        }
        const participant = ScenarioParticipant.safeParse(raw);
        const problems = participant.success ? [...participantProblems(participant.data), ...profileProblems(raw as Record<string, unknown>, participant.data)] : describeIssues(participant.error);
        if (!participant.success || problems.length > 0) throw new Error(`${profilePath}: invalid profile\n  ${problems.join('\n  ')}`);
        profile = participant.data;
      }
      await refuseNewIdentityOverUsedData(dataDir);
      // Stopped meanwhile (the race below has returned): no identity is created for a start that ended.
      if (firstSignalAt !== undefined || lockLostTo !== undefined) throw new StoppedBeforeStart();
      const identity = await loadOrCreateIdentity(dataDir);
      knownPeerId = identity.peerId;
      if (identity.created) log('info', `created identity ${identity.peerId} in ${dataDir}`);
      // Whoever reads the key can publish as this peer: keygen writes it 0600, a copy or restore may not keep that.
      const keyMode = (await stat(join(dataDir, IDENTITY_FILE))).mode & 0o777;
      if ((keyMode & 0o077) !== 0) log('warn', `${join(dataDir, IDENTITY_FILE)} can be read by others (mode ${keyMode.toString(8).padStart(4, '0')}): whoever reads it can publish as this peer; \`chmod 600\` it`);
      let declarations: Declarations | undefined;
      if (profile !== undefined) {
        const { id, displayName, capacities, needs, recognition } = profile;
        if (id !== identity.peerId) throw new Error(`${profilePath}: the profile is for ${id}, but this data dir's peer id is ${identity.peerId}`);
        declarations = { state: { displayName: displayName ?? id, capacities, needs }, recognition };
      } else {
        const path = join(dataDir, DECLARATIONS_FILE);
        let raw: unknown;
        try {
          raw = await readJsonInput(path, MAX_PROFILE_BYTES);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${path}: ${(error as Error).message}`);
        }
        if (raw !== undefined) {
          const saved = Declarations.safeParse(raw);
          if (!saved.success) throw new Error(`${path} is invalid: ${describeIssues(saved.error).join('; ')}`);
          declarations = saved.data;
        }
      }
      return { identity, declarations };
    };
    // A signal (or the lock lost) while preparing ends the start at once: the profile may come from a pipe that stays
    // open (the process exits once run returns, whatever is still being read).
    const prepared = await Promise.race([prepare().then((value) => ({ value }), (error: Error) => ({ error })), stopped.then(() => undefined)]);
    if (prepared === undefined || 'error' in prepared) {
      if (prepared !== undefined) {
        console.error(`mutual peer: ${prepared.error.message}`);
        if (lockLostTo === undefined) await recordFailure(prepared.error.message, knownPeerId);
      } else if (lockLostTo === undefined) log('info', 'stopped before it started');
      if (lockLostTo === undefined) await heldLock.release();
      return prepared === undefined && lockLostTo === undefined ? 0 : 1;
    }
    const { identity, declarations } = prepared.value;

    const listenAddresses = listen ?? ['/ip4/0.0.0.0/tcp/0', '/ip4/0.0.0.0/tcp/0/ws'];
    // Reachable only through a relay, with no way to find one (found by an operator pass: it started without a word).
    if (listenAddresses.every((address) => address.startsWith('/p2p-circuit')) && bootstrapList.length === 0 && !useMdns) {
      log('warn', 'listening only through a relay, but with no --bootstrap and no mDNS this peer finds no relay: it reaches only teammates it remembers, and none can reach it');
    }
    // One store for the engine's records and the network's address book (store/<network>/network.addresses.json); the
    // new owner's once the lock is lost, so the last saves as the peer stops go nowhere.
    const storage = guardedStorage(fileStorage(dataDir, network), () => lockLostTo === undefined);
    const peerNetwork = createLibp2pNetwork({
      network,
      privateKey: identity.privateKey,
      listen: listenAddresses,
      bootstrap: bootstrapList,
      mdns: useMdns,
      relay: true,
      // Peers that only listen on loopback share one host: lift the per-host connection rate limit and IP penalty.
      loopback: listenAddresses.every(isLoopbackAddress),
      ...(maxInboundConnectionsPerHost === undefined ? {} : { maxInboundConnectionsPerHost }),
      logger: { info: (message) => log('info', message), warn: (message) => log('warn', message) },
      addressStorage: storage,
    });
    const engine = createEngine({ network: peerNetwork, storage, logger });

    // status.json: rewritten (atomically) whenever the engine changes (at most every 100 ms), and at least every
    // STATUS_REFRESH_MS even when nothing changed, so that `mutual status` can tell a live peer from a dead one.
    let statusWrite: Promise<void> = Promise.resolve();
    let statusPending = false;
    let lastStatus = '';
    let lastStatusAt = Number.NEGATIVE_INFINITY;
    let statusFailing = false;
    let running = true;
    /** Why the peer stopped, when it did not stop on a signal (status.json keeps it for `mutual status`). */
    let failure: string | undefined;
    // What an operator reads in the log besides errors: when this peer converges or starts converging again, and what
    // came out for it (status.json has the detail). An operator pass found the log silent after the start lines.
    // Said again when what came out changes while converged: the snapshot is read at status writes (every 100 ms at
    // most), so a peer that converged on its own, then took a teammate's flows and converged again between two reads,
    // kept "capacity 0/4; 0 flows" as its last word (found by an operator pass).
    /** What the last line said: the outcome when converged, '' while converging (undefined before the first). */
    let logged: string | undefined;
    const logConvergence = (snapshot: EngineSnapshot) => {
      if (!running) return;
      const outcome = snapshot.converged ? describeOutcome(snapshot) : '';
      if (outcome === logged) return;
      logged = outcome;
      log('info', snapshot.converged ? `converged in round ${snapshot.round} with ${peersText(peerNetwork.connectedPeers().length)} connected: ${outcome}` : `converging (round ${snapshot.round}, phase ${snapshot.phaseName})`);
    };
    const writeStatus = () => {
      // status.json is the new owner's once the lock is lost.
      if (statusPending || lockLostTo !== undefined) return statusWrite;
      statusPending = true;
      statusWrite = statusWrite.then(async () => {
        statusPending = false;
        const snapshot = engine.snapshot();
        logConvergence(snapshot);
        const content = {
          peerId: identity.peerId,
          running,
          pid: process.pid,
          addresses: running ? peerNetwork.addresses() : [],
          network,
          round: snapshot.round,
          phase: snapshot.phase,
          phaseName: snapshot.phaseName,
          converged: snapshot.converged,
          ...(snapshot.problem === undefined ? {} : { problem: snapshot.problem }),
          ...(failure === undefined ? {} : { failed: failure }),
          peers: peerNetwork.connectedPeers(),
          allocations: snapshot.allocations,
          needs: snapshot.needs,
          capacities: snapshot.capacities,
          counters: peerNetwork.counters,
        };
        const text = JSON.stringify(content);
        // Timed on the monotonic clock: after the wall clock stepped back, Date.now() - lastStatusAt stayed negative and a
        // quiet peer stopped rewriting status.json, which `mutual status` then called not running (found by a review).
        if (text === lastStatus && performance.now() - lastStatusAt < STATUS_REFRESH_MS) return;
        const updatedAt = new Date();
        await writeFileAtomic(join(dataDir, STATUS_FILE), `${JSON.stringify({ ...content, updatedAt: updatedAt.toISOString() }, null, 2)}\n`, { mode: 0o644, fsync: false });
        lastStatus = text;
        lastStatusAt = performance.now();
        if (statusFailing) log('info', 'status.json is written again');
        statusFailing = false;
      }).catch((error: Error) => {
        // Said when it starts failing, not on every attempt (a read-only data dir logged this every second).
        if (!statusFailing) log('warn', `cannot write status: ${error.message} (trying again every second; \`mutual status\` will call this peer stale)`);
        statusFailing = true;
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


    const changes = engine.onDidChange(scheduleStatus);
    const connections = peerNetwork.on((event) => {
      if (event.type === 'peer:connect' || event.type === 'peer:disconnect') log('info', `${event.type === 'peer:connect' ? 'connected to' : 'disconnected from'} ${event.peer} (${peersText(peerNetwork.connectedPeers().length)} connected)`);
    });
    const heartbeat = setInterval(() => void writeStatus(), 1000);
    try {
      // A lock lost while starting: nothing more is published or written as this data dir's peer.
      const stillOwner = () => {
        if (lockLostTo !== undefined) throw new Error(`the data dir's lock was taken over by pid ${lockLostTo}`);
      };
      stillOwner();
      if (profilePath !== undefined && declarations !== undefined) {
        // A new profile is checked before declarations.json is written: one too large to publish replaced the saved
        // declarations, and every later start failed on them (found by an operator pass). And before the peer goes
        // online: it printed its addresses and republished the earlier declarations first (found by another). Measured
        // with the largest causal clock (spec 8.4), as it must stay publishable once teammates are in the clock; saved
        // declarations are not checked again (an earlier version measured with the clock of the moment).
        for (const [kind, payload, what] of [['state', declarations.state, 'capacities and needs (descriptions take the most room)'], ['relationships', { recognition: declarations.recognition }, 'recognition entries']] as const) {
          const size = engine.recordSize(kind, payload);
          if (size > MAX_RECORD_BYTES) throw new Error(`${profilePath}: its ${kind} would need a record of ${size} bytes with a full causal clock (256 teammates), more than the ${MAX_RECORD_BYTES} one record may hold: remove or shorten some ${what}`);
        }
      }
      await engine.start();
      console.log(`peer ${identity.peerId}`);
      const addresses = peerNetwork.addresses();
      for (const address of addresses) console.log(`listening ${address}`);
      if (addresses.length === 0) console.log('listening only through a relay (no direct addresses yet)');
      // A signal while the node started: nothing is saved or declared after the stop request (found by a review).
      if (declarations !== undefined && firstSignalAt === undefined) {
        if (profilePath !== undefined) {
          // Durable before it is declared (temp file, fsync, rename).
          stillOwner();
          await writeFileAtomic(join(dataDir, DECLARATIONS_FILE), JSON.stringify(declarations), { mode: 0o600, fsync: true });
        }
        stillOwner();
        if (firstSignalAt !== undefined) return await stopped.then(() => 0);
        await engine.declareState(declarations.state);
        await engine.setRecognition(declarations.recognition);
        log('info', `declared ${declarations.state.capacities.length} capacities, ${declarations.state.needs.length} needs, recognition of ${Object.keys(declarations.recognition).length} peers`);
      }
      await writeStatus();
      await stopped;
      stillOwner();
    } catch (error) {
      failure = describeStartFailure(error as Error);
      log('error', `peer failed: ${failure}`);
      return 1;
    } finally {
      clearInterval(heartbeat);
      if (statusTimer !== undefined) clearTimeout(statusTimer);
      changes.dispose();
      connections.dispose();
      await engine.stop().catch((error: Error) => log('warn', `stop: ${error.message}`));
      running = false;
      await writeStatus();
      await heldLock.release();
      // The signal listeners stay until the process exits (they do not keep it alive): a repeated signal arriving after
      // a quick shutdown would otherwise kill the process, which has shut down cleanly, with that signal.
    }
    return 0;
  },
};
