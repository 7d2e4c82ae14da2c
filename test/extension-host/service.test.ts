// Room: test (extension host side, no vscode). The service the commands, views and panel are built on, over the
// in-process demo team (real timers, in-memory network: nothing listens).
import assert from 'node:assert/strict';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { createEngine, MemoryNetworkHub, memoryStorage, realScheduler, type Engine, type EngineStorage } from '../../src/engine/index.ts';
import { createDemoNetworkFactory } from '../../src/extension/demo-network.ts';
import { EngineMutualService, type NetworkFactory } from '../../src/extension/service.ts';

const silent = { debug() {}, info() {}, warn() {} };

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function service(options: { createNetwork?: NetworkFactory; displayName?: string; storages?: Map<string, EngineStorage>; storage?: (self: string, use?: 'read') => EngineStorage; exclusive?: (onLost: (holder: number) => void) => Promise<{ release(): Promise<void> }>; identity?: { key?: string } } = {}) {
  const identity = options.identity ?? {};
  const storages = options.storages ?? new Map<string, EngineStorage>();
  return new EngineMutualService({
    identity: { load: async () => identity.key, save: async (encoded) => void (identity.key = encoded) },
    storage:
      options.storage ??
      ((self) => {
        if (!storages.has(self)) storages.set(self, memoryStorage());
        return storages.get(self)!;
      }),
    createNetwork: options.createNetwork ?? createDemoNetworkFactory(() => ({})),
    config: () => ({}),
    logger: silent,
    ...(options.displayName === undefined ? {} : { displayName: () => options.displayName! }),
    ...(options.exclusive === undefined ? {} : { exclusive: options.exclusive }),
  });
}

describe('extension service', function () {
  this.timeout(30_000);

  it('finds the same four demo teammates after every rejoin (no teammates of earlier sessions linger)', async function () {
    const mutual = service();
    try {
      const sessions: string[][] = [];
      for (let session = 0; session < 3; session++) {
        await mutual.join();
        await until('the four teammates', () => mutual.knownPeers().length >= 4);
        // Teammates of an earlier session would come back from the cache within the first gossip.
        await new Promise((resolve) => setTimeout(resolve, 300));
        sessions.push(mutual.knownPeers().map((peer) => `${peer.displayName} ${peer.id}`));
        await mutual.leave();
      }
      assert.equal(sessions[0]!.length, 4, sessions[0]!.join('\n'));
      assert.deepEqual(sessions[1], sessions[0]);
      assert.deepEqual(sessions[2], sessions[0]);
    } finally {
      await mutual.leave();
    }
  });

  it('leaves saying a join to the extension, which names the network (the log said "joined as <peer id>" twice per join)', async function () {
    const lines: string[] = [];
    const mutual = new EngineMutualService({
      identity: { load: async () => undefined, save: async () => undefined },
      storage: () => memoryStorage(),
      createNetwork: createDemoNetworkFactory(() => ({})),
      config: () => ({}),
      logger: { debug() {}, info: (message) => void lines.push(message), warn: (message) => void lines.push(message) },
    });
    try {
      await mutual.join();
      assert.equal(mutual.joined, true);
      assert.deepEqual(lines.filter((line) => /\bjoined\b/.test(line)), []);
    } finally {
      await mutual.leave();
    }
  });

  it('declares the display name on join', async function () {
    const mutual = service({ displayName: 'Ana Lima' });
    try {
      await mutual.join();
      assert.equal(mutual.myState().displayName, 'Ana Lima');
    } finally {
      await mutual.leave();
    }
  });

  it('a join with a lost cache takes my declarations back from a teammate, under the name the setting says now (spec 8.3)', async function () {
    // One network across both joins, with a teammate that recognizes me and so follows my state.
    const hub = new MemoryNetworkHub({ scheduler: realScheduler, seed: 2, latencyMs: [5, 20] });
    let teammate: Engine | undefined;
    const createNetwork: NetworkFactory = async (key) => {
      const network = await hub.createPeer(key);
      if (teammate === undefined) {
        teammate = createEngine({ network: await hub.createPeer(await generateKeyPair('Ed25519')), storage: memoryStorage() });
        await teammate.start();
        await teammate.declareState({ displayName: 'Bo', capacities: [], needs: [{ id: 'n1', type: 'review', quantity: 1 }] });
        await teammate.setRecognition({ [network.self]: 1 });
      }
      return { network, addresses: () => [], stop: () => network.stop() };
    };
    const identity: { key?: string } = {};
    const first = service({ createNetwork, identity, displayName: 'Ana Lima' });
    let me = '';
    try {
      await first.join();
      me = first.selfId()!;
      await first.declare('capacity', { id: 'c1', type: 'review', quantity: 2, skills: [] });
      await first.setRecognition(teammate!.self, 1);
      await until('the teammate holds my capacity', () => teammate!.stores.networkStates.peek().get(me)?.capacities.length === 1);
    } finally {
      await first.leave();
    }
    // The same identity, nothing cached (another machine, or global state cleared), and another name in the setting.
    const again = service({ createNetwork, identity, displayName: 'Ana L.' });
    try {
      await again.join();
      await until('my declarations back', () => again.myState().capacities.length === 1 && again.myState().displayName === 'Ana L.' && again.myRecognition()[teammate!.self] === 1);
      assert.deepEqual(again.myState().capacities.map((slot) => [slot.id, slot.quantity]), [['c1', 2]]);
      await until('the teammate holds them under the new name', () => teammate!.stores.networkStates.peek().get(me)?.displayName === 'Ana L.');
      assert.equal(teammate!.stores.networkStates.peek().get(me)?.capacities.length, 1);
    } finally {
      await again.leave();
      await teammate?.stop();
    }
  });

  it('a join on another network shows and publishes that network\'s declarations, not those I left the last one with (found by a review)', async function () {
    let current = 'a';
    const hubs: Record<string, MemoryNetworkHub> = { a: new MemoryNetworkHub({ scheduler: realScheduler, seed: 1, networkName: 'team-a' }), b: new MemoryNetworkHub({ scheduler: realScheduler, seed: 2, networkName: 'team-b' }) };
    const teammates: Record<string, Engine> = {};
    const createNetwork: NetworkFactory = async (key) => {
      const network = await hubs[current]!.createPeer(key);
      teammates[current] ??= createEngine({ network: await hubs[current]!.createPeer(await generateKeyPair('Ed25519')), storage: memoryStorage() });
      await teammates[current]!.start();
      await teammates[current]!.setRecognition({ [network.self]: 1 });
      return { network, addresses: () => [], stop: () => network.stop() };
    };
    // One cache per network, as the extension keeps them (storageScope).
    const storages = new Map<string, EngineStorage>();
    const mutual = service({ createNetwork, displayName: 'Ana', storage: (self) => storages.get(`${current} ${self}`) ?? storages.set(`${current} ${self}`, memoryStorage()).get(`${current} ${self}`)! });
    try {
      await mutual.join();
      await mutual.declare('need', { id: 'a-need', type: 'review', quantity: 2, skills: [] });
      await mutual.setRecognition(teammates.a!.self, 3);
      await mutual.leave();
      assert.deepEqual(mutual.myState().needs.map((slot) => slot.id), ['a-need'], 'shown while offline');
      current = 'b';
      await mutual.join();
      assert.deepEqual(mutual.myState().needs, []);
      assert.deepEqual(mutual.myRecognition(), {});
      assert.equal(mutual.myState().displayName, 'Ana', 'named on this network too');
      await mutual.declare('need', { id: 'b-need', type: 'review', quantity: 1, skills: [] });
      await until('the teammate on b holds my state', () => teammates.b!.stores.networkStates.peek().get(mutual.selfId()!)?.needs.length === 1);
      assert.deepEqual(teammates.b!.stores.networkStates.peek().get(mutual.selfId()!)?.needs.map((slot) => slot.id), ['b-need']);
    } finally {
      await mutual.leave();
      for (const engine of Object.values(teammates)) await engine.stop();
    }
  });

  it('before joining (a reload), shows my last declarations and the teammates I recognize by name, from the cache (found by a usability pass)', async function () {
    const identity: { key?: string } = {};
    const storages = new Map<string, EngineStorage>();
    const first = service({ identity, storages, displayName: 'Ana' });
    let teammate: { id: string; label: string } | undefined;
    try {
      await first.join();
      await until('a demo teammate with its name', () => first.knownPeers().some((peer) => peer.displayName !== undefined));
      teammate = first.knownPeers().find((peer) => peer.displayName !== undefined)!;
      await first.declare('need', { id: 'my-need', type: 'review', quantity: 2, skills: [] });
      await first.setRecognition(teammate.id, 2);
      await new Promise((resolve) => setTimeout(resolve, 400)); // the cache is written debounced
    } finally {
      await first.leave();
    }
    // Another window, or the same after Developer: Reload Window: nothing in memory, the same identity and cache.
    const uses: (string | undefined)[] = [];
    const reloaded = service({ identity, storage: (self, use) => (uses.push(use), storages.get(self)!) });
    assert.equal(reloaded.viewModel().myState.needs.length, 0, 'nothing before the cache is read');
    await reloaded.restoreDeclarations();
    const model = reloaded.viewModel();
    assert.equal(model.joined, false);
    assert.equal(model.self, first.viewModel().self, 'my peer id, by which teammates\' recognition names me (the graph drew one-way arrows)');
    assert.ok(model.self !== undefined && model.peers[0]!.recognition[model.self]! > 0);
    assert.deepEqual(model.myState.needs.map((slot) => slot.id), ['my-need']);
    assert.deepEqual(model.myRecognition, { [teammate!.id]: 2 });
    assert.deepEqual(model.peers.map((peer) => [peer.id, peer.label, peer.active]), [[teammate!.id, teammate!.label, false]]);
    // As their last records say, not guessed: the demo teammates recognize me, so the tier is mutual (a review found
    // "recognizes me 0" and a one-way arrow offline).
    assert.ok(model.peers[0]!.theirRecognition > 0);
    assert.equal(model.peers[0]!.tier, 'primary');
    assert.deepEqual(uses, ['read'], 'read only: nothing moved or written without the identity\'s lock');
  });

  it('read offline again when the network changes: the new network\'s cache, not the previous one\'s declarations (found by a review)', async function () {
    const identity: { key?: string } = {};
    const storages = new Map<string, EngineStorage>();
    const first = service({ identity, storages, displayName: 'Ana' });
    try {
      await first.join();
      await first.declare('need', { id: 'team-a-need', type: 'review', quantity: 2, skills: [] });
      await new Promise((resolve) => setTimeout(resolve, 400)); // the cache is written debounced
    } finally {
      await first.leave();
    }
    // One cache per network, as storageScope gives: the settings name team-a, then team-b (empty).
    let network = 'team-a';
    const other = memoryStorage();
    const offline = service({ identity, storage: (self) => (network === 'team-a' ? storages.get(self)! : other) });
    await offline.restoreDeclarations();
    assert.deepEqual(offline.viewModel().myState.needs.map((slot) => slot.id), ['team-a-need']);
    network = 'team-b';
    await offline.restoreDeclarations(); // nothing new without `again`: what is shown stays
    assert.deepEqual(offline.viewModel().myState.needs.map((slot) => slot.id), ['team-a-need']);
    await offline.restoreDeclarations({ again: true });
    assert.deepEqual(offline.viewModel().myState.needs, [], 'team-b has no declarations of mine');
    assert.deepEqual(offline.viewModel().myRecognition, {});
    // After a leave too: the view of the network left gives way to the one the settings name now.
    network = 'team-a';
    await offline.join();
    await offline.leave();
    assert.deepEqual(offline.viewModel().myState.needs.map((slot) => slot.id), ['team-a-need'], 'the leave shows what I declared there');
    network = 'team-b';
    await offline.restoreDeclarations({ again: true });
    assert.deepEqual(offline.viewModel().myState.needs, []);
  });

  it('says before the steps when my declarations fill a record, and what to do when one slot does not fit (found by a review)', async function () {
    const mutual = service();
    try {
      await mutual.join();
      // Slots of 2 KiB descriptions until the room left is refused upfront (room is kept for the largest causal clock).
      const slot = (index: number) => ({ id: `c${index}`, type: 'review', quantity: 1, skills: [], description: 'x'.repeat(2000) });
      let refusedBefore: string | undefined;
      let index = 0;
      for (; index < 40 && refusedBefore === undefined; index++) {
        try {
          mutual.assertRoomForSlot();
        } catch (error) {
          refusedBefore = (error as Error).message;
          break;
        }
        await mutual.declare('capacity', slot(index));
      }
      assert.match(refusedBefore ?? '', /^your declarations fill the one record they go in \(64 KiB, with room kept for the causal clock; \d+ bytes left\): remove or shorten some slots before adding one$/);
      // Declared past the check (an API call may), a slot that does not fit in a record at all is refused with what to
      // do, and changes nothing.
      let refusedAfter: string | undefined;
      for (; index < 60 && refusedAfter === undefined; index++) {
        const before = mutual.myState().capacities.length;
        const refused = await mutual.declare('capacity', slot(index)).then(
          () => false,
          (error: unknown) => ((refusedAfter = (error as Error).message), true),
        );
        if (refused) assert.equal(mutual.myState().capacities.length, before, 'a refused slot changes nothing');
      }
      assert.match(refusedAfter ?? '', /more than 65536, which one record may hold: remove or shorten some slots \(descriptions take the most room\)$/);
      // Removing one slot is never refused (a review: with the bound applied to every declaration, a state saved by an
      // earlier version could not be made smaller one slot at a time).
      await mutual.removeDeclaration('capacity', 'c0');
      // Removing slots makes room again.
      for (let removed = 0; removed < 30 && mutual.myState().capacities.length > 0; removed++) {
        try {
          mutual.assertRoomForSlot();
          break;
        } catch {
          await mutual.removeDeclaration('capacity', mutual.myState().capacities.at(-1)!.id);
        }
      }
      assert.doesNotThrow(() => mutual.assertRoomForSlot());
    } finally {
      await mutual.leave();
    }
  });

  it('the Coordination rows start with mine (its stability factor showed nowhere), and one view model serves every reader until a change (found by a review)', async function () {
    const mutual = service({ displayName: 'Probe' });
    try {
      await mutual.join();
      await until('the demo teammates announce', () => mutual.viewModel().coordination.length >= 5);
      const model = mutual.viewModel();
      assert.equal(model.coordination[0]?.peer, mutual.selfId());
      assert.equal(model.coordination[0]?.label, 'Probe (me)');
      assert.equal(model.coordination.filter((row) => row.peer === mutual.selfId()).length, 1);
      assert.equal(model.freshnessMs, 30_000);
      assert.ok(model.coordination.every((row) => row.label.length > 0));
      assert.equal(mutual.viewModel(), model, 'the same object while nothing changed');
      // Ages and my live clock move on while a quiet network fires nothing: built again after a second (a second review).
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const later = mutual.viewModel();
      assert.notEqual(later, model);
      assert.equal(mutual.viewModel(), later);
      await mutual.declare('need', { id: 'n1', type: 'review', quantity: 1, skills: [] });
      assert.notEqual(mutual.viewModel(), model);
      assert.deepEqual(mutual.viewModel().myState.needs.map((slot) => slot.id), ['n1']);
    } finally {
      await mutual.leave();
    }
  });

  it('keeps slot ids unique across capacities and needs; an edit replaces in place', async function () {
    const mutual = service();
    try {
      await mutual.join();
      await mutual.declare('capacity', { id: 'c1', type: 'review', quantity: 2, skills: [] });
      await mutual.declare('capacity', { id: 'c2', type: 'pairing', quantity: 1, skills: [] });
      await assert.rejects(mutual.declare('need', { id: 'c1', type: 'review', quantity: 1, skills: [] }), /already used by your capacity "c1"/);
      await assert.rejects(mutual.declare('capacity', { id: 'c1', type: 'review', quantity: 9, skills: [] }), /already declared a capacity "c1": use "Mutual: Edit Declaration"/);
      await assert.rejects(mutual.declare('need', { id: 'n9', type: 'review', quantity: 1, skills: [] }, { replace: true }), /no need with id n9/);
      await mutual.declare('capacity', { id: 'c1', type: 'review', quantity: 5, skills: [] }, { replace: true });
      assert.deepEqual(
        mutual.myState().capacities.map((slot) => [slot.id, slot.quantity]),
        [['c1', 5], ['c2', 1]],
      );
      assert.deepEqual(mutual.myState().needs, []);
      await mutual.setRecognition(mutual.selfId()!, 1);
      // After leaving, my declarations still show (the panel said "no declarations yet", found by a usability pass).
      await mutual.leave();
      assert.deepEqual(mutual.myState().capacities.map((slot) => slot.id), ['c1', 'c2']);
      assert.equal(Object.keys(mutual.myRecognition()).length, 1);
    } finally {
      await mutual.leave();
    }
  });

  it('a failed join leaves nothing running', async function () {
    let stopped = 0;
    const demo = createDemoNetworkFactory(() => ({}));
    const failing: NetworkFactory = async (key) => {
      const node = await demo(key);
      return {
        ...node,
        afterJoin: async () => {
          throw new Error('the teammates did not start');
        },
        stop: async () => {
          stopped++;
          await node.stop?.();
        },
      };
    };
    const mutual = service({ createNetwork: failing });
    await assert.rejects(mutual.join(), /the teammates did not start/);
    assert.equal(mutual.joined, false);
    assert.equal(mutual.selfId(), undefined);
    assert.equal(stopped, 1);
  });

  it('offers the address a teammate can dial first', async function () {
    const demo = createDemoNetworkFactory(() => ({}));
    const twoInterfaces: NetworkFactory = async (key) => ({ ...(await demo(key)), addresses: () => ['/ip4/127.0.0.1/tcp/4001/p2p/me', '/ip4/192.168.1.20/tcp/4001/p2p/me'] });
    const mutual = service({ createNetwork: twoInterfaces });
    try {
      await mutual.join();
      assert.equal(mutual.myAddress(), '/ip4/192.168.1.20/tcp/4001/p2p/me');
      assert.deepEqual(mutual.myAddresses(), ['/ip4/192.168.1.20/tcp/4001/p2p/me', '/ip4/127.0.0.1/tcp/4001/p2p/me']);
    } finally {
      await mutual.leave();
    }
  });
});

describe('extension service: one process per identity', function () {
  this.timeout(30_000);

  it('refuses a second join of the same identity until the first leaves, and a failed join frees the lock', async function () {
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { lockDataDir } = await import('../../src/network/process-lock.ts');
    const directory = await mkdtemp(join(tmpdir(), 'mutual-lease-'));
    const exclusive = () => lockDataDir(directory);
    const first = service({ exclusive });
    const second = service({ exclusive });
    try {
      await first.join();
      await assert.rejects(second.join(), /is in use by pid \d+/);
      assert.equal(second.joined, false);
      await first.leave();
      await second.join();
      assert.equal(second.joined, true);
      await second.leave();
      const failing = service({ exclusive, createNetwork: async () => { throw new Error('no network'); } });
      await assert.rejects(failing.join(), /no network/);
      await first.join();
    } finally {
      await first.leave();
      await second.leave();
    }
  });

  it('leaves when another process took over its lock while joined (found by an operator pass: it went on unaware)', async function () {
    let lose: ((holder: number) => void) | undefined;
    let released = 0;
    const cache = memoryStorage();
    // The node's own cache (the extension's address book) goes through the join's guard too.
    const addressBook = memoryStorage();
    let nodeCache: EngineStorage | undefined;
    const demo = createDemoNetworkFactory(() => ({}));
    const createNetwork: NetworkFactory = async (key, guardCache) => ((nodeCache = guardCache!(addressBook)), demo(key));
    const lost = service({ createNetwork, storage: () => cache, exclusive: async (onLost) => ((lose = onLost), { release: async () => void released++ }) });
    await lost.join();
    assert.equal(lost.joined, true);
    await lost.declare('need', { id: 'n1', type: 'review', quantity: 1, skills: [] });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const before = JSON.stringify([...cache.data]);
    // The other process owns the cache now (found by a review: the engine's saves as it stopped rewrote it).
    for (const key of cache.data.keys()) cache.data.set(key, 'the new owner\'s');
    lose!(4242);
    for (let wait = 0; wait < 100 && lost.joined; wait++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(lost.joined, false);
    assert.equal(released, 1, 'its lease released (the lock itself is the other process\'s)');
    assert.ok(before.length > 2, 'the engine kept a cache while joined');
    assert.ok([...cache.data.values()].every((value) => value === 'the new owner\'s'), 'nothing saved after the lease was lost');
    await nodeCache!.save('addresses', { saved: 'after the loss' });
    assert.equal(addressBook.data.size, 0, 'the node\'s cache saves nothing either');
  });
});
