/** Public surface of matching: candidates -> decision, and open-set figures (all pure). */
export { decide } from './decide.ts';
export type { MatchCandidate, DecideOptions, Decision, DecisionKind, DecisionReason } from './decide.ts';
export { aggregateByIdentity } from './aggregate.ts';
export type { TemplateHit, IdentityHit } from './aggregate.ts';
export { openSetSummary } from './open-set.ts';
export type { ProbeOutcome, OpenSetSummary } from './open-set.ts';
export { defaultThreshold, DEFAULT_THRESHOLDS } from './default-thresholds.ts';
export { looseThresholdProblem, impostorAcceptBracket, IMPOSTOR_QUANTILES } from './impostor-floor.ts';
export type { ImpostorQuantiles } from './impostor-floor.ts';
