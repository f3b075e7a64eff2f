/**
 * Calibration of several pack models in one pass over the images: each model is prepared (ORT
 * basic optimisation, opset >= 13, PRelu rewrite), its quantisation planned, and the tensors the
 * plan needs measured on the inputs the SDK really feeds it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FaceGateError, errorMessage } from '../../sdk/errors.ts';
import { ModelPack } from '../../sdk/runtime/pack.ts';
import type * as ort from 'onnxruntime-node';
import { ActivationCalibrator, ChannelRanges } from './activation-calibrator.ts';
import { captureCalibrationInputs, type CalibrationImageSet, type CaptureOptions } from './calibration-inputs.ts';
import { decodeModel, encodeModel, preOptimize, upgradeOpset, type ModelProto } from './onnx-graph.ts';
import { equalize, findEqualizePairs, type EqualizeReport } from './equalize.ts';
import { rewritePrelu, type PreluRewriteOptions, type PreluRewriteReport } from './prelu-rewrite.ts';
import { planQdq, type QdqOptions, type QdqPlan } from './qdq-quantize.ts';

export interface PreparedModel {
  id: string;
  /** Float model the plan refers to (pre-optimised, opset >= 13, PRelu rewritten). */
  model: ModelProto;
  prelu: PreluRewriteReport;
}

/** Float model ready for quantisation or fp16 conversion. */
export async function prepareModel(id: string, bytes: Uint8Array, opts: PreluRewriteOptions = {}): Promise<PreparedModel> {
  const model = upgradeOpset(await preOptimize(bytes));
  const prelu = rewritePrelu(model, opts);
  return { id, model, prelu };
}

export interface CalibratedModel extends PreparedModel {
  plan: QdqPlan;
  /** Present when activation equalisation was applied (before planning). */
  equalized?: EqualizeReport;
  calibrator: ActivationCalibrator;
  /** Input batches seen. */
  batches: number;
}

export interface PackCalibration {
  models: Map<string, CalibratedModel>;
  /** Models that could not be prepared or calibrated, with the reason (the others still are). */
  failed: Map<string, string>;
  images: number;
  faces: number;
  ms: number;
}

/** Copies a prepared model so a quantiser can edit it. */
export function cloneModel(m: ModelProto): ModelProto {
  return decodeModel(encodeModel(m));
}

/** Inputs kept per equalised model (P-Net pyramids of 960 px frames are ~7 MB an image). */
const KEPT_BYTES_PER_MODEL = 512 * 2 ** 20;

export interface CalibrationRecipe extends QdqOptions {
  /** Equalise channel ranges between Convs first (needs a second pass over the inputs, kept in memory). */
  equalize?: boolean;
  /** See PreluRewriteOptions.clampTolerance (default 0: exact). */
  slopeClampTolerance?: number;
}

export async function calibratePack(
  packDir: string,
  ids: readonly string[],
  set: CalibrationImageSet,
  recipeOf: (id: string) => CalibrationRecipe,
  opts: CaptureOptions = {},
): Promise<PackCalibration> {
  const t0 = performance.now();
  const pack = await ModelPack.open(packDir);
  const models = new Map<string, CalibratedModel>();
  const failed = new Map<string, string>();
  const prepared = new Map<string, PreparedModel>();
  // Models to equalise keep their inputs (embedders: 112x112 faces, small); the rest stream.
  const kept = new Map<string, Record<string, ort.Tensor>[]>();
  const release = () => Promise.all([...models.values()].map((m) => m.calibrator.release()));
  try {
    for (const id of ids) {
      try {
        await prepareOne(id);
      } catch (e) {
        failed.set(id, errorMessage(e));
      }
    }
    async function prepareOne(id: string): Promise<void> {
      const entry = pack.entry(id);
      // Integer PRelu needs the slope as a Conv (see prelu-rewrite.ts).
      const p = await prepareModel(id, new Uint8Array(await readFile(join(packDir, entry.file))), {
        slopeAsConv: recipeOf(id).integerMax !== false, clampTolerance: recipeOf(id).slopeClampTolerance,
      });
      if (recipeOf(id).equalize) {
        prepared.set(id, p);
        kept.set(id, []);
        return;
      }
      const plan = planQdq(p.model, recipeOf(id));
      const calibrator = await ActivationCalibrator.create(p.model, plan.calibrate);
      models.set(id, { ...p, plan, calibrator, batches: 0 });
    }
    const keptBytes = new Map<string, number>();
    const { images, faces } = await captureCalibrationInputs(packDir, set, async (feeds) => {
      for (const [id, list] of feeds) {
        const store = kept.get(id);
        for (const f of store ? list : []) {
          // Memory guard for large calibration sets: inputs past the budget are not kept.
          const bytes = Object.values(f).reduce((a, t) => a + (t.data as Float32Array).byteLength, 0);
          const total = (keptBytes.get(id) ?? 0) + bytes;
          if (total > KEPT_BYTES_PER_MODEL) continue;
          keptBytes.set(id, total);
          store!.push(f);
        }
        const m = models.get(id);
        if (!m) continue;
        for (const f of list) {
          await m.calibrator.add(f);
          m.batches++;
        }
      }
    }, opts);
    for (const [id, p] of prepared) {
      try {
        await equalizeAndCalibrate(id, p);
      } catch (e) {
        failed.set(id, errorMessage(e));
      }
      kept.delete(id);
    }
    async function equalizeAndCalibrate(id: string, p: PreparedModel): Promise<void> {
      const feeds = kept.get(id)!;
      if (!feeds.length) throw new FaceGateError('FG_MODEL_CONVERT', `calibration: ${id} received no input (no face reached it)`);
      const pairs = findEqualizePairs(p.model);
      const ch = await ChannelRanges.create(p.model, [...new Set(pairs.flatMap((q) => q.measured))]);
      try {
        for (const f of feeds) await ch.add(f);
      } finally {
        await ch.release();
      }
      const equalized = equalize(p.model, pairs, (t) => ch.ranges.get(t)!);
      const plan = planQdq(p.model, recipeOf(id));
      const calibrator = await ActivationCalibrator.create(p.model, plan.calibrate);
      const m: CalibratedModel = { ...p, plan, calibrator, batches: 0, equalized };
      models.set(id, m);
      for (const f of feeds) {
        await calibrator.add(f);
        m.batches++;
      }
    }
    for (const m of [...models.values()]) {
      if (m.batches) continue;
      failed.set(m.id, 'calibration: the model received no input (no face reached it)');
      models.delete(m.id);
      await m.calibrator.release();
    }
    return { models, failed, images, faces, ms: performance.now() - t0 };
  } catch (e) {
    await release();
    throw e;
  }
}
