// Room: extension (entry point). May touch: vscode, node:fs, ./*, engine (through ./service), network (lazily).
// Activation only wires things up (commands, views, status bar, serializer); the node starts lazily on
// "Join Network" (or after activation when mutual.autoJoin is on), so activation stays cheap.
import { readFile, writeFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import type { EngineConfig, EngineStorage } from '../engine/index.ts';
import { COMMANDS, registerCommands } from './commands.ts';
import { createDemoNetworkFactory } from './demo-network.ts';
import { LifecycleDisposable } from './lifecycle.ts';
import { MutualPanel, MutualPanelSerializer, PANEL_VIEW_TYPE } from './panel.ts';
import { EngineMutualService, type MutualService, type NetworkFactory } from './service.ts';
import { PeersTreeProvider, StatusBar } from './views.ts';

const IDENTITY_SECRET = 'mutual.identityKey';

/** What activate() returns: a small API for the integration tests and other extensions. */
export interface MutualExtensionApi {
  readonly service: MutualService;
  readonly activationMs: number;
  statusText(): string;
  peersTreeChildren(): number;
}

export function readEngineConfig(): Partial<EngineConfig> {
  const config = vscode.workspace.getConfiguration('mutual');
  return {
    subscriptionDebounceMs: config.get<number>('engine.subscriptionDebounceMs', 100),
    coordinationGossipMs: config.get<number>('engine.coordinationGossipMs', 1000),
    phaseThreshold: config.get<number>('engine.phaseThreshold', 0.5),
    freshnessMs: config.get<number>('engine.freshnessMs', 30_000),
    epsilon: config.get<number>('engine.epsilon', 1e-6),
  };
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

function mementoStorage(memento: vscode.Memento): EngineStorage {
  return {
    load: async (kind) => memento.get<unknown>(`engine.${kind}`),
    save: async (kind, value) => memento.update(`engine.${kind}`, value),
  };
}

function networkFactory(): NetworkFactory {
  const transport = vscode.workspace.getConfiguration('mutual').get<string>('network.transport', 'libp2p');
  if (transport === 'demo') return createDemoNetworkFactory(readEngineConfig);
  return async (privateKey) => {
    const config = vscode.workspace.getConfiguration('mutual');
    // Loaded on first join only, so activation does not pay for libp2p.
    const { createLibp2pNetwork, isLoopbackAddress } = await import('../network/index.ts');
    const listen = config.get<string[]>('network.listenAddresses', ['/ip4/0.0.0.0/tcp/0', '/ip4/0.0.0.0/tcp/0/ws']);
    const network = createLibp2pNetwork({
      network: config.get<string>('network.name', 'mutual'),
      privateKey,
      listen,
      bootstrap: config.get<string[]>('network.bootstrapPeers', []),
      mdns: config.get<boolean>('network.mdns', true),
      // Peers listening only on loopback share one host: lift libp2p's per-host connection rate limit and the
      // gossipsub IP-colocation penalty, as the headless peer does.
      loopback: listen.every(isLoopbackAddress),
    });
    return { network, address: () => network.addresses()[0], connect: (address) => network.dial(address) };
  };
}

class MutualExtension extends LifecycleDisposable {
  readonly log: vscode.LogOutputChannel;
  readonly service: MutualService;
  readonly tree: PeersTreeProvider;
  readonly statusBar: StatusBar;

  constructor(context: vscode.ExtensionContext) {
    super();
    this.log = this.register(vscode.window.createOutputChannel('Mutual', { log: true }));
    this.service = this.register(
      new EngineMutualService({
        identity: identityStore(context),
        storage: mementoStorage(context.globalState),
        createNetwork: (key) => networkFactory()(key),
        config: readEngineConfig,
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
    for (const disposable of registerCommands({ service: this.service, log: this.log, showPanel: () => MutualPanel.show(context, this.service, this.log), join: () => this.join() })) this.register(disposable);
    this.register(vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, new MutualPanelSerializer(context, this.service, this.log)));
    this.register({ dispose: () => MutualPanel.visible?.dispose() });
  }

  /** Workspace trust "limited": no listening in an untrusted workspace unless the user opted in. */
  mayListen(): boolean {
    const config = vscode.workspace.getConfiguration('mutual');
    const listens = config.get<string>('network.transport', 'libp2p') !== 'demo';
    return !listens || vscode.workspace.isTrusted || config.get<boolean>('network.listenInUntrustedWorkspaces', false);
  }

  async join(): Promise<void> {
    const config = vscode.workspace.getConfiguration('mutual');
    if (!this.mayListen()) {
      throw new Error('this workspace is not trusted: Mutual does not listen for peers here unless "mutual.network.listenInUntrustedWorkspaces" is on');
    }
    await this.service.join();
    this.log.info(`joined network "${config.get<string>('network.name', 'mutual')}" as ${this.service.selfId()}`);
  }
}

let extension: MutualExtension | undefined;

export function activate(context: vscode.ExtensionContext): MutualExtensionApi {
  const started = performance.now();
  extension = new MutualExtension(context);
  context.subscriptions.push(extension);
  const activationMs = performance.now() - started;
  extension.log.info(`activated in ${activationMs.toFixed(1)} ms (${Object.keys(COMMANDS).length} commands)`);
  if (vscode.workspace.getConfiguration('mutual').get<boolean>('autoJoin', false)) {
    const current = extension;
    const autoJoin = () =>
      current
        .join()
        .then(() => {
          if (vscode.workspace.getConfiguration('mutual').get<boolean>('openPanelOnStart', false)) void vscode.commands.executeCommand('mutual.showPanel');
        })
        .catch((error: unknown) => current.log.error(`auto-join failed: ${String(error)}`));
    if (current.mayListen()) setTimeout(() => void autoJoin(), 0);
    else {
      // Restricted mode: auto-join waits until the user trusts the workspace (then the restricted settings apply too).
      current.log.info('auto-join waits until this workspace is trusted');
      const waiting = vscode.workspace.onDidGrantWorkspaceTrust(() => {
        waiting.dispose();
        void autoJoin();
      });
      context.subscriptions.push(waiting);
    }
  }
  const current = extension;
  return {
    service: current.service,
    activationMs,
    statusText: () => current.statusBar.text,
    peersTreeChildren: () => current.tree.getChildren().length,
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
