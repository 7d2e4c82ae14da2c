// Room: extension (pure; no vscode, no node:*: the webview renders with it). May touch: protocol (schemas,
// compatibility), ./view-model (types).
// Why one of my needs is not fully met, from what the panel already holds (teammates' declarations and recognition),
// in the protocol's terms: only a teammate who recognizes me gives me anything (7.3), and only from a capacity
// compatible with the need (7.2: type, skills, time window, location).
import { locationsCompatible, skillsCovered, windowsOverlap } from '../protocol/allocation/compatibility.ts';
import type { PeerId, Slot } from '../protocol/schemas.ts';
import type { PeerRow } from './view-model.ts';

const nameOf = (peer: PeerRow) => peer.displayName ?? peer.id.slice(-8);

/** "Ana", "Ana and Ben", "Ana, Ben and 3 others". */
function names(peers: readonly PeerRow[]): string {
  const shown = peers.slice(0, 2).map(nameOf);
  const others = peers.length - shown.length;
  if (others > 0) return `${shown.join(', ')} and ${others} other${others > 1 ? 's' : ''}`;
  return shown.join(' and ');
}

/** One sentence: what keeps `need` short, and so what would change it. */
export function explainUnmetNeed(need: Slot, self: PeerId | undefined, peers: readonly PeerRow[]): string {
  const recognizers = peers.filter((peer) => peer.id !== self && peer.state !== undefined && (peer.recognition[self ?? ''] ?? 0) > 0);
  if (recognizers.length === 0) return 'No teammate recognizes you yet: capacity flows only to those its provider recognizes.';
  const ofType = recognizers.filter((peer) => peer.state!.capacities.some((capacity) => capacity.type === need.type));
  if (ofType.length === 0) return `No teammate who recognizes you declared a "${need.type}" capacity.`;
  const fits = (capacity: Slot) => capacity.type === need.type && skillsCovered(capacity.skills, need.skills) && windowsOverlap(capacity.window, need.window) && locationsCompatible(capacity.location, need.location);
  const fitting = ofType.filter((peer) => peer.state!.capacities.some(fits));
  if (fitting.length > 0) {
    // Once converged, a compatible capacity keeps nothing back while a recognized need is short (property 6).
    return `${names(fitting)} can serve it, but their fitting capacity is all given out: mutual recognition comes first, then shares in proportion to recognition. More recognition between you, or more capacity, would change it.`;
  }
  // Which of the other rules every "of type" capacity misses: the ones to relax.
  const capacities = ofType.flatMap((peer) => peer.state!.capacities.filter((capacity) => capacity.type === need.type));
  const misses = [
    capacities.every((capacity) => !skillsCovered(capacity.skills, need.skills)) ? `the skills ${need.skills.join(', ')}` : undefined,
    capacities.every((capacity) => !windowsOverlap(capacity.window, need.window)) ? 'your time window' : undefined,
    capacities.every((capacity) => !locationsCompatible(capacity.location, need.location)) ? 'your location' : undefined,
  ].filter((miss): miss is string => miss !== undefined);
  const why = misses.length > 0 ? `none of them fits ${misses.join(' or ')}` : 'none of them fits its skills, time window and location together';
  return `${names(ofType)} offer${ofType.length === 1 ? 's' : ''} "${need.type}", but ${why}.`;
}
