/** Offline training of projection heads on frozen embeddings (triplet / center / naive losses). */
export { ProjectionHead, randomOrthogonal, headLayout, type HeadShape, type HeadInit, type HeadActivation, type HeadForward, type HeadLayout } from './head.ts';
export { tripletLoss, emptyTripletCounts, addTripletCounts, type TripletOptions, type TripletCounts, type NegativeFallback } from './losses/triplet.ts';
export { SoftmaxCenterLoss, type CenterLossOptions, type CenterLossResult } from './losses/center.ts';
export { naiveLoss } from './losses/naive.ts';
export { pairwiseSquaredDistances, type LossResult } from './losses/types.ts';
export { createOptimizer, type Optimizer, type OptimizerOptions, type OptimizerName } from './optimizer.ts';
export { createRng, type Rng } from './rng.ts';
export { embeddingSet, splitPeople, subsetRows, subsetPeople, rowsByLabel, withMinImages, rowCount, type EmbeddingSet, type PeopleSplit } from './dataset.ts';
export { pkBatches, type PkOptions } from './batches.ts';
export { validationPairs, pairDistances, pairMetrics, type PairList, type PairMetrics } from './validation.ts';
export { trainHead, trainHeadOnSplit, epochsToReach, resolveTrainOptions, LOSS_NAMES, type LossName, type TrainOptions, type TrainResult, type EpochRecord, type ResolvedTrainOptions } from './trainer.ts';
export { headToOnnx, fuseHeadAfterEmbedder, headFromOnnx, HEAD_INPUT, HEAD_OUTPUT, HEAD_META_KEY } from './onnx-export.ts';
export { registerFusedHead, type TrainedHeadEntry, type HeadProvenance } from './register-head.ts';
export { embedLabeledImages, cacheKey, DEFAULT_CACHE_DIR, type EmbeddedRows, type CacheIndex, type ImageItem } from './embedding-cache.ts';
export { runTrainHead, type TrainHeadRequest, type TrainHeadSummary } from './run-train-head.ts';
export { curveChart, pcaScatter, topPeople } from './charts.ts';
