// Room: protocol (pure). The allocation algorithm's public surface (spec/PROTOCOL.md chapter 7).
export { haversineKm, isCompatible, locationsCompatible, MAX_DISTANCE_KM, skillsCovered, windowsOverlap } from './compatibility.ts';
export {
  computeStabilityFactor,
  dampingFactor,
  DEFAULT_EPSILON,
  DEFAULT_MAX_ROUNDS,
  hasConverged,
  RESIDUE_FRACTION,
  pairTolerance,
  updateStateStability,
  type PairChange,
} from './convergence.ts';
export { computeRelationshipMetrics, matchTargetToSources, type RelationshipMetric, type SlotMatch } from './matching.ts';
export { compileNetwork, type AllocationNetwork, type CompiledParticipant } from './network.ts';
export { mutualRecognition, normalizeRecognition } from './recognition.ts';
export { computeResults, type ParticipantView } from './results.ts';
export { scenarioParticipants, simulate, summarizeNetwork, SynchronousRun, type AllocationOptions } from './simulate.ts';
export { summarizeResults } from './summary.ts';
export { waterFill } from './water-filling.ts';
