// Room: extension. May touch: vscode, ./service, ./view-model.
// The webview panel: strict CSP with a nonce, typed messages validated with Zod both ways, restored after a window
// reload by a serializer, updated live (throttled) as the network changes.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { LifecycleDisposable } from './lifecycle.ts';
import type { MutualService } from './service.ts';
import { HostMessage, PanelState, WebviewMessage, type PanelTab } from './view-model.ts';

export const PANEL_VIEW_TYPE = 'mutual.panel';

export class MutualPanel extends LifecycleDisposable {
  private static current: MutualPanel | undefined;
  /** The tab the user last chose: a panel closed and opened again comes back on it. */
  private static lastTab: PanelTab = 'state';
  private readonly panel: vscode.WebviewPanel;
  private readonly service: MutualService;
  private readonly log: vscode.LogOutputChannel;
  private pending: ReturnType<typeof setTimeout> | undefined;
  /** A change arrived while the panel was hidden: posted once it shows again. */
  private changedWhileHidden = false;
  private posted = 0;

  static show(context: vscode.ExtensionContext, service: MutualService, log: vscode.LogOutputChannel, tab?: PanelTab): MutualPanel {
    if (MutualPanel.current && !MutualPanel.current.isDisposed) {
      MutualPanel.current.panel.reveal();
      if (tab) void MutualPanel.current.post({ type: 'selectTab', tab });
      return MutualPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, 'Mutual', vscode.ViewColumn.Active, MutualPanel.options(context));
    MutualPanel.current = new MutualPanel(context, panel, service, log, { tab: tab ?? MutualPanel.lastTab });
    return MutualPanel.current;
  }

  static revive(context: vscode.ExtensionContext, panel: vscode.WebviewPanel, service: MutualService, log: vscode.LogOutputChannel, state: unknown): MutualPanel {
    const parsed = PanelState.safeParse(state ?? {});
    panel.webview.options = MutualPanel.options(context);
    MutualPanel.current = new MutualPanel(context, panel, service, log, parsed.success ? parsed.data : { tab: 'state' });
    return MutualPanel.current;
  }

  static get visible(): MutualPanel | undefined {
    return MutualPanel.current?.isDisposed ? undefined : MutualPanel.current;
  }

  private static options(context: vscode.ExtensionContext): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist')] };
  }

  private constructor(context: vscode.ExtensionContext, panel: vscode.WebviewPanel, service: MutualService, log: vscode.LogOutputChannel, state: PanelState) {
    super();
    this.panel = panel;
    this.service = service;
    this.log = log;
    panel.webview.html = this.html(context, panel.webview, state);
    this.register(panel.onDidDispose(() => this.dispose()));
    this.register(panel.webview.onDidReceiveMessage((message: unknown) => void this.receive(message)));
    this.register(service.onDidChange(() => this.scheduleUpdate()));
    this.register(panel.onDidChangeViewState(({ webviewPanel }) => webviewPanel.visible && this.changedWhileHidden && this.scheduleUpdate()));
    this.register({ dispose: () => this.pending && clearTimeout(this.pending) });
  }

  override dispose(): void {
    if (MutualPanel.current === this) MutualPanel.current = undefined;
    super.dispose();
    this.panel.dispose();
  }

  private async receive(raw: unknown): Promise<void> {
    const parsed = WebviewMessage.safeParse(raw);
    if (!parsed.success) {
      this.log.warn(`panel: ignored a malformed message: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      return;
    }
    const message = parsed.data;
    switch (message.type) {
      case 'ready':
        await this.post({ type: 'viewModel', viewModel: this.service.viewModel() });
        return;
      case 'request':
        await this.post({ type: 'response', id: message.id, viewModel: this.service.viewModel() });
        return;
      case 'tabChanged':
        MutualPanel.lastTab = message.tab;
        return;
      case 'command': {
        const commands = { declareCapacity: 'mutual.declareCapacity', declareNeed: 'mutual.declareNeed', setRecognition: 'mutual.setRecognition', joinNetwork: 'mutual.joinNetwork', forcePhaseAdvancement: 'mutual.debug.forcePhaseAdvancement' } as const;
        await vscode.commands.executeCommand(commands[message.command]).then(undefined, () => undefined);
        return;
      }
    }
  }

  /** View models posted to the webview since it opened (for tests: a hidden panel is sent none). */
  get viewModelsPosted(): number {
    return this.posted;
  }

  /**
   * Coalesces bursts of network changes into at most a few updates per second. A hidden panel (kept alive behind
   * another editor) is sent nothing until it shows: at 200 peers a view model is 0.8-0.9 MiB of JSON (half of it the
   * Coordination tab's causal clocks), and a syncing network changes it several times a second.
   */
  private scheduleUpdate(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      if (this.isDisposed) return;
      this.changedWhileHidden = !this.panel.visible;
      if (!this.changedWhileHidden) void this.post({ type: 'viewModel', viewModel: this.service.viewModel() });
    }, 250);
  }

  private post(message: HostMessage): Thenable<boolean> {
    if (message.type !== 'selectTab') this.posted++;
    return this.panel.webview.postMessage(HostMessage.parse(message));
  }

  private html(context: vscode.ExtensionContext, webview: vscode.Webview, state: PanelState): string {
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview.js'));
    const csp = [`default-src 'none'`, `img-src ${webview.cspSource} data:`, `style-src ${webview.cspSource} 'unsafe-inline'`, `font-src ${webview.cspSource}`, `script-src 'nonce-${nonce}'`].join('; ');
    const initial = JSON.stringify(state).replace(/</g, '\\u003c');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Mutual</title>
</head>
<body>
<mutual-app data-initial-state='${initial.replace(/'/g, '&#39;')}'></mutual-app>
<script type="module" nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }
}

export class MutualPanelSerializer implements vscode.WebviewPanelSerializer {
  private readonly context: vscode.ExtensionContext;
  private readonly service: MutualService;
  private readonly log: vscode.LogOutputChannel;

  constructor(context: vscode.ExtensionContext, service: MutualService, log: vscode.LogOutputChannel) {
    this.context = context;
    this.service = service;
    this.log = log;
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    MutualPanel.revive(this.context, panel, this.service, this.log, state);
  }
}
