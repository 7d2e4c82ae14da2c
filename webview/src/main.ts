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
import { explainUnmetNeed, unitMismatch } from '../../src/extension/need-explanation.ts';
import { formatLocation, formatWindow, sameUnit, withUnit } from '../../src/extension/slot-text.ts';
import { HostMessage, myLabel, networkProgress, PANEL_TABS, PanelState, peerIdEnding, type PanelTab, type ViewModel, type WebviewMessage } from '../../src/extension/view-model.ts';

/** Text that wraps only between its words and after a "/" ("mon-fri 09:00-12:00 Europe/Berlin" not at its hyphens). */
const unbroken = (text: string): TemplateResult[] =>
  text === '' ? [] : text.split(' ').map((word, index) => html`${index > 0 ? ' ' : ''}${word.split('/').map((part, at) => html`${at > 0 ? html`/<wbr>` : ''}<span class="word">${part}</span>`)}`);

/** The mark of a peer that is not active, and what still counts of it (its declarations, its flows). */
const inactiveMark = (stillCounts: string) => html` <span class="muted" title=${`No announcement lately and not connected: ${stillCounts}`}>(inactive)</span>`;

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
/** My rows' id while I am not joined (no peer id yet); no peer id can be this (ids start with a letter or digit). */
const ME = '(me)';

const TAB_LABELS: Record<PanelTab, string> = { state: 'State', relationships: 'Relationships', allocations: 'Allocations', convergence: 'Convergence', coordination: 'Coordination' };
/** The view model's peers by id, built once per view model: names and states are looked up per cell and per edge. */
const peerIndexes = new WeakMap<ViewModel, ReadonlyMap<string, ViewModel['peers'][number]>>();
const peerIndex = (model: ViewModel): ReadonlyMap<string, ViewModel['peers'][number]> => {
  let index = peerIndexes.get(model);
  if (index === undefined) {
    index = new Map(model.peers.map((peer) => [peer.id, peer]));
    peerIndexes.set(model, index);
  }
  return index;
};
// Made once: a formatter made per number was about half of a render's time at 500 peers (a profile: one per arrow of
// the Relationships graph, on every update).
const AMOUNT_FORMAT = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3, maximumFractionDigits: 3, useGrouping: false });
const PERCENT_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
/** Amounts as people read them: whole numbers as they are, others to 3 significant digits, a tiny flow as "<0.001". */
const fmt = (value: number) => {
  if (Number.isInteger(value)) return String(value);
  if (value > 0 && value < 0.001) return '<0.001';
  return AMOUNT_FORMAT.format(value);
};
/** The unit a slot was declared in ("hours"), or nothing. */
const unitIn = (slots: readonly { id: string; unit?: string | undefined }[], id: string) => slots.find((slot) => slot.id === id)?.unit ?? '';
/** A share in percent: "75 %". */
const percent = (value: number) => `${PERCENT_FORMAT.format(value * 100)} %`;
/** What the tiers mean, in the words the allocations use. */
const TIER_LABELS: Record<'primary' | 'secondary' | 'none', string> = { primary: 'mutual', secondary: 'one-way', none: '—' };
const TIER_HINT = 'mutual: you recognize each other, so capacity flows both ways first; one-way: only one of you recognizes the other';

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
    /* Text colours, not icon ones: the icon tokens (testing.iconPassed, editorWarning) are 2:1-3:1 on a light theme's
       white (found by a usability pass); these themes' text tokens for added and warned items are 4.9:1 and 5.8:1. */
    .ok { color: var(--vscode-gitDecoration-addedResourceForeground, var(--vscode-testing-iconPassed)); }
    .warn { color: var(--vscode-list-warningForeground, var(--vscode-editorWarning-foreground)); }
    .problem { flex-basis: 100%; margin: 0; }
    .mine { background: var(--vscode-list-inactiveSelectionBackground); }
    svg { max-width: 100%; height: auto; }
    svg text { fill: var(--vscode-foreground); font-size: 11px; }
    .scroll { overflow-x: auto; }
    .hint { font-size: 0.9em; margin: 0 0 8px; }
    .legend { display: flex; gap: 16px; font-size: 0.9em; }
    .swatch { display: inline-block; width: 18px; height: 0; border-top: 3px solid var(--vscode-charts-blue); vertical-align: middle; margin-right: 4px; }
    .swatch.secondary { border-top: 2px dashed var(--vscode-charts-orange, var(--vscode-editorWarning-foreground, var(--vscode-contrastBorder, currentColor))); }
    .swatch.delta { border-top-color: var(--vscode-charts-purple); }
    code { font-family: var(--vscode-editor-font-family); }
    .word { white-space: nowrap; }
    /* Read by a screen reader, not drawn: the flows' arrow column is "Direction", each arrow "to" (the column had no
       name, its arrows hidden; found by a usability pass). */
    .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
    /* A narrow panel (beside the editor or a sidebar): each row becomes a card, every cell on its own line with its
       column's name (data-label, set in updated()), instead of a table scrolled sideways that hides the row's name.
       For a screen reader it stays a table: the header row is hidden from sight only (display: none dropped the column
       headers), and the drawn labels carry empty alternative text, since each cell already has its column header. The
       flows' arrow cell likewise: dropped (display: none), the row had one cell fewer than its header, and every cell
       after it was read under the wrong column (found by a review). */
    :host { container-type: inline-size; }
    @container (max-width: 520px) {
      thead, td.arrow { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
      tr { display: block; padding: 4px 0; border-bottom: 1px solid var(--vscode-panel-border, var(--vscode-widget-border, #8884)); }
      th, td, td.num { display: block; border: none; padding: 1px 4px; text-align: left; white-space: normal; }
      td[data-label]::before { content: attr(data-label) ': ' / ''; color: var(--vscode-descriptionForeground); }
      td:empty { display: none; }
    }
  `;

  constructor() {
    super();
    const initial = PanelState.safeParse(vscode.getState() ?? safeJson(this.getAttribute('data-initial-state')));
    this.tab = initial.success ? initial.data.tab : 'state';
    this.model = undefined;
  }

  /**
   * Freshness ticks in the panel: a quiet network posts nothing, and ages computed once by the host froze ("0.0 s" for
   * a peer heard from long ago; found by a review). The host's age plus the time since its view model arrived, so the
   * two sides' clocks need not agree (code-server runs the webview in another machine's browser).
   */
  private modelArrivedAt = performance.now();
  private ticker: ReturnType<typeof setInterval> | undefined;
  private sinceModelMs(): number {
    return performance.now() - this.modelArrivedAt;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('message', this.onMessage);
    this.ticker = setInterval(() => {
      if (this.tab === 'coordination') this.requestUpdate();
    }, 1000);
    vscode.postMessage({ type: 'ready' });
  }

  override disconnectedCallback(): void {
    window.removeEventListener('message', this.onMessage);
    clearInterval(this.ticker);
    super.disconnectedCallback();
  }

  /** Each cell's column name, for the narrow layout's cards (the styles' container query). */
  override updated(): void {
    // The tab strip of <vscode-tabs> does not wrap and exposes no part to style: in a narrow panel the last tabs sat
    // off-screen. One rule in its shadow root lets them wrap onto a second row.
    const tabsRoot = this.renderRoot.querySelector('vscode-tabs')?.shadowRoot;
    if (tabsRoot && !tabsRoot.querySelector('style[data-mutual]')) {
      const style = document.createElement('style');
      style.dataset.mutual = 'wrap';
      style.textContent = '.tablist { flex-wrap: wrap; }';
      tabsRoot.append(style);
    }
    for (const table of this.renderRoot.querySelectorAll('table')) {
      const labels = [...table.querySelectorAll('thead th')].map((header) => header.textContent?.trim() ?? '');
      for (const row of table.querySelectorAll('tbody tr')) {
        [...row.children].forEach((cell, index) => {
          const label = labels[index];
          if (label && cell.getAttribute('colspan') === null) cell.setAttribute('data-label', label);
        });
      }
    }
  }

  private readonly onMessage = (event: MessageEvent): void => {
    const parsed = HostMessage.safeParse(event.data);
    if (!parsed.success) return; // Anything else is not ours to trust.
    const message = parsed.data;
    if (message.type === 'selectTab') this.select(message.tab);
    else {
      this.model = message.viewModel;
      this.modelArrivedAt = performance.now();
    }
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
    if (!model) return peerIdEnding(id);
    // Not joined, I have no peer id yet: my rows carry ME (they read "…me", an id's ending; found by a usability pass).
    if (id === model.self || (model.self === undefined && id === ME)) return myLabel(model.myState.displayName);
    return peerIndex(model).get(id)?.label ?? peerIdEnding(id);
  }

  private renderProgress(model: ViewModel): TemplateResult {
    const reading = networkProgress(model);
    if (reading === 'no active peers') return html`<span class="warn" data-testid="converged" role="status" title="No teammate is active: check mutual.network.name and mutual.network.bootstrapPeers, or wait for teammates to join">○ no active peers</span>`;
    return html`<span class=${reading === 'converged' ? 'ok' : 'warn'} data-testid="converged" role="status">${reading === 'converged' ? '✓ converged' : '⟳ syncing'}</span>`;
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
              ${this.renderProgress(model)}
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
      { id: model.self ?? ME, state: model.myState, mine: true, active: true },
      ...model.peers.flatMap((peer) => (peer.state ? [{ id: peer.id, state: peer.state, mine: false, active: peer.active }] : [])),
    ];
    return html`
      <div class="header">
        <vscode-button @click=${this.command('declareCapacity')}>Declare Capacity</vscode-button>
        <vscode-button secondary @click=${this.command('declareNeed')}>Declare Need</vscode-button>
      </div>
      <div class="scroll"><table aria-label="Declarations">
        <thead><tr><th>Participant</th><th>Kind</th><th>Slot</th><th>Type</th><th class="num">Quantity</th><th>Skills</th><th title="When the slot can be served (empty: any time). A capacity and a need match only where their windows overlap.">When</th><th title="Where the slot can be served (empty: anywhere). Remote matches anything; else within 50 km or the same city.">Where</th></tr></thead>
        <tbody>
          ${rows.flatMap(({ id, state, mine, active }) => [
            ...(['capacity', 'need'] as const).flatMap((kind) =>
              (kind === 'capacity' ? state.capacities : state.needs).map(
                (slot) =>
                  html`<tr class=${mine ? 'mine' : ''}><td>${this.name(id)}${active ? nothing : inactiveMark('these declarations still count in the allocation')}</td><td>${kind}</td><td><code>${slot.id}</code></td><td>${slot.type}</td><td class="num">${withUnit(fmt(slot.quantity), slot.unit)}</td><td>${slot.skills.join(', ')}</td><td>${unbroken(formatWindow(slot.window))}</td><td>${unbroken(formatLocation(slot.location))}</td></tr>`,
              ),
            ),
            ...(state.capacities.length + state.needs.length === 0 ? [html`<tr><td>${this.name(id)}</td><td colspan="7" class="muted">no declarations yet</td></tr>`] : []),
          ])}
        </tbody>
      </table></div>`;
  }

  private renderRelationships(model: ViewModel): TemplateResult {
    const ids = [model.self ?? ME, ...model.peers.map((peer) => peer.id)];
    const size = 360;
    const radius = 140;
    const at = new Map(ids.map((id, index) => [id, { x: size / 2 + radius * Math.cos((2 * Math.PI * index) / ids.length - Math.PI / 2), y: size / 2 + radius * Math.sin((2 * Math.PI * index) / ids.length - Math.PI / 2) }]));
    const recognitionOf = (id: string) => (id === (model.self ?? ME) ? model.myRecognition : peerIndex(model).get(id)?.recognition ?? {});
    const totals = new Map(ids.map((id) => [id, Object.values(recognitionOf(id)).reduce((sum, weight) => sum + weight, 0)]));
    const share = (from: string, to: string) => {
      const total = totals.get(from) ?? 0;
      return total > 0 ? (recognitionOf(from)[to] ?? 0) / total : 0;
    };
    // The pairs someone recognizes, not every pair: at 200 peers the loop over all pairs, each looking its peers up in
    // the list, took 59 ms per draw (found by a review). Each pair once, in the order of `ids`.
    const position = new Map(ids.map((id, index) => [id, index]));
    const pairs = new Map<string, readonly [string, string]>();
    for (const from of ids) {
      for (const to of Object.keys(recognitionOf(from))) {
        if (to === from || !position.has(to)) continue;
        const pair = position.get(from)! < position.get(to)! ? ([from, to] as const) : ([to, from] as const);
        pairs.set(`${pair[0]}\n${pair[1]}`, pair);
      }
    }
    // A one-way edge runs from the one who recognizes to the one recognized (an arrow at its end).
    const edges: { a: string; b: string; mutual: number; oneWay: number }[] = [];
    for (const [first, second] of pairs.values()) {
      const ab = share(first, second);
      const ba = share(second, first);
      const [a, b] = ab >= ba ? [first, second] : [second, first];
      if (ab > 0 || ba > 0) edges.push({ a, b, mutual: Math.min(ab, ba), oneWay: Math.max(ab, ba) });
    }
    const oneWayColour = 'var(--vscode-charts-orange, var(--vscode-editorWarning-foreground, var(--vscode-contrastBorder, currentColor)))';
    const mine = Object.values(model.myRecognition).reduce((sum, weight) => sum + weight, 0);
    return html`
      <div class="legend"><span><span class="swatch"></span>mutual recognition (thickness = the smaller of both shares)</span><span><span class="swatch secondary"></span>one-way (arrow: towards the one recognized)</span></div>
      <svg viewBox="0 0 ${size} ${size}" width=${size} role="img" aria-label="Recognition graph: ${edges.filter((edge) => edge.mutual > 0).length} mutual and ${edges.filter((edge) => edge.mutual === 0).length} one-way recognitions">
        <defs><marker id="arrow" viewBox="0 0 10 10" refX="18" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill=${oneWayColour}></path></marker></defs>
        ${edges.map(({ a, b, mutual, oneWay }) => {
          const p = at.get(a)!;
          const q = at.get(b)!;
          return mutual > 0
            ? svg`<line x1=${p.x} y1=${p.y} x2=${q.x} y2=${q.y} stroke="var(--vscode-charts-blue, var(--vscode-focusBorder, currentColor))" stroke-width=${1 + mutual * 14}><title>${this.name(a)} ↔ ${this.name(b)}: mutual recognition ${percent(mutual)}</title></line>`
            : svg`<line x1=${p.x} y1=${p.y} x2=${q.x} y2=${q.y} stroke=${oneWayColour} stroke-width="2" stroke-dasharray="4 3" marker-end="url(#arrow)"><title>${this.name(a)} recognizes ${this.name(b)} (${percent(oneWay)} of ${this.name(a)}'s recognition), not the other way</title></line>`;
        })}
        ${ids.map((id) => {
          const p = at.get(id)!;
          return svg`<circle cx=${p.x} cy=${p.y} r="7" fill=${id === (model.self ?? ME) ? 'var(--vscode-charts-green)' : 'var(--vscode-charts-foreground, var(--vscode-foreground))'}></circle><text x=${p.x} y=${p.y - 12} text-anchor="middle">${this.name(id)}</text>`;
        })}
      </svg>
      <div class="scroll"><table aria-label="Recognition">
        <thead><tr><th>Peer</th><th title=${TIER_HINT}>Tier</th><th class="num" title="Your weight for this peer, and its share of all your weights">I recognize</th><th class="num" title="This peer's weight for you">Recognizes me</th><th class="num" title="Needs of this peer not fully met">Unmet needs</th></tr></thead>
        <tbody>${model.peers.map((peer) => html`<tr><td>${this.name(peer.id)}${peer.active ? nothing : html` <span class="muted">(inactive)</span>`}</td><td>${TIER_LABELS[peer.tier]}</td><td class="num">${fmt(peer.myRecognition)}${mine > 0 && peer.myRecognition > 0 ? ` (${percent(peer.myRecognition / mine)})` : ''}</td><td class="num">${fmt(peer.theirRecognition)}</td><td class="num">${peer.unmetNeeds}</td></tr>`)}</tbody>
      </table></div>
      <vscode-button @click=${this.command('setRecognition')}>Set Recognition…</vscode-button>`;
  }

  /** A participant's declarations as the panel holds them: mine, or a peer's. */
  private stateOf(model: ViewModel, participant: string): ViewModel['myState'] | undefined {
    return participant === model.self ? model.myState : peerIndex(model).get(participant)?.state;
  }

  /** The unit a provider declared for a capacity slot. */
  private capacityUnitOf(model: ViewModel, participant: string, capacityId: string): string | undefined {
    return this.stateOf(model, participant)?.capacities.find((slot) => slot.id === capacityId)?.unit;
  }

  /** A flow between slots that count in different units: the number is the same, the labels are not. */
  private flowUnitWarning(model: ViewModel, row: ViewModel['allocations'][number]): TemplateResult | typeof nothing {
    const given = this.capacityUnitOf(model, row.provider, row.capacity) ?? '';
    const counted = this.unitOf(model, row.recipient, row.need);
    if (sameUnit(given, counted)) return nothing;
    // "(capacity in "day")": "(day given)" read as "a day given" beside "0.579 hours" (a usability pass).
    return html` <span class="warn" title="The capacity counts in ${given || 'no unit'}, the need in ${counted || 'no unit'}: amounts are compared as plain numbers">(capacity in ${given === '' ? 'no unit' : `"${given}"`})</span>`;
  }

  /** The unit the recipient declared for a need ("hours", "sessions"), so a flow reads like the declarations. */
  private unitOf(model: ViewModel, participant: string, needId: string): string {
    return unitIn(this.stateOf(model, participant)?.needs ?? [], needId);
  }

  private renderAllocations(model: ViewModel): TemplateResult {
    // A flow of a teammate gone offline is its last word, not a live one (found by a usability pass): marked as such.
    const inactive = new Set(model.peers.filter((peer) => !peer.active).map((peer) => peer.id));
    const flowMark = (id: string) => (inactive.has(id) ? inactiveMark('this flow is what the peer last published, and still counts') : nothing);
    const table = (title: string, rows: ViewModel['allocations'], highlightMine: boolean) => html`
      <h2>${title}</h2>
      ${rows.length === 0
        ? html`<p class="muted">none yet</p>`
        : html`<div class="scroll"><table aria-label=${title}>
            <thead><tr><th>Provider</th><th>Capacity</th><th><span class="muted" aria-hidden="true">to</span><span class="visually-hidden">Direction</span></th><th>Recipient</th><th>Need</th><th class="num">Quantity</th><th title=${TIER_HINT}>Tier</th></tr></thead>
            <tbody>${rows.map((row) => html`<tr class=${highlightMine && (row.provider === model.self || row.recipient === model.self) ? 'mine' : ''}><td>${this.name(row.provider)}${flowMark(row.provider)}</td><td><code>${row.capacity}</code></td><td class="arrow"><span aria-hidden="true">→</span><span class="visually-hidden">to</span></td><td>${this.name(row.recipient)}${flowMark(row.recipient)}</td><td><code>${row.need}</code></td><td class="num">${withUnit(fmt(row.quantity), this.unitOf(model, row.recipient, row.need))}${this.flowUnitWarning(model, row)}</td><td>${row.tier}</td></tr>`)}</tbody>
          </table></div>`}`;
    const positive = model.allocations.filter((row) => row.quantity > 0);
    const myNeeds = model.needs.filter((row) => row.participant === model.self);
    const myCapacities = model.capacities.filter((row) => row.participant === model.self);
    return html`
      ${model.joined && myNeeds.length + myCapacities.length === 0
        ? html`<p class="muted">Declare a need or a capacity (State tab), and recognize the teammates whose work helps yours (Relationships): flows appear here.</p>`
        : nothing}
      ${myNeeds.length === 0
        ? nothing
        : html`<h2>My needs</h2><div class="scroll"><table aria-label="My needs">
            <thead><tr><th>Need</th><th class="num">Declared</th><th class="num">Received</th><th class="num">Still needed</th><th>Why</th></tr></thead>
            <tbody>${myNeeds.map((row) => {
              const slot = model.myState.needs.find((need) => need.id === row.need);
              const unmet = row.residual > 1e-9;
              const toMe = model.allocations.filter((flow) => flow.recipient === model.self);
              return html`<tr><td><code>${row.need}</code></td><td class="num">${withUnit(fmt(row.declared), unitIn(model.myState.needs, row.need))}</td><td class="num">${withUnit(fmt(row.received), unitIn(model.myState.needs, row.need))}</td><td class="num ${unmet ? 'warn' : 'ok'}">${unmet ? withUnit(fmt(row.residual), unitIn(model.myState.needs, row.need)) : 'met'}</td><td class="muted">${[
                slot === undefined ? undefined : unitMismatch(slot, toMe.filter((flow) => flow.need === row.need && flow.quantity > 0), (provider, capacity) => this.capacityUnitOf(model, provider, capacity)),
                unmet && slot !== undefined ? explainUnmetNeed(slot, { id: model.self, state: model.myState, recognition: model.myRecognition, converged: model.converged, received: toMe }, model.peers) : undefined,
              ].filter((sentence) => sentence !== undefined).join(' ')}</td></tr>`;
            })}</tbody>
          </table></div>`}
      ${myCapacities.length === 0
        ? nothing
        : html`<h2>My capacity</h2><div class="scroll"><table aria-label="My capacity">
            <thead><tr><th>Capacity</th><th class="num">Declared</th><th class="num">Given</th><th class="num">Left over</th></tr></thead>
            <tbody>${myCapacities.map((row) => html`<tr><td><code>${row.capacity}</code></td><td class="num">${withUnit(fmt(row.declared), unitIn(model.myState.capacities, row.capacity))}</td><td class="num">${withUnit(fmt(row.allocated), unitIn(model.myState.capacities, row.capacity))}</td><td class="num">${withUnit(fmt(row.leftover), unitIn(model.myState.capacities, row.capacity))}</td></tr>`)}</tbody>
          </table></div>
          ${myCapacities.some((row) => row.leftover > 1e-9)
            ? html`<p class="hint muted">${Object.values(model.myRecognition).some((weight) => weight > 0)
                ? 'Capacity goes only to peers you recognize whose needs it fits; what is left over, none of them needs any more.'
                : 'You recognize nobody yet: your capacity goes to the teammates you recognize (Relationships, Set Recognition).'}</p>`
            : nothing}`}
      ${table('What I give', positive.filter((row) => row.provider === model.self), false)}
      ${table('What I receive', positive.filter((row) => row.recipient === model.self), false)}
      ${table('All flows in the network', positive, true)}`;
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
      <p>${!model.joined
          ? html`<span class="muted">Not connected: join the network to see the allocation converge.</span>`
          : html`<span class=${model.converged ? 'ok' : 'warn'}>${model.converged ? '✓ Converged: the allocations stopped changing (unmet needs stay unmet until someone declares more capacity or recognition).' : '⟳ Still converging: allocations are changing round by round.'}</span>`}
        ${last
          ? html`<br /><span class="muted">${model.converged
              ? // The history holds the rounds that changed my results; the confirming rounds add none. "Converged" above a
                // largest change of 4 read as a contradiction (found by a usability pass).
                `last change in round ${last.round} (unmet need ${fmt(last.residualNeedNorm)}, largest change ${fmt(last.maxDelta)}); the rounds since changed nothing`
              : `round ${last.round}: unmet need ${fmt(last.residualNeedNorm)}, largest change ${fmt(last.maxDelta)}`}</span>`
          : nothing}</p>
      <div class="legend"><span><span class="swatch"></span>unmet need (residual-need norm over the results I hold)</span><span><span class="swatch delta"></span>largest change of any allocation (max delta)</span></div>
      <svg viewBox="0 0 ${width} ${height}" width=${width} role="img" aria-label="Unmet need and largest change per round">
        <line x1="30" y1=${height - 20} x2=${width - 10} y2=${height - 20} stroke="var(--vscode-panel-border, currentColor)"></line>
        ${history.length > 0
          ? svg`${maxValue > 1e-9 ? svg`<text x="2" y="14">${fmt(maxValue)}</text>` : nothing}<text x="2" y=${height - 22}>0</text>
              <text x="30" y=${height - 4}>round ${history[0]!.round}</text>${history.length > 1 ? svg`<text x=${width - 10} y=${height - 4} text-anchor="end">round ${history.at(-1)!.round}</text>` : nothing}`
          : svg`<text x=${width / 2} y=${height / 2} text-anchor="middle">no rounds yet</text>`}
        ${history.length > 0 ? svg`<path d=${path('residualNeedNorm')} fill="none" stroke="var(--vscode-charts-blue)" stroke-width="2"></path><path d=${path('maxDelta')} fill="none" stroke="var(--vscode-charts-purple)" stroke-width="2"></path>` : nothing}
        ${history.length === 1
          ? // One round draws no line: its two points, as dots (an empty chart after a rejoin; found by a usability pass).
            svg`<circle cx=${x(0)} cy=${y(history[0]!.residualNeedNorm)} r="3" fill="var(--vscode-charts-blue)"></circle><circle cx=${x(0)} cy=${y(history[0]!.maxDelta)} r="3" fill="var(--vscode-charts-purple)"></circle>`
          : nothing}
      </svg>
      <table aria-label="Rounds">
        <thead><tr><th class="num">Round</th><th class="num" title="Residual-need norm: how much of the needs is still unmet">Unmet need</th><th class="num" title="Max delta: the largest change of any offer or acceptance in that round">Largest change</th></tr></thead>
        <tbody>${history.slice(-10).reverse().map((row) => html`<tr><td class="num">${row.round}</td><td class="num">${fmt(row.residualNeedNorm)}</td><td class="num">${fmt(row.maxDelta)}</td></tr>`)}</tbody>
      </table>`;
  }

  private renderCoordination(model: ViewModel): TemplateResult {
    return html`
      <p class="hint muted">How each peer's computation stands. A round is one computation of a peer's allocation (each peer counts its own); the causal clock orders what peers have seen of each other; a stability factor below 1 means a need was offered more than it asked for in recent rounds.</p>
      ${model.joined ? html`<div class="header"><vscode-button secondary @click=${this.command('forcePhaseAdvancement')}>Debug: Force Phase Advancement</vscode-button></div>` : nothing}
      <div class="scroll"><table aria-label="Coordination">
        <thead><tr><th>Peer</th><th title="Where the peer is in its round: 5 Gather … 9 Converged">Phase</th><th class="num" title="The peer's own round counter">Round</th><th title="Per peer: how many records of that peer it has seen">Causal clock</th><th class="num" title=${`Seconds since its last announcement. A peer is active while it announced within ${model.freshnessMs / 1000} s, or said it converged and is still connected: a settled network goes quiet`}>Freshness</th><th class="num" title="1 when steady; lower while its needs are over-offered">Stability factor</th></tr></thead>
        <tbody>${model.coordination.map((row) => html`<tr class=${row.peer === model.self ? 'mine' : ''}>
          <td>${row.label}</td><td>${row.phaseName}</td><td class="num">${row.round}</td>
          <td><code>${Object.entries(row.clock).map(([peer, tick]) => `${this.name(peer)}:${tick}`).join(' ')}</code></td>
          <td class="num ${row.active ? '' : 'warn'}">${row.peer === model.self ? '—' : `${((row.ageMs + this.sinceModelMs()) / 1000).toFixed(0)} s`}${row.active ? '' : ' (inactive)'}</td><td class="num">${fmt(row.stabilityFactor)}</td></tr>`)}</tbody>
      </table></div>`;
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
