// Room: extension tests (run INSIDE VS Code). May touch: vscode, mocha globals, node:assert.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { createEngine, memoryStorage } from '../../src/engine/index.ts';
import type { MutualExtensionApi } from '../../src/extension/extension.ts';
import { createLibp2pNetwork } from '../../src/network/index.ts';

const EXTENSION_ID = 'mutual-dev.mutual';

/** Polls until the condition holds; fails with the description after the timeout. */
async function until(description: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function suite(): void {
  describe('Mutual extension', function () {
    let api: MutualExtensionApi;

    before(async function () {
      // The suite starts on the in-process demo network; whatever listens stays on 127.0.0.1 with mDNS off (the
      // product defaults listen on every interface and use mDNS). User settings: the test workspace is untrusted, and
      // restricted mode ignores the workspace's network settings.
      const config = vscode.workspace.getConfiguration('mutual');
      await config.update('network.transport', 'demo', vscode.ConfigurationTarget.Global);
      await config.update('network.listenAddresses', ['/ip4/127.0.0.1/tcp/0'], vscode.ConfigurationTarget.Global);
      await config.update('network.mdns', false, vscode.ConfigurationTarget.Global);
      const extension = vscode.extensions.getExtension<MutualExtensionApi>(EXTENSION_ID);
      assert.ok(extension, `${EXTENSION_ID} is installed`);
      api = await extension.activate();
    });

    after(async function () {
      await vscode.commands.executeCommand('mutual.leaveNetwork');
      const config = vscode.workspace.getConfiguration('mutual');
      for (const key of ['network.transport', 'network.listenAddresses', 'network.mdns']) await config.update(key, undefined, vscode.ConfigurationTarget.Global);
    });

    it('activates without starting the node', function () {
      assert.equal(api.service.joined, false);
      assert.ok(Number.isFinite(api.activationMs));
      console.log(`      activation took ${api.activationMs.toFixed(1)} ms`);
      assert.match(api.statusText(), /offline/);
      assert.equal(api.peersTreeChildren(), 0);
    });

    it('registers every contributed command', async function () {
      const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
      const contributed = (extension.packageJSON as { contributes: { commands: { command: string }[] } }).contributes.commands.map((entry) => entry.command);
      const registered = new Set(await vscode.commands.getCommands(true));
      const missing = contributed.filter((command) => !registered.has(command));
      assert.deepEqual(missing, [], `contributed commands not registered: ${missing.join(', ')}`);
      assert.ok(contributed.length >= 16);
    });

    it('joins the network through the command and shows peers', async function () {
      await vscode.commands.executeCommand('mutual.joinNetwork');
      assert.equal(api.service.joined, true);
      await until('the four sample teammates', () => api.service.knownPeers().filter((peer) => peer.displayName !== undefined).length === 4);
      await until('the status bar to show the round', () => /round \d+/.test(api.statusText()), 5_000);
      assert.equal(api.peersTreeChildren(), 3);
      // A peer's hover lists its declarations (examples/demo-team.json), as text.
      const hovers = api.peerHovers().join('\n').replace(/&nbsp;/g, ' ').replace(/\\(.)/g, '$1'); // appendText's escaping
      assert.match(hovers, /Capacity: review 6 hours \(rust, typescript\)/);
      assert.match(hovers, /Need: pairing 3 hours \(libp2p\)/);
    });

    it('rejects an invalid declaration and changes nothing', async function () {
      const before = api.service.myState();
      await assert.rejects(Promise.resolve(vscode.commands.executeCommand('mutual.declareCapacity', { id: 'bad id with spaces', type: 'review', quantity: -1 })));
      assert.deepEqual(api.service.myState(), before);
    });

    it('a failure reaches callers that pass arguments, not clicks in a view (shown once, as from the palette)', async function () {
      const before = api.service.myRecognition();
      await assert.rejects(Promise.resolve(vscode.commands.executeCommand('mutual.setRecognition', { peer: 'not a peer id!' })));
      assert.equal(await vscode.commands.executeCommand('mutual.setRecognition', { peer: 'not a peer id!', fromView: true }), undefined);
      assert.deepEqual(api.service.myRecognition(), before);
    });

    it('declares through commands; the teammates receive it and allocations converge', async function () {
      // A persistent profile (desktop runs) may hold the declarations of an earlier run: a used id is refused.
      for (const [kind, field] of [['capacity', 'capacities'], ['need', 'needs']] as const) {
        for (const slot of api.service.myState()[field]) await vscode.commands.executeCommand('mutual.removeDeclaration', { kind, id: slot.id });
      }
      await vscode.commands.executeCommand('mutual.declareCapacity', { id: 'me-review', type: 'review', quantity: 4, unit: 'hours', skills: ['rust'] });
      await vscode.commands.executeCommand('mutual.declareNeed', { id: 'me-pairing', type: 'pairing', quantity: 1, unit: 'hours' });
      const state = api.service.myState();
      assert.deepEqual(state.capacities.map((slot) => slot.id), ['me-review']);
      assert.deepEqual(state.needs.map((slot) => slot.id), ['me-pairing']);
      for (const peer of api.service.knownPeers()) await vscode.commands.executeCommand('mutual.setRecognition', { peer: peer.id, weight: 1 });
      const self = api.service.selfId()!;
      // A teammate received my need (over the network) and allocates to it from its capacity.
      await until('a teammate allocating to my need', () => api.service.viewModel().allocations.some((row) => row.recipient === self && row.need === 'me-pairing' && row.quantity > 0), 45_000);
      await until('convergence', () => api.service.viewModel().converged, 45_000);
      const model = api.service.viewModel();
      assert.ok(model.peers.every((peer) => peer.tier === 'primary'), 'mutual recognition makes every teammate primary');
      assert.ok(model.history.length > 0);
    });

    it('edits and removes declarations', async function () {
      await vscode.commands.executeCommand('mutual.editDeclaration', { kind: 'need', slot: { id: 'me-pairing', type: 'pairing', quantity: 2 } });
      assert.equal(api.service.myState().needs[0]?.quantity, 2);
      await vscode.commands.executeCommand('mutual.removeDeclaration', { kind: 'need', id: 'me-pairing' });
      assert.deepEqual(api.service.myState().needs, []);
      await assert.rejects(Promise.resolve(vscode.commands.executeCommand('mutual.removeDeclaration', { kind: 'need', id: 'me-pairing' })));
    });

    it('the Peers tree: a row tells a screen reader its tier, and its context menu sets that peer\'s recognition', async function () {
      // Every teammate recognizes me, and I them (the test before): each row is mutual, as its group and icon show.
      const rows = api.peerRows();
      assert.ok(rows.length > 0);
      for (const row of rows) assert.match(row.accessibilityLabel ?? '', /^[^,]+, mutual recognition(, |$)/);
      // The row's context menu (package.json view/item/context) passes the row's element: the weight box opens for
      // that peer, prefilled with 1 for a peer I no longer recognize, and is accepted as it is.
      const peer = (rows[0]!.element as { peer: { id: string } }).peer.id;
      await api.service.setRecognition(peer, 0);
      const accepting = setInterval(() => void vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem'), 250);
      try {
        assert.equal(await vscode.commands.executeCommand('mutual.setRecognition', rows[0]!.element), 1);
        assert.equal(api.service.myRecognition()[peer], 1);
      } finally {
        clearInterval(accepting);
        await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
        await api.service.setRecognition(peer, 1);
      }
    });

    it('debug commands return the protocol state', async function () {
      await until('convergence', () => api.service.viewModel().converged, 45_000);
      const self = api.service.selfId()!;
      const dryRun = () => vscode.commands.executeCommand<{ allocations: unknown[]; metrics: unknown; converged: boolean }>('mutual.debug.computeResults', 'return');
      const results = await dryRun();
      assert.ok(Array.isArray(results.allocations));
      assert.ok(results.metrics);
      // From the records a round uses: in a converged network the dry run changes nothing (it ignored the providers'
      // offers and read every need unmet, found by a usability pass). Waited for: a teammate's last results may arrive
      // just after my view model said converged (once in a CI run), and my next round then settles it again.
      let latest = results;
      for (const deadline = Date.now() + 10_000; !latest.converged && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        latest = await dryRun();
      }
      assert.equal(latest.converged, true);
      // Keyed by peer id as the clocks are, my own live clock included, and a name for me and every teammate (they were
      // keyed by display name, beside clock values keyed by id, and mine was missing).
      const clocks = await vscode.commands.executeCommand<{ self: { peer: string; clock: Record<string, number> }; peers: Record<string, { clock: Record<string, number> }>; names: Record<string, string> }>('mutual.debug.inspectCausalClocks', 'return');
      assert.equal(clocks.self.peer, self);
      assert.ok((clocks.self.clock[self] ?? 0) > 0, 'my clock counts my own records');
      assert.ok(Object.keys(clocks.peers).length >= 1 && !(self in clocks.peers));
      for (const { id } of api.service.knownPeers()) assert.equal(clocks.names[id], api.service.knownPeers().find((peer) => peer.id === id)?.displayName);
      assert.equal(clocks.names[self], api.service.myState().displayName);
      const factors = await vscode.commands.executeCommand<Record<string, { stabilityFactor: number }>>('mutual.debug.computeStabilityFactor', 'return');
      assert.ok(Object.keys(factors).every((peer) => peer.startsWith('12D3') || peer.startsWith('Qm')), 'keyed by peer id');
      assert.ok(Object.values(factors).every(({ stabilityFactor }) => stabilityFactor >= 0 && stabilityFactor <= 1));
      // From the palette: a read-only JSON document, not an untitled editor that asks to be saved on close.
      await vscode.commands.executeCommand('mutual.debug.computeStabilityFactor');
      const shown = vscode.window.activeTextEditor?.document;
      assert.equal(shown?.uri.scheme, 'mutual-debug');
      assert.equal(shown?.isUntitled, false);
      assert.deepEqual(JSON.parse(shown?.getText() ?? 'null'), factors);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      const exported = await vscode.commands.executeCommand<{ state: { capacities: { id: string }[] }; peers: { state?: unknown }[]; history: unknown[]; allocations: unknown[] }>('mutual.exportState', 'return');
      assert.equal(exported.state.capacities[0]?.id, 'me-review');
      // The teammates' declarations, the flows and the rounds, as the panel shows them.
      assert.ok(exported.peers.some((peer) => peer.state !== undefined), 'teammates\' declarations');
      assert.ok(exported.history.length > 0 && exported.allocations.length > 0, 'history and flows');
      // Said either way, also when there is nothing to advance (found by a usability pass).
      assert.match((await vscode.commands.executeCommand<string>('mutual.debug.forcePhaseAdvancement')) ?? '', /^(nothing to advance: phase \w+, round \d+|phase \w+ \(round \d+\) -> \w+ \(round \d+\))/);
    });

    it('opens the panel', async function () {
      await vscode.commands.executeCommand('mutual.showPanel');
      await until('the panel tab', () => vscode.window.tabGroups.all.some((group) => group.tabs.some((tab) => tab.input instanceof vscode.TabInputWebview && tab.label === 'Mutual')), 10_000);
    });

    it('sends a hidden panel nothing until it shows again', async function () {
      this.timeout(30_000);
      await until('the first view model', () => (api.panelViewModelsPosted() ?? 0) > 0, 10_000);
      // Another editor in the panel's group hides it (the webview stays alive: retainContextWhenHidden).
      const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ content: 'hides the panel' }), { preview: false });
      const teammate = api.service.knownPeers()[0]!.id;
      const weight = api.service.myRecognition()[teammate] ?? 1;
      try {
        await new Promise((resolve) => setTimeout(resolve, 500));
        const hidden = api.panelViewModelsPosted();
        await api.service.setRecognition(teammate, weight + 1);
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        assert.equal(api.panelViewModelsPosted(), hidden, 'nothing posted while hidden');
        await vscode.commands.executeCommand('mutual.showPanel');
        await until('the view model once shown', () => (api.panelViewModelsPosted() ?? 0) > (hidden ?? 0), 5_000);
      } finally {
        await api.service.setRecognition(teammate, weight);
        await vscode.window.showTextDocument(editor.document).then(() => vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor'));
      }
    });

    it('says so in the status bar and the view model when my results are too large to publish', async function () {
      this.timeout(120_000);
      // Recognizing myself, with a capacity that fits 256 of my own needs, which my teammates' review capacities also
      // fit: over a thousand offer and acceptance entries, far over the 64 KiB of one record (spec 3).
      const self = api.service.selfId()!;
      const needIds = Array.from({ length: 256 }, (_, index) => `me-bulk-${index}`);
      try {
        await api.service.declare('capacity', { id: 'me-bulk-capacity', type: 'review', quantity: 1000, skills: [] });
        for (const id of needIds) await api.service.declare('need', { id, type: 'review', quantity: 1, skills: [] });
        await api.service.setRecognition(self, 1);
        await until('the problem in the view model', () => /my results were not published: record is \d+ bytes/.test(api.service.viewModel().problem ?? ''), 60_000);
        await until('the status bar warning', () => /results not published/.test(api.statusText()), 5_000);
      } finally {
        await api.service.setRecognition(self, 0);
        for (const id of needIds) if (api.service.myState().needs.some((slot) => slot.id === id)) await api.service.removeDeclaration('need', id);
        if (api.service.myState().capacities.some((slot) => slot.id === 'me-bulk-capacity')) await api.service.removeDeclaration('capacity', 'me-bulk-capacity');
      }
      // The results fit again: the problem clears.
      await until('the problem to clear', () => api.service.viewModel().problem === undefined && !/results not published/.test(api.statusText()), 60_000);
    });

    it('leaves the network', async function () {
      await vscode.commands.executeCommand('mutual.leaveNetwork');
      assert.equal(api.service.joined, false);
      await until('the status bar to go offline', () => /offline/.test(api.statusText()), 5_000);
    });

    it('over libp2p: a declaration made through a command reaches a headless peer on the same network', async function () {
      // A headless peer as `mutual peer` runs it: engine + libp2p network on 127.0.0.1, mDNS off.
      const network = createLibp2pNetwork({ network: 'mutual-vscode-test', privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, loopback: true });
      const headless = createEngine({ network, storage: memoryStorage(), config: { coordinationGossipMs: 300 } });
      await headless.start();
      const config = vscode.workspace.getConfiguration('mutual');
      try {
        await headless.declareState({ displayName: 'Headless', capacities: [{ id: 'h-pairing', type: 'pairing', quantity: 2 }], needs: [] });
        // The suite runs on the in-process demo network; this test switches to libp2p (loopback, mDNS off).
        await config.update('network.transport', 'libp2p', vscode.ConfigurationTarget.Global);
        await config.update('network.name', 'mutual-vscode-test', vscode.ConfigurationTarget.Global);
        await config.update('network.bootstrapPeers', [network.addresses()[0]], vscode.ConfigurationTarget.Global);
        assert.deepEqual(config.get('network.listenAddresses'), ['/ip4/127.0.0.1/tcp/0']);
        assert.equal(config.get('network.mdns'), false);
        if (!vscode.workspace.isTrusted) {
          // Workspace trust "limited": no listening here until the user opts in. Run without arguments (as from the
          // palette) the command reports the refusal itself and resolves; with an argument, the caller gets it.
          await vscode.commands.executeCommand('mutual.joinNetwork');
          assert.equal(api.service.joined, false);
          await assert.rejects(Promise.resolve(vscode.commands.executeCommand('mutual.joinNetwork', {})), /not trusted/);
          assert.equal(api.service.joined, false);
          await config.update('network.listenInUntrustedWorkspaces', true, vscode.ConfigurationTarget.Global);
        }
        await vscode.commands.executeCommand('mutual.joinNetwork');
        assert.match(api.service.myAddress() ?? '', /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//);
        await vscode.commands.executeCommand('mutual.declareNeed', { id: 'vscode-pairing', type: 'pairing', quantity: 1 });
        const self = api.service.selfId()!;
        await headless.setRecognition({ [self]: 1 });
        await vscode.commands.executeCommand('mutual.setRecognition', { peer: headless.self, weight: 1 });
        await until('the headless peer holding my need', () => headless.stores.networkStates.value.get(self)?.needs.some((need) => need.id === 'vscode-pairing') ?? false, 30_000);
        await until('the headless peer allocating to my need', () => api.service.viewModel().allocations.some((row) => row.provider === headless.self && row.recipient === self && row.quantity > 0), 30_000);
        // Connect to Peer says what happened (found by a usability pass): a peer already connected is not dialled at
        // another address, and a failed dial is said for a person, not in libp2p's words.
        await until('the headless peer active', () => api.service.viewModel().peers.some((peer) => peer.id === headless.self && peer.active), 30_000);
        assert.equal(await vscode.commands.executeCommand('mutual.connectToPeer', `/ip4/127.0.0.1/tcp/1/p2p/${headless.self}`), `/ip4/127.0.0.1/tcp/1/p2p/${headless.self}`);
        const stranger = (await createLibp2pNetwork({ network: 'unused', privateKey: await generateKeyPair('Ed25519') })).self;
        await assert.rejects(Promise.resolve(vscode.commands.executeCommand('mutual.connectToPeer', `/ip4/127.0.0.1/tcp/1/p2p/${stranger}`)), /nothing listens at \/ip4\/127\.0\.0\.1\/tcp\/1: is the peer running/);
      } finally {
        await vscode.commands.executeCommand('mutual.leaveNetwork');
        await headless.stop();
        await network.stop();
        await config.update('network.transport', 'demo', vscode.ConfigurationTarget.Global);
        for (const key of ['network.name', 'network.bootstrapPeers', 'network.listenInUntrustedWorkspaces']) await config.update(key, undefined, vscode.ConfigurationTarget.Global);
      }
    });
  });
}
