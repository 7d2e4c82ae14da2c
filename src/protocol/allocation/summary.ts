// Room: protocol (pure). May touch: ../schemas, ./recognition. The SimulationResult view of per-participant results, used by the
// asynchronous simulation and by peers' status: what flows is what recipients accepted.
import type { PeerId, Relationships, Results, SimulationResult, State } from '../schemas.ts';
import { mutualRecognition, normalizeRecognition } from './recognition.ts';

/**
 * Flows as recipients accepted them. The tier belongs to the provider-recipient pair (MR), so it is computed from the
 * relationships, not taken from the provider's offer, which an acceptance may outlive while the network is still
 * settling (the provider has withdrawn it).
 */
export function summarizeResults(
  states: ReadonlyMap<PeerId, State>,
  results: ReadonlyMap<PeerId, Results>,
  history: SimulationResult['history'],
  converged: boolean,
  relationships: ReadonlyMap<PeerId, Relationships>,
): SimulationResult {
  const recognitionOf = (peer: PeerId) => normalizeRecognition(relationships.get(peer)?.recognition);
  const tierOfPair = (provider: PeerId, recipient: PeerId): 'mutual' | 'one-way' =>
    mutualRecognition(recognitionOf(provider), provider, recognitionOf(recipient), recipient) > 0 ? 'mutual' : 'one-way';
  const allocations: SimulationResult['allocations'] = [];
  const received = new Map<string, number>();
  const allocated = new Map<string, number>();
  const ids = [...states.keys()].sort();
  for (const recipient of ids) {
    for (const entry of results.get(recipient)?.acceptance ?? []) {
      const tier = tierOfPair(entry.provider, recipient);
      allocations.push({ provider: entry.provider, capacity: entry.capacity, recipient, need: entry.need, quantity: entry.quantity, tier });
      received.set(`${recipient}\u0000${entry.need}`, (received.get(`${recipient}\u0000${entry.need}`) ?? 0) + entry.quantity);
      allocated.set(`${entry.provider}\u0000${entry.capacity}`, (allocated.get(`${entry.provider}\u0000${entry.capacity}`) ?? 0) + entry.quantity);
    }
  }
  allocations.sort((a, b) => (a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : a.capacity < b.capacity ? -1 : a.capacity > b.capacity ? 1 : a.recipient < b.recipient ? -1 : a.recipient > b.recipient ? 1 : a.need < b.need ? -1 : 1));
  const needs: SimulationResult['needs'] = [];
  const capacities: SimulationResult['capacities'] = [];
  for (const participant of ids) {
    const state = states.get(participant)!;
    for (const need of state.needs) {
      const got = Math.min(need.quantity, received.get(`${participant}\u0000${need.id}`) ?? 0);
      needs.push({ participant, need: need.id, declared: need.quantity, received: got, residual: Math.max(0, need.quantity - got) });
    }
    for (const capacity of state.capacities) {
      const given = Math.min(capacity.quantity, allocated.get(`${participant}\u0000${capacity.id}`) ?? 0);
      capacities.push({ participant, capacity: capacity.id, declared: capacity.quantity, allocated: given, leftover: Math.max(0, capacity.quantity - given) });
    }
  }
  return { converged, rounds: history.length, allocations, needs, capacities, history };
}
