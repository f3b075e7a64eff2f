import { FaceGateError } from '../errors.ts';
import { alignFaceInto } from '../align/align-face.ts';
import { laplacianVariance } from '../image/laplacian.ts';
import { tensorDims, tensorTarget } from '../image/tensor-target.ts';
import type { Logger } from '../logger.ts';
import { runBatched } from '../runtime/model-io.ts';
import type { LoadedModel, ModelPack } from '../runtime/pack.ts';
import type { PrecisionSetting } from '../runtime/model-types.ts';
import type { ExecutionProvider } from '../runtime/session.ts';
import type { Embedder, Frame, Landmarks5 } from '../types.ts';
import { l2Normalize } from './l2.ts';

export { EMBEDDER_IDS, type EmbedderId } from '../registry.ts';

export interface EmbedderOptions {
  /** Flip test-time augmentation: embed the mirrored face too, sum, renormalise. */
  flip?: boolean;
  providers?: ExecutionProvider[];
  logger?: Logger;
  /** Build to load (default: the pack's default precision). */
  precision?: PrecisionSetting;
}

export interface EmbeddedFace {
  /** L2-normalised. */
  embedding: Float32Array;
  /** Variance of the Laplacian of the aligned grey face (centre region): low = blurred. */
  blur: number;
  /** The landmarks are mirrored relative to the template (see SimilarityFit.reflected). */
  reflected: boolean;
  /** RMS distance of the aligned landmarks from the template, in aligned px. */
  alignRmsPx: number;
}

/**
 * Embeds faces with an ONNX model from the pack: aligns each face from its 5 landmarks straight
 * into the batch tensor (layout, colour order and normalisation read from the manifest entry),
 * runs all faces of a frame (and their mirrors, with flip) in one batch, L2-normalises rows.
 */
export class OnnxEmbedder implements Embedder {
  readonly modelId: string;
  readonly dim: number;
  readonly flip: boolean;
  readonly #model: LoadedModel;
  readonly #size: number;

  private constructor(model: LoadedModel, flip: boolean) {
    this.#model = model;
    this.modelId = model.entry.id;
    this.flip = flip;
    const size = model.entry.preprocess.size;
    if (!size || size[0] !== size[1]) {
      throw new FaceGateError('FG_MODEL_LOAD', `${model.entry.id}: embedder input must be square, manifest gives ${JSON.stringify(size)}`);
    }
    this.#size = size[0];
    const dim = model.entry.dim;
    if (!dim) throw new FaceGateError('FG_MODEL_LOAD', `${model.entry.id}: manifest gives no embedding dim`);
    this.dim = dim;
  }

  static async create(pack: ModelPack, id: string, opts: EmbedderOptions = {}): Promise<OnnxEmbedder> {
    const entry = pack.entry(id);
    if (entry.role !== 'embedder') throw new FaceGateError('FG_CONFIG_INVALID', `model "${id}" is a ${entry.role}, not an embedder`);
    const model = await pack.load(id, { providers: opts.providers, logger: opts.logger, ...(opts.precision ? { precision: opts.precision } : {}) });
    return new OnnxEmbedder(model, opts.flip ?? false);
  }

  async embed(frame: Frame, faces: readonly Landmarks5[]): Promise<Float32Array[]> {
    return (await this.embedFaces(frame, faces)).map((f) => f.embedding);
  }

  async embedFaces(frame: Frame, faces: readonly Landmarks5[]): Promise<EmbeddedFace[]> {
    const n = faces.length;
    if (n === 0) return [];
    const pre = this.#model.entry.preprocess;
    const size = this.#size;
    const margin = Math.round(size / 7);
    const info: Omit<EmbeddedFace, 'embedding'>[] = new Array(n);
    // Items 0..n-1 are the faces, n..2n-1 their mirrors (flip TTA rides in the same batch).
    const items = this.flip ? 2 * n : n;
    const [out] = await runBatched(this.#model, items, tensorDims(pre, 1, size, size).slice(1), (data, from, count) => {
      for (let k = 0; k < count; k++) {
        const item = from + k;
        const face = item % n;
        const target = tensorTarget(data, pre, size, size, k);
        const al = alignFaceInto(frame, faces[face], target, item >= n);
        if (item < n) {
          info[face] = { blur: laplacianVariance(target, margin), reflected: al.fit.reflected, alignRmsPx: al.fit.rms };
        }
      }
    }, ['embedding']);
    const dim = this.dim;
    if (out.length !== items * dim) {
      throw new FaceGateError('FG_MODEL_LOAD', `${this.modelId} returned ${out.length / items} values per face, manifest says ${dim}`);
    }
    return info.map((inf, i) => {
      const e = out.slice(i * dim, (i + 1) * dim);
      if (this.flip) {
        // Sum of the raw embeddings of both views, then one normalisation.
        const m = out.subarray((n + i) * dim, (n + i + 1) * dim);
        for (let j = 0; j < dim; j++) e[j] += m[j];
      }
      return { embedding: l2Normalize(e), ...inf };
    });
  }

  async release(): Promise<void> {
    await this.#model.session.release();
  }
}
