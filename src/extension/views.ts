// Room: extension. May touch: vscode, ./service, ./slot-text.
// The Peers tree (primary, secondary, active; badges for unmet needs) and the status bar item.
import * as vscode from 'vscode';
import { LifecycleDisposable } from './lifecycle.ts';
import type { MutualService } from './service.ts';
import { describeSlot } from './slot-text.ts';
import { networkProgress, peerRowAccessibleLabel, peerRowNotes, type PeerRow } from './view-model.ts';

type Group = 'primary' | 'secondary' | 'active';
/** Slots of each kind listed in a peer's hover; the panel's State tab lists all. */
const HOVER_SLOTS = 8;

type Node = { kind: 'group'; group: Group } | { kind: 'peer'; group: Group; peer: PeerRow };

const GROUP_LABELS: Record<Group, string> = { primary: 'Primary (mutual recognition)', secondary: 'Secondary (one-way)', active: 'Active' };

export class PeersTreeProvider extends LifecycleDisposable implements vscode.TreeDataProvider<Node> {
  private readonly changed = this.register(new vscode.EventEmitter<Node | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  private readonly service: MutualService;

  constructor(service: MutualService) {
    super();
    this.service = service;
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  private peersOf(group: Group): PeerRow[] {
    const peers = this.service.viewModel().peers;
    if (group === 'active') return peers.filter((peer) => peer.active);
    return peers.filter((peer) => peer.tier === group);
  }

  unmetNeeds(): number {
    return this.service.viewModel().peers.reduce((sum, peer) => sum + peer.unmetNeeds, 0);
  }

  getChildren(node?: Node): Node[] {
    if (!this.service.joined) return [];
    if (!node) return (['primary', 'secondary', 'active'] as const).map((group) => ({ kind: 'group', group }));
    if (node.kind === 'group') return this.peersOf(node.group).map((peer) => ({ kind: 'peer', group: node.group, peer }));
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'group') {
      const count = this.peersOf(node.group).length;
      const item = new vscode.TreeItem(GROUP_LABELS[node.group], vscode.TreeItemCollapsibleState.Expanded);
      item.description = String(count);
      item.id = `group:${node.group}`;
      return item;
    }
    const { peer } = node;
    const item = new vscode.TreeItem(peer.label, vscode.TreeItemCollapsibleState.None);
    item.id = `${node.group}:${peer.id}`;
    item.description = peerRowNotes(peer).join(' · ');
    item.accessibilityInformation = { label: peerRowAccessibleLabel(peer) };
    // The name comes from the network: appended as text, so a peer cannot put links or remote images in my hover.
    item.tooltip = new vscode.MarkdownString()
      .appendMarkdown('**')
      .appendText(peer.displayName ?? 'unnamed')
      .appendMarkdown('**\n\n')
      .appendText(peer.id)
      .appendMarkdown('\n\n')
      .appendText(`I recognize: ${peer.myRecognition} · recognizes me: ${peer.theirRecognition}`);
    // Declarations come from the network too: text only.
    for (const [label, slots] of [['Capacity', peer.state?.capacities ?? []], ['Need', peer.state?.needs ?? []]] as const) {
      for (const slot of slots.slice(0, HOVER_SLOTS)) item.tooltip.appendMarkdown('\n\n').appendText(`${label}: ${describeSlot(slot)}`);
      if (slots.length > HOVER_SLOTS) item.tooltip.appendMarkdown('\n\n').appendText(`… and ${slots.length - HOVER_SLOTS} more ${label === 'Capacity' ? 'capacities' : 'needs'} (State tab of the panel)`);
    }
    item.iconPath = new vscode.ThemeIcon(peer.unmetNeeds > 0 ? 'warning' : peer.tier === 'primary' ? 'heart' : 'person', peer.active ? undefined : new vscode.ThemeColor('disabledForeground'));
    // Its context menu (package.json, view/item/context) passes the row's element to Set Recognition.
    item.contextValue = 'mutualPeer';
    item.command = { command: 'mutual.setRecognition', title: 'Set Recognition', arguments: [{ peer: peer.id, fromView: true }] };
    return item;
  }
}

export class StatusBar extends LifecycleDisposable {
  private readonly item = this.register(vscode.window.createStatusBarItem('mutual.status', vscode.StatusBarAlignment.Left, 50));
  private readonly service: MutualService;

  constructor(service: MutualService) {
    super();
    this.service = service;
    this.item.name = 'Mutual';
    this.item.command = 'mutual.showPanel';
    this.update();
    this.item.show();
  }

  update(): void {
    if (!this.service.joined) {
      this.item.text = '$(broadcast) Mutual: offline';
      this.item.tooltip = 'Mutual is not connected. Click to open the panel; run "Mutual: Join Network" to join.';
      this.item.accessibilityInformation = { label: 'Mutual: offline', role: 'button' };
      return;
    }
    const model = this.service.viewModel();
    const active = model.peers.filter((peer) => peer.active).length;
    const reading = networkProgress(model);
    // One reading, said with its icon on the bar and without it to a screen reader (it spoke the icon names:
    // "broadcast 4 peers · round 3 · check converged"; a usability pass).
    const [icon, words] = model.problem !== undefined ? ['warning', 'results not published'] : ({ converged: ['check', 'converged'], syncing: ['sync~spin', 'syncing'], 'no active peers': ['circle-slash', 'alone'] } as const)[reading];
    this.item.text = `$(broadcast) ${active} peer${active === 1 ? '' : 's'} · round ${model.round} · $(${icon}) ${words}`;
    const alone = reading === 'no active peers' ? '\nNo teammate is active: check mutual.network.name and mutual.network.bootstrapPeers (the log names peers of another network), or wait for teammates to join.' : '';
    this.item.tooltip = `Mutual: ${model.peers.length} known peers, ${active} active; phase ${model.phaseName}${alone}${model.problem === undefined ? '' : `\n${model.problem}`}`;
    this.item.accessibilityInformation = { label: `Mutual: ${active} active peer${active === 1 ? '' : 's'}, round ${model.round}, ${words}`, role: 'button' };
  }

  get text(): string {
    return this.item.text;
  }
}
