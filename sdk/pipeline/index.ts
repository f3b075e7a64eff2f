export { createPipeline, type Pipeline, type PipelineConfig, type AnalyzeOptions, type FallbackUsed, type DetectResult } from './create-pipeline.ts';
export { createDetector, openPack, DETECTOR_KINDS, FALLBACK_MTCNN_THRESHOLDS, FALLBACK_RFB_THRESHOLD, type DetectorKind, type DetectorConfig, type DetectorHandle } from './create-detector.ts';
export { mostCentralFace, largestFace, hasRivalFace } from '../detect/face-choice.ts';
export { centreCropFace, CENTRE_CROP_FRACTION, CENTRE_CROP_Y } from './centre-crop.ts';
export { faceQuality, interEyePx } from './quality.ts';
