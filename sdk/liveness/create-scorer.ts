import { FaceGateError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ModelPack } from '../runtime/pack.ts';
import type { PrecisionSetting } from '../runtime/model-types.ts';
import type { ExecutionProvider } from '../runtime/session.ts';
import type { DetectedFace, Frame } from '../types.ts';
import { FUSION } from './fusion.ts';
import { sigmoid } from './logistic.ts';
import { OnnxLivenessModel } from './onnx-liveness.ts';
import { LIVENESS_MODEL_IDS, type LivenessModelId, type LivenessScorer } from './types.ts';

export interface LivenessScorerConfig {
  /** Default 'fr-liveness' (the best measured model; see docs/liveness.md). */
  model?: LivenessModelId;
  providers?: ExecutionProvider[];
  /**
   * Model build (default fp32). The default thresholds were measured on fp32 outputs; a reduced
   * build moves the far-tail scores they sit in, so use one only after measuring it.
   */
  precision?: PrecisionSetting;
  logger?: Logger;
}

/** A scorer that also exposes each network's evidence (log-odds of live), for calibration. */
export interface LivenessScorerWithEvidence extends LivenessScorer {
  /** Evidence of each network the scorer runs, in the order of `components`. */
  evidence(frame: Frame, face: DetectedFace): Promise<number[]>;
  readonly components: readonly OnnxLivenessModel['packId'][];
}

class SingleModelScorer implements LivenessScorerWithEvidence {
  readonly id: LivenessModelId;
  readonly components: readonly OnnxLivenessModel['packId'][];
  constructor(private readonly model: OnnxLivenessModel) {
    this.id = model.packId;
    this.components = [model.packId];
  }
  async evidence(frame: Frame, face: DetectedFace): Promise<number[]> {
    return [await this.model.evidence(frame, face)];
  }
  async score(frame: Frame, face: DetectedFace): Promise<number> {
    return sigmoid(await this.model.evidence(frame, face));
  }
  release(): Promise<void> {
    return this.model.release();
  }
}

/** Logistic fusion of both networks' evidence (weights fitted on spoof-nuaa-dev, see fusion.ts). */
class FusedScorer implements LivenessScorerWithEvidence {
  readonly id = 'fused' as const;
  readonly components: readonly OnnxLivenessModel['packId'][];
  constructor(private readonly models: OnnxLivenessModel[]) {
    this.components = models.map((m) => m.packId);
  }
  async evidence(frame: Frame, face: DetectedFace): Promise<number[]> {
    const out: number[] = [];
    for (const m of this.models) out.push(await m.evidence(frame, face));
    return out;
  }
  async score(frame: Frame, face: DetectedFace): Promise<number> {
    const e = await this.evidence(frame, face);
    let z = FUSION.bias;
    FUSION.components.forEach((id, i) => { z += FUSION.weights[i] * e[this.components.indexOf(id)]; });
    return sigmoid(z);
  }
  async release(): Promise<void> {
    await Promise.all(this.models.map((m) => m.release()));
  }
}

/** The pack models a liveness scorer needs (to tell whether a pack can run it before loading). */
export function livenessPackIds(model: LivenessModelId): OnnxLivenessModel['packId'][] {
  return model === 'fused' ? [...FUSION.components] : [model];
}

export async function createLivenessScorer(pack: ModelPack, config: LivenessScorerConfig = {}): Promise<LivenessScorerWithEvidence> {
  const id = config.model ?? 'fr-liveness';
  if (!LIVENESS_MODEL_IDS.includes(id)) {
    throw new FaceGateError('FG_CONFIG_INVALID', `liveness model must be one of ${LIVENESS_MODEL_IDS.join(', ')}, got "${String(id)}"`);
  }
  const opts = { providers: config.providers, precision: config.precision ?? 'fp32', logger: config.logger };
  const open = async (packId: OnnxLivenessModel['packId']) => {
    try {
      return await OnnxLivenessModel.create(pack, packId, opts);
    } catch (e) {
      if (e instanceof FaceGateError && e.code === 'FG_MODEL_MISSING') {
        throw new FaceGateError('FG_MODEL_MISSING',
          `liveness model "${id}" needs ${packId}, which the pack lacks: ${e.message}. Build it with \`npx facegate models build\`` +
          (packId === 'antispoof-256' ? ' (a TFLite model: needs the converter), or use --model fr-liveness' : ''), { cause: e });
      }
      throw e;
    }
  };
  if (id !== 'fused') return new SingleModelScorer(await open(id));
  const models: OnnxLivenessModel[] = [];
  try {
    for (const c of FUSION.components) models.push(await open(c));
  } catch (e) {
    await Promise.all(models.map((m) => m.release()));
    throw e;
  }
  return new FusedScorer(models);
}
