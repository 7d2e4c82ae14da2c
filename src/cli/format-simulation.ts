// Room: cli (edge). A SimulationResult as plain-text tables for people (`mutual simulate --format table`).
import type { SimulationResult } from '../protocol/schemas.ts';

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column]!.length)));
  // Numbers right-aligned, text left-aligned.
  const numeric = headers.map((_, column) => rows.length > 0 && rows.every((row) => !Number.isNaN(Number(row[column]))));
  const line = (cells: readonly string[]) => cells.map((cell, column) => (numeric[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ').trimEnd();
  return [line(headers), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

const amount = (value: number) => (Math.abs(value - Math.round(value)) < 1e-9 ? String(Math.round(value)) : value.toFixed(3));

export function formatSimulation(result: SimulationResult): string {
  const last = result.history.at(-1);
  const status = result.converged
    ? `converged in ${result.rounds} round${result.rounds === 1 ? '' : 's'}`
    : `NOT converged after ${result.rounds} round${result.rounds === 1 ? '' : 's'} (last max delta ${last?.maxDelta.toExponential(2) ?? '-'})`;
  const sections = [
    status,
    '',
    'Allocations (what flows):',
    result.allocations.length === 0
      ? '  (none)'
      : table(['provider/capacity', 'recipient/need', 'quantity', 'tier'], result.allocations.map((entry) => [`${entry.provider}/${entry.capacity}`, `${entry.recipient}/${entry.need}`, amount(entry.quantity), entry.tier])),
    '',
    'Needs:',
    result.needs.length === 0
      ? '  (none)'
      : table(['participant/need', 'declared', 'received', 'residual'], result.needs.map((entry) => [`${entry.participant}/${entry.need}`, amount(entry.declared), amount(entry.received), amount(entry.residual)])),
    '',
    'Capacities:',
    result.capacities.length === 0
      ? '  (none)'
      : table(['participant/capacity', 'declared', 'allocated', 'leftover'], result.capacities.map((entry) => [`${entry.participant}/${entry.capacity}`, amount(entry.declared), amount(entry.allocated), amount(entry.leftover)])),
    '',
    'Convergence (per round):',
    table(['round', 'residual need norm', 'max delta'], result.history.map((entry) => [String(entry.round), entry.residualNeedNorm.toFixed(4), entry.maxDelta.toExponential(2)])),
  ];
  return `${sections.join('\n')}\n`;
}
