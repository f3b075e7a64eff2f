/** Pure evaluation metrics: distances, ROC/DET, AUC, EER, thresholds, intervals, k-fold, 1:N. */
export * from './distance.ts';
export * from './roc.ts';
export * from './threshold.ts';
export * from './interval.ts';
export * from './stats.ts';
export * from './kfold.ts';
export * from './open-set.ts';
export { normalQuantile, incompleteBeta } from './special.ts';
