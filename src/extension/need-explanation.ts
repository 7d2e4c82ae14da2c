// Room: extension (pure; no vscode, no node:*: the webview renders with it). May touch: protocol (schemas,
// compatibility), ./view-model (types).
// Why one of my needs is not fully met, from what the panel already holds (declarations and recognition), in the
// protocol's terms: only a provider that recognizes me gives me anything, myself included when I recognize myself
// (7.1, 7.3), and only from a capacity compatible with the need (7.2: type, skills, time window, location).
import { locationsCompatible, skillsCovered, windowsOverlap } from '../protocol/allocation/compatibility.ts';
import type { PeerId, RecognitionWeights, Slot, State } from '../protocol/schemas.ts';
import type { PeerRow } from './view-model.ts';

/** A provider as the explanation sees it: a teammate, or me when I recognize myself. */
interface Provider {
  readonly name: string;
  readonly recognition: RecognitionWeights;
  readonly state: State | undefined;
}

export interface Me {
  readonly id: PeerId | undefined;
  readonly state: State;
  readonly recognition: RecognitionWeights;
  /** Whether the allocation has settled: before, a shortfall may only mean offers are still on their way. */
  readonly converged: boolean;
}

/** "Ana", "Ana and Ben", "Ana, Ben and 3 others". */
function names(providers: readonly Provider[]): string {
  const shown = providers.slice(0, 2).map((provider) => provider.name);
  const others = providers.length - shown.length;
  if (others > 0) return `${shown.join(', ')} and ${others} other${others > 1 ? 's' : ''}`;
  return shown.join(' and ');
}

/** One sentence: what keeps `need` short, and so what would change it. */
export function explainUnmetNeed(need: Slot, me: Me, peers: readonly PeerRow[]): string {
  const sentence = explanation(need, me, peers);
  return sentence.charAt(0).toUpperCase() + sentence.slice(1); // "you offer …" starts a sentence too
}

function explanation(need: Slot, me: Me, peers: readonly PeerRow[]): string {
  const self = me.id ?? '';
  const providers: Provider[] = [
    ...((me.recognition[self] ?? 0) > 0 ? [{ name: 'you', recognition: me.recognition, state: me.state }] : []),
    ...peers.filter((peer) => peer.id !== self).map((peer) => ({ name: peer.displayName ?? peer.id.slice(-8), recognition: peer.recognition, state: peer.state })),
  ];
  const recognizers = providers.filter((provider) => (provider.recognition[self] ?? 0) > 0);
  if (recognizers.length === 0) return 'No teammate recognizes you yet: capacity flows only to those its provider recognizes.';
  const known = recognizers.filter((provider) => provider.state !== undefined);
  if (known.length === 0) return `${names(recognizers)} recognize${recognizers.length === 1 ? 's' : ''} you, but their declarations have not arrived yet.`;
  // A capacity of quantity 0 has nothing to give: it does not count as offered.
  const capacitiesOf = (provider: Provider) => provider.state!.capacities.filter((capacity) => capacity.type === need.type && capacity.quantity > 0);
  const ofType = known.filter((provider) => capacitiesOf(provider).length > 0);
  if (ofType.length === 0) return `No teammate who recognizes you declared a "${need.type}" capacity.`;
  const fits = (capacity: Slot) => skillsCovered(capacity.skills, need.skills) && windowsOverlap(capacity.window, need.window) && locationsCompatible(capacity.location, need.location);
  const fitting = ofType.filter((provider) => capacitiesOf(provider).some(fits));
  if (fitting.length > 0) {
    if (!me.converged) return `${names(fitting)} can serve it; the allocation is still converging.`;
    // Once converged, a compatible capacity keeps nothing back while a recognized need is short (property 6).
    return `${names(fitting)} can serve it, but the fitting capacity is all given out: mutual recognition comes first, then shares in proportion to recognition. More recognition between you, or more capacity, would change it.`;
  }
  // Which of the other rules every capacity of the type misses: the ones to relax.
  const capacities = ofType.flatMap(capacitiesOf);
  const misses = [
    capacities.every((capacity) => !skillsCovered(capacity.skills, need.skills)) ? `the skills ${need.skills.join(', ')}` : undefined,
    capacities.every((capacity) => !windowsOverlap(capacity.window, need.window)) ? 'your time window' : undefined,
    capacities.every((capacity) => !locationsCompatible(capacity.location, need.location)) ? 'your location' : undefined,
  ].filter((miss): miss is string => miss !== undefined);
  const why = misses.length > 0 ? `none of them fits ${misses.join(' or ')}` : 'none of them fits its skills, time window and location together';
  return `${names(ofType)} offer${ofType.length === 1 && ofType[0]!.name !== 'you' ? 's' : ''} "${need.type}", but ${why}.`;
}
