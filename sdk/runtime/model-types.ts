/** Description of a model in the pack: written by models/, read by the sdk at run time. */

export type ModelRole = 'detector-pnet' | 'detector-rnet' | 'detector-onet' | 'detector-rfb' | 'landmarks68' | 'embedder' | 'liveness';
export type GraphOptLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface Preprocess {
  /** Network input size as [width, height]; null for fully dynamic (P-Net). */
  size: [number, number] | null;
  /** pixel' = (pixel - mean) * scale, per channel in `colour` order. */
  mean: number;
  scale: number;
  colour: 'RGB' | 'BGR' | 'GREY';
  layout: 'NHWC' | 'NCHW';
  /** MTCNN nets (facenet TF port) expect the image transposed: x-major. */
  transposed?: boolean;
}

export interface ModelSpec {
  id: string;
  role: ModelRole;
  source: string; // key of models/sources.ts
  path: string;
  format: 'onnx' | 'tflite';
  preprocess: Preprocess;
  /** Output names in the order the SDK reads them, with meaning. */
  outputs: Record<string, string>;
  /** Embedding dimension (embedders only). */
  dim?: number;
  /** Fastest ORT graph optimisation level measured for this model on CPU. */
  optLevel: GraphOptLevel;
  /** Make these input dims dynamic when converting/patching (e.g. batch, H, W). */
  dynamicInput?: ('batch' | 'height' | 'width')[];
}

/** One model as recorded in the built pack's manifest.json. */
export interface PackEntry extends ModelSpec {
  file: string; // file name inside the pack directory
  sourceSpec: string; // package@version
  sourceSha256: string;
  sha256: string; // of the built .onnx
  bytes: number;
  inputs: { name: string; shape: (number | string)[] }[];
  outputNames: string[];
  license: string;
}

export interface PackManifest {
  version: 1;
  builtAt: string;
  models: PackEntry[];
}
