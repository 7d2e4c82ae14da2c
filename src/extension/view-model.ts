// Room: extension (shared by host and webview: pure, no vscode, no node). May touch: zod, protocol schemas.
// The view model the panel renders and the typed messages between host and webview (GitLens style: commands,
// requests with typed responses, notifications), all validated with Zod on receipt.
import { z } from 'zod';
import { CausalClock, PeerId, RecognitionWeights, Results, SimulationResult, State, Tier } from '../protocol/schemas.ts';

const PeerRow = z.object({
  id: PeerId,
  displayName: z.string().optional(),
  /** The name to show: the display name, told apart by the end of the id where two share it (peerLabels). */
  label: z.string(),
  tier: z.enum(['primary', 'secondary', 'none']),
  active: z.boolean(),
  myRecognition: z.number(),
  theirRecognition: z.number(),
  recognition: RecognitionWeights,
  state: State.optional(),
  unmetNeeds: z.number().int().nonnegative(),
});

const CoordinationRow = z.object({
  peer: PeerId,
  displayName: z.string().optional(),
  label: z.string(),
  phase: z.number().int(),
  phaseName: z.string(),
  round: z.number().int(),
  clock: CausalClock,
  issuedAt: z.string(),
  /** How old the announcement was when the view model was built; the panel adds the time since it arrived. */
  ageMs: z.number(),
  active: z.boolean(),
  stabilityFactor: z.number(),
});

export const ViewModel = z.object({
  joined: z.boolean(),
  self: PeerId.optional(),
  address: z.string().optional(),
  round: z.number().int(),
  phase: z.number().int(),
  phaseName: z.string(),
  converged: z.boolean(),
  /** Why my results did not reach the network (the engine's problem), if they did not. */
  problem: z.string().optional(),
  myState: State,
  myRecognition: RecognitionWeights,
  peers: z.array(PeerRow),
  allocations: SimulationResult.shape.allocations,
  needs: SimulationResult.shape.needs,
  capacities: SimulationResult.shape.capacities,
  history: SimulationResult.shape.history,
  coordination: z.array(CoordinationRow),
  /** A peer is active while it announced within this (mutual.engine.freshnessMs), or is converged and connected. */
  freshnessMs: z.number(),
});
export type ViewModel = z.infer<typeof ViewModel>;

/**
 * Names as people read them, by peer id: a display name that another known peer shares, or that is mine, gets the end
 * of the id (`Ana (…3xT9aB)`); an unnamed peer is the end of its id. People choose whom to recognize by these, and
 * two teammates called Ana were two identical entries (found by a review).
 */
export function peerLabels(peers: readonly { readonly id: PeerId; readonly displayName?: string | undefined }[], myName?: string): Map<PeerId, string> {
  const uses = new Map<string, number>();
  for (const peer of peers) if (peer.displayName !== undefined) uses.set(peer.displayName, (uses.get(peer.displayName) ?? 0) + 1);
  return new Map(
    peers.map((peer) => {
      const name = peer.displayName;
      if (name === undefined) return [peer.id, peerIdEnding(peer.id)];
      // A name that looks labelled already ("Ana (…ana111)") is labelled too: else a peer could take another's label.
      return [peer.id, (uses.get(name) ?? 0) > 1 || name === myName || name.includes('(…') ? `${name} (${peerIdEnding(peer.id)})` : name];
    }),
  );
}

/** A peer id as people read it where no name is known: its end (`…3xT9aB`). */
export const peerIdEnding = (id: string): string => `…${id.slice(-6)}`;

/** My own name, as every list that holds teammates and me shows it. */
export const myLabel = (displayName: string): string => `${displayName} (me)`;

export type PeerRow = z.infer<typeof PeerRow>;
export type { Tier };

/** A tier in words (the Peers tree's groups: "Primary (mutual recognition)", "Secondary (one-way)"). */
const TIER_WORDS: Record<PeerRow['tier'], string> = { primary: 'mutual recognition', secondary: 'one-way recognition', none: 'no recognition either way' };

/** What a Peers tree row says beside the name: `2 unmet needs`, `inactive`. */
export function peerRowNotes(peer: PeerRow): string[] {
  return [peer.unmetNeeds > 0 ? `${peer.unmetNeeds} unmet need${peer.unmetNeeds > 1 ? 's' : ''}` : undefined, peer.active ? undefined : 'inactive'].filter((note) => note !== undefined);
}

/**
 * A Peers tree row as a screen reader says it: the name, the tier that its group and icon show on screen, and its
 * notes (`Ana, mutual recognition, 2 unmet needs`). Read from the label and description alone, the tier went unsaid.
 */
export function peerRowAccessibleLabel(peer: PeerRow): string {
  return [peer.label, TIER_WORDS[peer.tier], ...peerRowNotes(peer)].join(', ');
}

/**
 * How many of a participant's needs its own latest results leave short (what it accepted from all providers, against
 * what it declared). Without its results (a peer whose results I do not follow) nothing is known: 0.
 */
/**
 * How far the network is, as the status bar and the panel say it. Converged with no active peer is said as such: a
 * typo in the network name read "0 peers · converged" with a check mark (found by a usability pass).
 */
export function networkProgress(model: Pick<ViewModel, 'converged' | 'peers'>): 'converged' | 'syncing' | 'no active peers' {
  if (!model.peers.some((peer) => peer.active)) return 'no active peers';
  return model.converged ? 'converged' : 'syncing';
}

export function countUnmetNeeds(state: State | undefined, results: Results | undefined): number {
  if (state === undefined || results === undefined) return 0;
  const received = new Map<string, number>();
  for (const entry of results.acceptance) received.set(entry.need, (received.get(entry.need) ?? 0) + entry.quantity);
  return state.needs.filter((need) => need.quantity - (received.get(need.id) ?? 0) > 1e-9 * Math.max(1, need.quantity)).length;
}

/** Stability factor of each peer: the lowest factor over its needs in its latest results (1 when steady). */
export function computeStabilityFactors(results: ReadonlyMap<PeerId, Results>): Map<PeerId, number> {
  const factors = new Map<PeerId, number>();
  for (const [peer, result] of results) factors.set(peer, Math.min(1, ...Object.values(result.stability)));
  return factors;
}

export const PANEL_TABS = ['state', 'relationships', 'allocations', 'convergence', 'coordination'] as const;
export const PanelTab = z.enum(PANEL_TABS);
export type PanelTab = z.infer<typeof PanelTab>;

/** Webview -> host. Requests carry an id; the host answers with a response of the same id. */
export const WebviewMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('command'), command: z.enum(['declareCapacity', 'declareNeed', 'setRecognition', 'joinNetwork', 'forcePhaseAdvancement']) }),
  z.object({ type: z.literal('tabChanged'), tab: PanelTab }),
  z.object({ type: z.literal('request'), id: z.number().int(), method: z.literal('getViewModel') }),
]);
export type WebviewMessage = z.infer<typeof WebviewMessage>;

/** Host -> webview. */
export const HostMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('viewModel'), viewModel: ViewModel }),
  z.object({ type: z.literal('selectTab'), tab: PanelTab }),
  z.object({ type: z.literal('response'), id: z.number().int(), viewModel: ViewModel }),
]);
export type HostMessage = z.infer<typeof HostMessage>;

/** Persisted by the webview (vscode.setState) and handed back to the serializer after a reload. */
export const PanelState = z.object({ tab: PanelTab.default('state') });
export type PanelState = z.infer<typeof PanelState>;
