import { firstPartOf, fuseEmbeddings, FUSIONS } from './fusion.ts';
import { OnnxEmbedder, type EmbedderOptions, type EmbeddedFace } from './onnx-embedder.ts';
import { FaceGateError } from '../errors.ts';
import { resolvePrecision, type ModelPack } from '../runtime/pack.ts';
import type { Embedder, Frame, Landmarks5 } from '../types.ts';

/**
 * Two pack embedders run on the same aligned faces, their unit embeddings concatenated with the
 * fusion's weights (fusion.ts): one unit vector, one Euclidean metric, its own model id.
 */
export class FusedEmbedder implements Embedder {
  readonly modelId: string;
  readonly dim: number;
  readonly #a: OnnxEmbedder;
  readonly #b: OnnxEmbedder;
  readonly #weightA: number;

  private constructor(id: string, a: OnnxEmbedder, b: OnnxEmbedder, weightA: number) {
    this.modelId = id;
    this.#a = a;
    this.#b = b;
    this.#weightA = weightA;
    this.dim = a.dim + b.dim;
  }

  static async create(pack: ModelPack, id: string, opts: EmbedderOptions = {}): Promise<FusedEmbedder> {
    const spec = FUSIONS[id];
    if (!spec) throw new FaceGateError('FG_CONFIG_INVALID', `unknown fused embedder "${id}"`);
    // A part whose int8 build loses accuracy stays fp32 when the pack would give it int8.
    const int8 = resolvePrecision(opts.precision ?? pack.defaults.precision ?? 'fp32', opts.providers) === 'int8';
    const partOpts = (id: string): EmbedderOptions => (int8 && spec.fp32Parts?.includes(id) ? { ...opts, precision: 'fp32' } : opts);
    const a = await OnnxEmbedder.create(pack, spec.parts[0], partOpts(spec.parts[0]));
    try {
      const b = await OnnxEmbedder.create(pack, spec.parts[1], partOpts(spec.parts[1]));
      return new FusedEmbedder(id, a, b, spec.weightA);
    } catch (e) {
      await a.release();
      throw e;
    }
  }

  async embed(frame: Frame, faces: readonly Landmarks5[]): Promise<Float32Array[]> {
    return (await this.embedFaces(frame, faces)).map((f) => f.embedding);
  }

  /** Quality and alignment figures are the first part's (both align the same landmarks alike). */
  async embedFaces(frame: Frame, faces: readonly Landmarks5[]): Promise<EmbeddedFace[]> {
    const a = await this.#a.embedFaces(frame, faces);
    const b = await this.#b.embed(frame, faces);
    return a.map((f, i) => ({ ...f, embedding: fuseEmbeddings(f.embedding, b[i], this.#weightA) }));
  }

  /**
   * The first part alone (MobileFaceNet in the device default: a quarter of the fused cost). Enough
   * to tell whether a tracked face is still the same person; never a match.
   */
  async embedFirstPart(frame: Frame, faces: readonly Landmarks5[]): Promise<Float32Array[]> {
    return this.#a.embed(frame, faces);
  }

  /** What embedFirstPart() gives, taken out of a fused embedding (no model run). */
  firstPartOf(fused: Float32Array): Float32Array {
    return firstPartOf(fused, this.#a.dim, this.#weightA);
  }

  get firstPartDim(): number {
    return this.#a.dim;
  }

  async release(): Promise<void> {
    await Promise.all([this.#a.release(), this.#b.release()]);
  }
}
