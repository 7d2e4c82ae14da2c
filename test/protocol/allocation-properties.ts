// Room: test support (protocol). Checks the allocation properties of spec/PROTOCOL.md 7.8 on a run's outcome, by
// brute force over the scenario — independent of the kernel's index.
import assert from 'node:assert/strict';
import { isCompatible } from '../../src/protocol/allocation/compatibility.ts';
import { normalizeRecognition } from '../../src/protocol/allocation/recognition.ts';
import type { Scenario, SimulationResult, Slot } from '../../src/protocol/schemas.ts';

interface Candidate {
  readonly recipient: string;
  readonly needs: readonly Slot[];
  readonly mutual: number;
  readonly recognition: number;
}

/** Asserts properties 1-6 (within tolerance) on a converged result. Returns the number of checks made. */
export function assertAllocationProperties(scenario: Scenario, result: SimulationResult, epsilon = 1e-6): number {
  let checks = 0;
  const scale = Math.max(1, ...scenario.participants.flatMap((p) => [...p.capacities, ...p.needs].map((slot) => slot.quantity)));
  const tolerance = Math.max(epsilon, 1e-9) * scale * 10;
  const byId = new Map(scenario.participants.map((participant) => [participant.id, participant]));
  const recognition = new Map(scenario.participants.map((participant) => [participant.id, normalizeRecognition(participant.recognition)]));
  const received = new Map<string, number>();
  for (const need of result.needs) received.set(`${need.participant}/${need.need}`, need.received);
  const fullyMet = (recipient: string, need: Slot) => (received.get(`${recipient}/${need.id}`) ?? 0) >= need.quantity - tolerance;

  // 3. Zero means zero; tier labels match MR.
  for (const flow of result.allocations) {
    const provider = byId.get(flow.provider)!;
    const recipient = byId.get(flow.recipient)!;
    const capacity = provider.capacities.find((slot) => slot.id === flow.capacity)!;
    const need = recipient.needs.find((slot) => slot.id === flow.need)!;
    const given = recognition.get(flow.provider)!.get(flow.recipient) ?? 0;
    const back = recognition.get(flow.recipient)!.get(flow.provider) ?? 0;
    assert.ok(given > 0, `${flow.provider} gives to ${flow.recipient} without recognizing it`);
    assert.ok(isCompatible(capacity, need), `${flow.provider}/${flow.capacity} -> ${flow.recipient}/${flow.need} is incompatible`);
    assert.equal(flow.tier, Math.min(given, back) > 0 ? 'mutual' : 'one-way');
    checks++;
  }

  // 2. Need: accepted <= declared (the summary clamps, so recompute from the flows).
  const flowIntoNeed = new Map<string, number>();
  for (const flow of result.allocations) flowIntoNeed.set(`${flow.recipient}/${flow.need}`, (flowIntoNeed.get(`${flow.recipient}/${flow.need}`) ?? 0) + flow.quantity);
  for (const participant of scenario.participants) {
    for (const need of participant.needs) {
      assert.ok((flowIntoNeed.get(`${participant.id}/${need.id}`) ?? 0) <= need.quantity + tolerance, `need ${participant.id}/${need.id} over-filled`);
      checks++;
    }
  }

  for (const provider of scenario.participants) {
    const mine = recognition.get(provider.id)!;
    for (const capacity of provider.capacities) {
      const flows = result.allocations.filter((flow) => flow.provider === provider.id && flow.capacity === capacity.id);
      const total = flows.reduce((sum, flow) => sum + flow.quantity, 0);
      // 1. Capacity.
      assert.ok(total <= capacity.quantity + tolerance, `capacity ${provider.id}/${capacity.id} over-allocated`);
      checks++;
      const candidates: Candidate[] = [];
      for (const [recipientId, weight] of mine) {
        const recipient = byId.get(recipientId);
        if (recipient === undefined || !(weight > 0)) continue;
        const needs = recipient.needs.filter((need) => isCompatible(capacity, need));
        if (needs.length === 0) continue;
        candidates.push({ recipient: recipientId, needs, mutual: Math.min(weight, recognition.get(recipientId)!.get(provider.id) ?? 0), recognition: weight });
      }
      const amount = (candidate: Candidate) => flows.filter((flow) => flow.recipient === candidate.recipient).reduce((sum, flow) => sum + flow.quantity, 0);
      const met = (candidate: Candidate) => candidate.needs.every((need) => fullyMet(candidate.recipient, need));
      const mutualCandidates = candidates.filter((candidate) => candidate.mutual > 0);
      const oneWayCandidates = candidates.filter((candidate) => candidate.mutual === 0);
      // 4. Priority.
      if (oneWayCandidates.some((candidate) => amount(candidate) > tolerance)) {
        for (const candidate of mutualCandidates) assert.ok(met(candidate), `${provider.id}/${capacity.id} gives one-way while mutual ${candidate.recipient} is unmet`);
        checks++;
      }
      // 6. Work-conserving.
      if (capacity.quantity - total > tolerance) {
        for (const candidate of candidates) assert.ok(met(candidate), `${provider.id}/${capacity.id} keeps ${capacity.quantity - total} while ${candidate.recipient} is unmet`);
        checks++;
      }
      // 5. Proportional within each tier (slots of one provider are served one after the other, so compare per slot).
      for (const [tier, weightOf] of [[mutualCandidates, (c: Candidate) => c.mutual], [oneWayCandidates, (c: Candidate) => c.recognition]] as const) {
        const unmet = tier.filter((candidate) => !met(candidate));
        if (unmet.length === 0) continue;
        // Levels amount/weight compared by cross-multiplying (a weight normalized to a subnormal would overflow them),
        // each amount known within the tolerance (amounts below it are not reported).
        const top = unmet.reduce((best, candidate) => (amount(candidate) * weightOf(best) > amount(best) * weightOf(candidate) ? candidate : best));
        for (const candidate of unmet) {
          const gap = Math.abs(amount(candidate) * weightOf(top) - amount(top) * weightOf(candidate));
          assert.ok(gap <= tolerance * Math.max(weightOf(candidate), weightOf(top)), `${provider.id}/${capacity.id}: unmet recipients not proportional`);
        }
        for (const candidate of tier.filter(met)) {
          // The top's amount widens by the tolerance only when it may be too small to be reported at all.
          const bound = weightOf(candidate) * (amount(top) + (amount(top) <= tolerance ? tolerance : 0)) + tolerance * weightOf(top);
          assert.ok(amount(candidate) * weightOf(top) <= bound, `${provider.id}/${capacity.id}: met ${candidate.recipient} above its proportion`);
        }
        checks++;
      }
    }
  }
  return checks;
}
