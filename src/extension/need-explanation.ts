// Room: extension (pure; no vscode, no node:*: the webview renders with it). May touch: protocol (schemas,
// compatibility), ./view-model (types).
// Why one of my needs is not fully met, from what the panel already holds (declarations and recognition), in the
// protocol's terms: only a provider that recognizes me gives me anything, myself included when I recognize myself
// (7.1, 7.3), and only from a capacity compatible with the need (7.2: type, skills, time window, location).
import { isCompatible, locationsCompatible, skillsCovered, windowsOverlap } from '../protocol/allocation/compatibility.ts';
import type { PeerId, RecognitionWeights, Slot, State } from '../protocol/schemas.ts';
import { formatLocation, formatWindow, sameUnit } from './slot-text.ts';
import type { PeerRow } from './view-model.ts';

/** A provider as the explanation sees it: a teammate, or me when I recognize myself. */
interface Provider {
  readonly id: PeerId;
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
  /** What each capacity gives me, over all my needs (the allocations whose recipient I am). */
  readonly received: readonly { readonly provider: PeerId; readonly capacity: string; readonly quantity: number }[];
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
    ...((me.recognition[self] ?? 0) > 0 ? [{ id: self, name: 'you', recognition: me.recognition, state: me.state }] : []),
    ...peers.filter((peer) => peer.id !== self).map((peer) => ({ id: peer.id, name: peer.label, recognition: peer.recognition, state: peer.state })),
  ];
  const recognizers = providers.filter((provider) => (provider.recognition[self] ?? 0) > 0);
  if (recognizers.length === 0) return 'No teammate recognizes you yet: capacity flows only to those its provider recognizes.';
  const known = recognizers.filter((provider) => provider.state !== undefined);
  if (known.length === 0) return `${names(recognizers)} recognize${recognizers.length === 1 ? 's' : ''} you, but their declarations have not arrived yet.`;
  // A capacity of quantity 0 has nothing to give: it does not count as offered.
  const capacitiesOf = (provider: Provider) => provider.state!.capacities.filter((capacity) => capacity.type === need.type && capacity.quantity > 0);
  const ofType = known.filter((provider) => capacitiesOf(provider).length > 0);
  if (ofType.length === 0) {
    const offered = [...new Set(known.filter((provider) => provider.id !== self).flatMap((provider) => provider.state!.capacities.filter((capacity) => capacity.quantity > 0).map((capacity) => capacity.type)))].sort();
    return `No teammate who recognizes you declared a "${need.type}" capacity${offered.length > 0 ? ` (they offer ${offered.slice(0, 5).join(', ')}${offered.length > 5 ? ', …' : ''})` : ''}.`;
  }
  const fitting = ofType.filter((provider) => capacitiesOf(provider).some((capacity) => isCompatible(capacity, need)));
  if (fitting.length > 0) {
    if (!me.converged) return `${names(fitting)} can serve it; the allocation is still converging.`;
    // Once converged, a compatible capacity keeps nothing back while a recognized need is short (property 6). If all
    // of it comes to me, nobody is served before me: only more capacity helps.
    const fittingSlots = fitting.flatMap((provider) => capacitiesOf(provider).filter((capacity) => isCompatible(capacity, need)).map((capacity) => ({ provider, capacity })));
    const toMe = (provider: PeerId, capacity: string) => me.received.filter((flow) => flow.provider === provider && flow.capacity === capacity).reduce((sum, flow) => sum + flow.quantity, 0);
    if (fittingSlots.every(({ provider, capacity }) => toMe(provider.id, capacity.id) >= capacity.quantity * (1 - 1e-6))) {
      return `All the fitting capacity (${names(fitting)}) already comes to you: only more capacity, from them or others, would fill this need.`;
    }
    // Otherwise the need lost to others of the providers' candidates: a higher tier, or a larger share.
    const unrecognized = fitting.filter((provider) => provider.id !== self && (me.recognition[provider.id] ?? 0) <= 0);
    if (unrecognized.length > 0) {
      return `You don't recognize ${names(unrecognized).replace(' and ', ' or ')}: their capacity is given out, and mutual recognition is served first. Set Recognition makes it mutual.`;
    }
    return `${names(fitting)} can serve it, but the fitting capacity is all given out: mutual recognition comes first, then shares in proportion to recognition. More recognition between you, or more capacity, would change it.`;
  }
  // Each provider's capacity of the type that comes closest, and what it misses; providers missing the same say it
  // once ("Ana's and Chen's lack python").
  const groups = new Map<string, string[]>();
  for (const provider of ofType) {
    const closest = capacitiesOf(provider).map((capacity) => misses(capacity, need)).sort((a, b) => a.length - b.length)[0]!;
    const reason = closest.join(' and ');
    groups.set(reason, [...(groups.get(reason) ?? []), provider.name === 'you' ? 'yours' : `${provider.name}'s`]);
  }
  const shown = [...groups].slice(0, 3).map(([reason, owners]) => {
    const whose = owners.length <= 2 ? owners.join(' and ') : `${owners.slice(0, 2).join(', ')} and ${owners.length - 2} more`;
    // "lacks" / "is only" agree with one owner; several take "lack" / "are only".
    return `${whose} ${owners.length === 1 ? reason : reason.replace(/\blacks\b/g, 'lack').replace(/\bis only\b/g, 'are only')}`;
  });
  const more = groups.size > 3 ? `; ${[...groups].slice(3).reduce((sum, [, owners]) => sum + owners.length, 0)} more offer it` : '';
  return `No "${need.type}" capacity fits: ${shown.join('; ')}${more}.`;
}

/**
 * What keeps a capacity of the need's type from serving it (7.2, the rules isCompatible applies), phrased after
 * "Ana's": "lacks go", "is only mon-fri 09:00-12:00 UTC".
 */
function misses(capacity: Slot, need: Slot): string[] {
  return [
    skillsCovered(capacity.skills, need.skills) ? undefined : `lacks ${need.skills.filter((skill) => !skillsCovered(capacity.skills, [skill])).join(', ')}`,
    windowsOverlap(capacity.window, need.window) ? undefined : `is only ${formatWindow(capacity.window)}`,
    locationsCompatible(capacity.location, need.location) ? undefined : `is only at ${formatLocation(capacity.location)}`,
  ].filter((miss): miss is string => miss !== undefined);
}

/**
 * Where my need and a capacity that gives to it count in different units ("day" against "hours"): the protocol
 * compares plain numbers (spec 2: a unit is a label), so 0.5 hours arrive as 0.5 day. One sentence, or undefined.
 */
export function unitMismatch(need: Slot, flows: readonly { readonly provider: PeerId; readonly capacity: string }[], unitOfCapacity: (provider: PeerId, capacity: string) => string | undefined): string | undefined {
  const mine = need.unit ?? '';
  // "hour" and "hours" are one unit (shown as one since withUnit: a review found them called different).
  const theirs = [...new Set(flows.map((flow) => unitOfCapacity(flow.provider, flow.capacity) ?? ''))].filter((unit) => !sameUnit(unit, mine));
  if (theirs.length === 0) return undefined;
  const named = (unit: string) => (unit === '' ? 'no unit' : `"${unit}"`);
  return `Units differ: this need counts in ${named(mine)}, capacity giving to it in ${theirs.map(named).join(', ')}; amounts are compared as plain numbers.`;
}
