// Room: webview (browser). May touch: lit, @vscode-elements/elements, zod, ../../src/extension/view-model.ts.
// The Mutual panel: five tabs (State, Relationships, Allocations, Convergence, Coordination) rendered from the view
// model the host posts. Every message from the host is validated with its Zod schema before it is used; theme
// colours come from VS Code's CSS variables; tabs are keyboard accessible (vscode-tabs: arrow keys, Home/End).
import { css, html, LitElement, nothing, svg, type TemplateResult } from 'lit';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import { HostMessage, PANEL_TABS, PanelState, type PanelTab, type ViewModel, type WebviewMessage } from '../../src/extension/view-model.ts';

/** "1 active peer", "4 active peers". */
function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  setState(state: PanelState): void;
  getState(): unknown;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const TAB_LABELS: Record<PanelTab, string> = { state: 'State', relationships: 'Relationships', allocations: 'Allocations', convergence: 'Convergence', coordination: 'Coordination' };
const short = (id: string) => `…${id.slice(-6)}`;
const fmt = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(value < 0.01 && value > 0 ? 4 : 2));

class MutualApp extends LitElement {
  static override properties = { model: { state: true }, tab: { state: true } };
  declare model: ViewModel | undefined;
  declare tab: PanelTab;

  static override styles = css`
    :host { display: block; padding: 8px 16px; color: var(--vscode-foreground); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
    h2 { font-size: 1.1em; margin: 16px 0 6px; font-weight: 600; }
    table { border-collapse: collapse; width: 100%; margin-bottom: 12px; }
    th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid var(--vscode-panel-border, var(--vscode-widget-border, #8884)); }
    th { color: var(--vscode-descriptionForeground); font-weight: 600; }
    td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
    .header { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; margin-bottom: 8px; }
    .muted { color: var(--vscode-descriptionForeground); }
    .ok { color: var(--vscode-testing-iconPassed, var(--vscode-charts-green)); }
    .warn { color: var(--vscode-editorWarning-foreground, var(--vscode-charts-yellow)); }
    .problem { flex-basis: 100%; margin: 0; }
    .mine { background: var(--vscode-list-inactiveSelectionBackground); }
    svg text { fill: var(--vscode-foreground); font-size: 11px; }
    .legend { display: flex; gap: 16px; font-size: 0.9em; }
    .swatch { display: inline-block; width: 18px; height: 0; border-top: 3px solid var(--vscode-charts-blue); vertical-align: middle; margin-right: 4px; }
    .swatch.secondary { border-top: 2px dashed var(--vscode-charts-orange); }
    .swatch.delta { border-top-color: var(--vscode-charts-purple); }
    code { font-family: var(--vscode-editor-font-family); }
  `;

  constructor() {
    super();
    const initial = PanelState.safeParse(vscode.getState() ?? safeJson(this.getAttribute('data-initial-state')));
    this.tab = initial.success ? initial.data.tab : 'state';
    this.model = undefined;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('message', this.onMessage);
    vscode.postMessage({ type: 'ready' });
  }

  override disconnectedCallback(): void {
    window.removeEventListener('message', this.onMessage);
    super.disconnectedCallback();
  }

  private readonly onMessage = (event: MessageEvent): void => {
    const parsed = HostMessage.safeParse(event.data);
    if (!parsed.success) return; // Anything else is not ours to trust.
    const message = parsed.data;
    if (message.type === 'selectTab') this.select(message.tab);
    else this.model = message.viewModel;
  };

  private select(tab: PanelTab): void {
    this.tab = tab;
    vscode.setState({ tab });
    vscode.postMessage({ type: 'tabChanged', tab });
  }

  private command(command: Extract<WebviewMessage, { type: 'command' }>['command']) {
    return () => vscode.postMessage({ type: 'command', command });
  }

  private name(id: string): string {
    const model = this.model;
    if (!model) return short(id);
    if (id === model.self) return `${model.myState.displayName} (me)`;
    return model.peers.find((peer) => peer.id === id)?.displayName ?? short(id);
  }

  override render(): TemplateResult {
    const model = this.model;
    if (!model) return html`<p class="muted">Loading…</p>`;
    const index = PANEL_TABS.indexOf(this.tab);
    return html`
      <div class="header">
        <strong>Mutual</strong>
        ${model.joined
          ? html`<span>${plural(model.peers.filter((peer) => peer.active).length, 'active peer')}</span><span>round ${model.round}</span><span>phase ${model.phaseName}</span>
              <span class=${model.converged ? 'ok' : 'warn'} data-testid="converged" role="status">${model.converged ? '✓ converged' : '⟳ syncing'}</span>
              ${model.problem === undefined ? nothing : html`<p class="warn problem" role="alert" data-testid="problem">⚠ ${model.problem}</p>`}`
          : html`<span class="muted">not connected</span><vscode-button @click=${this.command('joinNetwork')}>Join Network</vscode-button>`}
      </div>
      <vscode-tabs selected-index=${index} @vsc-tabs-select=${(event: CustomEvent<{ selectedIndex: number }>) => this.select(PANEL_TABS[event.detail.selectedIndex] ?? 'state')}>
        ${PANEL_TABS.map((tab) => html`<vscode-tab-header slot="header" data-tab-header=${tab}>${TAB_LABELS[tab]}</vscode-tab-header>`)}
        ${PANEL_TABS.map((tab) => html`<vscode-tab-panel data-tab=${tab}>${tab === this.tab ? this.renderTab(tab, model) : nothing}</vscode-tab-panel>`)}
      </vscode-tabs>
    `;
  }

  private renderTab(tab: PanelTab, model: ViewModel): TemplateResult {
    switch (tab) {
      case 'state':
        return this.renderState(model);
      case 'relationships':
        return this.renderRelationships(model);
      case 'allocations':
        return this.renderAllocations(model);
      case 'convergence':
        return this.renderConvergence(model);
      case 'coordination':
        return this.renderCoordination(model);
    }
  }

  private renderState(model: ViewModel): TemplateResult {
    const rows = [
      { id: model.self ?? 'me', state: model.myState, mine: true },
      ...model.peers.flatMap((peer) => (peer.state ? [{ id: peer.id, state: peer.state, mine: false }] : [])),
    ];
    return html`
      <div class="header">
        <vscode-button @click=${this.command('declareCapacity')}>Declare Capacity</vscode-button>
        <vscode-button secondary @click=${this.command('declareNeed')}>Declare Need</vscode-button>
      </div>
      <table aria-label="Declarations">
        <thead><tr><th>Participant</th><th>Kind</th><th>Slot</th><th>Type</th><th class="num">Quantity</th><th>Skills</th></tr></thead>
        <tbody>
          ${rows.flatMap(({ id, state, mine }) => [
            ...state.capacities.map((slot) => html`<tr class=${mine ? 'mine' : ''}><td>${mine ? `${state.displayName} (me)` : state.displayName}</td><td>capacity</td><td><code>${slot.id}</code></td><td>${slot.type}</td><td class="num">${fmt(slot.quantity)} ${slot.unit ?? ''}</td><td>${slot.skills.join(', ')}</td></tr>`),
            ...state.needs.map((slot) => html`<tr class=${mine ? 'mine' : ''}><td>${mine ? `${state.displayName} (me)` : state.displayName}</td><td>need</td><td><code>${slot.id}</code></td><td>${slot.type}</td><td class="num">${fmt(slot.quantity)} ${slot.unit ?? ''}</td><td>${slot.skills.join(', ')}</td></tr>`),
            ...(state.capacities.length + state.needs.length === 0 ? [html`<tr><td>${this.name(id)}</td><td colspan="5" class="muted">no declarations yet</td></tr>`] : []),
          ])}
        </tbody>
      </table>`;
  }

  private renderRelationships(model: ViewModel): TemplateResult {
    const ids = [model.self ?? 'me', ...model.peers.map((peer) => peer.id)];
    const size = 360;
    const radius = 140;
    const at = new Map(ids.map((id, index) => [id, { x: size / 2 + radius * Math.cos((2 * Math.PI * index) / ids.length - Math.PI / 2), y: size / 2 + radius * Math.sin((2 * Math.PI * index) / ids.length - Math.PI / 2) }]));
    const recognitionOf = (id: string) => (id === model.self ? model.myRecognition : model.peers.find((peer) => peer.id === id)?.recognition ?? {});
    const share = (from: string, to: string) => {
      const weights = recognitionOf(from);
      const total = Object.values(weights).reduce((sum, weight) => sum + weight, 0);
      return total > 0 ? (weights[to] ?? 0) / total : 0;
    };
    const edges: { a: string; b: string; mutual: number; oneWay: number }[] = [];
    for (let i = 0; i < ids.length; i++)
      for (let j = i + 1; j < ids.length; j++) {
        const a = ids[i]!;
        const b = ids[j]!;
        const ab = share(a, b);
        const ba = share(b, a);
        if (ab > 0 || ba > 0) edges.push({ a, b, mutual: Math.min(ab, ba), oneWay: Math.max(ab, ba) });
      }
    return html`
      <div class="legend"><span><span class="swatch"></span>mutual recognition (thickness = min of both shares)</span><span><span class="swatch secondary"></span>one-way</span></div>
      <svg width=${size} height=${size} role="img" aria-label="Recognition graph">
        ${edges.map(({ a, b, mutual, oneWay }) => {
          const p = at.get(a)!;
          const q = at.get(b)!;
          return mutual > 0
            ? svg`<line x1=${p.x} y1=${p.y} x2=${q.x} y2=${q.y} stroke="var(--vscode-charts-blue)" stroke-width=${1 + mutual * 14}><title>${this.name(a)} ↔ ${this.name(b)}: mutual ${fmt(mutual)}</title></line>`
            : svg`<line x1=${p.x} y1=${p.y} x2=${q.x} y2=${q.y} stroke="var(--vscode-charts-orange)" stroke-width="1.5" stroke-dasharray="4 3"><title>${this.name(a)} → ${this.name(b)}: one-way ${fmt(oneWay)}</title></line>`;
        })}
        ${ids.map((id) => {
          const p = at.get(id)!;
          return svg`<circle cx=${p.x} cy=${p.y} r="7" fill=${id === model.self ? 'var(--vscode-charts-green)' : 'var(--vscode-charts-foreground, var(--vscode-foreground))'}></circle><text x=${p.x} y=${p.y - 12} text-anchor="middle">${this.name(id)}</text>`;
        })}
      </svg>
      <table aria-label="Recognition">
        <thead><tr><th>Peer</th><th>Tier</th><th class="num">I recognize</th><th class="num">Recognizes me</th></tr></thead>
        <tbody>${model.peers.map((peer) => html`<tr><td>${this.name(peer.id)}</td><td>${peer.tier}</td><td class="num">${fmt(peer.myRecognition)}</td><td class="num">${fmt(peer.theirRecognition)}</td></tr>`)}</tbody>
      </table>
      <vscode-button @click=${this.command('setRecognition')}>Set Recognition…</vscode-button>`;
  }

  private renderAllocations(model: ViewModel): TemplateResult {
    const table = (title: string, rows: ViewModel['allocations']) => html`
      <h2>${title}</h2>
      ${rows.length === 0
        ? html`<p class="muted">none yet</p>`
        : html`<table aria-label=${title}>
            <thead><tr><th>Provider</th><th>Capacity</th><th></th><th>Recipient</th><th>Need</th><th class="num">Quantity</th><th>Tier</th></tr></thead>
            <tbody>${rows.map((row) => html`<tr class=${row.provider === model.self || row.recipient === model.self ? 'mine' : ''}><td>${this.name(row.provider)}</td><td><code>${row.capacity}</code></td><td aria-hidden="true">→</td><td>${this.name(row.recipient)}</td><td><code>${row.need}</code></td><td class="num">${fmt(row.quantity)}</td><td>${row.tier}</td></tr>`)}</tbody>
          </table>`}`;
    const positive = model.allocations.filter((row) => row.quantity > 0);
    return html`
      ${table('What I give', positive.filter((row) => row.provider === model.self))}
      ${table('What I receive', positive.filter((row) => row.recipient === model.self))}
      ${table('All flows in the network', positive)}`;
  }

  private renderConvergence(model: ViewModel): TemplateResult {
    const history = model.history.slice(-60);
    const width = 480;
    const height = 180;
    const maxValue = Math.max(1e-9, ...history.map((row) => Math.max(row.residualNeedNorm, row.maxDelta)));
    const x = (index: number) => 30 + (index * (width - 40)) / Math.max(1, history.length - 1);
    const y = (value: number) => height - 20 - (value / maxValue) * (height - 40);
    const path = (key: 'residualNeedNorm' | 'maxDelta') => history.map((row, index) => `${index === 0 ? 'M' : 'L'}${x(index).toFixed(1)},${y(row[key]).toFixed(1)}`).join(' ');
    const last = history.at(-1);
    return html`
      <p><span class=${model.converged ? 'ok' : 'warn'}>${model.converged ? '✓ The network has converged.' : '⟳ Still converging…'}</span>
        ${last ? html`<span class="muted">round ${last.round}: residual-need norm ${fmt(last.residualNeedNorm)}, max delta ${fmt(last.maxDelta)}</span>` : nothing}</p>
      <div class="legend"><span><span class="swatch"></span>residual-need norm</span><span><span class="swatch delta"></span>max delta</span></div>
      <svg width=${width} height=${height} role="img" aria-label="Convergence per round">
        <line x1="30" y1=${height - 20} x2=${width - 10} y2=${height - 20} stroke="var(--vscode-panel-border, #8884)"></line>
        <text x="2" y="14">${fmt(maxValue)}</text><text x="2" y=${height - 22}>0</text>
        ${history.length > 0 ? svg`<path d=${path('residualNeedNorm')} fill="none" stroke="var(--vscode-charts-blue)" stroke-width="2"></path><path d=${path('maxDelta')} fill="none" stroke="var(--vscode-charts-purple)" stroke-width="2"></path>` : nothing}
      </svg>
      <table aria-label="Rounds">
        <thead><tr><th class="num">Round</th><th class="num">Residual-need norm</th><th class="num">Max delta</th></tr></thead>
        <tbody>${history.slice(-10).reverse().map((row) => html`<tr><td class="num">${row.round}</td><td class="num">${fmt(row.residualNeedNorm)}</td><td class="num">${fmt(row.maxDelta)}</td></tr>`)}</tbody>
      </table>`;
  }

  private renderCoordination(model: ViewModel): TemplateResult {
    return html`
      <div class="header"><vscode-button secondary @click=${this.command('forcePhaseAdvancement')}>Force Phase Advancement</vscode-button></div>
      <table aria-label="Coordination">
        <thead><tr><th>Peer</th><th>Phase</th><th class="num">Round</th><th>Causal clock</th><th class="num">Freshness</th><th class="num">Stability factor</th></tr></thead>
        <tbody>${model.coordination.map((row) => html`<tr class=${row.peer === model.self ? 'mine' : ''}>
          <td>${this.name(row.peer)}</td><td>${row.phaseName}</td><td class="num">${row.round}</td>
          <td><code>${Object.entries(row.clock).map(([peer, tick]) => `${this.name(peer)}:${tick}`).join(' ')}</code></td>
          <td class="num ${row.active ? '' : 'warn'}">${(row.ageMs / 1000).toFixed(1)} s</td><td class="num">${fmt(row.stabilityFactor)}</td></tr>`)}</tbody>
      </table>`;
  }
}

function safeJson(text: string | null): unknown {
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return {};
  }
}

customElements.define('mutual-app', MutualApp);
