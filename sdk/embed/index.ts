export { OnnxEmbedder, EMBEDDER_IDS, type EmbedderId, type EmbedderOptions, type EmbeddedFace } from './onnx-embedder.ts';
export { l2Normalize, l2Distance } from './l2.ts';
