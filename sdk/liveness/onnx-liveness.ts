import * as ort from 'onnxruntime-node';
import { FaceGateError } from '../errors.ts';
import { resampleInto } from '../image/resample.ts';
import { tensorDims, tensorTarget } from '../image/tensor-target.ts';
import type { Logger } from '../logger.ts';
import { inputName, outputName } from '../runtime/model-io.ts';
import type { LoadedModel, ModelPack } from '../runtime/pack.ts';
import type { PrecisionSetting } from '../runtime/model-types.ts';
import type { ExecutionProvider } from '../runtime/session.ts';
import type { DetectedFace, Frame } from '../types.ts';
import { livenessCropRect } from './crop.ts';
import { LIVENESS_RECIPES, type LivenessModelRecipe } from './models.ts';
import { antispoofEvidence, frLivenessEvidence } from './readout.ts';

export interface LivenessModelOptions {
  providers?: ExecutionProvider[];
  precision?: PrecisionSetting;
  logger?: Logger;
}

/**
 * One liveness network from the pack: crops the face straight into its input tensor (resampling
 * with area averaging when shrinking, bilinear when enlarging) and returns evidence, the log-odds
 * that the face is live. The input buffer is allocated once and reused: calls must not overlap
 * (the frame loop scores one face at a time).
 */
export class OnnxLivenessModel {
  readonly packId: LivenessModelRecipe['packId'];
  readonly #model: LoadedModel;
  readonly #recipe: LivenessModelRecipe;
  readonly #size: [number, number];
  readonly #input: Float32Array;
  readonly #dims: number[];
  readonly #inputName: string;
  readonly #outputs: string[];
  #busy = false;

  private constructor(model: LoadedModel, recipe: LivenessModelRecipe) {
    this.#model = model;
    this.#recipe = recipe;
    this.packId = recipe.packId;
    const pre = model.entry.preprocess;
    if (!pre.size || pre.colour === 'GREY') {
      throw new FaceGateError('FG_MODEL_LOAD', `${recipe.packId}: manifest gives no fixed RGB input size (${JSON.stringify(pre.size)}, ${pre.colour})`);
    }
    this.#size = pre.size;
    this.#dims = tensorDims(pre, 1, pre.size[0], pre.size[1]);
    this.#input = new Float32Array(this.#dims.reduce((a, b) => a * b, 1));
    this.#inputName = inputName(model.entry);
    this.#outputs = recipe.packId === 'fr-liveness' ? [outputName(model.entry, 'probs')] : [outputName(model.entry, 'clss'), outputName(model.entry, 'leaf')];
  }

  static async create(pack: ModelPack, packId: LivenessModelRecipe['packId'], opts: LivenessModelOptions = {}): Promise<OnnxLivenessModel> {
    const recipe = LIVENESS_RECIPES[packId];
    if (!recipe) throw new FaceGateError('FG_CONFIG_INVALID', `no liveness recipe for model "${String(packId)}"`);
    const entry = pack.entry(packId);
    if (entry.role !== 'liveness') throw new FaceGateError('FG_CONFIG_INVALID', `model "${packId}" is a ${entry.role}, not a liveness model`);
    if (entry.preprocess.colour !== recipe.colour) {
      throw new FaceGateError('FG_MODEL_LOAD', `${packId}: the pack manifest feeds ${entry.preprocess.colour} but the model was measured on ${recipe.colour} input; the pack was built from older specs: rebuild it with \`npx facegate models build\``);
    }
    const model = await pack.load(packId, { providers: opts.providers, precision: opts.precision, logger: opts.logger });
    return new OnnxLivenessModel(model, recipe);
  }

  /** Log-odds that `face` in `frame` is live (positive = live). */
  async evidence(frame: Frame, face: DetectedFace): Promise<number> {
    if (this.#busy) throw new FaceGateError('FG_INPUT_INVALID', `${this.packId}: evidence() calls must not overlap (one face at a time)`);
    const { box } = face;
    if (!(box.w > 0 && box.h > 0) || ![box.x, box.y, box.w, box.h].every(Number.isFinite)) {
      throw new FaceGateError('FG_INPUT_INVALID', `${this.packId}: face box must be finite with positive size, got ${JSON.stringify(box)}`);
    }
    this.#busy = true;
    try {
      const r = this.#recipe;
      const pre = this.#model.entry.preprocess;
      const [w, h] = this.#size;
      const rect = livenessCropRect(box, r.cropScale, frame.width, frame.height, r.square);
      resampleInto(frame, rect, tensorTarget(this.#input, pre, w, h));
      const out = await this.#model.session.run({ [this.#inputName]: new ort.Tensor('float32', this.#input, this.#dims) });
      const read = (name: string) => {
        const t = out[name];
        if (!t) throw new FaceGateError('FG_MODEL_LOAD', `${this.packId} returned no output "${name}"`);
        return t.data as Float32Array;
      };
      const e = this.packId === 'fr-liveness' ? frLivenessEvidence(read(this.#outputs[0])) : antispoofEvidence(read(this.#outputs[0]), read(this.#outputs[1]));
      if (!Number.isFinite(e)) throw new FaceGateError('FG_MODEL_LOAD', `${this.packId} produced non-finite evidence`);
      return e;
    } finally {
      this.#busy = false;
    }
  }

  async release(): Promise<void> {
    await this.#model.session.release();
  }
}
