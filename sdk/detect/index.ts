export * from './box-math.ts';
export { AROUND_GROWTH, aroundWindows, OnetAround } from './mtcnn/onet-refine.ts';
export { pnetCandidates, PNET_CELL, PNET_STRIDE, type PnetCandidate } from './mtcnn/pnet-decode.ts';
export { MtcnnDetector, MTCNN_DEFAULT_THRESHOLDS, type MtcnnOptions, type MtcnnDetectOptions, type MtcnnStats } from './mtcnn/mtcnn-detector.ts';
export { RfbDetector, type RfbOptions, type RfbDetectOptions, type RfbStats } from './rfb/rfb-detector.ts';
export { reduce68To5, landmarkCropRect } from './rfb/landmarks68.ts';
