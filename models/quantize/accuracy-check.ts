/**
 * Accuracy of a lower-precision variant against fp32 on real faces: the faces are found once (fp32
 * MTCNN), then embedded by the fp32 and the variant embedder from the same landmarks, so the only
 * difference is the embedder's arithmetic.
 */
import sharp from 'sharp';
import { cosineDistance } from '../../sdk/metrics/distance.ts';
import { MtcnnDetector } from '../../sdk/detect/mtcnn/mtcnn-detector.ts';
import { OnnxEmbedder } from '../../sdk/embed/onnx-embedder.ts';
import { ModelPack } from '../../sdk/runtime/pack.ts';
import type { Precision } from '../../sdk/runtime/model-types.ts';
import type { ExecutionProvider } from '../../sdk/runtime/session.ts';
import type { Frame, Landmarks5 } from '../../sdk/types.ts';

export interface AgreementResult {
  model: string;
  precision: Precision;
  /** Precision actually loaded (differs when the variant is absent). */
  loaded: Precision;
  faces: number;
  cosines: number[];
  median: number;
  min: number;
  mean: number;
}

/** Cosine similarity (1 = same direction), from the calibration maths' cosine distance. */
export function cosine(a: Float32Array, b: Float32Array): number {
  return 1 - cosineDistance(a, b);
}

export function median(v: readonly number[]): number {
  const s = [...v].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function frameOf(path: string, maxSide: number): Promise<Frame> {
  const { data, info } = await sharp(path).rotate().removeAlpha().toColourspace('srgb')
    .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
    .raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** Cosine between fp32 and `precision` embeddings of every face MTCNN finds in `images`. */
export async function embeddingAgreement(
  packDir: string,
  modelId: string,
  images: readonly string[],
  precision: Precision,
  opts: { maxSide?: number; providers?: ExecutionProvider[] } = {},
): Promise<AgreementResult> {
  const pack = await ModelPack.open(packDir);
  const detector = await MtcnnDetector.create(pack);
  const ref = await OnnxEmbedder.create(pack, modelId);
  const variantPack = await ModelPack.open(packDir, { precision });
  const loadedModel = await variantPack.load(modelId, { providers: opts.providers });
  const loaded = loadedModel.precision;
  await loadedModel.session.release();
  const test = await OnnxEmbedder.create(variantPack, modelId, { providers: opts.providers });
  const cosines: number[] = [];
  try {
    for (const path of images) {
      const frame = await frameOf(path, opts.maxSide ?? 960);
      const faces: Landmarks5[] = (await detector.detect(frame)).map((f) => f.landmarks5);
      if (!faces.length) continue;
      const [a, b] = [await ref.embed(frame, faces), await test.embed(frame, faces)];
      for (let i = 0; i < faces.length; i++) cosines.push(cosine(a[i], b[i]));
    }
  } finally {
    await Promise.all([detector.release(), ref.release(), test.release()]);
  }
  return {
    model: modelId, precision, loaded, faces: cosines.length, cosines,
    median: cosines.length ? median(cosines) : NaN,
    min: cosines.length ? Math.min(...cosines) : NaN,
    mean: cosines.length ? cosines.reduce((s, c) => s + c, 0) / cosines.length : NaN,
  };
}
