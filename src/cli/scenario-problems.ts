// Room: cli (edge). Semantic rules of scenarios and profiles that the schema cannot express (spec: participant ids and
// each participant's slot ids MUST be unique), shared by `simulate`, `validate --kind scenario` and `peer --profile`.

interface ParticipantShape {
  readonly id: string;
  readonly capacities: readonly { id: string }[];
  readonly needs: readonly { id: string }[];
}

/** Slot ids a participant uses twice, each as `<prefix>capacities[i].id: "x" is used twice by <id>`. */
export function participantProblems(participant: ParticipantShape, prefix = ''): string[] {
  const problems: string[] = [];
  const slots = new Set<string>();
  for (const [list, name] of [[participant.capacities, 'capacities'], [participant.needs, 'needs']] as const) {
    list.forEach((slot, slotIndex) => {
      if (slots.has(slot.id)) problems.push(`${prefix}${name}[${slotIndex}].id: "${slot.id}" is used twice by ${participant.id}`);
      slots.add(slot.id);
    });
  }
  return problems;
}

/** Participant ids listed twice and slot ids a participant uses twice, each as `path: reason`. */
export function scenarioProblems(scenario: { readonly participants: readonly ParticipantShape[] }): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  scenario.participants.forEach((participant, index) => {
    if (seen.has(participant.id)) problems.push(`participants[${index}].id: "${participant.id}" appears more than once`);
    seen.add(participant.id);
    problems.push(...participantProblems(participant, `participants[${index}].`));
  });
  return problems;
}
