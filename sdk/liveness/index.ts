export { LIVENESS_MODEL_IDS, type LivenessModelId, type LivenessScorer } from './types.ts';
export { createLivenessScorer, livenessPackIds, type LivenessScorerConfig, type LivenessScorerWithEvidence } from './create-scorer.ts';
export { OnnxLivenessModel, type LivenessModelOptions } from './onnx-liveness.ts';
export { LIVENESS_RECIPES, DEFAULT_LIVENESS_THRESHOLDS, type LivenessModelRecipe } from './models.ts';
export { FUSION } from './fusion.ts';
export { livenessCropRect } from './crop.ts';
export { frLivenessEvidence, antispoofEvidence } from './readout.ts';
export { aggregateLiveness, checkLivenessAggregateOptions, LIVENESS_AGGREGATE_MODES, type LivenessAggregateMode, type LivenessAggregateOptions, type LivenessAggregate, type LivenessVerdict } from './aggregate.ts';
export { padRates, thresholdForBpcer, padAuc, padEqualError, type PadRates, type EqualErrorPoint } from './pad-metrics.ts';
export { fitLogistic, predictLogistic, sigmoid, logit, type LogisticModel, type LogisticFitOptions } from './logistic.ts';
export { parseLivenessRows, LABEL_COLUMNS, LABEL_HEADER_DESCRIPTION, type LivenessSample, type PresentationLabel } from './labels.ts';
export {
  scoreLivenessSamples, buildLivenessReport,
  type ScoredSample, type ScoreSamplesDeps, type LivenessReportOptions, type LivenessReport, type GroupRate, type SubjectFigures,
} from './evaluate.ts';
