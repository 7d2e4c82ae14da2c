// Room: extension (entry point). May touch: vscode, node:fs, ./*, engine (through ./service), network (lazily).
// Activation only wires things up (commands, views, status bar, serializer); the node starts lazily on
// "Join Network" (or after activation when mutual.autoJoin is on), so activation stays cheap.
import { readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import type { EngineConfig } from '../engine/index.ts';
import { COMMANDS, registerCommands } from './commands.ts';
import { createDemoNetworkFactory } from './demo-network.ts';
import { LifecycleDisposable } from './lifecycle.ts';
import { MutualPanel, MutualPanelSerializer, PANEL_VIEW_TYPE } from './panel.ts';
import { EngineMutualService, type MutualService, type NetworkFactory } from './service.ts';
import { describeJoinFailure, IdentityInUse, joinFailureChoices } from './join-failure.ts';
import { describeOtherNetwork, parseDisplayName, REJOIN_SETTINGS, settingOfProblem, settingsEditorFor, parseEngineSettings, parseNetworkSettings, ToldProblems, type NetworkSettings, type Parsed, type SettingReader } from './settings.ts';
import { mementoStorage, storageScope } from './storage.ts';
import { PeersTreeProvider, StatusBar } from './views.ts';

const IDENTITY_SECRET = 'mutual.identityKey';
const UNTRUSTED = 'this workspace is not trusted: Mutual does not listen for peers here unless "mutual.network.listenInUntrustedWorkspaces" is on';

/** What activate() returns: a small API for the integration tests and other extensions. */
export interface MutualExtensionApi {
  readonly service: MutualService;
  readonly activationMs: number;
  statusText(): string;
  peersTreeChildren(): number;
  /** View models posted to the open panel (undefined without one). */
  panelViewModelsPosted(): number | undefined;
  /** The hover (markdown source) of each peer in the Peers tree's Active group. */
  peerHovers(): string[];
  /** Each row of the Peers tree's Active group: the element its context menu passes, and its screen-reader label. */
  peerRows(): { element: unknown; accessibilityLabel: string | undefined }[];
}

const readSetting: SettingReader = (key) => vscode.workspace.getConfiguration('mutual').get<unknown>(key);

/** Opens the Settings editor on `mutual.<key>` (or a section), in the tab whose value applies. */
function openSetting(section: string): void {
  const key = section.replace(/^mutual\.?/, '');
  const inspected = key === '' ? undefined : vscode.workspace.getConfiguration('mutual').inspect(key);
  void vscode.commands.executeCommand(settingsEditorFor(inspected), section);
}

/** Problems already shown, so a bad setting is reported once per problem, not at every read. */
const toldProblems = new ToldProblems();
function reported<T>(parsed: Parsed<T>, log?: vscode.LogOutputChannel): T {
  for (const problem of toldProblems.untold(parsed.problems)) {
    log?.warn(problem);
    void vscode.window.showWarningMessage(`Mutual: ${problem}`, 'Open Settings').then((choice) => {
      // The setting's key: `mutual.network.listenAddresses (item 1): ...` opens mutual.network.listenAddresses.
      if (choice) openSetting(settingOfProblem(problem));
    });
  }
  return parsed.value;
}

export function readEngineConfig(log?: vscode.LogOutputChannel): Partial<EngineConfig> {
  return reported(parseEngineSettings(readSetting), log);
}

function readNetworkSettings(log?: vscode.LogOutputChannel): NetworkSettings {
  return reported(parseNetworkSettings(readSetting), log);
}

/** The network settings a join uses; throws the reason when they must not be joined with (settings.ts `refusal`). */
function networkSettingsToJoin(log?: vscode.LogOutputChannel): NetworkSettings {
  const parsed = parseNetworkSettings(readSetting);
  const settings = reported(parsed, log);
  if (parsed.refusal !== undefined) throw new Error(parsed.refusal);
  return settings;
}

/**
 * Where the identity key lives: SecretStorage, never settings. The environment variable MUTUAL_IDENTITY_FILE (the
 * headless peer's identity file, protobuf, 0600) overrides it for demos and tests that must know the peer id before
 * VS Code starts: `npm start` and the two-instance test.
 */
function identityStore(context: vscode.ExtensionContext): { load(): Promise<string | undefined>; save(encoded: string): Promise<void> } {
  const file = process.env.MUTUAL_IDENTITY_FILE;
  if (file === undefined || file === '') {
    return { load: async () => context.secrets.get(IDENTITY_SECRET), save: async (encoded) => context.secrets.store(IDENTITY_SECRET, encoded) };
  }
  return {
    load: async () => {
      try {
        return (await readFile(file)).toString('base64');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    save: async (encoded) => writeFile(file, Buffer.from(encoded, 'base64'), { mode: 0o600, flag: 'wx' }),
  };
}

/**
 * One VS Code window per identity on the network: the lock lives beside the identity (global storage, or the
 * directory of MUTUAL_IDENTITY_FILE, which a headless peer on that data dir locks too).
 */
async function identityLease(context: vscode.ExtensionContext, onLost: (holder: number) => void): Promise<{ release(): Promise<void> }> {
  const { DataDirInUse, lockDataDir } = await import('../network/process-lock.ts');
  const file = process.env.MUTUAL_IDENTITY_FILE;
  const directory = file === undefined || file === '' ? context.globalStorageUri.fsPath : dirname(file);
  // A reloaded window's previous extension host may still be leaving: a held lock gets a few seconds to clear.
  for (let attempt = 1; ; attempt++) {
    try {
      return await lockDataDir(directory, {
        onLost: (holder) => {
          onLost(holder);
          void vscode.window.showWarningMessage(`Mutual: left the network: another process (pid ${holder}) took over this identity's lock, and both would publish as the same peer.`);
        },
      });
    } catch (error) {
      if (!(error instanceof DataDirInUse)) throw error;
      if (attempt < 10) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      }
      throw new IdentityInUse(error.owner, error.path);
    }
  }
}

/** Other networks the user was told about this session (one notification each, at most MAX_OTHER_NETWORK_NOTICES). */
const toldOtherNetworks = new Set<string>();
const MAX_OTHER_NETWORK_NOTICES = 3;

function networkFactory(log: vscode.LogOutputChannel, settings: NetworkSettings, memento: vscode.Memento): NetworkFactory {
  if (settings.transport === 'demo') return createDemoNetworkFactory(() => readEngineConfig(log));
  return async (privateKey, guardCache = (storage) => storage) => {
    // Loaded on first join only, so activation does not pay for libp2p.
    const { createLibp2pNetwork, isLoopbackAddress } = await import('../network/index.ts');
    const network = createLibp2pNetwork({
      network: settings.name,
      privateKey,
      listen: settings.listenAddresses,
      bootstrap: settings.bootstrapPeers,
      mdns: settings.mdns,
      // Peers listening only on loopback share one host: lift libp2p's per-host connection rate limit and the
      // gossipsub IP-colocation penalty, as the headless peer does.
      loopback: settings.listenAddresses.every(isLoopbackAddress),
      // Failed dials, rejected input and the listen addresses belong in the user's log.
      logger: { info: (message) => log.info(message), warn: (message) => log.warn(message) },
      // Beside the engine's cache of this network and identity: where followed teammates last listened.
      addressStorage: guardCache({ load: (key) => addressStorage().load(key), save: (key, value) => addressStorage().save(key, value) }),
      // Shown once per network name (the log names every peer): a typo otherwise shows only as having no peers.
      onOtherNetwork: (_peer, theirs) => {
        // At most a few per session: fresh peer ids cost a remote peer nothing (the log still names each one).
        // Keyed by both names: a second typo of mine (another value of my setting) is news again.
        const key = `${settings.name} ${theirs.major}/${theirs.network}`;
        if (toldOtherNetworks.has(key) || toldOtherNetworks.size >= MAX_OTHER_NETWORK_NOTICES) return;
        toldOtherNetworks.add(key);
        void vscode.window.showWarningMessage(`Mutual: ${describeOtherNetwork(settings.name, theirs)}`, 'Open Settings').then((choice) => {
          if (choice) openSetting('mutual.network.name');
        });
      },
    });
    const addressStorage = () => mementoStorage(memento, storageScope(settings.transport, settings.name, network.self));
    return { network, addresses: () => network.addresses(), connect: (address) => network.dial(address) };
  };
}

class MutualExtension extends LifecycleDisposable {
  readonly log: vscode.LogOutputChannel;
  readonly service: MutualService;
  readonly tree: PeersTreeProvider;
  readonly statusBar: StatusBar;

  private readonly context: vscode.ExtensionContext;

  constructor(context: vscode.ExtensionContext) {
    super();
    this.context = context;
    this.log = this.register(vscode.window.createOutputChannel('Mutual', { log: true }));
    this.service = this.register(
      new EngineMutualService({
        identity: identityStore(context),
        // One read of the settings per join: the cache's scope and the network always come from the same values.
        storage: (self, use) => {
          const { transport, name } = this.joinSettings();
          // Read only (before joining, without the identity's lock): earlier versions' records are not moved then.
          return mementoStorage(context.globalState, storageScope(transport, transport === 'demo' ? 'mutual-demo' : name, self), transport === 'libp2p' && use !== 'read' ? { self } : undefined);
        },
        createNetwork: (key) => networkFactory(this.log, this.joinSettings(), context.globalState)(key),
        config: () => readEngineConfig(this.log),
        displayName: () => reported(parseDisplayName(readSetting), this.log),
        exclusive: (onLost) => identityLease(context, onLost),
        logger: { debug: (message, data) => this.log.debug(message, data ?? ''), info: (message, data) => this.log.info(message, data ?? ''), warn: (message, data) => this.log.warn(message, data ?? '') },
      }),
    );
    this.tree = this.register(new PeersTreeProvider(this.service));
    const view = this.register(vscode.window.createTreeView('mutual.peers', { treeDataProvider: this.tree, showCollapseAll: false }));
    this.statusBar = this.register(new StatusBar(this.service));
    let pending: ReturnType<typeof setTimeout> | undefined;
    this.register({ dispose: () => pending && clearTimeout(pending) });
    const refresh = () => {
      void vscode.commands.executeCommand('setContext', 'mutual.joined', this.service.joined);
      this.statusBar.update();
      this.tree.refresh();
      const unmet = this.tree.unmetNeeds();
      view.badge = unmet > 0 ? { value: unmet, tooltip: `${unmet} unmet need${unmet > 1 ? 's' : ''} among your peers` } : undefined;
    };
    this.register(
      this.service.onDidChange(() => {
        // Network changes come in bursts; the views follow at most four times a second.
        pending ??= setTimeout(() => {
          pending = undefined;
          refresh();
        }, 250);
      }),
    );
    refresh();
    // Not joined yet (no auto-join, or before it): the panel shows what I declared last time, from the cache.
    void this.service.restoreDeclarations().catch((error: unknown) => this.log.debug(`declarations not restored: ${String(error)}`));
    for (const disposable of registerCommands({ service: this.service, log: this.log, showPanel: () => MutualPanel.show(context, this.service, this.log), join: () => this.join() })) this.register(disposable);
    this.register(vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, new MutualPanelSerializer(context, this.service, this.log)));
    this.register({ dispose: () => MutualPanel.visible?.dispose() });
    this.register(vscode.workspace.onDidChangeConfiguration((event) => void this.onSettingsChanged(event)));
  }

  /**
   * Settings are read when joining. While joined, a new display name is declared at once; network and engine
   * settings need a new node, so the user is offered to rejoin (a rejoin drops connections, so it is not automatic).
   */
  private async onSettingsChanged(event: vscode.ConfigurationChangeEvent): Promise<void> {
    toldProblems.forget((setting) => event.affectsConfiguration(setting)); // a value broken again is reported again
    if (!this.service.joined) {
      // Offline, the panel shows the cache of the network the settings name: another network, another cache (it
      // showed the previous network's declarations until the next join).
      if (event.affectsConfiguration('mutual.network.name') || event.affectsConfiguration('mutual.network.transport')) {
        void this.service.restoreDeclarations({ again: true }).catch((error: unknown) => this.log.debug(`declarations not restored: ${String(error)}`));
      }
      return;
    }
    if (event.affectsConfiguration('mutual.displayName')) {
      const name = reported(parseDisplayName(readSetting), this.log);
      if (name !== undefined && name !== this.service.myState().displayName) {
        await this.service.setDisplayName(name).catch((error: unknown) => this.log.error(`declaring the display name failed: ${String(error)}`));
      }
    }
    const changed = REJOIN_SETTINGS.filter((key) => event.affectsConfiguration(`mutual.${key}`));
    if (changed.length === 0) return;
    // Named: a prompt for "network settings" did not say which (found by a usability pass).
    const choice = await vscode.window.showInformationMessage(`Mutual: ${changed.map((key) => `mutual.${key}`).join(', ')} changed. ${changed.length === 1 ? 'It applies' : 'They apply'} when you rejoin the network.`, 'Rejoin Now');
    // Checked after the click: the user may have left, or rejoined, meanwhile; and a join that cannot listen here
    // would leave the user offline.
    if (choice !== 'Rejoin Now' || !this.service.joined) return;
    // Rejoined meanwhile (Leave, then Join): the settings apply already, and another restart would be for nothing
    // (found by a usability pass).
    if (this.joinedWith !== undefined && parseNetworkSettings(readSetting).refusal === undefined && this.joinedWith === this.settingsNow()) {
      vscode.window.setStatusBarMessage('Mutual: the network settings apply already (rejoined since)', 5_000);
      return;
    }
    try {
      if (!this.mayListen()) throw new Error(UNTRUSTED); // before leaving: the user stays joined as before
      // Likewise settings the join would refuse (it left the user offline: found by a second review).
      networkSettingsToJoin(this.log);
      await this.service.leave();
      await this.join();
    } catch (error) {
      this.reportJoinFailure(error, this.service.joined);
    }
  }

  private settingsOfJoin: NetworkSettings | undefined;
  /**
   * The settings a rejoin applies (network and engine), as the current join read them: a Rejoin Now clicked after a
   * rejoin changes nothing (JSON, compared with settingsNow).
   */
  private joinedWith: string | undefined;
  private settingsNow(): string {
    // Only compared: the problems are told where a join reads the settings.
    return JSON.stringify({ network: parseNetworkSettings(readSetting).value, engine: parseEngineSettings(readSetting).value });
  }
  private joinSettings(): NetworkSettings {
    return this.settingsOfJoin ?? readNetworkSettings(this.log);
  }

  /** Workspace trust "limited": no listening in an untrusted workspace unless the user opted in. */
  mayListen(): boolean {
    const listens = readNetworkSettings(this.log).transport !== 'demo';
    return !listens || vscode.workspace.isTrusted || vscode.workspace.getConfiguration('mutual').get<boolean>('network.listenInUntrustedWorkspaces', false);
  }

  private joinInFlight: Promise<void> | undefined;
  /**
   * One join at a time: Try Again clicked while Join Network runs waits for that join (each logged "joined"). None
   * after deactivation: a notification's Try Again outlives the extension, and its join kept the identity lock.
   */
  join(): Promise<void> {
    if (this.isDisposed) return Promise.resolve();
    this.joinInFlight ??= this.joinOnce().finally(() => (this.joinInFlight = undefined));
    return this.joinInFlight;
  }

  private async joinOnce(): Promise<void> {
    if (this.service.joined) {
      // Said, not logged as a new join (found by a usability pass: the log said "joined" again, the UI nothing).
      vscode.window.setStatusBarMessage(`Mutual: already joined network "${readNetworkSettings(this.log).name}"`, 5_000);
      return;
    }
    if (!this.mayListen()) {
      throw new Error(UNTRUSTED);
    }
    const settings = networkSettingsToJoin(this.log);
    const { name, transport } = settings;
    this.settingsOfJoin = settings;
    try {
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Mutual: joining ${transport === 'demo' ? 'the demo team' : `network "${name}"`}` }, () => this.service.join());
    } finally {
      this.settingsOfJoin = undefined;
    }
    this.joinedWith = this.settingsNow();
    this.log.info(`joined network "${name}" (${transport}) as ${this.service.selfId()}`);
    this.tellDisplayNameOnce();
  }

  /** The default name is the OS user name, published to every peer: say so once, with the way to change it. */
  private tellDisplayNameOnce(): void {
    const SHOWN = 'mutual.displayNameExplained';
    if (vscode.workspace.getConfiguration('mutual').get<string>('displayName', '').trim() !== '' || this.context.globalState.get<boolean>(SHOWN) === true) return;
    void this.context.globalState.update(SHOWN, true);
    void vscode.window
      .showInformationMessage(`Mutual: teammates see you as "${this.service.myState().displayName}", your user name on this machine.`, 'Change Name')
      .then((choice) => choice && openSetting('mutual.displayName'));
  }

  /** A join nobody asked for in a dialog (auto-join, rejoin) fails visibly, with the way to the cause. */
  reportJoinFailure(error: unknown, stillJoined = false): void {
    this.log.error(`joining failed: ${error instanceof Error ? error.message : String(error)}`);
    void vscode.window.showErrorMessage(describeJoinFailure(error, stillJoined), ...joinFailureChoices(error)).then((choice) => {
      if (choice === 'Open Log') this.log.show();
      if (choice === 'Open Settings') openSetting('mutual.network');
      if (choice === 'Try Again' && !this.isDisposed) void this.join().catch((again: unknown) => this.reportJoinFailure(again));
    });
  }
}

let extension: MutualExtension | undefined;

export function activate(context: vscode.ExtensionContext): MutualExtensionApi {
  const started = performance.now();
  extension = new MutualExtension(context);
  context.subscriptions.push(extension);
  const activationMs = performance.now() - started;
  extension.log.info(`activated in ${activationMs.toFixed(1)} ms (${Object.keys(COMMANDS).length} commands)`);
  const current = extension;
  const autoJoinWanted = () => vscode.workspace.getConfiguration('mutual').get<boolean>('autoJoin', false);
  const autoJoin = () =>
    current
      .join()
      .then(() => {
        if (vscode.workspace.getConfiguration('mutual').get<boolean>('openPanelOnStart', false)) void vscode.commands.executeCommand('mutual.showPanel');
      })
      .catch((error: unknown) => current.reportJoinFailure(error));
  if (autoJoinWanted() && current.mayListen()) setTimeout(() => void autoJoin(), 0);
  else if (autoJoinWanted()) current.log.info('auto-join waits until this workspace is trusted');
  if (!vscode.workspace.isTrusted) {
    // Restricted mode: a workspace's own autoJoin (a restricted setting) only counts once the user trusts it, so it is
    // read again then.
    const waiting = vscode.workspace.onDidGrantWorkspaceTrust(() => {
      waiting.dispose();
      if (autoJoinWanted() && !current.service.joined) void autoJoin();
    });
    context.subscriptions.push(waiting);
  }
  return {
    service: current.service,
    activationMs,
    statusText: () => current.statusBar.text,
    peersTreeChildren: () => current.tree.getChildren().length,
    panelViewModelsPosted: () => MutualPanel.visible?.viewModelsPosted,
    peerHovers: () =>
      current.tree
        .getChildren({ kind: 'group', group: 'active' })
        .map((node) => current.tree.getTreeItem(node).tooltip)
        .map((tooltip) => (tooltip instanceof vscode.MarkdownString ? tooltip.value : String(tooltip ?? ''))),
    peerRows: () =>
      current.tree
        .getChildren({ kind: 'group', group: 'active' })
        .map((element) => ({ element, accessibilityLabel: current.tree.getTreeItem(element).accessibilityInformation?.label })),
  };
}

export function deactivate(): Promise<void> | undefined {
  const current = extension;
  extension = undefined;
  if (!current) return undefined;
  const leaving = current.service.leave();
  current.dispose();
  return leaving;
}
